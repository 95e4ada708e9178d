"""The README's curl commands, run as written against a live server: a reporter files May's report,
the office sees it in the app, and its event reaches a local webhook sink with a valid signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.local_servers import Webhook
from tests.web.conftest import sign_in
from tracker.clock import now
from tracker.services import events, outbox
from tracker.store.models import AuditEvent, ReportRevision

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Filing a monthly report with curl", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    lines = block.replace("\\\n", " ").splitlines()
    return [line for line in lines if line.startswith("curl ")]


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_a_reporter_files_a_monthly_report_with_the_readmes_curl_commands(
    live_server, client, world, token_of
):
    sink = Webhook().start()
    try:
        subscription = events.subscribe("test", "市督查督办系统", sink.url, ["report.filed"])
        env = {**os.environ, "TRACKER": live_server, "TOKEN": token_of("clerk", name="curl")}
        listed, filed, revisions = readme_commands()

        def run(command: str, **extra) -> dict:
            done = subprocess.run(
                ["bash", "-c", command], env={**env, **extra}, capture_output=True, text=True, timeout=30
            )
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)

        assignments = run(listed)["items"]
        mine = next(a for a in assignments if a["id"] == world.own.assignment.id)
        assert mine["period"] == "2024-05" and mine["due"].startswith("2024-05-25T23:59")
        saved = run(filed, ASSIGNMENT=str(mine["id"]))
        assert saved["revision"]["narrative"] == "完成村级站点建设12个", saved
        newest = run(revisions, ASSIGNMENT=str(mine["id"]))["items"][0]
        assert newest["id"] == saved["revision"]["id"] and newest["percent"] == 60

        # A revision like any other, audited with the token's name; the office reads it in the app.
        assert ReportRevision.get_by_id(newest["id"]).source == "api"
        assert AuditEvent.select().where(AuditEvent.actor == "clerk(令牌:curl)").exists()
        sign_in(client, "inspector")
        page = client.get(f"/unit/assignments/{mine['id']}/reports/2024-05").get_data(as_text=True)
        assert "完成村级站点建设12个" in page

        # And its event reaches the subscribed system, signed.
        assert outbox.deliver(now()).sent == 1
        ((headers, body),) = sink.raw
        signature = "sha256=" + hmac.new(subscription.secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Tracker-Signature"] == signature
        assert json.loads(body)["data"]["revision"] == newest["id"]
    finally:
        sink.stop()
