"""The unit's report: revisions never overwritten, the version check, returns, sign-off, extensions."""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.services.conftest import assignment_of
from tracker.clock import TZ
from tracker.rules.periods import Period
from tracker.rules.status import report_status
from tracker.services.facts import gather
from tracker.services.reports import (
    InvalidReport,
    ReportError,
    ReportInput,
    StaleRevision,
    parse_decimal,
    report_history,
    report_page,
    request_extension,
    return_revision,
    save_revision,
    sign_off,
    unit_home,
)
from tracker.services.scoping import OutOfScope
from tracker.store.audit import verify
from tracker.store.db import write_transaction
from tracker.store.models import (
    Assignment,
    AuditEvent,
    ExtensionRequest,
    Indicator,
    Plan,
    Reminder,
    ReportRevision,
)

RISK = "villages-risk-cleared"  # indicator of Ankang 2.2.2, target 252


@pytest.fixture
def mine(people):
    return assignment_of("安康市乡村振兴局", "2.2.2")


@pytest.fixture
def theirs(people):
    return assignment_of("安康市汉滨区", "2.2.2")


def report(percent=40, **kw) -> ReportInput:
    return ReportInput(percent=percent, narrative=kw.pop("narrative", "召开专题推进会 2 次。"), **kw)


def test_two_saves_make_two_revisions_and_the_first_is_unchanged(scopes, mine, at):
    at("2024-05-20T10:00")
    first = save_revision(
        scopes["clerk"], mine.id, "2024-05", report(40, narrative="第一稿"), expected_revision_number=0
    )
    at("2024-05-21T09:00")
    second = save_revision(
        scopes["boss"], mine.id, "2024-05", report(55, narrative="第二稿"), expected_revision_number=1
    )
    again = ReportRevision.get_by_id(first.revision.id)
    assert (again.number, again.percent, again.narrative, again.author.username) == (1, 40, "第一稿", "clerk")
    assert (second.revision.number, second.revision.percent, second.revision.author.username) == (
        2,
        55,
        "boss",
    )
    assert again.recorded_at == datetime(2024, 5, 20, 10, 0, tzinfo=TZ)
    assert ReportRevision.select().count() == 2


def test_the_second_of_two_editors_is_told_and_nothing_is_lost(scopes, mine, at):
    at("2024-05-20T10:00")
    save_revision(
        scopes["clerk"], mine.id, "2024-05", report(40, narrative="甲的稿子"), expected_revision_number=0
    )
    with pytest.raises(StaleRevision) as stale:
        save_revision(
            scopes["boss"], mine.id, "2024-05", report(60, narrative="乙的稿子"), expected_revision_number=0
        )
    assert stale.value.latest.number == 1 and stale.value.latest.narrative == "甲的稿子"
    assert stale.value.latest.author == "clerk-名"
    assert "第 1 版" in str(stale.value)
    assert [r.narrative for r in ReportRevision.select()] == ["甲的稿子"]


def _at_once(count: int, work, database) -> None:
    """Run `work(0)` … `work(count - 1)` in threads released together; each closes its connection."""
    barrier = threading.Barrier(count)

    def run(n):
        barrier.wait()
        try:
            work(n)
        finally:
            database.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_two_editors_saving_at_the_same_instant_get_one_revision_and_one_stale_error(
    scopes, mine, at, database
):
    at("2024-05-20T10:00")
    outcomes = []

    def edit(n):
        name = ("clerk", "boss")[n]
        try:
            save_revision(
                scopes[name], mine.id, "2024-05", report(narrative=name), expected_revision_number=0
            )
            outcomes.append("saved")
        except StaleRevision:
            outcomes.append("stale")

    _at_once(2, edit, database)
    assert sorted(outcomes) == ["saved", "stale"]
    assert ReportRevision.select().count() == 1


def test_eight_people_saving_at_once_each_get_a_revision_and_the_audit_chain_stays_one_line(
    scopes, mine, at, database
):
    at("2024-05-20T10:00")
    failures = []

    def edit(n):
        try:
            for i in range(5):
                save_revision(
                    scopes["clerk" if n % 2 else "boss"], mine.id, "2024-05", report(percent=n * 10 + i)
                )
        except Exception as exc:  # noqa: BLE001 - any failure fails the test below
            failures.append(repr(exc))

    _at_once(8, edit, database)
    assert failures == []
    revisions = list(ReportRevision.select().order_by(ReportRevision.number))
    assert [r.number for r in revisions] == list(range(1, 41))
    assert sorted(r.percent for r in revisions) == sorted(n * 10 + i for n in range(8) for i in range(5))
    revised = AuditEvent.select().where(AuditEvent.action == "report.revise")
    assert sorted(int(e.entity_id) for e in revised) == sorted(r.id for r in revisions)
    assert verify(anchors=False).ok


def test_every_save_writes_its_audit_events(scopes, mine, at):
    at("2024-05-20T10:00")
    saved = save_revision(scopes["clerk"], mine.id, "2024-05", report(), expected_revision_number=0)
    events = list(AuditEvent.select().where(AuditEvent.actor == "clerk").order_by(AuditEvent.seq))
    assert [e.action for e in events] == ["report.create", "report.revise"]
    assert events[1].entity_id == str(saved.revision.id) and events[1].after["percent"] == 40


def test_another_units_assignment_is_out_of_scope_for_a_clerk(scopes, theirs, at):
    at("2024-05-20T10:00")
    with pytest.raises(OutOfScope):
        save_revision(scopes["clerk"], theirs.id, "2024-05", report(), expected_revision_number=0)
    with pytest.raises(OutOfScope):
        report_page(scopes["clerk"], theirs.id, "2024-05")
    with pytest.raises(OutOfScope):
        save_revision(scopes["leader"], theirs.id, "2024-05", report(), expected_revision_number=0)
    assert ReportRevision.select().count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (ReportInput(percent=101), "percent"),
        (ReportInput(percent=-1), "percent"),
        (ReportInput(percent=80, complete=True), "complete"),
        (ReportInput(percent=50, indicator_values={"nope": Decimal(1)}), "indicator:nope"),
        (ReportInput(percent=50, indicator_values={RISK: Decimal(300)}), f"note:{RISK}"),
    ],
)
def test_a_wrong_report_is_refused_naming_the_field(scopes, mine, at, data, field):
    at("2024-05-20T10:00")
    with pytest.raises(InvalidReport) as bad:
        save_revision(scopes["clerk"], mine.id, "2024-05", data, expected_revision_number=0)
    assert [p.field for p in bad.value.problems] == [field]
    assert ReportRevision.select().count() == 0


def test_a_value_past_the_target_is_saved_when_a_note_says_why(scopes, mine, at):
    at("2024-05-20T10:00")
    saved = save_revision(
        scopes["clerk"],
        mine.id,
        "2024-05",
        ReportInput(
            percent=100,
            complete=True,
            indicator_values={RISK: Decimal("260")},
            indicator_notes={RISK: "新增纳入监测"},
        ),
        expected_revision_number=0,
    )
    assert saved.revision.indicator_values == {RISK: "260"}
    assert saved.revision.indicator_notes == {RISK: "新增纳入监测"}


def test_plausibility_warnings_come_back_but_do_not_block(scopes, mine, at):
    at("2024-04-20T10:00")
    save_revision(
        scopes["clerk"],
        mine.id,
        "2024-04",
        ReportInput(percent=60, indicator_values={RISK: Decimal(200)}),
        expected_revision_number=0,
    )
    at("2024-05-20T10:00")
    saved = save_revision(
        scopes["clerk"],
        mine.id,
        "2024-05",
        ReportInput(percent=61, indicator_values={RISK: Decimal(20)}),
        expected_revision_number=0,
    )
    assert {w.code.value for w in saved.warnings} == {"cumulative_falls", "jump"}
    assert saved.revision.indicator_values == {RISK: "20"}


def test_indicator_values_keep_every_decimal_digit(scopes, mine, at):
    at("2024-05-20T10:00")
    value = parse_decimal("123.456789012345")
    # A count of villages is whole; the same value in an amount keeps every digit.
    with pytest.raises(InvalidReport, match="为计数指标，应填整数"):
        save_revision(
            scopes["clerk"],
            mine.id,
            "2024-05",
            ReportInput(percent=5, indicator_values={RISK: value}),
            expected_revision_number=0,
        )
    Indicator.update(kind="amount").where(Indicator.code == RISK).execute()
    saved = save_revision(
        scopes["clerk"],
        mine.id,
        "2024-05",
        ReportInput(percent=5, indicator_values={RISK: value}),
        expected_revision_number=0,
    )
    assert ReportRevision.get_by_id(saved.revision.id).indicator_values[RISK] == "123.456789012345"


@pytest.mark.parametrize("text", ["abc", "-3", "1e5", "NaN", "1234567890123456"])
def test_a_number_that_is_not_a_plain_non_negative_decimal_is_refused(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_a_period_in_the_future_or_before_the_start_is_refused(scopes, mine, at):
    at("2024-05-20T10:00")
    for period in ("2024-06", "2023-04", "2024-13", "May"):
        with pytest.raises(InvalidReport):
            save_revision(scopes["clerk"], mine.id, period, report(), expected_revision_number=0)


def test_the_office_returns_a_revision_and_the_unit_sees_the_reason_on_its_home(scopes, mine, at):
    at("2024-05-20T10:00")
    saved = save_revision(scopes["clerk"], mine.id, "2024-05", report(), expected_revision_number=0)
    at("2024-05-22T15:00")
    return_revision(scopes["inspector"], saved.revision.id, "进展描述过于笼统,请补充具体村名和数据。")
    home = unit_home(scopes["clerk"])
    assert [(r.measure_code, r.period, r.number) for r in home.returned] == [("2.2.2", "2024-05", 1)]
    assert home.returned[0].reason == "进展描述过于笼统,请补充具体村名和数据。"
    assert home.returned[0].by == "inspector-名"
    row = next(r for p in home.plans for r in p.rows if r.assignment_id == mine.id)
    assert row.returned
    assert AuditEvent.select().where(AuditEvent.action == "report.return").count() == 1
    # the unit answers with a new revision; the return is then settled
    save_revision(scopes["clerk"], mine.id, "2024-05", report(45), expected_revision_number=1)
    assert unit_home(scopes["clerk"]).returned == ()
    history = report_history(scopes["clerk"], mine.id)
    assert [(r.number, r.returned) for r in history.revisions] == [(2, False), (1, True)]


def test_only_the_office_returns_and_only_the_latest_revision_once(scopes, mine, at):
    at("2024-05-20T10:00")
    first = save_revision(scopes["clerk"], mine.id, "2024-05", report(), expected_revision_number=0)
    with pytest.raises(OutOfScope):
        return_revision(scopes["boss"], first.revision.id, "不行")
    with pytest.raises(ReportError):
        return_revision(scopes["inspector"], first.revision.id, "  ")
    save_revision(scopes["clerk"], mine.id, "2024-05", report(50), expected_revision_number=1)
    with pytest.raises(ReportError, match="最新一版"):
        return_revision(scopes["inspector"], first.revision.id, "请补充")


def test_under_sign_off_a_report_counts_only_once_the_unit_leader_signed_it(scopes, mine, at):
    with write_transaction():
        Plan.update(signoff=True).where(Plan.code == "ankang-2023").execute()
    at("2024-05-20T10:00")
    saved = save_revision(scopes["clerk"], mine.id, "2024-05", report(), expected_revision_number=0)
    plan = Plan.get(Plan.code == "ankang-2023")

    def status(moment):
        facts = gather(plan, moment, unit_id=mine.unit_id)
        mine_facts = next(f for f in facts.assignments if f.id == mine.id)
        return report_status(mine_facts, Period(2024, 5), facts.rules, moment).status.value

    assert status(datetime(2024, 5, 26, 9, 0, tzinfo=TZ)) == "missing"
    home = unit_home(scopes["clerk"], datetime(2024, 5, 20, 11, 0, tzinfo=TZ))
    assert [r.assignment_id for r in home.awaiting_signoff] == [mine.id]
    with pytest.raises(OutOfScope):
        sign_off(scopes["clerk"], saved.revision.id)  # a reporter does not sign
    with pytest.raises(OutOfScope):
        sign_off(scopes["inspector"], saved.revision.id)
    at("2024-05-24T09:00")
    sign_off(scopes["boss"], saved.revision.id)
    assert status(datetime(2024, 5, 26, 9, 0, tzinfo=TZ)) == "on_time"
    with pytest.raises(ReportError, match="已经签发"):
        sign_off(scopes["boss"], saved.revision.id)


def test_sign_off_is_refused_where_the_plan_does_not_ask_for_it(scopes, mine, at):
    at("2024-05-20T10:00")
    saved = save_revision(scopes["clerk"], mine.id, "2024-05", report(), expected_revision_number=0)
    with pytest.raises(ReportError, match="不要求"):
        sign_off(scopes["boss"], saved.revision.id)


def test_a_unit_asks_for_a_later_deadline_and_the_history_keeps_it(scopes, mine, at):
    at("2024-05-20T10:00")
    row = request_extension(scopes["clerk"], mine.id, date(2026, 6, 30), "受汛期影响,部分工程需顺延。")
    assert (row.current_deadline, row.requested_deadline, row.decision) == (
        date(2025, 12, 31),
        date(2026, 6, 30),
        None,
    )
    with pytest.raises(ReportError, match="正在审核"):
        request_extension(scopes["clerk"], mine.id, date(2026, 9, 30), "再延")
    history = report_history(scopes["boss"], mine.id)
    assert [(e.requested_deadline, e.state_label) for e in history.extensions] == [
        (date(2026, 6, 30), "待审核")
    ]
    assert AuditEvent.select().where(AuditEvent.action == "extension.request").count() == 1


def test_an_extension_must_be_later_than_the_deadline_and_have_a_reason(scopes, mine, theirs, at):
    at("2024-05-20T10:00")
    with pytest.raises(ReportError, match="晚于现行"):
        request_extension(scopes["clerk"], mine.id, date(2025, 6, 30), "提前")
    with pytest.raises(ReportError, match="理由"):
        request_extension(scopes["clerk"], mine.id, date(2026, 6, 30), "")
    with pytest.raises(OutOfScope):
        request_extension(scopes["clerk"], theirs.id, date(2026, 6, 30), "越权")
    yearly = assignment_of("安康市乡村振兴局", "2.2.1")
    with pytest.raises(ReportError, match="没有具体完成时限"):
        request_extension(scopes["clerk"], yearly.id, date(2026, 6, 30), "长期")
    assert ExtensionRequest.select().count() == 0


def test_the_units_home_lists_its_own_assignments_with_status_and_what_is_missing(scopes, mine, at):
    at("2024-05-20T10:00")
    save_revision(scopes["clerk"], mine.id, "2024-05", report(), expected_revision_number=0)
    home = unit_home(scopes["clerk"])
    ankang = next(p for p in home.plans if p.code == "ankang-2023")
    assert ankang.period == "2024-05"
    assert len(ankang.rows) == Assignment.select().where(Assignment.unit == mine.unit_id).count()
    row = next(r for r in ankang.rows if r.assignment_id == mine.id)
    assert (row.status, row.latest_number, row.latest_percent) == ("on_time", 1, 40)
    assert row.due == datetime(2024, 5, 25, 23, 59, tzinfo=TZ)
    assert {m.period for m in home.missing} == {"2024-04"}
    assert all(Assignment.get_by_id(r.assignment_id).unit_id == mine.unit_id for r in ankang.rows)


def test_the_office_has_no_home_of_its_own_but_may_read_a_units(scopes, mine, at):
    at("2024-05-20T10:00")
    with pytest.raises(OutOfScope):
        unit_home(scopes["inspector"])
    assert unit_home(scopes["inspector"], unit_id=mine.unit_id).unit == "安康市乡村振兴局"
    with pytest.raises(OutOfScope):
        unit_home(scopes["other"], unit_id=mine.unit_id)


def test_a_plan_that_has_ended_reads_as_it_stood_at_its_end(scopes, mine, at):
    at("2026-03-10T10:00")
    home = unit_home(scopes["clerk"])
    ankang = next(p for p in home.plans if p.code == "ankang-2023")
    assert ankang.ended and ankang.period == "2025-12"
    assert {m.period for m in home.missing if m.plan_code == "ankang-2023"} <= {"2025-12"}


def test_the_home_drops_a_chase_once_its_report_is_filed_and_old_returns_are_history(scopes, mine, at):
    at("2024-03-20T10:00")
    march = save_revision(scopes["clerk"], mine.id, "2024-03", report(), expected_revision_number=0)
    return_revision(scopes["inspector"], march.revision.id, "请补充具体村名。")
    at("2024-05-28T09:00")
    with write_transaction():
        Reminder.create(
            key=f"missing:{mine.id}:2024-05:1",
            kind="report_missing",
            unit=mine.unit_id,
            assignment=mine.id,
            period="2024-05",
            message="5月进展逾期未报送,请尽快报送。",
            created_by="scheduler",
            created_at=datetime(2024, 5, 27, 9, 0, tzinfo=TZ),
        )
    home = unit_home(scopes["clerk"])
    assert [r.message for r in home.reminders] == ["5月进展逾期未报送,请尽快报送。"]
    assert [r.period for r in home.returned] == []  # March's return is two months back: history, not 待修改
    save_revision(scopes["clerk"], mine.id, "2024-05", report(50), expected_revision_number=0)
    assert unit_home(scopes["clerk"]).reminders == ()
