"""Levels (市 → 县 → 镇 → 村): a member's share of an indicator, and the roll-up of members' values.

A member holding a share is judged against it, its milestones scaled in proportion; without
shares a `sum` is judged on the whole only (at the lead), while `mean`, `min`, `max` and `none`
hold every member to the target itself (a 5% ceiling applies to each county).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from tracker.rules.values import IndicatorSpec

ROLLUPS = ("sum", "mean", "min", "max", "none")
ROLLUP_LABELS = {"sum": "合计", "mean": "平均", "min": "最低", "max": "最高", "none": "不汇总"}


def rolls_up(spec: IndicatorSpec) -> bool:
    """Whether the whole's value comes from its members' values rather than its own report."""
    return spec.rollup in ("sum", "mean", "min", "max")


def roll_up(how: str, values: Iterable[Decimal | None]) -> Decimal | None:
    """The whole's value from its members' latest values; members yet to report are left out,
    and None while none has reported."""
    present = [v for v in values if v is not None]
    if not present or how not in ("sum", "mean", "min", "max"):
        return None
    if how == "sum":
        return sum(present, Decimal(0))
    if how == "mean":
        return sum(present, Decimal(0)) / len(present)
    return min(present) if how == "min" else max(present)


def member_spec(spec: IndicatorSpec, share: Decimal | None, shared: bool) -> IndicatorSpec:
    """The spec a member is judged by, given its `share` (None when it has none) and whether the
    indicator is `shared` out at all.

    With a share: its target is the share and each milestone is scaled by share/target (8 of 60
    due by 10-31 → 8). Without one, where the indicator is shared out or summed, the member is not
    held to any number: it reports, the whole is judged. Otherwise the spec is the whole's own.
    """
    if share is not None:
        share = Decimal(share)
        whole = spec.target
        ratio = share / whole if whole else Decimal(1)
        return replace(
            spec,
            target=share,
            whole=whole,
            milestones=tuple(replace(m, value=_tidy(m.value * ratio)) for m in spec.milestones),
        )
    if shared or spec.rollup == "sum":
        return replace(spec, target=None, whole=spec.target, milestones=())
    return spec


def _tidy(value: Decimal) -> Decimal:
    # 60 × 8/60 reads as 8, not 8.000000000000000000000000001.
    return value.quantize(Decimal("0.0001")).normalize()
