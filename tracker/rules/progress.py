"""What an assignment's record says as of a moment: its submitted reports, latest progress and indicator
values, whether it is done, and the deadlines in force after approved extensions.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tracker.rules.periods import Period
from tracker.rules.values import AssignmentFacts, ExtensionDecision, ReportingRules, Revision


def submitted_revisions(
    facts: AssignmentFacts, rules: ReportingRules, as_of: datetime
) -> list[tuple[datetime, Revision]]:
    """The revisions that count as submitted by `as_of`, with their submission moment, oldest first.

    A revision counts from the moment it was recorded, or, when the plan requires sign-off, from the
    moment it was signed off; an unsigned revision does not count at all. Returned revisions are
    included: a return asks for a fix but does not undo the fact that the unit reported.
    """
    found = []
    for position, revision in enumerate(facts.revisions):
        moment = revision.submitted_at(rules)
        if moment is not None and moment <= as_of and revision.recorded_at <= as_of:
            found.append((moment, revision.recorded_at, position, revision))
    found.sort(key=lambda item: item[:3])
    return [(moment, revision) for moment, _, _, revision in found]


def current_revision(facts: AssignmentFacts, rules: ReportingRules, as_of: datetime) -> Revision | None:
    """The latest submitted revision not returned by `as_of`: what the unit's report says now.

    Ties on the submission moment go to the later recorded revision, then to the later one in the
    record. A revision the office returned stops counting from the moment it was returned.
    """
    for _, revision in reversed(submitted_revisions(facts, rules, as_of)):
        if not revision.returned_by(as_of):
            return revision
    return None


def latest_percent(facts: AssignmentFacts, rules: ReportingRules, as_of: datetime) -> int | None:
    """The progress the unit last reported (see `current_revision`); None before any report."""
    revision = current_revision(facts, rules, as_of)
    return None if revision is None else revision.percent


def latest_indicator_value(
    facts: AssignmentFacts, name: str, rules: ReportingRules, as_of: datetime
) -> Decimal | None:
    """The last value reported for indicator `name` in a submitted, not returned revision; None if none."""
    for _, revision in reversed(submitted_revisions(facts, rules, as_of)):
        value = revision.indicator(name)
        if value is not None and not revision.returned_by(as_of):
            return value.value
    return None


def done_since(facts: AssignmentFacts, rules: ReportingRules, as_of: datetime) -> datetime | None:
    """When the assignment became done, if it is done as of `as_of`; else None.

    Done means: the office recorded a confirmation, before which the unit had submitted a revision
    marked complete that was not returned by then, and the office recorded no reopening since that
    confirmation (a reopening at the same instant counts as after it). Later reports, findings or
    returns never undo a confirmation; only a reopening does.
    """
    complete = [
        (moment, revision)
        for moment, revision in submitted_revisions(facts, rules, as_of)
        if revision.complete
    ]
    valid = [
        confirmation.recorded_at
        for confirmation in facts.confirmations
        if confirmation.recorded_at <= as_of
        and any(
            moment <= confirmation.recorded_at and not revision.returned_by(confirmation.recorded_at)
            for moment, revision in complete
        )
    ]
    if not valid:
        return None
    since = max(valid)
    if any(since <= reopening.recorded_at <= as_of for reopening in facts.reopenings):
        return None
    return since


def is_done(facts: AssignmentFacts, rules: ReportingRules, as_of: datetime) -> bool:
    """Whether the assignment is done as of `as_of` (see `done_since`)."""
    return done_since(facts, rules, as_of) is not None


def _latest_approved(decisions: list[ExtensionDecision]) -> ExtensionDecision | None:
    # The office's most recent approval wins; on the same instant, the later new deadline.
    approved = [d for d in decisions if d.approved]
    return max(approved, key=lambda d: (d.decided_at, d.new_deadline), default=None)


def deadline_extension(facts: AssignmentFacts, as_of: datetime) -> ExtensionDecision | None:
    """The approved extension of the completion deadline in force at `as_of`, if any.

    It is the approval (without periods) decided most recently by `as_of`; a refusal does not cancel
    an earlier approval.
    """
    return _latest_approved([e for e in facts.extensions if not e.periods and e.decided_at <= as_of])


def deadline_in_force(facts: AssignmentFacts, as_of: datetime) -> date | None:
    """The completion deadline at `as_of`: the approved extension's new deadline, else the printed one."""
    extension = deadline_extension(facts, as_of)
    return facts.deadline if extension is None else extension.new_deadline


def period_extension(facts: AssignmentFacts, period: Period, as_of: datetime) -> ExtensionDecision | None:
    """The approved extension of `period`'s report due day in force at `as_of`, if any.

    It is the approval naming `period` decided most recently by `as_of`.
    """
    return _latest_approved([e for e in facts.extensions if period in e.periods and e.decided_at <= as_of])
