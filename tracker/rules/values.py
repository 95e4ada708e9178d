"""The frozen facts the rules read: a plan's reporting rules and everything recorded about one assignment.

Every recorded thing carries the moment it was recorded (aware datetimes), so a rule can see the facts
"as of" any moment and a board can ignore what arrived after its cut-off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from tracker.rules.periods import ReportPeriod

T = TypeVar("T")


class Role(StrEnum):
    """A unit's duty on a measure: 牵头 / 责任 / 配合."""

    LEAD = "lead"
    RESPONSIBLE = "responsible"
    SUPPORTING = "supporting"


class Recurring(StrEnum):
    """A periodic duty (每月, 每季度 …) instead of one completion deadline."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half-yearly"
    YEARLY = "yearly"


def _aware(name: str, moment: datetime | None) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with an offset), got {moment!r}")


def _by(moment: datetime | None, as_of: datetime) -> bool:
    return moment is not None and moment <= as_of


def _after(moment: datetime | None, as_of: datetime) -> bool:
    return moment is not None and moment > as_of


@dataclass(frozen=True)
class ScoreWeights:
    """Points of each part of a unit's score, and the deduction per red measure."""

    on_time: Decimal = Decimal(30)
    progress: Decimal = Decimal(40)
    findings: Decimal = Decimal(20)
    quality: Decimal = Decimal(10)
    red_penalty: Decimal = Decimal(2)

    def __post_init__(self) -> None:
        for name in ("on_time", "progress", "findings", "quality", "red_penalty"):
            value = Decimal(getattr(self, name))
            if value < 0:
                raise ValueError(f"score weight {name} must not be negative, got {value}")
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class ReportingRules:
    """A plan's reporting rules (DOMAIN.md defaults).

    due_day: day of the month a report is due at 23:59 (clipped to the month's length).
    cutoff_day: day of the board's cut-off at 23:59; None = the month's last day.
    holiday_shift: a due day that is not a working day moves to the next working day.
    amber_days: a deadline this many days away or fewer turns an unfinished measure amber.
    signoff: a report counts only once the unit leader signed it off, at the moment of signing.
    jump_share: an indicator moving by more than this share of its target in one report is flagged.
    weights: the points of each part of a unit's score (see `ScoreWeights`, `scores`).
    """

    due_day: int = 25
    cutoff_day: int | None = None
    holiday_shift: bool = False
    amber_days: int = 30
    signoff: bool = False
    jump_share: Decimal = Decimal("0.5")
    weights: ScoreWeights = field(default_factory=ScoreWeights)

    def __post_init__(self) -> None:
        if not 1 <= self.due_day <= 31:
            raise ValueError(f"due_day must be 1..31, got {self.due_day}")
        if self.cutoff_day is not None and not 1 <= self.cutoff_day <= 31:
            raise ValueError(f"cutoff_day must be 1..31 or None, got {self.cutoff_day}")
        if self.amber_days < 0:
            raise ValueError(f"amber_days must not be negative, got {self.amber_days}")
        object.__setattr__(self, "jump_share", Decimal(self.jump_share))


@dataclass(frozen=True)
class Unit:
    """A reporting unit: full name (unique within a plan) and the short name clerks use."""

    name: str
    short: str = ""
    kind: str = ""
    parent: str | None = None  # the full name of the unit above it, if any
    tags: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.short or self.name


@dataclass(frozen=True)
class Milestone:
    """A staged target: the indicator should reach `value` by the end of `date`."""

    date: date
    value: Decimal
    derived: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", Decimal(self.value))


class IndicatorKind(StrEnum):
    """What an indicator counts, which decides what a plausible value is."""

    COUNT = "count"  # whole things: 户, 座, 村, 人 — whole numbers only
    AMOUNT = "amount"  # money, length, area: any number not below 0
    PERCENT = "percent"  # a share 0–100
    RATE = "rate"  # a ratio such as 逾期率, not below 0


class Direction(StrEnum):
    """Whether an indicator must reach at least its target (up) or stay at most at it (down)."""

    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class IndicatorSpec:
    """A numeric target of a measure (指标), e.g. 改建卫生厕所 2600 座, with its milestones.

    `direction` up: the target is an "at least" value; down: an "at most" value (贷款逾期率 ≤ 0.5%),
    where a value above it is behind, not implausible. A cumulative indicator reports running totals,
    which never fall. A derived milestone was computed (linear from the baseline), not printed.
    `rollup` says how members' values make the whole (see `rollup.roll_up`); a member's spec is its
    share (`target` is the share, `whole` the measure's target), see `rollup.member_spec`.
    """

    name: str
    unit: str | None = None
    target: Decimal | None = None
    cumulative: bool = True
    milestones: tuple[Milestone, ...] = ()
    kind: IndicatorKind = IndicatorKind.AMOUNT
    direction: Direction = Direction.UP
    rollup: str = "none"
    whole: Decimal | None = None

    def __post_init__(self) -> None:
        if self.target is not None:
            object.__setattr__(self, "target", Decimal(self.target))
        if self.whole is not None:
            object.__setattr__(self, "whole", Decimal(self.whole))
        object.__setattr__(self, "milestones", tuple(sorted(self.milestones, key=lambda m: m.date)))
        object.__setattr__(self, "kind", IndicatorKind(self.kind))
        object.__setattr__(self, "direction", Direction(self.direction))

    def meets(self, value: Decimal, goal: Decimal) -> bool:
        """Whether `value` satisfies `goal` (a milestone or the target): at least it going up, at
        most it going down; the goal itself always does."""
        return value <= goal if self.direction is Direction.DOWN else value >= goal


@dataclass(frozen=True)
class IndicatorValue:
    """One reported value of an indicator; `note` explains anything unusual (e.g. past the target)."""

    name: str
    value: Decimal
    unit: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", Decimal(self.value))


@dataclass(frozen=True)
class Revision:
    """One saved version of a unit's report for a period; reports are never overwritten.

    `signed_off_at` is when the unit leader signed it (plans with sign-off); `returned_at` is when
    the office returned it for revision, with `returned_reason`.
    """

    recorded_at: datetime
    period: ReportPeriod
    percent: int
    complete: bool = False
    indicator_values: tuple[IndicatorValue, ...] = ()
    signed_off_at: datetime | None = None
    returned_at: datetime | None = None
    returned_reason: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.percent <= 100:
            raise ValueError(f"percent must be 0..100, got {self.percent}")
        _aware("recorded_at", self.recorded_at)
        _aware("signed_off_at", self.signed_off_at)
        _aware("returned_at", self.returned_at)

    def submitted_at(self, rules: ReportingRules) -> datetime | None:
        """When this revision counts as submitted: when recorded, or when signed off if the plan
        requires sign-off (None while unsigned)."""
        return self.signed_off_at if rules.signoff else self.recorded_at

    def returned_by(self, as_of: datetime) -> bool:
        return _by(self.returned_at, as_of)

    def indicator(self, name: str) -> IndicatorValue | None:
        return next((value for value in self.indicator_values if value.name == name), None)

    def as_of(self, moment: datetime) -> Revision | None:
        """This revision as it stood at `moment`, or None when it was not recorded yet."""
        if self.recorded_at > moment:
            return None
        if not _after(self.signed_off_at, moment) and not _after(self.returned_at, moment):
            return self
        signed = self.signed_off_at if _by(self.signed_off_at, moment) else None
        returned = _by(self.returned_at, moment)
        return replace(
            self,
            signed_off_at=signed,
            returned_at=self.returned_at if returned else None,
            returned_reason=self.returned_reason if returned else "",
        )


@dataclass(frozen=True)
class ExtensionDecision:
    """The office's decision on a unit's extension request (延期申请).

    With `periods`, an approval moves those periods' report due day to `new_deadline` (23:59); with
    no periods, it moves the assignment's completion deadline (完成时限) to `new_deadline`. A decision
    takes effect from `decided_at`, even when that is after the day it moves.
    """

    requested_at: datetime
    decided_at: datetime
    approved: bool
    new_deadline: date
    periods: tuple[ReportPeriod, ...] = ()
    reason: str = ""

    def __post_init__(self) -> None:
        _aware("requested_at", self.requested_at)
        _aware("decided_at", self.decided_at)


@dataclass(frozen=True)
class Finding:
    """A problem the office recorded (问题台账) against a unit, with its rectification deadline.

    Only the office closes a finding (销号) and it may reopen it; each close and reopen is kept.
    """

    id: int
    unit: str
    title: str
    opened_at: datetime
    deadline: date
    measure_code: str | None = None
    closed_at: tuple[datetime, ...] = ()
    reopened_at: tuple[datetime, ...] = ()

    def __post_init__(self) -> None:
        _aware("opened_at", self.opened_at)
        for moment in (*self.closed_at, *self.reopened_at):
            _aware("closed_at/reopened_at", moment)

    def is_open(self, as_of: datetime) -> bool:
        """Open at `as_of`: recorded by then, and not closed since its last reopening.

        A close and a reopen recorded at the same instant count as the reopen coming last.
        """
        if self.opened_at > as_of:
            return False
        if not self.closed_at and not self.reopened_at:
            return True
        events = [(moment, 0) for moment in self.closed_at if moment <= as_of]
        events += [(moment, 1) for moment in self.reopened_at if moment <= as_of]
        return not events or max(events)[1] == 1

    def as_of(self, moment: datetime) -> Finding | None:
        """This finding as it stood at `moment`, or None when it was not recorded yet."""
        if self.opened_at > moment:
            return None
        if all(m <= moment for m in (*self.closed_at, *self.reopened_at)):
            return self
        return replace(
            self,
            closed_at=tuple(m for m in self.closed_at if m <= moment),
            reopened_at=tuple(m for m in self.reopened_at if m <= moment),
        )


@dataclass(frozen=True)
class Confirmation:
    """The office confirmed that the assignment is complete (办结确认)."""

    recorded_at: datetime

    def __post_init__(self) -> None:
        _aware("recorded_at", self.recorded_at)


@dataclass(frozen=True)
class Reopening:
    """The office withdrew a confirmation: the work is not done after all."""

    recorded_at: datetime
    reason: str = ""

    def __post_init__(self) -> None:
        _aware("recorded_at", self.recorded_at)


@dataclass(frozen=True)
class AssignmentFacts:
    """One unit's duty on one measure with everything recorded about it.

    `start` is the day reporting starts (the latest of the plan's start, its adoption day and the
    measure's start). A
    `deadline` of None with `recurring` None is 长期坚持. `findings` are those on this measure.
    `members` are the assignments whose values roll up into this one's indicators: a lead's are the
    measure's responsible units, a broken-down assignment's are its children (分解).
    """

    id: int
    unit: Unit
    measure_code: str
    role: Role
    start: date
    deadline: date | None = None
    recurring: Recurring | None = None
    measure_title: str = ""
    indicators: tuple[IndicatorSpec, ...] = ()
    revisions: tuple[Revision, ...] = ()
    extensions: tuple[ExtensionDecision, ...] = ()
    findings: tuple[Finding, ...] = ()
    confirmations: tuple[Confirmation, ...] = ()
    reopenings: tuple[Reopening, ...] = ()
    members: tuple[AssignmentFacts, ...] = ()
    # When the work itself began (the plan's or the measure's start), even when reporting starts
    # later at adoption: the planned progress runs from here. None = `start`.
    work_start: date | None = None
    # The deadline was reconstructed (not printed in the notice): passing it warns, never turns red.
    deadline_reconstructed: bool = False
    # How often it reports (the measure's `cadence`, else the plan's): weekly … yearly.
    cadence: str = "monthly"

    @property
    def has_dated_deadline(self) -> bool:
        """Whether deadline rules apply: a date, and not a recurring duty."""
        return self.deadline is not None and self.recurring is None

    def as_of(self, moment: datetime) -> AssignmentFacts:
        """These facts as they stood at `moment`: everything recorded later is left out."""
        # A board's facts are usually gathered as of its own cut-off: one pass that only compares
        # moments, instead of rebuilding and comparing every list.
        if self.recorded_by(moment):
            return self
        kept = {
            "revisions": _present(revision.as_of(moment) for revision in self.revisions),
            "extensions": tuple(e for e in self.extensions if e.decided_at <= moment),
            "findings": _present(finding.as_of(moment) for finding in self.findings),
            "confirmations": tuple(c for c in self.confirmations if c.recorded_at <= moment),
            "reopenings": tuple(r for r in self.reopenings if r.recorded_at <= moment),
            "members": tuple(member.as_of(moment) for member in self.members),
        }
        # Most facts are entirely in the past: keep the very same object, which is cheaper to compare.
        if all(_same(items, getattr(self, name)) for name, items in kept.items()):
            return self
        return replace(self, **kept)

    def recorded_by(self, moment: datetime) -> bool:
        """Whether everything in these facts (and their members') was recorded by `moment`, so that
        `as_of(moment)` leaves them as they are."""
        for revision in self.revisions:
            signed, returned = revision.signed_off_at, revision.returned_at
            if (
                revision.recorded_at > moment
                or (signed is not None and signed > moment)
                or (returned is not None and returned > moment)
            ):
                return False
        for finding in self.findings:
            if finding.opened_at > moment or any(
                m > moment for m in (*finding.closed_at, *finding.reopened_at)
            ):
                return False
        return (
            all(e.decided_at <= moment for e in self.extensions)
            and all(c.recorded_at <= moment for c in self.confirmations)
            and all(r.recorded_at <= moment for r in self.reopenings)
            and all(member.recorded_by(moment) for member in self.members)
        )


def _present(items: Iterable[T | None]) -> tuple[T, ...]:
    return tuple(item for item in items if item is not None)


def _same(new: tuple, old: tuple) -> bool:
    return len(new) == len(old) and all(a is b for a, b in zip(new, old, strict=True))
