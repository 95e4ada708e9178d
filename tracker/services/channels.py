"""The outside channels a message goes out on: email over SMTP, and a group-bot webhook.

Both are configured from the environment (see tracker/settings.py); an unset host or URL turns the
channel off. Every failure is raised as `DeliveryError` with a short reason that the delivery log
keeps, and with what it means for the message: `retry` (it did not leave; try again later),
`permanent` (refused for good: a 5xx mailbox, a bot's bad key; never retried) or `unknown` (it may
have arrived: the server stopped answering after taking it; never resent blindly).
"""

from __future__ import annotations

import email.generator
import http.client
import io
import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from urllib.parse import urlsplit, urlunsplit

# Seconds for one SMTP conversation step or one webhook request (TRACKER_DELIVERY_TIMEOUT).
TIMEOUT = float(os.environ.get("TRACKER_DELIVERY_TIMEOUT") or 15)

RETRY, PERMANENT, UNKNOWN = "retry", "permanent", "unknown"

# Bot error codes that mean "busy, try later"; any other non-zero errcode is a refusal for good
# (a wrong key, a missing keyword, a bad signature), which a retry cannot fix.
BUSY_ERRCODES = {-1, 45009, 130101, 130102}


class DeliveryError(Exception):
    """A channel refused or failed to take a message; the text says why, `outcome` what it means.

    `halt` is set when the server itself is unreachable or hanging: the rest of this run's messages
    on the channel wait for the next run instead of each waiting for its own timeout.
    """

    def __init__(self, reason: str, outcome: str = RETRY, halt: bool = False):
        super().__init__(reason)
        self.outcome = outcome
        self.halt = halt


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpConfig:
    """Where email goes: TRACKER_SMTP_HOST/PORT/USER/PASSWORD/FROM/STARTTLS.

    `starttls` is "1" to upgrade the connection with STARTTLS (port 587), "ssl" for TLS from the
    first byte (port 465), "0" for neither (a relay on the same network).
    """

    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    sender: str = "tracker@localhost"
    starttls: str = "0"

    @classmethod
    def from_env(cls) -> SmtpConfig | None:
        host = os.environ.get("TRACKER_SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("TRACKER_SMTP_PORT") or 25),
            user=os.environ.get("TRACKER_SMTP_USER", ""),
            password=os.environ.get("TRACKER_SMTP_PASSWORD", ""),
            sender=os.environ.get("TRACKER_SMTP_FROM") or "tracker@localhost",
            starttls=(os.environ.get("TRACKER_SMTP_STARTTLS") or "0").strip().lower(),
        )


class Mailer:
    """One SMTP connection for a batch of messages, opened at the first message and closed on exit."""

    def __init__(self, config: SmtpConfig):
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.starttls == "ssl":
            smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=TIMEOUT, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT)
        try:
            if _flag(c.starttls):
                smtp.starttls(context=ssl.create_default_context())
            if c.user:
                smtp.login(c.user, c.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
        """Send one plain-text message to `to`; raises DeliveryError with the server's reason.

        The envelope (MAIL, RCPT) and the message (DATA) are separate steps: a failure before DATA
        means the message did not leave; a lost answer to DATA means it may have arrived.
        """
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain="tracker")
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(body)
        with io.BytesIO() as buffer:
            email.generator.BytesGenerator(buffer).flatten(message, linesep="\r\n")
            data = buffer.getvalue()
        sender = getaddresses([self.config.sender])[0][1] or self.config.sender
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            smtp = self._smtp
            smtp.ehlo_or_helo_if_needed()
            code, reply = smtp.mail(sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            code, reply = smtp.rcpt(to)
            if code not in (250, 251):
                smtp.rset()
                raise smtplib.SMTPRecipientsRefused({to: (code, reply)})
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            outcome = PERMANENT if codes and all(500 <= c < 600 for c in codes) else RETRY
            raise DeliveryError(f"收件人被拒绝: {_smtp_reason(exc.recipients)}", outcome) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            outcome = PERMANENT if 500 <= exc.smtp_code < 600 else RETRY
            raise DeliveryError(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}", outcome) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(f"SMTP 连接失败: {exc}", RETRY, halt=True) from None
        try:
            code, reply = smtp.data(data)
        except smtplib.SMTPResponseException as exc:
            self.close()
            outcome = PERMANENT if 500 <= exc.smtp_code < 600 else RETRY
            raise DeliveryError(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}", outcome) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(
                f"邮件已交给服务器但未收到确认({exc or type(exc).__name__}),结果不明", UNKNOWN, halt=True
            ) from None
        if code != 250:
            self.close()
            outcome = PERMANENT if 500 <= code < 600 else RETRY
            raise DeliveryError(f"SMTP {code}: {_text(reply)}", outcome)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _smtp_reason(recipients: dict) -> str:
    return "; ".join(f"{to} {code} {_text(reason)}" for to, (code, reason) in recipients.items())


@dataclass(frozen=True)
class WebhookConfig:
    """A group bot's URL (TRACKER_WEBHOOK_URL), WeCom or DingTalk style."""

    url: str

    @classmethod
    def from_env(cls) -> WebhookConfig | None:
        url = os.environ.get("TRACKER_WEBHOOK_URL", "").strip()
        return cls(url) if url else None

    @property
    def display(self) -> str:
        """The URL without its query, where bots keep their key: safe to log and to store."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def post_webhook(url: str, text: str, timeout: float | None = None) -> str:
    """POST `{"msgtype": "text", "text": {"content": text}}` to a group bot; returns the HTTP status line.

    A status other than 2xx fails, and so does a 2xx whose JSON body carries a non-zero `errcode`
    (WeCom and DingTalk answer 200 with an error code when they refuse a message).
    """
    payload = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode("utf-8")
    return post_json(url, payload, timeout=timeout)


def request_json(
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    who: str = "群机器人",
) -> tuple[int, dict | None]:
    """GET (no body) or POST a JSON body to `url`, the one HTTP call every outgoing channel makes.

    Returns the HTTP status and the answer when it is a JSON object (None otherwise), or raises a
    DeliveryError classified so that the outbox never resends what may already have been taken.
    `who` names the far end in the error a clerk reads (群机器人, 企业微信, 订阅地址 …).
    """
    if urlsplit(url).scheme not in ("http", "https"):  # never file:// or a custom scheme
        raise DeliveryError(f"{who}地址必须以 http:// 或 https:// 开头", PERMANENT)
    request = urllib.request.Request(
        url,
        data=body,
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    try:
        wait = TIMEOUT if timeout is None else timeout
        with urllib.request.urlopen(request, timeout=wait) as response:  # nosec B310 # scheme checked above
            status, raw = response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        with exc:
            # 4xx: the URL or the request is wrong and stays wrong (but 408/429 ask us to come back).
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise DeliveryError(f"HTTP {exc.code} {exc.reason}", PERMANENT if permanent else RETRY) from None
    except urllib.error.URLError as exc:
        # Raised while connecting or sending the request: the server never answered it.
        raise DeliveryError(f"无法连接{who}: {exc.reason}", RETRY, halt=True) from None
    except (http.client.HTTPException, OSError) as exc:
        # The request went out and the answer did not come back: a send may have been taken.
        outcome = UNKNOWN if body is not None else RETRY
        raise DeliveryError(
            f"请求已发出但{who}未应答({exc or type(exc).__name__}),结果不明"
            if outcome == UNKNOWN
            else f"{who}未应答({exc or type(exc).__name__})",
            outcome,
            halt=True,
        ) from None
    try:
        answer = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError):
        answer = None
    return status, answer if isinstance(answer, dict) else None


def post_json(
    url: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    who: str = "群机器人",
) -> str:
    """POST a JSON body to a webhook; returns the HTTP status line or raises a classified DeliveryError.

    A robot answers `errcode` 0 when it took the message; any other code is its refusal.
    """
    status, answer = request_json(url, body, headers, timeout, who)
    if answer and answer.get("errcode") not in (None, 0):
        code = answer.get("errcode")
        raise DeliveryError(
            f"{who}拒收: errcode {code} {answer.get('errmsg', '')}".strip(),
            RETRY if code in BUSY_ERRCODES else PERMANENT,
        )
    return f"HTTP {status}"
