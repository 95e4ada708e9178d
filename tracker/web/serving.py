"""Running the app under waitress, refusing to expose it beyond this machine without a real secret."""

from __future__ import annotations

import ipaddress
import os
import signal
import threading

from waitress import serve


class SecretKeyMissing(RuntimeError):
    pass


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str) -> None:
    if not is_loopback(host) and not os.environ.get("TRACKER_SECRET_KEY"):
        raise SecretKeyMissing(
            f"拒绝在 {host} 上启动:对外提供服务必须设置 TRACKER_SECRET_KEY(一个足够长的随机字符串)。"
        )


def server_options(app) -> dict:
    """waitress settings: bodies larger than the app accepts are refused by waitress itself (413)
    before a thread reads them; slow clients are dropped instead of holding a thread."""
    return {
        "max_request_body_size": app.config["MAX_CONTENT_LENGTH"] + 64 * 1024,  # + multipart framing
        "max_request_header_size": 64 * 1024,
        "channel_timeout": 60,
        "ident": "tracker",
    }


def run(app, host: str, port: int, threads: int = 8) -> None:
    check_host(host)
    print(f"tracker: serving on http://{host}:{port}/ (waitress, {threads} threads)", flush=True)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (a service manager's stop) and Ctrl+C end the server alike: waitress finishes the
        # requests in hand, then the caller stops the scheduler and gives up its lease. SIGINT is set
        # too because a process started with it ignored (a background job, a test runner's worker)
        # inherits that, and Python then never raises KeyboardInterrupt: the server would not stop.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _stop)
    serve(app, host=host, port=port, threads=threads, **server_options(app))
    print("tracker: stopped", flush=True)


def _stop(signum, frame):
    raise SystemExit(0)
