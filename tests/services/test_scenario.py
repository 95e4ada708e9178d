"""A plan through three months, as the office lives it: reports on time, late and missing; chases that
arrive once each at a real SMTP server and a real webhook receiver with two schedulers running;
findings opened, answered, closed and reopened; an extension that moves a deadline and the light."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest
from local_servers import Mailbox, Webhook

from tracker.clock import TZ
from tracker.plans.load import load_plans
from tracker.rules.lights import Rag
from tracker.rules.periods import Period
from tracker.scheduler import Scheduler
from tracker.services import reports, supervision
from tracker.services.boards import lights_now, monthly_board
from tracker.services.scoping import Scope
from tracker.services.users import add_user
from tracker.store.models import Assignment, Delivery, Finding, FindingEvent, Measure, Plan, Reminder

PLAN = """\
plan:
  code: scenario-2024
  title: 测试县人居环境整治任务分工
  start: 2024-05-01
  end: 2024-12-31
  reporting: {cadence: monthly, due_day: 25}
units:
  - {name: 测试县农业农村局, short: 县农业农村局}
  - {name: 测试县水利局, short: 县水利局}
  - {name: 测试县住房和城乡建设局, short: 县住建局}
sections:
  - code: "1"
    title: 重点任务
    measures:
      - {code: "1.1", title: 推进农村改厕, lead: [县农业农村局], deadline: 2024-12-31}
      - {code: "1.2", title: 保障饮水安全, lead: [县水利局], deadline: 2024-12-31}
      - {code: "1.3", title: 完成危房改造, lead: [县住建局], deadline: 2024-06-30}
"""
PEOPLE = {
    "nong": ("reporter", "县农业农村局"),
    "shui": ("reporter", "县水利局"),
    "zhu": ("reporter", "县住建局"),
    "zhu-boss": ("unit_leader", "县住建局"),
    "office": ("inspector", None),
}
# (period, measure) → when its first report is sent; absent = missing that month
SENT = {
    ("2024-05", "1.1"): "2024-05-20 09:00",
    ("2024-05", "1.2"): "2024-05-27 16:00",  # late
    ("2024-06", "1.1"): "2024-06-24 11:00",
    ("2024-06", "1.2"): "2024-06-21 15:00",
    ("2024-06", "1.3"): "2024-06-28 10:00",  # late
    ("2024-07", "1.1"): "2024-07-18 09:30",
    ("2024-07", "1.3"): "2024-07-22 17:00",
}
EXPECTED = {
    "2024-05": {"1.1": "on_time", "1.2": "late", "1.3": "missing"},
    "2024-06": {"1.1": "on_time", "1.2": "on_time", "1.3": "late"},
    "2024-07": {"1.1": "on_time", "1.2": "missing", "1.3": "on_time"},
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def channels(monkeypatch):
    mailbox, webhook = Mailbox().start(), Webhook().start()
    monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(mailbox.port))
    monkeypatch.setenv("TRACKER_SMTP_FROM", "督查室 <duchashi@example.org>")
    monkeypatch.setenv("TRACKER_WEBHOOK_URL", webhook.url)
    yield mailbox, webhook
    mailbox.stop()
    webhook.stop()


def test_three_months_of_a_plan_from_reports_to_chases_findings_and_an_extension(
    database, tmp_path, channels, monkeypatch
):
    mailbox, webhook = channels
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    load_plans([tmp_path / "plan.yaml"])
    users = {
        name: add_user(name, role, unit, "a long password", email=f"{name}@example.org", must_change=False)[0]
        for name, (role, unit) in PEOPLE.items()
    }
    scope = {name: Scope.of(user) for name, user in users.items()}
    plan = Plan.get(Plan.code == "scenario-2024")
    lead = {
        a.measure.code: a
        for a in Assignment.select(Assignment, Measure).join(Measure).where(Measure.plan == plan)
    }
    clerk = {"1.1": "nong", "1.2": "shui", "1.3": "zhu"}
    schedulers = [Scheduler(owner="process-a"), Scheduler(owner="process-b")]  # started twice

    def now(text: str) -> None:
        monkeypatch.setenv("TRACKER_NOW", at(text).isoformat())

    # Every day at 09:00 both schedulers try to chase; reports go in at their moments.
    events = sorted([(when, "report", key) for key, when in SENT.items()])
    day = date(2024, 5, 15)
    while day <= date(2024, 8, 10):
        events.append((f"{day.isoformat()} 09:00", "chase", None))
        day = date.fromordinal(day.toordinal() + 1)
    for when, kind, key in sorted(events, key=lambda e: e[0]):
        now(when)
        if kind == "report":
            period, code = key
            reports.save_revision(
                scope[clerk[code]],
                lead[code].id,
                period,
                reports.ReportInput(percent=60, narrative="按计划推进"),
            )
        else:
            for scheduler in schedulers:
                scheduler.run_chase()

    # The boards say on time, late and missing as they happened.
    for period, expected in EXPECTED.items():
        board, _ = monthly_board(plan, Period.parse(period))
        assert {m.code: m.report.value for m in board.measures} == expected, period

    # Each chase arrived once, by email to each person it names and once at the group's webhook.
    reminders = list(Reminder.select())
    assert len(reminders) >= 9
    assert set(mailbox.received().values()) == {1}
    assert {key for key, _ in mailbox.received()} == {r.key for r in reminders}
    assert sorted(Counter(webhook.texts()).values()) == [1] * len(reminders)
    assert {r.step for r in reminders} == {1, 2, 3}  # blue, yellow and red slips
    red_to = {to for key, to in mailbox.received() if Reminder.get(Reminder.key == key).step == 3}
    assert "zhu-boss@example.org" in red_to  # the red slip is copied to the unit's leader
    assert not Delivery.select().where(Delivery.status != "sent").exists()
    for scheduler in schedulers:
        scheduler.shutdown()

    # Findings: one goes open → answered → closed; another is closed, then reopened.
    now("2024-06-12 10:00")
    fixed = supervision.open_finding(
        scope["office"],
        unit_id=lead["1.2"].unit_id,
        measure_id=lead["1.2"].measure_id,
        plan_id=plan.id,
        title="饮水安全台账不全",
        rectify_by=date(2024, 7, 15),
    )
    again = supervision.open_finding(
        scope["office"],
        unit_id=lead["1.1"].unit_id,
        measure_id=lead["1.1"].measure_id,
        plan_id=plan.id,
        title="改厕质量抽查不合格",
        rectify_by=date(2024, 7, 15),
    )
    now("2024-07-01 10:00")
    supervision.answer_finding(scope["shui"], fixed.id, "已补齐台账,附整改说明")
    supervision.answer_finding(scope["nong"], again.id, "已返工")
    now("2024-07-05 10:00")
    supervision.close_finding(scope["office"], fixed.id, "经核查,台账齐全,同意销号")
    supervision.close_finding(scope["office"], again.id, "同意销号")
    now("2024-07-20 10:00")
    supervision.reopen_finding(scope["office"], again.id, "回头看发现仍有问题")
    assert Finding.get_by_id(fixed.id).state == "closed"
    assert Finding.get_by_id(again.id).state == "open"
    assert [e.kind for e in Finding.get_by_id(again.id).events.order_by(FindingEvent.id)] == [
        "open",
        "answer",
        "close",
        "reopen",
    ]

    # An extension: 1.3 is past its 6-30 deadline, so red; an approved new date turns the light.
    now("2024-07-23 10:00")
    assert lights_now(plan, at("2024-07-23 10:00")).assignments[lead["1.3"].id].rag is Rag.RED
    request = reports.request_extension(scope["zhu"], lead["1.3"].id, date(2024, 10, 31), "汛期影响施工")
    now("2024-07-24 10:00")
    supervision.decide_extension(scope["office"], request.id, approve=True, new_deadline=date(2024, 10, 31))
    after = lights_now(plan, at("2024-07-24 10:00")).assignments[lead["1.3"].id]
    assert after.rag is not Rag.RED, after.reasons
