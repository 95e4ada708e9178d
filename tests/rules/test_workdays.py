"""China's working-day calendar: holidays, make-up days (调休), the fallback, and days late."""

import pytest

from tracker.rules.workdays import (
    is_working_day,
    next_working_day,
    working_day_on_or_after,
    working_days_late,
)

from .builders import day


@pytest.mark.parametrize(
    ("when", "working"),
    [
        pytest.param("2024-10-01", False, id="national-day-2024-10-01-is-a-holiday"),
        pytest.param("2024-10-07", False, id="last-day-of-national-day-week-is-a-holiday"),
        pytest.param("2024-10-08", True, id="tuesday-after-national-day-is-a-working-day"),
        pytest.param("2024-09-29", True, id="sunday-2024-09-29-is-a-make-up-working-day"),
        pytest.param("2024-10-12", True, id="saturday-2024-10-12-is-a-make-up-working-day"),
        pytest.param("2024-05-25", False, id="an-ordinary-saturday-is-a-rest-day"),
        pytest.param("2024-02-29", True, id="leap-day-2024-02-29-is-a-thursday-at-work"),
        pytest.param("2025-01-31", False, id="spring-festival-2025-01-31-is-a-holiday"),
        pytest.param("2035-01-01", True, id="beyond-the-library-monday-counts-as-working"),
        pytest.param("2035-01-06", False, id="beyond-the-library-saturday-counts-as-rest"),
        pytest.param("1999-10-01", True, id="before-the-library-only-weekends-rest"),
    ],
)
def test_a_day_is_working_or_not_by_the_state_council_calendar(when, working):
    assert is_working_day(day(when)) is working


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        pytest.param("2024-09-30", "2024-10-08", id="across-national-day"),
        pytest.param("2024-09-27", "2024-09-29", id="friday-to-a-make-up-sunday"),
        pytest.param("2024-05-24", "2024-05-27", id="friday-to-monday"),
        pytest.param("2024-05-27", "2024-05-28", id="monday-to-tuesday"),
    ],
)
def test_the_next_working_day_is_strictly_after_the_given_day(after, expected):
    assert next_working_day(day(after)) == day(expected)


def test_a_working_day_needs_no_shift():
    assert working_day_on_or_after(day("2024-09-29")) == day("2024-09-29")
    assert working_day_on_or_after(day("2024-10-01")) == day("2024-10-08")


@pytest.mark.parametrize(
    ("due", "sent", "days"),
    [
        pytest.param("2024-05-24", "2024-05-24", 0, id="sent-on-the-due-day-is-not-late"),
        pytest.param("2024-05-24", "2024-05-20", 0, id="sent-early-is-not-late"),
        pytest.param(
            "2024-05-24", "2024-05-25", 1, id="sent-on-saturday-after-a-friday-due-day-is-1-day-late"
        ),
        pytest.param("2024-05-24", "2024-05-27", 1, id="sent-on-the-next-monday-is-1-day-late"),
        pytest.param(
            "2024-05-24", "2024-05-29", 3, id="sent-wednesday-after-a-friday-due-day-is-3-days-late"
        ),
        pytest.param("2024-09-27", "2024-09-29", 1, id="a-make-up-sunday-counts-as-a-working-day"),
        pytest.param("2024-09-30", "2024-10-05", 1, id="sent-in-the-national-day-holiday-is-1-day-late"),
        pytest.param("2024-09-30", "2024-10-09", 2, id="holiday-days-are-not-counted"),
        pytest.param("2024-10-01", "2024-10-08", 1, id="a-due-day-on-a-holiday-counts-from-the-holiday"),
    ],
)
def test_working_days_late_counts_working_days_after_the_due_day(due, sent, days):
    assert working_days_late(day(due), day(sent)) == days
