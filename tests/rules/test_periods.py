"""Periods, quarters and years, and the due and cut-off moments of a period."""

from datetime import date, datetime

import pytest

from tracker.rules.periods import (
    Period,
    Quarter,
    Year,
    cutoff_moment,
    due_date,
    due_moment,
    end_of_minute,
    local_date,
    parse_window,
    phase_note,
)
from tracker.rules.values import ReportingRules

from .builders import at, day, period


@pytest.mark.parametrize("text", ["2024-05", "1999-12", "2024-01"])
def test_a_period_prints_as_it_was_parsed(text):
    assert str(Period.parse(text)) == text


@pytest.mark.parametrize("text", ["2024-13", "2024-00", "2024-5", "24-05", "2024/05", "2024Q2", ""])
def test_a_malformed_period_is_refused(text):
    with pytest.raises(ValueError):
        Period.parse(text)


@pytest.mark.parametrize(
    ("text", "following", "preceding"),
    [
        pytest.param("2024-05", "2024-06", "2024-04", id="mid-year"),
        pytest.param("2024-12", "2025-01", "2024-11", id="december-rolls-into-the-next-year"),
        pytest.param("2024-01", "2024-02", "2023-12", id="january-rolls-back-into-the-last-year"),
    ],
)
def test_periods_step_forward_and_back_by_month(text, following, preceding):
    assert str(period(text).next()) == following
    assert str(period(text).prev()) == preceding


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        pytest.param("2024-02", "2024-02-01", "2024-02-29", id="leap-february-2024-has-29-days"),
        pytest.param("2023-02", "2023-02-01", "2023-02-28", id="february-2023-has-28-days"),
        pytest.param("2100-02", "2100-02-01", "2100-02-28", id="february-2100-is-not-leap"),
        pytest.param("2000-02", "2000-02-01", "2000-02-29", id="february-2000-is-leap"),
        pytest.param("2024-04", "2024-04-01", "2024-04-30", id="april-has-30-days"),
        pytest.param("2024-12", "2024-12-01", "2024-12-31", id="december-has-31-days"),
    ],
)
def test_a_period_knows_its_first_and_last_day(text, first, last):
    assert period(text).first_day == day(first)
    assert period(text).last_day == day(last)


@pytest.mark.parametrize(
    ("month", "quarter"), [(1, 1), (3, 1), (4, 2), (6, 2), (7, 3), (9, 3), (10, 4), (12, 4)]
)
def test_a_period_belongs_to_its_quarter(month, quarter):
    assert Period(2024, month).quarter == Quarter(2024, quarter)


def test_a_quarter_parses_prints_and_lists_its_three_months():
    q2 = Quarter.parse("2024Q2")
    assert str(q2) == "2024Q2"
    assert [str(p) for p in q2.periods] == ["2024-04", "2024-05", "2024-06"]
    assert (q2.first_day, q2.last_day) == (day("2024-04-01"), day("2024-06-30"))


@pytest.mark.parametrize("text", ["2024Q0", "2024Q5", "2024q2", "2024-Q2"])
def test_a_malformed_quarter_is_refused(text):
    with pytest.raises(ValueError):
        Quarter.parse(text)


def test_a_year_lists_its_twelve_months():
    year = Year.parse("2024")
    assert str(year) == "2024"
    assert len(year.periods) == 12
    assert (year.first_day, year.last_day) == (day("2024-01-01"), day("2024-12-31"))


@pytest.mark.parametrize(
    ("text", "window"),
    [("2024-05", Period(2024, 5)), ("2024Q2", Quarter(2024, 2)), ("2024", Year(2024))],
)
def test_a_window_is_read_from_its_written_form(text, window):
    assert parse_window(text) == window


def test_an_unknown_window_is_refused():
    with pytest.raises(ValueError):
        parse_window("May 2024")


@pytest.mark.parametrize(
    ("text", "rules", "due"),
    [
        pytest.param("2024-05", ReportingRules(), "2024-05-25", id="default-due-day-is-the-25th"),
        pytest.param(
            "2024-02", ReportingRules(due_day=31), "2024-02-29", id="due-day-31-in-leap-february-is-the-29th"
        ),
        pytest.param(
            "2023-02", ReportingRules(due_day=31), "2023-02-28", id="due-day-31-in-february-2023-is-the-28th"
        ),
        pytest.param(
            "2024-04", ReportingRules(due_day=31), "2024-04-30", id="due-day-31-in-april-is-the-30th"
        ),
        pytest.param(
            "2024-02", ReportingRules(due_day=29), "2024-02-29", id="due-day-29-falls-on-the-leap-day"
        ),
        pytest.param(
            "2024-10", ReportingRules(due_day=1), "2024-10-01", id="a-holiday-due-day-stays-without-shift"
        ),
        pytest.param(
            "2024-10",
            ReportingRules(due_day=1, holiday_shift=True),
            "2024-10-08",
            id="national-day-due-day-shifts-to-2024-10-08",
        ),
        pytest.param(
            "2024-09",
            ReportingRules(due_day=29, holiday_shift=True),
            "2024-09-29",
            id="a-make-up-sunday-due-day-does-not-shift",
        ),
        pytest.param(
            "2024-09",
            ReportingRules(due_day=28, holiday_shift=True),
            "2024-09-29",
            id="a-saturday-due-day-shifts-to-the-make-up-sunday",
        ),
        pytest.param(
            "2024-05", ReportingRules(holiday_shift=True), "2024-05-27", id="saturday-25th-shifts-to-monday"
        ),
        pytest.param(
            "2025-01",
            ReportingRules(due_day=31, holiday_shift=True),
            "2025-02-05",
            id="a-spring-festival-shift-crosses-into-the-next-month",
        ),
    ],
)
def test_the_due_day_is_clipped_to_the_month_and_shifted_when_the_plan_says(text, rules, due):
    assert due_date(period(text), rules) == day(due)
    assert due_moment(period(text), rules) == at(f"{due} 23:59")


def test_the_due_moment_is_2359_in_shanghai():
    moment = due_moment(period("2024-05"), ReportingRules())
    assert moment.isoformat() == "2024-05-25T23:59:00+08:00"


@pytest.mark.parametrize(
    ("text", "rules", "cutoff"),
    [
        pytest.param("2024-05", ReportingRules(), "2024-05-31 23:59", id="default-cutoff-is-the-last-day"),
        pytest.param(
            "2024-02", ReportingRules(), "2024-02-29 23:59", id="leap-february-cuts-off-on-the-29th"
        ),
        pytest.param(
            "2024-05", ReportingRules(cutoff_day=28), "2024-05-28 23:59", id="a-configured-cutoff-day"
        ),
        pytest.param(
            "2023-02",
            ReportingRules(cutoff_day=30),
            "2023-02-28 23:59",
            id="a-cutoff-day-is-clipped-like-the-due-day",
        ),
        pytest.param(
            "2024-05",
            ReportingRules(cutoff_day=20),
            "2024-05-25 23:59",
            id="the-cutoff-is-never-before-the-due-moment",
        ),
        pytest.param(
            "2025-01",
            ReportingRules(due_day=31, holiday_shift=True),
            "2025-02-05 23:59",
            id="a-shifted-due-day-pulls-the-cutoff-along",
        ),
    ],
)
def test_the_board_cutoff(text, rules, cutoff):
    assert cutoff_moment(period(text), rules) == at(cutoff)


def test_2359_means_the_whole_minute():
    assert end_of_minute(at("2024-05-25 23:59")) == at("2024-05-25 23:59:59.999999")


def test_a_moment_in_utc_falls_on_its_shanghai_date():
    assert local_date(datetime.fromisoformat("2024-05-25T16:00:00+00:00")) == day("2024-05-26")


@pytest.mark.parametrize(
    "fields",
    [{"due_day": 0}, {"due_day": 32}, {"cutoff_day": 0}, {"amber_days": -1}],
    ids=["due-day-0", "due-day-32", "cutoff-day-0", "negative-amber-days"],
)
def test_impossible_reporting_rules_are_refused(fields):
    with pytest.raises(ValueError):
        ReportingRules(**fields)


XUNYI_PHASES = [
    {"name": "宣传动员", "start": "2024-03-01", "end": "2024-04-03"},
    {"name": "集中实施", "start": "2024-04-04", "end": "2024-10-31"},
    {"name": "巩固提升", "start": "2024-11-01", "end": "2024-12-31"},
]


@pytest.mark.parametrize(
    ("day", "note"),
    [
        ("2024-09-16", "集中实施阶段，距结束 45 天"),
        ("2024-10-31", "集中实施阶段，最后一天"),
        ("2024-11-01", "巩固提升阶段，距结束 60 天"),
        ("2025-01-01", ""),
    ],
)
def test_a_day_reads_as_its_phase_and_the_days_left(day, note):
    assert phase_note(XUNYI_PHASES, date.fromisoformat(day)) == note
