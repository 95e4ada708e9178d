"""Chasing end to end: through a month with TRACKER_NOW, each chase is recorded once and arrives once
at a real SMTP server and a real webhook receiver, however many schedulers run and however often."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from local_servers import Mailbox, Webhook

from tracker.clock import TZ
from tracker.plans.load import load_plans
from tracker.rules.chasing import Slip
from tracker.scheduler import Scheduler, lease_holder, take_lease
from tracker.services import chasing
from tracker.services.scoping import OutOfScope, Scope
from tracker.services.users import add_user
from tracker.store.db import db, init_database, write_transaction
from tracker.store.models import (
    Assignment,
    AuditEvent,
    Delivery,
    Finding,
    Measure,
    Plan,
    Reminder,
    Report,
    ReportRevision,
    Unit,
    User,
)

PLAN_FILE = """\
plan:
  code: chase-2024
  title: 测试县重点任务分工方案
  issuer: 测试县人民政府办公室
  start: 2024-05-01
  end: 2024-12-31
  reporting: {cadence: monthly, due_day: 25}
units:
  - {name: 测试县乡村振兴局, short: 县乡村振兴局, kind: department}
  - {name: 测试县水利局, short: 县水利局, kind: department}
  - {name: 测试县住房和城乡建设局, short: 县住建局, kind: department}
sections:
  - code: "1"
    title: 重点任务
    measures:
      - {code: "1.1", title: 开展防返贫监测, lead: [县乡村振兴局]}
      - {code: "1.2", title: 保障饮水安全, lead: [县水利局]}
      - {code: "1.3", title: 保障住房安全, lead: [县住建局]}
"""

# username → (role, unit, email)
PEOPLE = {
    "xiang": ("reporter", "县乡村振兴局", "xiang@example.org"),
    "shui": ("reporter", "县水利局", "shui@example.org"),
    "zhu": ("reporter", "县住建局", "zhu@example.org"),
    "zhu-boss": ("unit_leader", "县住建局", "zhu-boss@example.org"),
    "office": ("inspector", None, None),
}


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class County:
    plan: Plan
    a: dict[str, Assignment]  # measure code → its lead's assignment
    users: dict[str, User]

    def scope(self, name: str) -> Scope:
        return Scope.of(self.users[name])


@pytest.fixture
def county(database, tmp_path) -> County:
    path = tmp_path / "chase-2024.yaml"
    path.write_text(PLAN_FILE, encoding="utf-8")
    load_plans([path])
    users = {
        name: add_user(name, role, unit, "a long password", email=email, must_change=False)[0]
        for name, (role, unit, email) in PEOPLE.items()
    }
    plan = Plan.get(Plan.code == "chase-2024")
    a = {
        x.measure.code: x
        for x in Assignment.select(Assignment, Measure).join(Measure).where(Measure.plan == plan)
    }
    return County(plan, a, users)


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
def channels(monkeypatch, mailbox, webhook):
    monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(mailbox.port))
    monkeypatch.setenv("TRACKER_SMTP_FROM", "督查室 <duchashi@example.org>")
    monkeypatch.setenv("TRACKER_WEBHOOK_URL", webhook.url)
    return mailbox, webhook


def file_report(assignment: Assignment, period: str, when: str, percent: int = 50) -> None:
    at = moment(when)
    with write_transaction():
        report, _ = Report.get_or_create(assignment=assignment, period=period, defaults={"created_at": at})
        number = ReportRevision.select().where(ReportRevision.report == report).count() + 1
        ReportRevision.create(report=report, number=number, recorded_at=at, percent=percent)


def open_finding(county: County, code: str, rectify_by: str, title: str = "饮水安全台账不全") -> Finding:
    with write_transaction():
        return Finding.create(
            plan=county.plan,
            unit=county.a[code].unit_id,
            measure=county.a[code].measure_id,
            title=title,
            rectify_by=date.fromisoformat(rectify_by),
            created_by=county.users["office"],
            created_at=moment("2024-05-10 15:00"),
        )


def tick(monkeypatch, scheduler: Scheduler, when: str) -> list[str]:
    """The chase job at `when` (TRACKER_NOW), as the scheduler runs it; the keys it recorded."""
    monkeypatch.setenv("TRACKER_NOW", moment(when).isoformat())
    outcomes = scheduler.run_chase()
    assert outcomes is not None, "the scheduler did not act"
    return sorted(o.key for o in outcomes)


def key(county: County, code: str, step: str, period: str = "2024-05") -> str:
    return f"report:{county.a[code].id}:{period}:{step}"


def test_through_a_month_each_chase_arrives_once_by_email_and_webhook_even_after_a_restart(
    county, channels, monkeypatch, database_url
):
    mailbox, webhook = channels
    finding = open_finding(county, "1.2", "2024-05-31")
    fkey = f"finding:{finding.id}:2024-05-31"
    scheduler = Scheduler(owner="tracker-a")
    timeline = [
        ("2024-05-20 10:00", []),
        ("2024-05-21 09:00", []),
        ("2024-05-22 09:00", [key(county, "1.2", "remind"), key(county, "1.3", "remind")]),
        ("2024-05-22 10:30", []),
        ("2024-05-25 09:00", [key(county, "1.2", "due_day"), key(county, "1.3", "due_day")]),
        ("2024-05-26 09:00", [key(county, "1.2", "overdue"), key(county, "1.3", "overdue")]),
        ("2024-05-27 10:30", [key(county, "1.2", "late")]),
        ("2024-05-28 09:00", [f"{fkey}:remind"]),
        ("2024-05-29 09:00", [key(county, "1.3", "escalate")]),
        ("2024-06-01 09:00", [f"{fkey}:overdue"]),
        ("2024-06-05 09:00", [f"{fkey}:escalate"]),
        ("2024-06-10 09:00", []),
    ]
    reports = {
        "2024-05-20 10:00": ("1.1", "2024-05-20 09:40"),
        "2024-05-27 10:30": ("1.2", "2024-05-27 10:00"),
    }
    for when, expected in timeline:
        if when in reports:
            code, sent = reports[when]
            file_report(county.a[code], "2024-05", sent)
        assert tick(monkeypatch, scheduler, when) == sorted(expected), when

    keys = [k for _, expected in timeline for k in expected]
    assert Reminder.select().count() == len(keys) == 11
    people_of = {"1.2": ["shui@example.org"], "1.3": ["zhu@example.org"]}
    expected_mail = Counter()
    for k in keys:
        reminder = Reminder.get(Reminder.key == k)
        to = people_of["1.2" if reminder.unit_id == county.a["1.2"].unit_id else "1.3"]
        if reminder.step == Slip.RED and reminder.unit_id == county.a["1.3"].unit_id:
            to = [*to, "zhu-boss@example.org"]  # the red slip is copied to the unit's leader
        expected_mail.update((k, address) for address in to)
    assert mailbox.received() == expected_mail
    assert sorted(Counter(webhook.texts()).values()) == [1] * 11
    assert all(text.startswith(("县水利局：【", "县住建局：【")) for text in webhook.texts())

    # A restart: a new process (new connection, new scheduler) replays the month and sends nothing.
    scheduler.shutdown()
    init_database(database_url)
    again = Scheduler(owner="tracker-b")
    for when, _ in timeline:
        assert tick(monkeypatch, again, when) == [], when
    assert mailbox.received() == expected_mail
    assert len(webhook.texts()) == 11
    assert Delivery.select().where(Delivery.status != "sent").count() == 0
    again.shutdown()


def test_the_slips_read_as_the_office_writes_them(county, channels, monkeypatch):
    mailbox, webhook = channels
    tick(monkeypatch, Scheduler(owner="a"), "2024-05-29 09:00")
    red = Reminder.get(Reminder.key == key(county, "1.3", "escalate"))
    assert red.message == (
        "【督办·红色】《测试县重点任务分工方案》第1.3项措施“保障住房安全”5月进展应于5月25日23:59前报送，"
        "你单位逾期3个工作日仍未报送。请于今日内报送，并向督查室书面说明原因。本督办单抄送你单位主要负责同志。"
    )
    mail = next(
        m for m in mailbox.messages if m["X-Tracker-Reminder"] == red.key and m["To"] == "zhu@example.org"
    )
    assert mail["Subject"].startswith("【督办·红色】《测试县重点任务分工方案》第1.3项措施")
    assert mail["From"] == "督查室 <duchashi@example.org>"
    assert red.message in mail.get_content()
    assert f"县住建局：{red.message}" in webhook.texts()


def test_two_chases_at_once_in_two_threads_record_each_reminder_once(county, channels, database_url):
    mailbox, webhook = channels
    at = moment("2024-05-26 09:00")
    barrier = threading.Barrier(4)
    results, errors = [], []

    def run():
        try:
            db.connect(reuse_if_open=True)
            barrier.wait(10)
            results.append(chasing.chase(at))
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    created = [o.key for outcomes in results for o in outcomes]
    assert sorted(created) == sorted(
        [key(county, "1.1", "overdue"), key(county, "1.2", "overdue"), key(county, "1.3", "overdue")]
    )
    chasing.deliver_pending(at)
    assert set(mailbox.received().values()) == {1}
    assert len(mailbox.received()) == 3
    assert len(webhook.texts()) == 3
    assert AuditEvent.select().where(AuditEvent.action == "reminder.create").count() == 3


def _start_and_trigger(*schedulers: Scheduler) -> list:
    results, done = [], threading.Semaphore(0)

    def listen(owner):
        def on_event(event):
            if event.job_id == "chase":
                results.append((owner, getattr(event, "retval", None), getattr(event, "exception", None)))
                done.release()

        return on_event

    for s in schedulers:
        s.aps.add_listener(listen(s.owner), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        s.start()
    try:
        for s in schedulers:
            s.trigger("chase")
        for _ in schedulers:
            assert done.acquire(timeout=60), "a chase job did not run"
    finally:
        for s in schedulers:
            s.shutdown()
    return results


def test_two_running_schedulers_chase_once_because_only_the_lease_holder_acts(county, channels, monkeypatch):
    mailbox, webhook = channels
    monkeypatch.setenv("TRACKER_NOW", moment("2024-05-26 09:00").isoformat())
    results = _start_and_trigger(Scheduler(owner="first"), Scheduler(owner="second"))
    acted = [(owner, retval) for owner, retval, exc in results if retval is not None]
    assert [exc for _, _, exc in results] == [None, None]
    assert len(acted) == 1 and len(acted[0][1]) == 3
    assert Reminder.select().count() == 3
    assert len(mailbox.received()) == 3 and set(mailbox.received().values()) == {1}
    assert len(webhook.texts()) == 3
    assert lease_holder() is None  # both shut down and the holder gave the lease up


def test_two_schedulers_that_both_act_still_send_each_chase_once(county, channels, monkeypatch):
    mailbox, webhook = channels
    monkeypatch.setenv("TRACKER_NOW", moment("2024-05-26 09:00").isoformat())
    # The same owner on both: both take the lease, so only the unique keys stand between them.
    results = _start_and_trigger(Scheduler(owner="twin"), Scheduler(owner="twin"))
    assert [exc for _, _, exc in results] == [None, None]
    assert sum(len(retval) for _, retval, _ in results) == 3
    assert Reminder.select().count() == 3
    assert len(mailbox.received()) == 3 and set(mailbox.received().values()) == {1}
    assert len(webhook.texts()) == 3


def test_a_lease_is_held_until_released_or_expired(database):
    assert take_lease("a", timedelta(minutes=5))
    assert not take_lease("b", timedelta(minutes=5))
    assert take_lease("a", timedelta(minutes=5))  # the holder renews
    assert lease_holder() == "a"
    assert take_lease("a", timedelta(seconds=-1))  # renewed into the past: as good as expired
    assert take_lease("b", timedelta(minutes=5))
    assert lease_holder() == "b"


def test_a_failing_webhook_is_retried_with_backoff_and_logged(county, channels):
    mailbox, webhook = channels
    file_report(county.a["1.1"], "2024-05", "2024-05-20 09:00")
    file_report(county.a["1.2"], "2024-05", "2024-05-20 09:00")
    at = moment("2024-05-26 09:00")
    (outcome,) = chasing.chase(at)  # 1.3's overdue report
    webhook.failing = 1
    run = chasing.deliver_pending(at)
    assert (run.sent, run.retrying, run.failed) == (1, 1, 0)  # the email went, the webhook answered 500
    delivery = Delivery.get(Delivery.channel == "webhook")
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    assert delivery.next_attempt_at == at + timedelta(minutes=1)
    assert delivery.recipient.endswith("/cgi-bin/webhook/send")  # the bot's key is not stored
    logged = AuditEvent.get(AuditEvent.action == "delivery.retry")
    assert logged.after["error"] == "HTTP 500 Internal Server Error" and logged.after["attempts"] == 1

    assert chasing.deliver_pending(at + timedelta(seconds=30)).sent == 0  # not due yet
    run = chasing.deliver_pending(at + timedelta(minutes=1))
    assert (run.sent, run.retrying, run.failed) == (1, 0, 0)
    delivery = Delivery.get_by_id(delivery.id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, None)
    assert webhook.attempts == 2 and webhook.texts() == [f"县住建局：{outcome.message}"]
    assert AuditEvent.select().where(AuditEvent.action == "delivery.sent").count() == 2


def test_a_webhook_that_keeps_failing_is_given_up_after_five_attempts(county, channels):
    mailbox, webhook = channels
    for code in ("1.1", "1.2"):
        file_report(county.a[code], "2024-05", "2024-05-20 09:00")
    at = moment("2024-05-26 09:00")
    chasing.chase(at)
    webhook.failing = 100
    pauses = [timedelta(0), *chasing.BACKOFF]
    for pause in pauses:
        at += pause
        chasing.deliver_pending(at)
    delivery = Delivery.get(Delivery.channel == "webhook")
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 5, None)
    assert webhook.attempts == 5
    assert chasing.deliver_pending(at + timedelta(days=1)).sent == 0
    assert AuditEvent.select().where(AuditEvent.action == "delivery.failed").count() == 1


def test_a_busy_mailbox_is_retried_with_the_servers_reason(county, channels):
    mailbox, _ = channels
    mailbox.defer.add("zhu@example.org")
    for code in ("1.1", "1.2"):
        file_report(county.a[code], "2024-05", "2024-05-20 09:00")
    at = moment("2024-05-26 09:00")
    chasing.chase(at)
    chasing.deliver_pending(at)
    delivery = Delivery.get(Delivery.channel == "email")
    assert delivery.status == "pending"
    assert delivery.last_error.startswith("收件人被拒绝: zhu@example.org 450")
    mailbox.defer.clear()
    chasing.deliver_pending(at + timedelta(minutes=1))
    assert Delivery.get_by_id(delivery.id).status == "sent"
    assert len(mailbox.received()) == 1


def test_a_refused_email_address_is_given_up_at_once_with_the_servers_reason(county, channels):
    mailbox, _ = channels
    mailbox.refuse.add("zhu@example.org")
    for code in ("1.1", "1.2"):
        file_report(county.a[code], "2024-05", "2024-05-20 09:00")
    at = moment("2024-05-26 09:00")
    chasing.chase(at)
    run = chasing.deliver_pending(at)
    delivery = Delivery.get(Delivery.channel == "email")
    assert (delivery.status, delivery.attempts) == ("failed", 1)  # a 5xx is not retried
    assert delivery.last_error.startswith("收件人被拒绝: zhu@example.org 550")
    assert (run.sent, run.failed) == (1, 1)  # the webhook went
    mailbox.refuse.clear()
    for pause in chasing.BACKOFF:
        at += pause
        assert chasing.deliver_pending(at).sent == 0
    assert len(mailbox.received()) == 0


def test_an_overdue_finding_is_chased_yellow_then_red_copied_to_the_leader(county, channels):
    mailbox, _ = channels
    finding = open_finding(county, "1.3", "2024-06-28", "危房改造进度滞后")
    for code in ("1.1", "1.2", "1.3"):
        file_report(county.a[code], "2024-06", "2024-06-20 09:00")
    yellow = chasing.chase(moment("2024-06-29 09:00"))
    red = chasing.chase(moment("2024-07-03 09:00"))
    assert [o.key for o in yellow] == [f"finding:{finding.id}:2024-06-28:overdue"]
    assert [o.key for o in red] == [f"finding:{finding.id}:2024-06-28:escalate"]
    assert red[0].message.startswith("【整改督办·红色】问题“危房改造进度滞后”应于6月28日前完成整改")
    chasing.deliver_pending(moment("2024-07-03 09:00"))
    assert mailbox.received() == Counter(
        {
            (yellow[0].key, "zhu@example.org"): 1,
            (red[0].key, "zhu@example.org"): 1,
            (red[0].key, "zhu-boss@example.org"): 1,
        }
    )
    with write_transaction():
        Finding.update(state="closed", closed_at=moment("2024-07-04 10:00")).where(
            Finding.id == finding.id
        ).execute()
    assert chasing.chase(moment("2024-07-05 09:00")) == []


def test_a_dry_run_says_what_it_would_chase_and_writes_nothing(county, channels):
    counts = [m.select().count() for m in (Reminder, Delivery, AuditEvent)]
    outcomes = chasing.chase(moment("2024-05-26 09:00"), dry_run=True)
    assert sorted(o.key for o in outcomes) == sorted(key(county, c, "overdue") for c in ("1.1", "1.2", "1.3"))
    assert all(not o.created and o.reminder_id is None for o in outcomes)
    housing = next(o for o in outcomes if o.unit == "测试县住房和城乡建设局")
    assert "email:zhu@example.org" in housing.channels
    assert [m.select().count() for m in (Reminder, Delivery, AuditEvent)] == counts


def test_a_chase_limited_to_a_plan_leaves_other_plans_alone(county):
    other = Plan.create(
        code="other-2024",
        title="另一方案",
        start=date(2024, 1, 1),
        end=date(2024, 12, 31),
        loaded_at=moment("2024-01-01 00:00"),
    )
    assert chasing.chase(moment("2024-05-26 09:00"), plan=other) == []
    assert len(chasing.chase(moment("2024-05-26 09:00"), plan=county.plan)) == 3


def test_without_smtp_or_webhook_a_reminder_is_shown_in_app_only(county, monkeypatch):
    for name in ("TRACKER_SMTP_HOST", "TRACKER_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    outcomes = chasing.chase(moment("2024-05-29 09:00"))
    red = next(o for o in outcomes if o.key == key(county, "1.3", "escalate"))
    users = county.users
    assert red.channels == (f"in_app:user:{users['zhu'].id}", f"in_app:user:{users['zhu-boss'].id}")
    assert chasing.deliver_pending(moment("2024-05-29 09:00")).sent == 0


def test_a_unit_sees_its_reminders_newest_first_and_marks_them_read(county, monkeypatch):
    monkeypatch.delenv("TRACKER_SMTP_HOST", raising=False)
    chasing.chase(moment("2024-05-22 09:00"))
    chasing.chase(moment("2024-05-26 09:00"))
    unit = county.a["1.3"].unit_id
    zhu = county.users["zhu"]
    shown = chasing.reminders_for_unit(unit, zhu.id)
    assert [r.message[:7] for r in shown] == ["【催办·黄色】", "【提醒·蓝色】"]
    assert [r.read_at for r in shown] == [None, None]
    read_at = chasing.mark_read(county.scope("zhu"), shown[0].id, moment("2024-05-26 10:00"))
    assert chasing.mark_read(county.scope("zhu"), shown[0].id, moment("2024-05-26 11:00")) == read_at
    assert [r.read_at for r in chasing.reminders_for_unit(unit, zhu.id)] == [read_at, None]
    # The leader joined the recipients only for red slips, and reads the unit's reminders all the same.
    assert chasing.mark_read(county.scope("zhu-boss"), shown[1].id, moment("2024-05-26 12:00"))
    with pytest.raises(OutOfScope):
        chasing.mark_read(county.scope("shui"), shown[0].id)
    assert AuditEvent.select().where(AuditEvent.action == "reminder.read").count() == 2


def test_the_office_chases_by_hand_once_per_minute_and_a_unit_cannot(county, channels):
    mailbox, webhook = channels
    at = moment("2024-05-24 15:20")
    assignment = county.a["1.2"]
    outcome = chasing.chase_one(
        county.scope("office"), assignment_id=assignment.id, message="请今天下班前报送。", now=at
    )
    assert outcome.created and outcome.kind == "manual"
    assert (
        outcome.message
        == "【催办·蓝色】《测试县重点任务分工方案》第1.2项措施“保障饮水安全”：请今天下班前报送。"
    )
    again = chasing.chase_one(
        county.scope("office"), assignment_id=assignment.id, message="请今天下班前报送。", now=at
    )
    assert not again.created and again.reminder_id == outcome.reminder_id
    finding = open_finding(county, "1.3", "2024-05-31")
    red = chasing.chase_one(
        county.scope("office"), finding_id=finding.id, message="请立即整改。", slip=Slip.RED, now=at
    )
    assert red.message.endswith("本督办单抄送你单位主要负责同志。")
    assert "email:zhu-boss@example.org" in red.channels
    with pytest.raises(OutOfScope):
        chasing.chase_one(county.scope("zhu"), assignment_id=assignment.id, message="x", now=at)
    with pytest.raises(chasing.ChaseError):
        chasing.chase_one(county.scope("office"), assignment_id=assignment.id, message="  ", now=at)
    with pytest.raises(chasing.ChaseError):
        chasing.chase_one(county.scope("office"), message="请报送", now=at)
    chasing.deliver_pending(at)
    assert len(mailbox.received()) == 3 and len(webhook.texts()) == 2
    assert Reminder.get_by_id(outcome.reminder_id).created_by == "office"


def test_a_unit_without_reporters_is_chased_through_its_leader(county, monkeypatch):
    monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
    with write_transaction():
        User.update(active=False).where(User.username == "zhu").execute()
    outcomes = chasing.chase(moment("2024-05-26 09:00"))
    blue = next(o for o in outcomes if o.key == key(county, "1.3", "overdue"))
    assert blue.channels == (
        f"in_app:user:{county.users['zhu-boss'].id}",
        "email:zhu-boss@example.org",
    )
    assert Unit.get_by_id(county.a["1.3"].unit_id).name == blue.unit


def test_the_publish_job_publishes_the_boards_whose_cut_off_has_passed(county, monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_SITES_DIR", str(tmp_path / "sites"))
    monkeypatch.setenv("TRACKER_NOW", moment("2024-06-01 00:30").isoformat())
    results = Scheduler(owner="publisher").run_publish()
    assert results, "nothing was published"
    assert (tmp_path / "sites" / "chase-2024" / "2024-05" / "board.json").exists()
    assert not (tmp_path / "sites" / "chase-2024" / "2024-06").exists()


def test_the_publish_job_skips_with_a_log_line_while_the_site_cannot_publish(county, monkeypatch, caplog):
    import tracker.site

    monkeypatch.delattr(tracker.site, "publish_due", raising=False)
    with caplog.at_level("WARNING", logger="tracker.scheduler"):
        assert Scheduler(owner="publisher").run_publish() is None
    assert "tracker.site.publish_due 尚不存在" in caplog.text
