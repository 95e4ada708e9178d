"""Printed 完成时限 → date and recurrence, table-driven."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.plans.convert.deadlines import DeadlineError, cn_number, parse_deadline

CASES = [
    ("2025年6月底前", date(2025, 6, 30), None),
    ("2024年10月31日", date(2024, 10, 31), None),
    ("2024年10月31日前", date(2024, 10, 31), None),
    ("2026年底前", date(2026, 12, 31), None),
    ("2026年年底前", date(2026, 12, 31), None),
    ("年底前", date(2024, 12, 31), None),
    ("6月底前", date(2024, 6, 30), None),
    ("9月30日前", date(2024, 9, 30), None),
    ("长期坚持", None, None),
    ("持续推进", None, None),
    ("每月25日前", None, "monthly"),
    ("每季度", None, "quarterly"),
    ("每季度末", None, "quarterly"),
    ("每半年", None, "half-yearly"),
    ("每年", None, "yearly"),
    ("每年6月底前", None, "yearly"),
    ("每学期", None, "half-yearly"),
    ("二〇二四年六月底前", date(2024, 6, 30), None),
    ("2025年12月", date(2025, 12, 31), None),
    ("2024-06-30", date(2024, 6, 30), None),
    ("2024.9", date(2024, 9, 30), None),
    ("2021—2025年", date(2025, 12, 31), None),
    ("到2025年", date(2025, 12, 31), None),
    ("2024年上半年", date(2024, 6, 30), None),
    ("2024年第三季度", date(2024, 9, 30), None),
    ("三季度末", date(2024, 9, 30), None),
    ("2024年6月底前完成50%,12月底前全部完成", date(2024, 12, 31), None),
    ("2024年3月起每月", None, "monthly"),
    ("2024年底前完成并长期坚持", date(2024, 12, 31), None),
    ("2025年6月中旬", date(2025, 6, 20), None),
    ("明年底前", date(2025, 12, 31), None),
    ("２０２５年６月底前", date(2025, 6, 30), None),
]


@pytest.mark.parametrize(("printed", "expected", "recurring"), CASES)
def test_a_printed_deadline_reads_as_the_date_it_means(printed, expected, recurring):
    got = parse_deadline(printed, 2024)
    assert (got.date, got.recurring) == (expected, recurring)


@pytest.mark.parametrize("printed", ["见附表", "XYZ", "2024年13月", "2月30日前"])
def test_an_unreadable_or_impossible_deadline_is_an_error_that_quotes_it(printed):
    with pytest.raises(DeadlineError, match="完成时限"):
        parse_deadline(printed, 2024)


def test_a_month_without_a_year_needs_the_plan_year():
    with pytest.raises(DeadlineError, match="年份"):
        parse_deadline("6月底前", None)


@pytest.mark.parametrize(
    ("text", "n"), [("二十五", 25), ("十", 10), ("十二", 12), ("二〇二四", 2024), ("7", 7)]
)
def test_chinese_numerals_read_as_numbers(text, n):
    assert cn_number(text) == n


@given(st.text(max_size=40))
def test_any_text_gives_a_deadline_or_a_deadline_error(text):
    try:
        got = parse_deadline(text, 2024)
    except DeadlineError:
        return
    assert got.recurring in (None, "monthly", "quarterly", "half-yearly", "yearly")
