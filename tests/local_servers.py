"""Real servers on 127.0.0.1 for the delivery tests: an SMTP server (aiosmtpd) and a webhook receiver.

Each runs in its own thread on a free port and is stopped cleanly (sockets and threads closed), so
the suite stays quiet under `filterwarnings = error`.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An SMTP server that keeps every message it accepts; it refuses the addresses in `refuse` for
    good (550) and those in `defer` for now (450); with `delay`, it keeps the message at once but
    answers DATA only that many seconds later (a server answering after the client's timeout)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.delay = 0.0
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if address in self.defer:
            return "450 4.2.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def start(self) -> Mailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def received(self) -> Counter:
        """How many messages arrived per (reminder key, recipient)."""
        with self._lock:
            return Counter((m["X-Tracker-Reminder"], m["To"]) for m in self.messages)


class Webhook:
    """An HTTP server that records every JSON body POSTed to it; answers 500 while `failing` > 0,
    200 with `errcode` when it is set (a bot refusing a bad key), and answers `delay` seconds late."""

    def __init__(self):
        self.posts: list[dict] = []
        self.raw: list[tuple[dict, bytes]] = []  # headers and body of each accepted POST
        self.attempts = 0
        self.failing = 0
        self.errcode = 0
        self.delay = 0.0
        self._lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with hook._lock:
                    hook.attempts += 1
                    if hook.failing:
                        hook.failing -= 1
                        status, answer = 500, b'{"errcode": -1, "errmsg": "system busy"}'
                    elif hook.errcode:
                        status = 200
                        answer = b'{"errcode": %d, "errmsg": "invalid webhook url"}' % hook.errcode
                    else:
                        hook.posts.append(json.loads(body.decode("utf-8")))
                        hook.raw.append((dict(self.headers), body))
                        status, answer = 200, b'{"errcode": 0, "errmsg": "ok"}'
                if hook.delay:
                    time.sleep(hook.delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the client gave up waiting
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = False
        self._server.block_on_close = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/cgi-bin/webhook/send?key=secret"
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook", daemon=True)

    def start(self) -> Webhook:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def texts(self) -> list[str]:
        with self._lock:
            return [p["text"]["content"] for p in self.posts]


class Provider:
    """An HTTP server playing WeCom's, DingTalk's and an SMS gateway's documented answers.

    WeCom: GET /cgi-bin/gettoken, POST /cgi-bin/message/send?access_token=…; DingTalk: GET /gettoken,
    POST /topapi/message/corpconversation/asyncsend_v2?access_token=…; SMS: POST /sms/send. Each
    answers success by default; `script[path]` holds (status, body) answers to give first, in order.
    A token other than the one last issued to that provider is answered with errcode 40014.
    """

    def __init__(self):
        self.calls: list[tuple[str, dict, dict | None]] = []  # (path, query, json body)
        self.script: dict[str, list[tuple[int, dict]]] = {}
        self.issued = 0
        self.valid: dict[str, str | None] = {"wecom": None, "dingtalk": None}  # the token last issued
        self._lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body_json):
                from urllib.parse import parse_qs, urlsplit

                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                with provider._lock:
                    provider.calls.append((parts.path, query, body_json))
                    scripted = provider.script.get(parts.path)
                    status, answer = scripted.pop(0) if scripted else provider._default(parts.path, query)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._answer(None)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._answer(json.loads(raw.decode("utf-8")) if raw else None)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = False
        self._server.block_on_close = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="provider", daemon=True)

    def _default(self, path: str, query: dict) -> tuple[int, dict]:
        family = "wecom" if path.startswith("/cgi-bin/") else "dingtalk"
        if path in ("/cgi-bin/gettoken", "/gettoken"):
            self.issued += 1
            self.valid[family] = f"{family}-token-{self.issued}"
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": self.valid[family], "expires_in": 7200}
        if path in ("/cgi-bin/message/send", "/topapi/message/corpconversation/asyncsend_v2"):
            if query.get("access_token") != self.valid[family]:
                return 200, {"errcode": 40014, "errmsg": "invalid access_token"}
            if path == "/cgi-bin/message/send":
                return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "msg-1"}
            return 200, {"errcode": 0, "errmsg": "ok", "task_id": 256271667526, "request_id": "4jzllmte0wau"}
        if path == "/sms/send":
            return 200, {"code": 0, "message": "OK", "id": "sms-1"}
        return 404, {"errcode": 404, "errmsg": "not found"}

    def start(self) -> Provider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def sent(self, path: str) -> list[dict]:
        with self._lock:
            return [body for p, _, body in self.calls if p == path and body is not None]
