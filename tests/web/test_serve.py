"""`tracker serve` runs the app under waitress: a real server answering on a real socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from tracker.cli import cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_with_the_loaded_plans(database_url, shipped_plans, tmp_path):
    env = {**os.environ, "TRACKER_DATABASE_URL": database_url, "TRACKER_INSTANCE": str(tmp_path / "instance")}
    tracker = [sys.executable, "-m", "tracker.cli"]
    subprocess.run([*tracker, "load", *map(str, shipped_plans)], env=env, check=True, capture_output=True)
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed in finally, after the server
    server = subprocess.Popen([*tracker, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body = response.read().decode("utf-8")
                    headers = response.headers
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert "资兴市" in body
        assert headers["Server"] == "tracker"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_serve_refuses_a_public_host_without_a_secret_key(runner, database_url, monkeypatch):
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "TRACKER_SECRET_KEY" in result.output
