"""The outbox under faults: a message is sent at most once, whatever the servers or the process do.

Real SMTP and webhook servers on 127.0.0.1 (tests/local_servers.py) that answer late, refuse for
good or hang; a `tracker remind` killed with SIGKILL mid-delivery; a run longer than the lease;
`tracker serve` stopped with SIGTERM and SIGINT.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta

import pytest
from local_servers import Mailbox, Webhook

from tracker.clock import TZ
from tracker.plans.load import load_plans
from tracker.scheduler import Scheduler, lease_holder, take_lease
from tracker.services import channels as channels_module
from tracker.services import chasing, outbox
from tracker.services.users import add_user
from tracker.store.db import init_database
from tracker.store.models import AuditEvent, Delivery

UNITS = ["水利局", "住建局", "交通局", "教育局", "卫健局", "农业农村局"]

PLAN_FILE = (
    """\
plan:
  code: outbox-2024
  title: 测试县重点任务分工方案
  start: 2024-05-01
  end: 2024-12-31
  reporting: {cadence: monthly, due_day: 25}
units:
"""
    + "".join(f"  - {{name: 测试县{u}, short: 县{u}, kind: department}}\n" for u in UNITS)
    + """\
sections:
  - code: "1"
    title: 重点任务
    measures:
"""
    + "".join(
        f'      - {{code: "1.{i}", title: 重点任务{i}, lead: [县{u}]}}\n' for i, u in enumerate(UNITS, 1)
    )
)

AT = datetime(2024, 5, 26, 9, 0, tzinfo=TZ)  # every report of May is overdue: one chase per unit


@pytest.fixture
def county(database, tmp_path):
    path = tmp_path / "outbox-2024.yaml"
    path.write_text(PLAN_FILE, encoding="utf-8")
    load_plans([path])
    for i, unit in enumerate(UNITS):
        add_user(
            f"user{i}",
            "reporter",
            f"县{unit}",
            "a long password",
            email=f"u{i}@example.org",
            must_change=False,
        )
    return path


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def webhook():
    hook = Webhook().start()
    yield hook
    hook.stop()


@pytest.fixture
def servers(monkeypatch, mailbox, webhook):
    monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(mailbox.port))
    monkeypatch.setenv("TRACKER_WEBHOOK_URL", webhook.url)
    return mailbox, webhook


def statuses(channel: str) -> list[str]:
    return [d.status for d in Delivery.select().where(Delivery.channel == channel).order_by(Delivery.id)]


def test_an_email_answered_after_the_timeout_is_unknown_and_never_resent(county, servers, monkeypatch):
    mailbox, webhook = servers
    monkeypatch.setattr(channels_module, "TIMEOUT", 0.5)
    mailbox.delay = 1.5  # the server keeps each message but answers after the client gave up
    assert len(chasing.chase(AT)) == 6
    run = chasing.deliver_pending(AT)
    assert run.unknown == 1 and run.sent == 6  # the six bot messages; the mail channel stopped
    assert statuses("email") == ["unknown"] + ["pending"] * 5
    mailbox.delay = 0
    for minutes in (1, 5, 30, 120, 600):
        chasing.deliver_pending(AT + timedelta(minutes=minutes))
    assert statuses("email") == ["unknown"] + ["sent"] * 5
    assert len(mailbox.received()) == 6 and set(mailbox.received().values()) == {1}
    unknown = Delivery.get(Delivery.status == "unknown")
    assert "结果不明" in unknown.last_error
    assert AuditEvent.get(AuditEvent.action == "delivery.unknown").after["recipient"] == unknown.recipient

    # The office checks with the recipient: it arrived, so it is confirmed, not sent again.
    outbox.settle_unknown(unknown.id, resend=False, actor="office")
    assert Delivery.get_by_id(unknown.id).status == "sent"
    chasing.deliver_pending(AT + timedelta(days=1))
    assert set(mailbox.received().values()) == {1}


def test_a_bot_answering_after_the_timeout_is_unknown_and_resent_only_when_the_office_says(
    county, servers, monkeypatch
):
    _, webhook = servers
    monkeypatch.setattr(channels_module, "TIMEOUT", 0.5)
    webhook.delay = 1.5
    chasing.chase(AT)
    run = chasing.deliver_pending(AT)
    assert statuses("webhook") == ["unknown"] + ["pending"] * 5
    assert run.sent == 6  # every email went while the bot hung: its worker is its own
    webhook.delay = 0
    chasing.deliver_pending(AT + timedelta(minutes=2))
    assert webhook.attempts == 6 and len(webhook.texts()) == 6
    unknown = Delivery.get(Delivery.status == "unknown")
    outbox.settle_unknown(unknown.id, resend=True, actor="office")
    chasing.deliver_pending(AT + timedelta(minutes=3))
    assert Delivery.get_by_id(unknown.id).status == "sent"
    assert len(webhook.texts()) == 7  # sent again because the office decided so
    with pytest.raises(outbox.NotUnknown):
        outbox.settle_unknown(unknown.id, resend=True, actor="office")


def test_a_bot_refusing_a_bad_key_is_given_up_at_once(county, servers):
    _, webhook = servers
    webhook.errcode = 93000
    chasing.chase(AT)
    run = chasing.deliver_pending(AT)
    assert statuses("webhook") == ["failed"] * 6
    assert run.failed == 6 and run.sent == 6
    assert (
        Delivery.get(Delivery.channel == "webhook").last_error
        == "群机器人拒收: errcode 93000 invalid webhook url"
    )
    for pause in chasing.BACKOFF:
        chasing.deliver_pending(AT + pause * 2)
    assert webhook.attempts == 6


def test_an_unreachable_smtp_server_stops_its_channel_after_one_try_and_the_bot_goes_on(
    county, servers, monkeypatch
):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(dead_port))
    chasing.chase(AT)
    run = chasing.deliver_pending(AT)
    assert statuses("email") == ["pending"] * 6  # nothing left: all retried later
    attempts = Delivery.select().where(Delivery.channel == "email").order_by(Delivery.id)
    assert [d.attempts for d in attempts] == [1, 0, 0, 0, 0, 0]
    assert run.retrying == 1 and run.sent == 6


def test_two_runs_at_once_send_each_message_once(county, servers):
    mailbox, webhook = servers
    mailbox.delay = 0.05
    chasing.chase(AT)
    results = []

    def run():
        results.append(chasing.deliver_pending(AT, owner=threading.current_thread().name))

    threads = [threading.Thread(target=run, name=f"runner-{i}") for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in results) == 12
    assert len(mailbox.received()) == 6 and set(mailbox.received().values()) == {1}
    assert len(webhook.texts()) == 6


def test_a_job_running_longer_than_its_lease_keeps_it_and_no_standby_takes_over(database):
    holder = Scheduler(owner="long-run", lease_ttl=timedelta(seconds=0.6))
    taken_by_standby = []

    def work(halt):
        for _ in range(10):  # 2 s: more than three lease lifetimes
            taken_by_standby.append(take_lease("standby", timedelta(seconds=0.6)))
            time.sleep(0.2)
        return "done"

    assert holder._as_holder("long", work) == "done"
    assert taken_by_standby == [False] * 10
    assert lease_holder() == "long-run"


def test_a_remind_killed_mid_delivery_never_sends_a_message_twice(county, servers, database_url, tmp_path):
    mailbox, webhook = servers
    mailbox.delay = 0.7  # each email takes a while: the kill lands while one is in flight
    env = {**os.environ, "TRACKER_DATABASE_URL": database_url, "TRACKER_NOW": AT.isoformat()}
    log = open(tmp_path / "remind.log", "wb")  # noqa: SIM115 - closed below, after the process
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "remind"], env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 30
    while len(mailbox.messages) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.kill()
    process.wait(timeout=10)
    log.close()
    assert len(mailbox.messages) >= 3, (tmp_path / "remind.log").read_text()
    mailbox.delay = 0
    later = {**env, "TRACKER_NOW": (AT + outbox.STALE + timedelta(minutes=1)).isoformat()}
    again = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "remind"], env=later, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0, again.stderr
    assert set(mailbox.received().values()) == {1}  # nothing arrived twice
    assert len(mailbox.received()) == 6
    init_database(database_url)
    email = statuses("email")
    assert email.count("unknown") == 1 and email.count("sent") == 5
    assert "结果不明 1" in again.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_cleanly_on_a_signal_and_gives_its_lease_up(database, database_url, tmp_path, signum):
    port = _free_port()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_INSTANCE": str(tmp_path / "instance"),
        "PYTHONFAULTHANDLER": "1",
    }
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below, after the server
    server = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
        # Started with Ctrl+C ignored, as a background job or a test runner's worker is: it must stop anyway.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509 - no threads forked
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    assert response.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, (
                    tmp_path / "serve.log"
                ).read_text()
                time.sleep(0.2)
        init_database(database_url)
        assert lease_holder() is not None and f":{server.pid}:" in lease_holder()
    finally:
        server.send_signal(signum)
        try:  # waitress finishes requests in hand, the scheduler its running job: slow on a loaded machine
            code = server.wait(timeout=60)
        except subprocess.TimeoutExpired:  # hung: SIGABRT makes faulthandler print every thread's stack
            server.send_signal(signal.SIGABRT)
            server.wait(timeout=10)
            code = "hung"
        log.close()
    assert code == 0, (tmp_path / "serve.log").read_text()
    init_database(database_url)
    assert lease_holder() is None  # a standby takes over at once, not after the lease runs out
