"""`tracker remind` chases now and delivers; `--dry-run` writes nothing; `tracker scheduler` runs alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from local_servers import Mailbox, Webhook

from tracker.cli import cli
from tracker.scheduler import lease_holder
from tracker.store.db import init_database
from tracker.store.models import AuditEvent, Delivery, Reminder

PLAN_FILE = """\
plan:
  code: remind-2024
  title: 测试县重点任务分工方案
  start: 2024-05-01
  end: 2024-12-31
  reporting: {cadence: monthly, due_day: 25}
units:
  - {name: 测试县水利局, short: 县水利局, kind: department}
  - {name: 测试县住房和城乡建设局, short: 县住建局, kind: department}
sections:
  - code: "1"
    title: 重点任务
    measures:
      - {code: "1.1", title: 保障饮水安全, lead: [县水利局]}
      - {code: "1.2", title: 保障住房安全, lead: [县住建局]}
"""


@pytest.fixture
def county(runner, database_url, tmp_path, monkeypatch):
    path = tmp_path / "remind-2024.yaml"
    path.write_text(PLAN_FILE, encoding="utf-8")
    assert runner.invoke(cli, ["load", str(path)]).exit_code == 0
    for name, unit in (("shui", "县水利局"), ("zhu", "县住建局")):
        result = runner.invoke(
            cli,
            ["users", "add", name, "--role", "reporter", "--unit", unit, "--email", f"{name}@example.org"],
        )
        assert result.exit_code == 0, result.output
    monkeypatch.setenv("TRACKER_NOW", "2024-05-26T09:00:00+08:00")
    for name in ("TRACKER_SMTP_HOST", "TRACKER_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    return path


def counts():
    return [model.select().count() for model in (Reminder, Delivery, AuditEvent)]


def test_remind_dry_run_says_what_it_would_chase_and_writes_nothing(runner, county, database_url):
    init_database(database_url)
    before = counts()
    result = runner.invoke(cli, ["remind", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.count("(dry run) 将催办") == 2
    assert (
        "【催办·黄色】《测试县重点任务分工方案》第1.1项措施“保障饮水安全”5月进展应于5月25日23:59前报送"
        in result.output
    )
    assert "(dry run) 共 2 条，未写入、未发送。" in result.output
    init_database(database_url)
    assert counts() == before


def test_remind_chases_and_delivers_once_however_often_it_runs(runner, county, database_url, monkeypatch):
    mailbox, webhook = Mailbox().start(), Webhook().start()
    try:
        monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("TRACKER_SMTP_PORT", str(mailbox.port))
        monkeypatch.setenv("TRACKER_WEBHOOK_URL", webhook.url)
        first = runner.invoke(cli, ["remind", "--plan", "remind-2024"])
        second = runner.invoke(cli, ["remind"])
    finally:
        mailbox.stop()
        webhook.stop()
    assert first.exit_code == 0, first.output
    assert "新建催办 2 条；投递成功 4，待重试 0，失败 0。" in first.output
    assert "站内 1、邮件 1、群机器人 1" in first.output
    assert second.exit_code == 0, second.output
    assert "新建催办 0 条；投递成功 0，待重试 0，失败 0。" in second.output
    assert sorted(to for _, to in mailbox.received()) == ["shui@example.org", "zhu@example.org"]
    assert len(webhook.texts()) == 2
    init_database(database_url)
    assert {r.created_by for r in Reminder.select()} == {"cli"}


def test_remind_refuses_an_unknown_plan(runner, county):
    result = runner.invoke(cli, ["remind", "--plan", "nope"])
    assert result.exit_code == 1
    assert "nope" in result.output


def test_serve_can_leave_the_scheduler_to_another_process(runner):
    assert "--no-scheduler" in runner.invoke(cli, ["serve", "--help"]).output
    assert runner.invoke(cli, ["scheduler", "--help"]).exit_code == 0
    assert runner.invoke(cli, ["remind", "--help"]).exit_code == 0


def test_the_scheduler_alone_holds_the_lease_while_it_runs_and_gives_it_up_on_sigterm(database_url, tmp_path):
    env = {**os.environ, "TRACKER_DATABASE_URL": database_url}
    log = open(tmp_path / "scheduler.log", "wb")  # noqa: SIM115 - closed in finally, after the process
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "scheduler"], env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 20
        holder = None
        while holder is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            init_database(database_url)
            holder = lease_holder() if Reminder.table_exists() else None
        assert holder is not None and f":{process.pid}:" in holder, (tmp_path / "scheduler.log").read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
        log.close()
    assert code == 0, (tmp_path / "scheduler.log").read_text()
    init_database(database_url)
    assert lease_holder() is None
