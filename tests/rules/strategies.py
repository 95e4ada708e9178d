"""Hypothesis strategies for the rules' facts: about a year (2024) of reports, decisions and findings.

Moments cluster around the boundaries the rules care about (23:59 and 00:00), so the properties meet
them often. Strategies are built once at module level and composites draw offsets from them: building
a fresh strategy inside every draw makes generation several times slower.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from hypothesis import strategies as st

from tracker.rules.periods import TZ, Period
from tracker.rules.values import (
    AssignmentFacts,
    Confirmation,
    ExtensionDecision,
    Finding,
    IndicatorSpec,
    IndicatorValue,
    Milestone,
    Recurring,
    Reopening,
    ReportingRules,
    Revision,
    Role,
    Unit,
)

UNITS = (
    Unit("中共安康市委组织部", "市委组织部"),
    Unit("安康市财政局", "市财政局"),
    Unit("安康市发展和改革委员会", "市发改委"),
)
CODES = ("1.1", "1.2", "2.3")
TOILETS = "改建卫生厕所"
FIRST_DAY = date(2023, 12, 1)

days = st.integers(0, 426).map(lambda n: FIRST_DAY + timedelta(days=n))
periods = st.integers(1, 12).map(lambda month: Period(2024, month))
# Seconds into a day: 00:00, 10:00, 23:59:00, 23:59:59.999999, or any second.
seconds_of_day = st.sampled_from([0.0, 36_000.0, 86_340.0, 86_399.999999]) | st.integers(0, 86_399).map(float)
moments = st.builds(
    lambda day, seconds: datetime.combine(day, time(), TZ) + timedelta(seconds=seconds), days, seconds_of_day
)
# Offsets in milliseconds, strictly positive: up to 30 and up to 120 days.
within_30_days = st.integers(1, 30 * 86_400_000)
within_120_days = st.integers(1, 120 * 86_400_000)
count_0_1 = st.integers(0, 1)
count_0_2 = st.integers(0, 2)
toilet_values = st.none() | st.integers(0, 3000)
percents = st.integers(0, 100)
finding_ids = st.integers(1, 10_000)


def _later(draw, start: datetime, offsets=within_120_days) -> datetime:
    return start + timedelta(milliseconds=draw(offsets))


def _maybe_later(draw, start: datetime) -> datetime | None:
    return _later(draw, start, within_30_days) if draw(st.booleans()) else None


@st.composite
def revisions(draw, after: datetime | None = None) -> Revision:
    """A revision at any moment, or strictly after `after`."""
    recorded = draw(moments) if after is None else _later(draw, after)
    value = draw(toilet_values)
    return Revision(
        recorded_at=recorded,
        period=draw(periods),
        percent=draw(percents),
        complete=draw(st.booleans()),
        indicator_values=() if value is None else (IndicatorValue(TOILETS, value),),
        signed_off_at=_maybe_later(draw, recorded),
        returned_at=_maybe_later(draw, recorded) if draw(count_0_2) == 0 else None,
    )


@st.composite
def extensions(draw, after: datetime | None = None) -> ExtensionDecision:
    decided = draw(moments) if after is None else _later(draw, after)
    covered = sorted({draw(periods) for _ in range(draw(count_0_2))})
    return ExtensionDecision(
        decided - timedelta(days=2), decided, draw(st.booleans()), draw(days), tuple(covered)
    )


@st.composite
def findings(draw, unit: Unit, code: str, after: datetime | None = None, ids=finding_ids) -> Finding:
    opened = draw(moments) if after is None else _later(draw, after)
    return Finding(
        id=draw(ids),
        unit=unit.name,
        title="台账不全",
        opened_at=opened,
        deadline=draw(days),
        measure_code=code,
        closed_at=tuple(_later(draw, opened) for _ in range(draw(count_0_2))),
        reopened_at=tuple(_later(draw, opened) for _ in range(draw(count_0_1))),
    )


@st.composite
def indicator_specs(draw) -> IndicatorSpec:
    milestones = tuple(Milestone(draw(days), draw(st.integers(0, 2600))) for _ in range(draw(count_0_2)))
    return IndicatorSpec(TOILETS, "座", 2600, milestones=milestones)


def _many(draw, strategy, most: int) -> tuple:
    return tuple(draw(strategy) for _ in range(draw(st.integers(0, most))))


@st.composite
def assignment_facts(
    draw, id: int = 1, unit: Unit | None = None, code: str | None = None, role: Role | None = None
):
    unit = unit or draw(st.sampled_from(UNITS))
    code = code or draw(st.sampled_from(CODES))
    return AssignmentFacts(
        id=id,
        unit=unit,
        measure_code=code,
        role=role or draw(st.sampled_from(Role)),
        start=FIRST_DAY + timedelta(days=draw(st.integers(0, 274))),
        deadline=draw(st.none() | days),
        recurring=Recurring.MONTHLY if draw(count_0_2) == 0 else None,
        indicators=_many(draw, indicator_specs(), 1),
        revisions=_many(draw, revisions(), 6),
        extensions=_many(draw, extensions(), 2),
        findings=_many(draw, findings(unit, code), 2),
        confirmations=tuple(Confirmation(draw(moments)) for _ in range(draw(count_0_2))),
        reopenings=tuple(Reopening(draw(moments)) for _ in range(draw(count_0_1))),
    )


@st.composite
def plans(draw, max_size: int = 5) -> list[AssignmentFacts]:
    """A few assignments with distinct ids; measures often share units and leads."""
    return [draw(assignment_facts(id=number)) for number in range(draw(st.integers(1, max_size)))]


reporting_rules = st.builds(
    ReportingRules,
    due_day=st.sampled_from([1, 10, 25, 28, 29, 30, 31]),
    cutoff_day=st.none() | st.sampled_from([20, 28, 31]),
    holiday_shift=st.booleans(),
    signoff=st.booleans(),
)


@st.composite
def recorded_after(draw, facts: AssignmentFacts, cutoff: datetime) -> AssignmentFacts:
    """`facts` plus things recorded strictly after `cutoff`: new reports, sign-offs and returns of
    old ones, decisions, findings, closes and reopens, confirmations and reopenings."""
    old_revisions = tuple(
        replace(
            revision,
            signed_off_at=revision.signed_off_at or (_later(draw, cutoff) if draw(st.booleans()) else None),
            returned_at=revision.returned_at or (_later(draw, cutoff) if draw(st.booleans()) else None),
        )
        for revision in facts.revisions
    )
    old_findings = tuple(
        replace(
            finding,
            closed_at=finding.closed_at + tuple(_later(draw, cutoff) for _ in range(draw(count_0_1))),
            reopened_at=finding.reopened_at + tuple(_later(draw, cutoff) for _ in range(draw(count_0_1))),
        )
        for finding in facts.findings
    )
    new_findings = findings(facts.unit, facts.measure_code, after=cutoff, ids=st.integers(20_000, 30_000))
    return replace(
        facts,
        revisions=old_revisions + _many(draw, revisions(after=cutoff), 3),
        extensions=facts.extensions + _many(draw, extensions(after=cutoff), 2),
        findings=old_findings + _many(draw, new_findings, 2),
        confirmations=facts.confirmations
        + tuple(Confirmation(_later(draw, cutoff)) for _ in range(draw(count_0_1))),
        reopenings=facts.reopenings + tuple(Reopening(_later(draw, cutoff)) for _ in range(draw(count_0_1))),
    )


@st.composite
def settling(draw, facts: AssignmentFacts) -> AssignmentFacts:
    """`facts` plus a complete report and the office's confirmation after it, so that the assignment
    is often done; a reopening may follow."""
    complete_at = draw(moments)
    confirmed_at = _later(draw, complete_at, within_30_days)
    complete = Revision(
        complete_at, Period(complete_at.year, complete_at.month), 100, True, signed_off_at=complete_at
    )
    return replace(
        facts,
        revisions=facts.revisions + (complete,),
        confirmations=facts.confirmations + (Confirmation(confirmed_at),),
        reopenings=facts.reopenings
        + tuple(Reopening(_later(draw, confirmed_at)) for _ in range(draw(count_0_1))),
    )


@st.composite
def two_moments(draw, around: tuple[AssignmentFacts, ...]) -> tuple[datetime, datetime]:
    """Two moments in order, the first often shortly after one of the confirmations in `around`."""
    confirmations = [c.recorded_at for facts in around for c in facts.confirmations]
    if confirmations and draw(st.booleans()):
        first = _later(draw, draw(st.sampled_from(confirmations)), within_30_days)
    else:
        first = draw(moments)
    return first, _later(draw, first)
