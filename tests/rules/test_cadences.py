"""Cadences: weekly to yearly report periods, when each is due, and how a monthly board, the scores
and the chases read an assignment that does not report monthly."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.rules.builders import assignment, at, report
from tracker.rules.chasing import report_chases
from tracker.rules.periods import (
    Half,
    Period,
    Quarter,
    Week,
    Year,
    covering_texts,
    due_date,
    due_in,
    parse_period,
    period_of,
    periods_between,
)
from tracker.rules.progress import read
from tracker.rules.scores import on_time_lines
from tracker.rules.snapshot import board
from tracker.rules.status import ReportStatus, period_status, report_status
from tracker.rules.values import ReportingRules

RULES = ReportingRules()


@pytest.mark.parametrize(
    ("text", "kind", "label", "first", "last"),
    [
        ("2024-W23", Week, "第23周", date(2024, 6, 3), date(2024, 6, 9)),
        ("2024-05", Period, "5月", date(2024, 5, 1), date(2024, 5, 31)),
        ("2024Q2", Quarter, "2024年第2季度", date(2024, 4, 1), date(2024, 6, 30)),
        ("2024H1", Half, "2024年上半年", date(2024, 1, 1), date(2024, 6, 30)),
        ("2024H2", Half, "2024年下半年", date(2024, 7, 1), date(2024, 12, 31)),
        ("2024", Year, "2024年", date(2024, 1, 1), date(2024, 12, 31)),
    ],
)
def test_each_form_reads_back_as_written(text, kind, label, first, last):
    p = parse_period(text)
    assert isinstance(p, kind)
    assert str(p) == text
    assert p.label == label
    assert (p.first_day, p.last_day) == (first, last)
    assert p.next().prev() == p
    assert p.next().first_day == last + timedelta(days=1)


def test_next_and_prev_cross_years():
    assert str(parse_period("2024-W52").next()) == "2025-W01"  # 2024 has 52 ISO weeks
    assert str(parse_period("2020-W53").next()) == "2021-W01"
    assert str(parse_period("2024Q1").prev()) == "2023Q4"
    assert str(parse_period("2024H2").next()) == "2025H1"
    assert str(parse_period("2024").prev()) == "2023"


def test_a_period_of_the_wrong_cadence_is_refused_in_chinese():
    with pytest.raises(ValueError, match="本项每季度报送，报送期应写作 2024Q2 的形式"):
        parse_period("2024-05", "quarterly")
    with pytest.raises(ValueError, match="2024-W23、2024-05、2024Q2、2024H1 或 2024"):
        parse_period("2024年5月")
    with pytest.raises(ValueError):
        parse_period("2024-W60")
    assert parse_period("2024-W23", "weekly") == Week(2024, 23)


def test_period_of_each_cadence():
    day = date(2024, 5, 20)
    assert [str(period_of(c, day)) for c in ("weekly", "monthly", "quarterly", "half-yearly", "yearly")] == [
        "2024-W21",
        "2024-05",
        "2024Q2",
        "2024H1",
        "2024",
    ]
    assert [str(p) for p in periods_between("quarterly", date(2024, 5, 1), date(2024, 12, 31))] == [
        "2024Q2",
        "2024Q3",
        "2024Q4",
    ]


def test_due_on_the_due_day_of_the_last_month():
    assert due_date(parse_period("2024Q2"), RULES) == date(2024, 6, 25)
    assert due_date(parse_period("2024H2"), RULES) == date(2024, 12, 25)
    assert due_date(parse_period("2024"), ReportingRules(due_day=31)) == date(2024, 12, 31)
    # With a holiday shift a quarter moves like its month: 2024-09-25 is a Wednesday, no shift;
    # due day 1 of 2024Q4's December (a Sunday) moves to Monday the 2nd.
    assert due_date(parse_period("2024Q4"), ReportingRules(due_day=1, holiday_shift=True)) == date(
        2024, 12, 2
    )


def test_a_week_is_due_on_its_last_working_day():
    assert due_date(Week(2024, 23), RULES) == date(2024, 6, 7)  # Friday
    # 2024-W39 ends with Sunday 09-29, a make-up working day (调休) before 国庆.
    assert due_date(Week(2024, 39), RULES) == date(2024, 9, 29)
    # 2024-W40 (09-30 to 10-06): only Monday 09-30 works before 国庆, so it is due that day.
    assert due_date(Week(2024, 40), RULES) == date(2024, 9, 30)
    # 2024-W41 ends with Saturday 10-12, a make-up working day.
    assert due_date(Week(2024, 41), RULES) == date(2024, 10, 12)


def test_which_reports_fall_due_in_a_month():
    may, june = Period(2024, 5), Period(2024, 6)
    assert due_in("monthly", may) == (may,)
    assert due_in("quarterly", may) == ()
    assert due_in("quarterly", june) == (Quarter(2024, 2),)
    assert due_in("half-yearly", june) == (Half(2024, 1),)
    assert due_in("yearly", june) == ()
    assert due_in("yearly", Period(2024, 12)) == (Year(2024),)
    # W18 (04-29 to 05-05) is due Tuesday 04-30, before 劳动节: April's. W19 … W22 (due Friday
    # 05-31) are May's.
    assert [str(w) for w in due_in("weekly", may)] == ["2024-W19", "2024-W20", "2024-W21", "2024-W22"]
    assert "2024Q2" in covering_texts([june]) and "2024-06" in covering_texts([june])


QUARTERLY = dict(cadence="quarterly", start="2024-01-01")


def test_a_quarterly_measure_is_never_missing_in_a_month_no_quarter_closes():
    facts = assignment(**QUARTERLY, revisions=[report("2024-03-20 10:00", "2024Q1")])
    may = report_status(facts, Period(2024, 5), RULES, at("2024-05-31 23:59"))
    assert may.status is ReportStatus.NOT_DUE
    assert may.reason == "本月无需报送（2024年第2季度报送6月25日截止）"
    march = report_status(facts, Period(2024, 3), RULES, at("2024-03-31 23:59"))
    assert (march.status, march.reason) == (ReportStatus.ON_TIME, "2024年第1季度按时报送")
    june = report_status(facts, Period(2024, 6), RULES, at("2024-06-30 23:59"))
    assert (june.status, june.reason) == (ReportStatus.MISSING, "2024年第2季度报送缺报")


def test_a_monthly_board_shows_the_latest_quarterly_report():
    facts = assignment(
        **QUARTERLY,
        deadline="2024-12-31",
        revisions=[report("2024-03-20 10:00", "2024Q1", 30), report("2024-06-27 10:00", "2024Q2", 55)],
    )
    may = board([facts], Period(2024, 5), RULES)
    assert (may.measures[0].percent, may.measures[0].report) == (30, ReportStatus.NOT_DUE)
    june = board([facts], Period(2024, 6), RULES)
    # Sent two days after the due day (Tuesday 06-25): Wednesday and Thursday are working days.
    assert (june.measures[0].percent, june.measures[0].report) == (55, ReportStatus.LATE)
    assert june.measures[0].report_reasons == ("2024年第2季度报送迟报 2 个工作日",)
    assert june.units[0].late == 1 and june.units[0].missing == 0


def test_weekly_reports_on_a_monthly_board_show_the_worst_week():
    weeks = ["2024-W19", "2024-W20", "2024-W22"]  # W21 never came
    facts = assignment(
        cadence="weekly",
        start="2024-05-01",
        revisions=[report(f"{parse_period(w).due.isoformat()} 09:00", w) for w in weeks],
    )
    may = board([facts], Period(2024, 5), RULES)
    assert may.measures[0].report is ReportStatus.MISSING
    assert may.measures[0].report_reasons == ("第21周报送缺报",)


def test_on_time_counts_only_the_periods_due_in_the_window():
    facts = assignment(**QUARTERLY, revisions=[report("2024-06-27 10:00", "2024Q2")])
    reading = read(facts, RULES, at("2024-06-30 23:59"))
    lines = on_time_lines([reading], Quarter(2024, 2), RULES)
    assert lines[0].text == "按时报送（权重 30 分，应报 1 期）"
    weekly = assignment(cadence="weekly", start="2024-04-01")
    reading = read(weekly, RULES, at("2024-06-30 23:59"))
    # April to June 2024: W14 … W26 are due in the quarter (13 weeks), none sent.
    assert on_time_lines([reading], Quarter(2024, 2), RULES)[0].text == "按时报送（权重 30 分，应报 13 期）"
    assert period_status(reading, Week(2024, 14)).status is ReportStatus.MISSING


def test_a_quarterly_report_is_chased_only_when_a_quarter_is_due():
    facts = assignment(**QUARTERLY)
    assert report_chases(facts, RULES, at("2024-05-22 09:00")) == ()
    (chase,) = report_chases(facts, RULES, at("2024-06-22 09:00"))
    assert (chase.key, chase.period) == ("report:1:2024Q2:remind", Quarter(2024, 2))
    (chase,) = report_chases(facts, RULES, at("2024-06-26 09:00"))
    assert chase.step == "overdue"
    assert report_chases(facts, RULES, at("2024-08-10 09:00")) == ()
    weekly = assignment(cadence="weekly", start="2024-06-01")
    keys = [c.key for c in report_chases(weekly, RULES, at("2024-06-12 09:00"))]
    # Week 23 (due Friday 06-07) is overdue; week 24 (due Friday 06-14, 端午 is Monday 06-10) is near.
    assert keys == ["report:1:2024-W23:overdue", "report:1:2024-W24:remind"]
