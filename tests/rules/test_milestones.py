"""Milestones derived from an end target (推算节点): linear from the baseline, one per report period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.rules.builders import assignment, at, report
from tracker.rules.lights import Rag, behind_milestone, light_of
from tracker.rules.milestones import derived_milestones
from tracker.rules.periods import periods_between
from tracker.rules.progress import read
from tracker.rules.values import Direction, IndicatorKind, IndicatorSpec, ReportingRules

START, END = date(2024, 1, 1), date(2024, 10, 31)


def ends(cadence: str) -> list[date]:
    return [p.last_day for p in periods_between(cadence, START, END)]


def test_a_count_moves_linearly_from_zero_in_whole_units_and_ends_on_the_target():
    found = derived_milestones(
        Decimal(60), None, Direction.UP, IndicatorKind.COUNT, START, END, ends("monthly")
    )
    # 60 户 over 304 days: 31 January is 30 days in → 5.92, whole 5; 29 February 59 days → 11.64 → 11.
    assert [(m.date, m.value) for m in found[:2]] == [(date(2024, 1, 31), 5), (date(2024, 2, 29), 11)]
    assert (found[-1].date, found[-1].value) == (END, 60)
    assert len(found) == 10 and all(m.derived for m in found)


def test_quarterly_milestones_start_from_the_baseline_to_two_decimals():
    found = derived_milestones(
        Decimal("95.5"), Decimal(80), Direction.UP, IndicatorKind.PERCENT, START, END, ends("quarterly")
    )
    # 80 + 15.5 × 90/304 = 84.588… → 84.58; 80 + 15.5 × 181/304 = 89.228… → 89.22; 273/304 → 93.91.
    assert [(m.date.isoformat(), str(m.value)) for m in found] == [
        ("2024-03-31", "84.58"),
        ("2024-06-30", "89.22"),
        ("2024-09-30", "93.91"),
        ("2024-10-31", "95.5"),
    ]


def test_a_ceiling_comes_down_from_its_baseline_or_holds_where_already_kept():
    falling = derived_milestones(
        Decimal("0.5"), Decimal("1.2"), Direction.DOWN, IndicatorKind.RATE, START, END, ends("quarterly")
    )
    # 1.2 − 0.7 × 90/304 = 0.9927… rounded up (in the unit's favour) → 1.00.
    assert str(falling[0].value) == "1.00" and falling[-1].value == Decimal("0.5")
    kept = derived_milestones(
        Decimal("0.5"), None, Direction.DOWN, IndicatorKind.RATE, START, END, ends("quarterly")
    )
    assert {m.value for m in kept} == {Decimal("0.5")}


def test_behind_a_derived_milestone_is_amber_and_says_it_was_derived():
    spec = IndicatorSpec(
        "危房改造竣工",
        "户",
        Decimal(60),
        milestones=derived_milestones(
            Decimal(60), None, Direction.UP, IndicatorKind.COUNT, START, END, ends("monthly")
        ),
        kind=IndicatorKind.COUNT,
    )
    facts = assignment(
        indicators=(spec,), revisions=[report("2024-03-20 10:00", "2024-03", 30, values={"危房改造竣工": 10})]
    )
    reading = read(facts, ReportingRules(), at("2024-04-01 09:00"))
    # 31 March: 90 of 304 days → 17.76, whole 17; 10 reported.
    assert behind_milestone(reading, spec) == (
        "指标「危房改造竣工」落后于节点（3月31日应达 17户，按目标均衡推算，实报 10户）"
    )
    assert light_of(reading).rag is Rag.AMBER
