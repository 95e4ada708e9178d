"""Boards from the store: what was recorded by the cut-off, in a fixed number of queries."""

from __future__ import annotations

from datetime import datetime

import pytest

from tracker.clock import TZ
from tracker.rules.periods import Period, Quarter
from tracker.rules.snapshot import board_json
from tracker.services.boards import assessment, lights_now, monthly_board, plan_by_code
from tracker.store.db import db, write_transaction
from tracker.store.models import Assignment, Measure, Report, ReportRevision, Unit


def file_report(assignment, period, when, percent, complete=False):
    with write_transaction():
        report, _ = Report.get_or_create(assignment=assignment, period=period, defaults={"created_at": when})
        number = ReportRevision.select().where(ReportRevision.report == report).count() + 1
        ReportRevision.create(
            report=report, number=number, recorded_at=when, percent=percent, complete=complete
        )


def lead_of(plan_code, measure_code):
    return (
        Assignment.select()
        .join(Measure)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Measure.code == measure_code, Assignment.role == "lead")
        .join_from(Measure, Measure.plan.rel_model)
        .where(Measure.plan.rel_model.code == plan_code)
        .get()
    )


@pytest.fixture
def xunyi(loaded):
    return plan_by_code("xunyi-2024")


def test_a_board_shows_on_time_late_and_missing_reports_of_the_leads(xunyi):
    on_time, late = lead_of("xunyi-2024", "1.1"), lead_of("xunyi-2024", "1.2")
    file_report(on_time, "2024-05", datetime(2024, 5, 25, 23, 59, 30, tzinfo=TZ), 40)
    file_report(late, "2024-05", datetime(2024, 5, 26, 0, 0, tzinfo=TZ), 30)
    board, _ = monthly_board(xunyi, Period(2024, 5))
    rows = {m["code"]: m for m in board_json(board, "xunyi-2024")["measures"]}
    assert (rows["1.1"]["report"], rows["1.1"]["percent"]) == ("on_time", 40)
    assert (rows["1.2"]["report"], rows["1.2"]["percent"]) == ("late", 30)
    assert rows["1.4"]["report"] == "missing" and rows["1.4"]["light"] == "red"


def test_a_report_recorded_after_the_cut_off_does_not_change_that_board(xunyi):
    lead = lead_of("xunyi-2024", "1.1")
    file_report(lead, "2024-05", datetime(2024, 5, 20, tzinfo=TZ), 40)
    before = board_json(monthly_board(xunyi, Period(2024, 5))[0], "xunyi-2024")
    file_report(lead, "2024-05", datetime(2024, 6, 1, 0, 0, tzinfo=TZ), 90)  # a revision after the cut-off
    assert board_json(monthly_board(xunyi, Period(2024, 5))[0], "xunyi-2024") == before
    june = board_json(monthly_board(xunyi, Period(2024, 6))[0], "xunyi-2024")
    assert next(m for m in june["measures"] if m["code"] == "1.1")["percent"] == 90


def test_a_board_takes_the_same_few_queries_whatever_the_plan_size(xunyi, monkeypatch):
    statements = []
    original = db.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return original(sql, params, *args, **kwargs)

    ankang = plan_by_code("ankang-2023")
    monkeypatch.setattr(db.obj, "execute_sql", counting)
    monthly_board(xunyi, Period(2024, 5))
    small = len(statements)
    statements.clear()
    monthly_board(ankang, Period(2024, 5))
    assert small == len(statements) <= 10


def test_a_quarter_ranks_every_unit_and_explains_each_score(xunyi):
    file_report(lead_of("xunyi-2024", "1.1"), "2024-04", datetime(2024, 4, 20, tzinfo=TZ), 20)
    result = assessment(xunyi, Quarter(2024, 2))
    assert len({s.unit.name for s in result.scores}) == len(result.scores) > 10
    for score in result.scores:
        assert sum(line.points for line in score.lines) == score.score


def test_lights_now_cover_only_the_units_own_assignments_when_asked(xunyi):
    lead = lead_of("xunyi-2024", "1.1")
    view = lights_now(xunyi, datetime(2024, 5, 10, tzinfo=TZ), unit_id=lead.unit_id)
    assert lead.id in view.assignments
    assert all(f.unit.name == lead.unit.name for f in view.facts.assignments)


def test_a_board_read_from_its_own_periods_equals_one_read_from_every_revision(xunyi):
    from tracker.rules.snapshot import board as compute_board
    from tracker.services.facts import gather

    lead = lead_of("xunyi-2024", "1.1")
    file_report(
        lead, "2024-03", datetime(2024, 3, 20, tzinfo=TZ), 10
    )  # only an old report: its percent shows
    other = lead_of("xunyi-2024", "1.2")
    for month, percent in ((4, 20), (5, 35), (6, 50)):
        file_report(other, f"2024-{month:02d}", datetime(2024, month, 20, tzinfo=TZ), percent)
    board, facts = monthly_board(xunyi, Period(2024, 6))
    everything = gather(xunyi, facts.as_of)
    assert board_json(board, "x") == board_json(
        compute_board(everything.assignments, Period(2024, 6), facts.rules), "x"
    )
    assert next(m for m in board.measures if m.code == "1.1").percent == 10


def test_a_returned_last_revision_hands_the_board_back_the_one_before(xunyi, people):
    from tracker.store.models import ReportReturn, User

    lead = lead_of("xunyi-2024", "1.1")
    for day, percent in ((10, 30), (12, 45), (14, 90)):
        file_report(lead, "2024-06", datetime(2024, 6, day, tzinfo=TZ), percent)
    last = ReportRevision.select().order_by(ReportRevision.number.desc()).first()
    with write_transaction():
        ReportReturn.create(
            revision=last,
            by=User.get(User.username == "inspector"),
            at=datetime(2024, 6, 15, tzinfo=TZ),
            reason="数据有误",
        )
    board, _ = monthly_board(xunyi, Period(2024, 6))
    row = next(m for m in board.measures if m.code == "1.1")
    assert (row.percent, row.report.value) == (45, "on_time")


def test_a_confirmed_completion_stays_done_on_the_board_after_a_later_revision_not_marked_complete(
    xunyi, people
):
    from tracker.rules.snapshot import board as compute_board
    from tracker.services.facts import gather
    from tracker.store.models import Completion, User

    lead = lead_of("xunyi-2024", "1.1")
    file_report(lead, "2024-06", datetime(2024, 6, 10, tzinfo=TZ), 60)
    file_report(lead, "2024-06", datetime(2024, 6, 12, tzinfo=TZ), 100, complete=True)
    with write_transaction():
        Completion.create(
            assignment=lead,
            kind="confirm",
            by=User.get(User.username == "inspector"),
            at=datetime(2024, 6, 13, tzinfo=TZ),
        )
    # The unit corrects its narrative afterwards without ticking 已完成 again: a later report never
    # undoes the office's confirmation (DOMAIN.md), on the board as in a reading of every revision.
    file_report(lead, "2024-06", datetime(2024, 6, 14, tzinfo=TZ), 100)
    board, facts = monthly_board(xunyi, Period(2024, 6))
    row = next(m for m in board.measures if m.code == "1.1")
    assert row.light.value == "done"
    everything = gather(xunyi, facts.as_of)
    assert board_json(board, "x") == board_json(
        compute_board(everything.assignments, Period(2024, 6), facts.rules), "x"
    )
