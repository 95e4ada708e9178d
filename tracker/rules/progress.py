"""What an assignment's record says as of a moment: its submitted reports, latest progress and indicator
values, whether it is done, and the deadlines in force after approved extensions.

`Reading` works this out once per assignment and moment, so a board over thousands of assignments
sorts each one's revisions once; the module functions are shorthands for a single question.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from tracker.rules.periods import ReportPeriod, local_date
from tracker.rules.rollup import roll_up, rolls_up
from tracker.rules.values import AssignmentFacts, ExtensionDecision, ReportingRules, Revision


class cached_property:  # noqa: N801 (named as the functools one it stands for)
    """`functools.cached_property` without the lock Python 3.11 takes on every first answer: a
    board asks thousands of them, and a reading is never shared between threads."""

    def __init__(self, func):
        self.func, self.name, self.__doc__ = func, func.__name__, func.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


def _latest_approved(decisions: list[ExtensionDecision]) -> ExtensionDecision | None:
    # The office's most recent approval wins; on the same instant, the later new deadline.
    approved = [d for d in decisions if d.approved]
    return max(approved, key=lambda d: (d.decided_at, d.new_deadline), default=None)


@dataclass(frozen=True)
class Reading:
    """An assignment's facts read as of `as_of` under a plan's `rules`; each answer is computed once."""

    facts: AssignmentFacts
    rules: ReportingRules
    as_of: datetime
    # Answers other rule modules worked out for this reading (e.g. period statuses), kept so that a
    # board asks each question once; never part of equality.
    memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def day(self) -> date:
        """The calendar day of `as_of` in Asia/Shanghai. A day's end (see `periods.end_of_day`) is
        before `as_of` exactly when that day is before this one."""
        return local_date(self.as_of)

    @cached_property
    def submitted(self) -> tuple[tuple[datetime, Revision], ...]:
        """The revisions that count as submitted by `as_of`, with their submission moment, oldest first.

        A revision counts from the moment it was recorded, or, when the plan requires sign-off, from
        the moment it was signed off; an unsigned revision does not count at all. Returned revisions
        are included: a return asks for a fix but does not undo the fact that the unit reported. Ties
        on the submission moment go by recording moment, then by order in the record.
        """
        found, rules, as_of = [], self.rules, self.as_of
        for position, revision in enumerate(self.facts.revisions):
            moment = revision.submitted_at(rules)
            if moment is not None and moment <= as_of and revision.recorded_at <= as_of:
                found.append((moment, revision.recorded_at, position, revision))
        found.sort()  # positions are unique: the revisions themselves are never compared
        return tuple([(moment, revision) for moment, _, _, revision in found])

    @cached_property
    def _first_by_period(self) -> dict[ReportPeriod, datetime]:
        # Newest first, so that each period's oldest submission is the one left standing.
        return {revision.period: moment for moment, revision in reversed(self.submitted)}

    def first_submission(self, period: ReportPeriod) -> datetime | None:
        """When the first revision for `period` was submitted, if one was by `as_of`."""
        return self._first_by_period.get(period)

    @cached_property
    def current(self) -> Revision | None:
        """The latest submitted revision not returned by `as_of`: what the unit's report says now.

        A revision the office returned stops counting from the moment it was returned.
        """
        for _, revision in reversed(self.submitted):
            if not revision.returned_by(self.as_of):
                return revision
        return None

    @property
    def percent(self) -> int | None:
        """The progress the unit last reported (see `current`); None before any report."""
        return None if self.current is None else self.current.percent

    def indicator_value(self, name: str) -> Decimal | None:
        """The last value reported for indicator `name` in a submitted, not returned revision; for an
        indicator that rolls up (see `rollup.rolls_up`) on an assignment with members, the roll-up of
        the members' values as they read at the same moment (the whole's own report does not count)."""
        key = ("indicator_value", name)  # a board asks it for its light and again for its row
        if key not in self.memo:
            spec = next((s for s in self.facts.indicators if s.name == name), None)
            if spec is not None and self.facts.members and rolls_up(spec):
                value = roll_up(spec.rollup, (m.indicator_value(name) for m in self.member_readings))
            else:
                value = self.own_indicator_value(name)
            self.memo[key] = value
        return self.memo[key]

    @cached_property
    def member_readings(self) -> tuple[Reading, ...]:
        return tuple(Reading(m, self.rules, self.as_of) for m in self.facts.members)

    def own_indicator_value(self, name: str) -> Decimal | None:
        """The last value this assignment itself reported for indicator `name`."""
        for _, revision in reversed(self.submitted):
            value = revision.indicator(name)
            if value is not None and not revision.returned_by(self.as_of):
                return value.value
        return None

    @cached_property
    def _confirmed(self) -> list[datetime]:
        # Confirmations backed by a complete revision submitted by then and not returned by then.
        if not self.facts.confirmations:
            return []
        complete = [(moment, revision) for moment, revision in self.submitted if revision.complete]
        return sorted(
            c.recorded_at
            for c in self.facts.confirmations
            if c.recorded_at <= self.as_of
            and any(
                moment <= c.recorded_at and not revision.returned_by(c.recorded_at)
                for moment, revision in complete
            )
        )

    @cached_property
    def _reopened(self) -> list[datetime]:
        return sorted(r.recorded_at for r in self.facts.reopenings if r.recorded_at <= self.as_of)

    def done_since(self, moment: datetime | None = None) -> datetime | None:
        """When the assignment became done, if it is done at `moment` (default `as_of`); else None.

        Done means: the office recorded a confirmation, before which the unit had submitted a
        revision marked complete that was not returned by then, and the office recorded no
        reopening since that confirmation (a reopening at the same instant counts as after it).
        Later reports, findings or returns never undo a confirmation; only a reopening does.
        """
        if not self.facts.confirmations:
            return None
        moment = self.as_of if moment is None else min(moment, self.as_of)
        index = bisect_right(self._confirmed, moment)
        if index == 0:
            return None
        since = self._confirmed[index - 1]
        if bisect_right(self._reopened, moment) > bisect_left(self._reopened, since):
            return None
        return since

    @cached_property
    def deadline_extension(self) -> ExtensionDecision | None:
        """The approved extension of the completion deadline in force: the approval without periods
        decided most recently by `as_of`; a refusal does not cancel an earlier approval."""
        if not self.facts.extensions:
            return None
        return _latest_approved(
            [e for e in self.facts.extensions if not e.periods and e.decided_at <= self.as_of]
        )

    @property
    def deadline(self) -> date | None:
        """The completion deadline in force: the approved extension's new deadline, else the printed one."""
        extension = self.deadline_extension
        return self.facts.deadline if extension is None else extension.new_deadline

    @cached_property
    def planned(self) -> Fraction | None:
        """The progress the plan expects on the reading's day (see `expected_percent`), towards the
        deadline in force; None for a recurring or 长期坚持 duty, or before the assignment starts.
        The plan runs from when the work began (`work_start`), not from a later adoption day. The
        board's light and the bulletin's progress line both compare with this one value."""
        day = self.day
        if not self.facts.has_dated_deadline or self.facts.start > day:
            return None
        return expected_percent(self.facts.work_start or self.facts.start, self.deadline or day, day)

    def period_extension(self, period: ReportPeriod) -> ExtensionDecision | None:
        """The approved extension of `period`'s report due day in force: the approval naming `period`
        decided most recently by `as_of`."""
        if not self.facts.extensions:
            return None
        return _latest_approved(
            [e for e in self.facts.extensions if period in e.periods and e.decided_at <= self.as_of]
        )


def expected_percent(start: date, deadline: date, day: date) -> Fraction:
    """The progress a plan expects on `day`: linear from 0% on the start day to 100% on the deadline,
    never below 0% or above 100% (a deadline on or before the start expects 100%)."""
    span, elapsed = (deadline - start).days, (day - start).days
    if span <= 0 or elapsed >= span:
        return Fraction(100)
    return Fraction(100 * elapsed, span) if elapsed > 0 else Fraction(0)


def percent_text(value: Fraction) -> str:
    """A planned percent as both pages print it: hundredths rounded half up, no trailing zeros
    (53.13, 50)."""
    # floor(value × 100 + ½) in integers: a board prints one for every measure behind its plan.
    hundredths = (value.numerator * 200 + value.denominator) // (2 * value.denominator)
    return format((Decimal(hundredths) / 100).normalize(), "f")


def essential_revisions(
    facts: AssignmentFacts, rules: ReportingRules, as_of: datetime
) -> tuple[Revision, ...]:
    """The few revisions every rule needs at `as_of`; the others change no answer at that moment.

    They are: the first submitted revision of each period, the current one (the latest submitted and
    not returned), the latest not returned one carrying each indicator, and every revision marked
    complete. A store can load just these (one SQL aggregate each) for a board or an assessment.
    """
    reading = read(facts, rules, as_of)
    first_of_period: dict[ReportPeriod, Revision] = {}
    for _, revision in reading.submitted:
        first_of_period.setdefault(revision.period, revision)
    keep = {id(revision) for revision in first_of_period.values()}
    keep |= {id(revision) for _, revision in reading.submitted if revision.complete}
    if reading.current is not None:
        keep.add(id(reading.current))
    names = {value.name for _, revision in reading.submitted for value in revision.indicator_values}
    for name in names:
        for _, revision in reversed(reading.submitted):
            if revision.indicator(name) is not None and not revision.returned_by(as_of):
                keep.add(id(revision))
                break
    return tuple(revision for revision in facts.revisions if id(revision) in keep)


def read(facts: AssignmentFacts, rules: ReportingRules, as_of: datetime) -> Reading:
    """The assignment as it reads at `as_of` (see `Reading`)."""
    return Reading(facts, rules, as_of)


def latest_percent(facts: AssignmentFacts, rules: ReportingRules, as_of: datetime) -> int | None:
    """The progress the unit last reported by `as_of` (see `Reading.current`); None before any report."""
    return read(facts, rules, as_of).percent


def latest_indicator_value(
    facts: AssignmentFacts, name: str, rules: ReportingRules, as_of: datetime
) -> Decimal | None:
    """The last value reported for indicator `name` by `as_of`; None if none."""
    return read(facts, rules, as_of).indicator_value(name)


def done_since(facts: AssignmentFacts, rules: ReportingRules, as_of: datetime) -> datetime | None:
    """When the assignment became done, if it is done as of `as_of` (see `Reading.done_since`)."""
    return read(facts, rules, as_of).done_since()


def is_done(facts: AssignmentFacts, rules: ReportingRules, as_of: datetime) -> bool:
    """Whether the assignment is done as of `as_of` (see `Reading.done_since`)."""
    return done_since(facts, rules, as_of) is not None


def deadline_in_force(facts: AssignmentFacts, as_of: datetime) -> date | None:
    """The completion deadline at `as_of`: the approved extension's new deadline, else the printed one
    (see `Reading.deadline_extension`)."""
    extension = _latest_approved([e for e in facts.extensions if not e.periods and e.decided_at <= as_of])
    return facts.deadline if extension is None else extension.new_deadline
