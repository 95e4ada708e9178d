"""Milestones derived where a notice gives an indicator only its end target (推算节点), so that no
indicator goes unwatched between its start and its deadline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from tracker.rules.values import Direction, IndicatorKind, Milestone

_CENT = Decimal("0.01")


def derived_milestones(
    target: Decimal,
    baseline: Decimal | None,
    direction: Direction,
    kind: IndicatorKind,
    start: date,
    end: date,
    period_ends: Iterable[date],
) -> tuple[Milestone, ...]:
    """Linear milestones at each report period's end after `start` up to `end`, marked derived.

    To check one: baseline (0 when none) + (target − baseline) × days since start ÷ days from start
    to end, cut to two decimals (a count to a whole number) in the unit's favour — down for an "at
    least" target, up for a ceiling — and the target itself on `end`. Xunyi's 危房改造 60 户 from 0,
    1 January to 31 October 2024, is due 11 户 by 29 February (59 of 304 days → 11.64, whole: 11).
    A ceiling (`down`, 贷款逾期率 ≤ 0.5%) already met at the baseline holds at every period's end.
    """
    target = Decimal(target)
    base = Decimal(0) if baseline is None else Decimal(baseline)
    if end <= start:
        return ()
    ends = sorted({day for day in period_ends if start < day < end} | {end})
    span = Decimal((end - start).days)
    down = direction is Direction.DOWN
    step = Decimal(1) if kind is IndicatorKind.COUNT else _CENT
    out = []
    for day in ends:
        if down and base <= target:
            value = target  # a ceiling already kept: it must stay kept
        elif day == end:
            value = target
        else:
            exact = base + (target - base) * Decimal((day - start).days) / span
            value = exact.quantize(step, rounding=ROUND_UP if down else ROUND_DOWN)
        out.append(Milestone(day, value, derived=True))
    return tuple(out)
