"""Plausibility warnings for a newly reported indicator value; the report form shows them, nothing blocks."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tracker.rules.values import Direction, IndicatorKind, IndicatorSpec, IndicatorValue, ReportingRules


class WarningCode(StrEnum):
    CUMULATIVE_FALLS = "cumulative_falls"
    JUMP = "jump"
    PAST_TARGET = "past_target"
    UNIT_MISMATCH = "unit_mismatch"
    NOT_WHOLE = "not_whole"
    OUT_OF_RANGE = "out_of_range"


@dataclass(frozen=True)
class IndicatorWarning:
    """One thing about a value that a clerk should double-check, with a message to show."""

    code: WarningCode
    indicator: str
    message: str


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _same_unit(a: str, b: str) -> bool:
    # Full-width and half-width spellings of a unit are the same unit.
    return unicodedata.normalize("NFKC", a).strip() == unicodedata.normalize("NFKC", b).strip()


def check_indicator_value(
    spec: IndicatorSpec, new: IndicatorValue, previous: Decimal | None, rules: ReportingRules
) -> tuple[IndicatorWarning, ...]:
    """Warnings for `new`, given the value reported before (`previous`, None if this is the first).

    - cumulative_falls: the indicator is cumulative and the new value is below the previous one.
    - jump: the value moved by more than `rules.jump_share` (default 0.5) of the target since the
      previous value (from 0 when there is none, for a cumulative indicator); exactly that share is
      no warning. Needs a target above 0.
    - past_target: an "at least" (up) indicator's value is above the target (reaching it exactly is
      fine) and `new.note` is empty. A "down" indicator above its ceiling is behind, not implausible.
    - not_whole: a count (户, 座, 村) that is not a whole number.
    - out_of_range: a percent outside 0–100, or any value below 0.
    - unit_mismatch: both the indicator and `new` name a unit and they differ (ignoring
      full-width/half-width and surrounding spaces).
    """
    warnings = []
    value = new.value

    def warn(code: WarningCode, message: str) -> None:
        warnings.append(IndicatorWarning(code, spec.name, message))

    unit = spec.unit or ""
    if spec.cumulative and previous is not None and value < previous:
        warn(
            WarningCode.CUMULATIVE_FALLS,
            f"「{spec.name}」为累计值，本次 {_number(value)} 低于上次 {_number(previous)}",
        )
    baseline = previous if previous is not None else (Decimal(0) if spec.cumulative else None)
    if spec.target is not None and spec.target > 0 and baseline is not None:
        change = abs(value - baseline)
        if change > rules.jump_share * spec.target:
            share = f"{rules.jump_share * 100:.0f}%"
            warn(
                WarningCode.JUMP,
                f"「{spec.name}」一次变化 {_number(change)}{unit}，超过目标值 {_number(spec.target)}{unit} 的 {share}",
            )
    plausible = plausibility_problem(spec, value)
    if plausible:
        warn(*plausible)
    if (
        spec.direction is Direction.UP
        and spec.target is not None
        and value > spec.target
        and not new.note.strip()
    ):
        warn(
            WarningCode.PAST_TARGET,
            f"「{spec.name}」{_number(value)}{unit} 超过目标值 {_number(spec.target)}{unit}，请在说明中注明原因",
        )
    if new.unit is not None and spec.unit is not None and not _same_unit(new.unit, spec.unit):
        warn(WarningCode.UNIT_MISMATCH, f"「{spec.name}」计量单位应为「{spec.unit}」，填报为「{new.unit}」")
    return tuple(warnings)


def plausibility_problem(spec: IndicatorSpec, value: Decimal) -> tuple[WarningCode, str] | None:
    """What makes `value` impossible for an indicator of its kind, or None: a count must be a whole
    number, a percent lies in 0–100, and no indicator is negative."""
    unit = spec.unit or ""
    if value < 0:
        return WarningCode.OUT_OF_RANGE, f"「{spec.name}」不能小于 0"
    if spec.kind is IndicatorKind.COUNT and value != value.to_integral_value():
        return WarningCode.NOT_WHOLE, f"「{spec.name}」为计数指标，应填整数（{_number(value)}{unit}）"
    if spec.kind is IndicatorKind.PERCENT and value > 100:
        return WarningCode.OUT_OF_RANGE, f"「{spec.name}」为百分比，应在 0–100 之间（{_number(value)}）"
    return None
