"""From the store to the rules: everything recorded about a plan's assignments, as frozen facts.

A fixed number of queries whatever the plan's size (one per kind of record), each already cut at
the moment asked for, so a board reads only what was recorded up to its cut-off. The rules in
`tracker.rules` do the rest, without the database.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from peewee import JOIN, SQL, fn

from tracker.rules import values as rv
from tracker.rules.milestones import derived_milestones
from tracker.rules.periods import ReportPeriod, covering_texts, parse_period, period_of, periods_between
from tracker.rules.rollup import member_spec, rolls_up
from tracker.runtime import batch
from tracker.store.db import db
from tracker.store.models import (
    Assignment,
    Completion,
    ExtensionRequest,
    Finding,
    FindingEvent,
    Indicator,
    Measure,
    Milestone,
    Plan,
    QualityRating,
    Report,
    ReportLedgerChange,
    ReportReturn,
    ReportRevision,
    ReportSignoff,
    Unit,
    stored_moment,
)


@dataclass(frozen=True)
class PlanFacts:
    """A plan's rules and the facts of every assignment that existed at `as_of`."""

    plan: Plan
    rules: rv.ReportingRules
    as_of: datetime
    assignments: tuple[rv.AssignmentFacts, ...]
    unit_findings: tuple[rv.Finding, ...]  # findings against a unit without a measure
    unit_ids: dict[str, int]  # unit full name → id, for links


def reporting_rules(plan: Plan) -> rv.ReportingRules:
    return rv.ReportingRules(
        due_day=plan.due_day,
        cutoff_day=plan.cutoff_day,
        holiday_shift=plan.holiday_shift,
        amber_days=plan.amber_days,
        signoff=plan.signoff,
        weights=score_weights(plan),
    )


def score_weights(plan: Plan) -> rv.ScoreWeights:
    """The plan's weights and red penalty (its file's `scoring` or the office's settings page), each
    missing one at DOMAIN.md's default."""
    scoring = plan.scoring or {}
    return rv.ScoreWeights(**{k: Decimal(str(v)) for k, v in scoring.items() if v is not None})


def reporting_start(plan: Plan):
    """The first day anything of the plan is chased, scored, ranked or published: its adoption day
    (reporting.start) when set, else its start."""
    return max(plan.start, plan.adopted) if plan.adopted else plan.start


def _json(value):
    # Tuple rows skip the model's converters for selected JSON text columns on some backends.
    return json.loads(value) if isinstance(value, str) else value


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


_ASSIGNMENT_COLUMNS = (
    Assignment.id,
    Assignment.measure,
    Assignment.unit,
    Assignment.role,
    Assignment.parent,
    Assignment.deadline,
    Assignment.shares,
    Measure.code,
    Measure.title,
    Measure.start,
    Measure.deadline,
    Measure.reconstructed,
    Measure.recurring,
    Measure.cadence,
    Unit.name,
    Unit.short,
    Unit.kind,
    Unit.tags,
)


def _raw(query) -> list[tuple]:
    """A query's rows as the driver gives them: a board's reads skip peewee's per-column converters
    (most of a board's read time), and `stored_moment`, `_date` and `_json` convert what is used."""
    return db.execute(query).fetchall()


def _date(value):
    # Tuple rows of a joined table's date column may arrive as text on SQLite.
    return date.fromisoformat(value) if isinstance(value, str) else value


@dataclass(frozen=True, slots=True)
class _UnitRow:
    id: int
    name: str
    short: str | None
    kind: str
    tags: list
    parent_name: str | None


@dataclass(frozen=True, slots=True)
class _MeasureRow:
    id: int
    code: str
    title: str
    start: date | None
    deadline: date | None
    reconstructed: bool
    recurring: str | None
    cadence: str | None = None  # its own reporting cadence; None = the plan's


@dataclass(frozen=True, slots=True)
class _AssignmentRow:
    """What the rules read of an assignment, its measure and its unit (one tuple of `gather`'s join)."""

    id: int
    measure_id: int
    unit_id: int
    role: str
    parent_id: int | None
    deadline: date | None
    shares: dict
    measure: _MeasureRow
    unit: _UnitRow

    @classmethod
    def of(cls, row: tuple) -> _AssignmentRow:
        a_id, m_id, u_id, role, parent_id, deadline, shares, code, title, start, m_deadline = row[:11]
        reconstructed, recurring, cadence, name, short, kind, tags, parent_name = row[11:]
        return cls(
            a_id,
            m_id,
            u_id,
            role,
            parent_id,
            _date(deadline),
            _json(shares),
            _MeasureRow(
                m_id, code, title, _date(start), _date(m_deadline), bool(reconstructed), recurring, cadence
            ),
            _UnitRow(u_id, name, short, kind, _json(tags), parent_name),
        )


@batch  # hundreds of thousands of short-lived rows: fewer collections while they are made
def gather(
    plan: Plan,
    as_of: datetime,
    unit_id: int | None = None,
    periods: Iterable[ReportPeriod] | None = None,
    units: frozenset[int] | None = None,
    *,
    from_revisions: bool = False,
) -> PlanFacts:
    """Facts of `plan` as recorded up to `as_of` (for one unit's assignments when `unit_id` is given;
    for a level's office, `units` from its `Scope`: only those units' assignments).

    With `periods`, only the revisions a board of those periods reads are fetched, from the report
    ledger (`_from_ledger`); the board is the same as one read from every revision, and as one read
    from the revisions themselves (`from_revisions`; the ledger's property test compares them).
    """
    # Plans are often loaded after the months they cover, so what counts is whether a reload had
    # archived an assignment or measure by `as_of`, not when it was first stored.
    existed = Assignment.archived_at.is_null() | (Assignment.archived_at > as_of)
    measure_existed = Measure.archived_at.is_null() | (Measure.archived_at > as_of)
    in_plan = (Measure.plan == plan.id) & measure_existed & existed
    if unit_id is not None:
        # A unit's own assignments, plus the other units' on measures where its values roll up from
        # theirs (it leads, or it split its assignment): its indicators read their reports.
        rolled = Indicator.select(Indicator.measure).where(
            Indicator.archived_at.is_null(), Indicator.rollup.in_(("sum", "mean", "min", "max"))
        )
        mine = Assignment.select(Assignment.measure).where(
            Assignment.unit == unit_id,
            Assignment.measure.in_(rolled),
            (Assignment.role == "lead")
            | Assignment.id.in_(Assignment.select(Assignment.parent).where(Assignment.parent.is_null(False))),
        )
        in_plan &= (Assignment.unit == unit_id) | Assignment.measure.in_(mine)
    if units is not None:
        in_plan &= Assignment.unit.in_(sorted(units) or [0])

    # The unit's parent comes in the same statement (a self-join), so a board's query count stays
    # the same whether or not the plan's units sit in levels. Only the columns the rules read, as
    # tuples: building model instances was a fifth of a board's time (issue 17).
    Parent = Unit.alias("parent_unit")
    rows = [
        _AssignmentRow.of(row)
        for row in _raw(
            Assignment.select(*_ASSIGNMENT_COLUMNS, Parent.name)
            .join(Measure)
            .switch(Assignment)
            .join(Unit, on=(Assignment.unit == Unit.id))
            .join(Parent, JOIN.LEFT_OUTER, on=(Unit.parent == Parent.id))
            .where(in_plan)
            .order_by(Assignment.id)
        )
    ]
    measure_ids = sorted({a.measure_id for a in rows})

    def of_plan_assignments(query, assignment_field):
        return _of_plan_assignments(query, assignment_field, in_plan)

    # With `periods`, a board's read: from the ledger, except under sign-off, where every signed
    # revision counts and the revisions themselves are read.
    if periods is not None and not plan.signoff and not from_revisions:
        records = _from_ledger(in_plan, as_of, periods)
    else:
        records = _from_revisions(plan, in_plan, as_of, periods)

    indicators = defaultdict(list)
    indicator_names: dict[int, dict[str, str]] = defaultdict(dict)
    if measure_ids:
        # Indicators with their milestones in one statement (a milestone-less indicator: one row of NULLs).
        rows_of_indicators = (
            Indicator.select(
                Indicator.id,
                Indicator.measure,
                Indicator.code,
                Indicator.name,
                Indicator.unit,
                Indicator.target,
                Indicator.cumulative,
                Indicator.kind,
                Indicator.direction,
                Indicator.rollup,
                Indicator.shares,
                Milestone.date,
                Milestone.value,
                # What a milestone derived from the end target needs (see `derived_for`).
                Indicator.baseline,
                Measure.start,
                Measure.deadline,
                Measure.cadence,
            )
            .join(Measure)
            .switch(Indicator)
            .join(
                Milestone,
                JOIN.LEFT_OUTER,
                on=((Milestone.indicator == Indicator.id) & Milestone.archived_at.is_null()),
            )
            .where(Measure.plan == plan.id, Indicator.archived_at.is_null())
            .order_by(Indicator.position, Indicator.id, Milestone.id)
            .tuples()
        )
        grouped: dict[int, list] = {}
        for row in rows_of_indicators:
            entry = grouped.setdefault(row[0], [row, []])
            if row[11] is not None:
                entry[1].append(rv.Milestone(_date(row[11]), Decimal(str(row[12]))))
        for row, marks in grouped.values():
            i_id, measure_id, code, name, unit, target, cumulative, kind, direction, rollup, shares = row[:11]
            indicator_names[measure_id][code] = name
            if not marks and target is not None:
                baseline, m_start, m_deadline, m_cadence = row[13:]
                marks = derived(
                    plan, target, baseline, direction, kind, _date(m_start), _date(m_deadline), m_cadence
                )
            indicators[measure_id].append(
                (
                    code,
                    _json(shares) or {},
                    rv.IndicatorSpec(
                        name=name,
                        unit=unit,
                        target=None if target is None else Decimal(str(target)),
                        cumulative=bool(cumulative),
                        milestones=tuple(marks),
                        kind=kind or "amount",
                        direction=direction or "up",
                        rollup=rollup or "none",
                    ),
                )
            )

    revisions = _revisions(records, {a.id: a.measure_id for a in rows}, indicator_names)

    extensions = defaultdict(list)
    for e in of_plan_assignments(ExtensionRequest.select(), ExtensionRequest.assignment).where(
        ExtensionRequest.decided_at.is_null(False), ExtensionRequest.decided_at <= as_of
    ):
        extensions[e.assignment_id].append(
            rv.ExtensionDecision(
                requested_at=e.requested_at,
                decided_at=e.decided_at,
                approved=e.decision == "approved",
                new_deadline=e.new_deadline or e.requested_deadline,
                reason=e.decision_reason,
            )
        )

    confirmations, reopenings = defaultdict(list), defaultdict(list)
    for c in of_plan_assignments(Completion.select(), Completion.assignment).where(Completion.at <= as_of):
        if c.kind == "confirm":
            confirmations[c.assignment_id].append(rv.Confirmation(c.at))
        else:
            reopenings[c.assignment_id].append(rv.Reopening(c.at, c.reason))

    findings_by_key, unit_findings = _findings(plan, as_of, unit_id)

    own = {}
    unit_ids = {}
    by_id = {a.id: a for a in rows}
    for a in rows:
        m, u = a.measure, a.unit
        unit_ids[u.name] = u.id
        # Nothing before adoption is due: a plan loaded mid-span never shows a false history.
        start = max(reporting_start(plan), m.start) if m.start else reporting_start(plan)
        own[a.id] = rv.AssignmentFacts(
            id=a.id,
            unit=rv.Unit(u.name, u.short or "", u.kind, _parent_name(u), tuple(u.tags or ())),
            measure_code=m.code,
            role=rv.Role(a.role),
            start=start,
            work_start=max(plan.start, m.start) if m.start else plan.start,
            deadline_reconstructed=bool(m.reconstructed) and not a.deadline,
            deadline=a.deadline or m.deadline,  # a split child's own, never later than its parent's
            recurring=rv.Recurring(m.recurring) if m.recurring else None,
            cadence=m.cadence or plan.cadence or "monthly",
            measure_title=m.title,
            indicators=_specs_of(a, by_id, indicators.get(m.id, ())),
            revisions=tuple(revisions.get(a.id, ())),
            extensions=tuple(extensions.get(a.id, ())),
            findings=tuple(findings_by_key.get((u.id, m.id), ())),
            confirmations=tuple(confirmations.get(a.id, ())),
            reopenings=tuple(reopenings.get(a.id, ())),
        )
    rolling = {m_id for m_id, specs in indicators.items() if any(rolls_up(spec) for _, _, spec in specs)}
    facts = _with_members(rows, own, rolling)
    if unit_id is not None:
        facts = [f for f, a in zip(facts, rows, strict=True) if a.unit_id == unit_id]
    return PlanFacts(plan, reporting_rules(plan), as_of, tuple(facts), tuple(unit_findings), unit_ids)


@dataclass(frozen=True, slots=True)
class _Recorded:
    """One revision as a board reads it: its report's assignment and period, its facts, and its first
    return (at, reason) and first sign-off made by the moment read."""

    id: int
    assignment: int
    period: str
    recorded_at: datetime
    percent: int | None
    complete: bool
    indicator_values: object  # JSON as the driver gave it (text or a value)
    indicator_notes: object
    returned: tuple[datetime, str] | None = None
    signed_off_at: datetime | None = None


def _of_plan_assignments(query, assignment_field, in_plan):
    # A join, not a list of ids: the query stays one statement whatever the plan's size.
    return query.join(Assignment, on=(assignment_field == Assignment.id)).join(Measure).where(in_plan)


_REVISION_COLUMNS = (
    ReportRevision.id,
    Report.assignment,
    Report.period,
    ReportRevision.recorded_at,
    ReportRevision.percent,
    ReportRevision.complete,
    ReportRevision.indicator_values,
    ReportRevision.indicator_notes,
    ReportReturn.at.alias("returned_at"),
    ReportReturn.reason.alias("returned_reason"),
)


def _with_returns(query, as_of: datetime):
    # The office's returns of each revision by `as_of` come in the same statement (a row each).
    return query.switch(ReportRevision).join(
        ReportReturn,
        JOIN.LEFT_OUTER,
        on=((ReportReturn.revision == ReportRevision.id) & (ReportReturn.at <= as_of)),
    )


def _latest_earlier_reports(in_plan, as_of: datetime, months):
    """Each assignment's latest report of a period before `months` (assignment, period): the progress
    of a unit that did not report in the months read."""
    return (
        _of_plan_assignments(
            Report.select(Report.assignment, fn.MAX(Report.period).alias("period")),
            Report.assignment,
            in_plan,
        )
        .where(Report.created_at <= as_of, _earlier_than(months[0].first_day))
        .group_by(Report.assignment)
    )


def _of_latest_earlier(query, latest):
    """`query`'s reports narrowed to the reports `latest` (`_latest_earlier_reports`) names."""
    return query.join(
        latest, on=((latest.c.assignment_id == Report.assignment) & (latest.c.period == Report.period))
    )


def _recorded(rows, signed: dict | None = None) -> list[_Recorded]:
    """Revision rows with their returns (a row per return) as `_Recorded`, each revision once: a
    revision returned twice came twice, and its first return counts."""
    out: dict[int, _Recorded] = {}
    for rev_id, a_id, period, at, percent, complete, values, notes, returned_at, reason in rows:
        returned = None if returned_at is None else (stored_moment(returned_at), reason)
        known = out.get(rev_id)
        if known is not None:
            if returned is not None and (known.returned is None or returned[0] < known.returned[0]):
                out[rev_id] = replace(known, returned=returned)
            continue
        out[rev_id] = _Recorded(
            rev_id,
            a_id,
            period,
            stored_moment(at),
            percent,
            bool(complete),
            values,
            notes,
            returned,
            (signed or {}).get(rev_id),
        )
    return list(out.values())


def _from_revisions(plan: Plan, in_plan, as_of: datetime, periods) -> list[_Recorded]:
    """The revisions a board reads, from the revisions themselves: every one recorded by `as_of`, or
    with `periods`, those a board of those periods reads (see `gather`). Plans under sign-off read this
    way, since every signed revision counts; the others read the ledger (`_from_ledger`)."""
    recorded = _with_returns(
        _of_plan_assignments(
            ReportRevision.select(*_REVISION_COLUMNS).join(Report), Report.assignment, in_plan
        ),
        as_of,
    ).where(ReportRevision.recorded_at <= as_of)
    if periods is None:
        rows = recorded.tuples()
    else:
        # Per report, the first revision (when it was submitted), the first marked complete (what a
        # confirmation of completion rests on) and the last (what it says now); a
        # report the office returned keeps every revision, since a return makes an earlier one
        # current again; under sign-off every revision counts. Plus each assignment's latest earlier
        # report, for the progress of a unit that did not report in these periods and for whether a
        # report of a longer period (a quarter's) that fell due before them came on time.
        months = sorted({month for p in periods for month in p.periods})
        other = ReportRevision.alias()
        returned_revision = ReportRevision.alias()

        def bound(aggregate, *also):
            return other.select(aggregate(other.number)).where(
                other.report == ReportRevision.report, other.recorded_at <= as_of, *also
            )

        was_returned = fn.EXISTS(
            ReportReturn.select(ReportReturn.id)
            .join(returned_revision, on=(ReportReturn.revision == returned_revision.id))
            .where(returned_revision.report == ReportRevision.report)
        )
        last = ReportRevision.number == bound(fn.MAX)
        first = ReportRevision.number == bound(fn.MIN)
        first_complete = ReportRevision.number == bound(fn.MIN, other.complete == True)  # noqa: E712
        essential = None if plan.signoff else (first | first_complete | last | was_returned)
        in_periods = recorded.where(Report.period.in_(covering_texts(months)))
        if essential is not None:
            in_periods = in_periods.where(essential)
        latest = _latest_earlier_reports(in_plan, as_of, months)
        earlier = _with_returns(
            _of_plan_assignments(
                _of_latest_earlier(ReportRevision.select(*_REVISION_COLUMNS).join(Report), latest),
                Report.assignment,
                in_plan,
            ),
            as_of,
        ).where(ReportRevision.recorded_at <= as_of)
        if not plan.signoff:
            # Its first revision too: a quarter's report is judged on time or late by it on the
            # boards of the months after its quarter.
            earlier = earlier.where(first | first_complete | last | was_returned)
        # The two sets never overlap (other periods): one statement for both.
        rows = (in_periods + earlier).tuples()
    signed = {}
    if plan.signoff:
        for revision_id, at in (
            _of_plan_assignments(
                ReportSignoff.select(ReportSignoff.revision, ReportSignoff.at)
                .join(ReportRevision)
                .join(Report),
                Report.assignment,
                in_plan,
            )
            .where(ReportSignoff.at <= as_of)
            .order_by(ReportSignoff.at)
            .tuples()
        ):
            signed.setdefault(revision_id, stored_moment(at))
    return _recorded(rows, signed)


# A union branch's columns for a revision it does not have (typed, see `_from_ledger`).
_NO_REVISION = (
    SQL("CAST(NULL AS INTEGER)"),
    SQL("CAST(NULL AS TIMESTAMP)"),
    SQL("CAST(NULL AS INTEGER)"),
    SQL("CAST(NULL AS BOOLEAN)"),
    SQL("CAST(NULL AS TEXT)"),
    SQL("CAST(NULL AS TEXT)"),
)


def _from_ledger(in_plan, as_of: datetime, periods) -> list[_Recorded]:
    """The revisions a board of `periods` reads (those `_from_revisions` gives), from the report
    ledger: per report, its ledger row as of `as_of` (one index seek among its change rows, however
    long its history) names the latest revision with its facts, the first one and the first marked
    complete (what a confirmation of completion rests on), joined by id. A
    report the office ever returned reads every revision instead, since a return makes an earlier one
    current again (returns are few). One statement whatever the plan's size or history; the board is
    the one read from the revisions (the ledger's property test holds this)."""
    months = sorted({month for p in periods for month in p.periods})
    wanted = covering_texts(months)
    change = ReportLedgerChange.alias("change")
    first, done = ReportRevision.alias("first_revision"), ReportRevision.alias("complete_revision")
    as_of_then = (
        ReportLedgerChange.select(ReportLedgerChange.id)
        .where(ReportLedgerChange.report_id == Report.id, ReportLedgerChange.at <= as_of)
        .order_by(ReportLedgerChange.at.desc(), ReportLedgerChange.id.desc())
        .limit(1)
    )
    returned_reports = ReportRevision.select(ReportRevision.report).join(
        ReportReturn, on=(ReportReturn.revision == ReportRevision.id)
    )
    # Read once for both branches that need it (a common table expression).
    latest = _latest_earlier_reports(in_plan, as_of, months).cte("earlier_report")

    def earlier_only(query):
        return _of_latest_earlier(query, latest)

    # The branches of one UNION ALL, told apart by their first column (0: a ledger row, 1: one of
    # every revision of a returned report); typed NULLs where a branch has nothing, since PostgreSQL
    # types a union's columns branch by branch.
    def ledger_rows(reports):
        return (
            _of_plan_assignments(
                reports(
                    Report.select(
                        SQL("0"),
                        Report.assignment,
                        Report.period,
                        change.revision_id,
                        change.latest_at,
                        change.percent,
                        change.complete,
                        change.indicator_values,
                        change.indicator_notes,
                        first.id,
                        first.recorded_at,
                        first.percent,
                        first.complete,
                        first.indicator_values,
                        first.indicator_notes,
                        done.id,
                        done.recorded_at,
                        done.percent,
                        done.complete,
                        done.indicator_values,
                        done.indicator_notes,
                        SQL("CAST(NULL AS TIMESTAMP)"),
                        SQL("CAST(NULL AS TEXT)"),
                    )
                ),
                Report.assignment,
                in_plan,
            )
            .switch(Report)
            .join(change, on=(change.id == as_of_then))
            .join(first, JOIN.LEFT_OUTER, on=(first.id == change.first_revision_id))
            .join(done, JOIN.LEFT_OUTER, on=(done.id == change.first_complete_id))
            .where(Report.id.not_in(returned_reports))
        )

    def returned_rows(reports):
        return _with_returns(
            _of_plan_assignments(
                reports(
                    ReportRevision.select(
                        SQL("1"),
                        Report.assignment,
                        Report.period,
                        ReportRevision.id,
                        ReportRevision.recorded_at,
                        ReportRevision.percent,
                        ReportRevision.complete,
                        ReportRevision.indicator_values,
                        ReportRevision.indicator_notes,
                        *_NO_REVISION,
                        *_NO_REVISION,
                        ReportReturn.at,
                        ReportReturn.reason,
                    ).join(Report)
                ),
                Report.assignment,
                in_plan,
            ),
            as_of,
        ).where(Report.id.in_(returned_reports), ReportRevision.recorded_at <= as_of)

    branches = (
        ledger_rows(lambda q: q.where(Report.period.in_(wanted))),
        ledger_rows(earlier_only),
        returned_rows(lambda q: q.where(Report.period.in_(wanted))),
        returned_rows(earlier_only),
    )
    union = branches[0]
    for branch in branches[1:]:
        union = union + branch
    out, revision_rows = [], []
    for row in _raw(union.with_cte(latest)):
        kind, a_id, period = row[:3]
        if kind == 1:
            revision_rows.append((row[3], a_id, period, *row[4:9], *row[21:]))
            continue
        # The latest revision, the first and the first marked complete: each once.
        seen = set()
        for start in (3, 9, 15):
            rev_id, at, percent, complete, values, notes = row[start : start + 6]
            if rev_id is not None and rev_id not in seen and stored_moment(at) <= as_of:
                seen.add(rev_id)
                out.append(
                    _Recorded(rev_id, a_id, period, stored_moment(at), percent, bool(complete), values, notes)
                )
    return out + _recorded(revision_rows)


def _revisions(
    records: list[_Recorded], measure_of: dict[int, int], indicator_names: dict[int, dict[str, str]]
) -> dict[int, list[rv.Revision]]:
    """Each assignment's revisions for the rules, oldest first (ties in the order they were saved);
    indicator values only for the measure's indicators, read as numbers."""
    revisions: dict[int, list[rv.Revision]] = defaultdict(list)
    periods: dict[str, ReportPeriod] = {}
    # Many revisions carry the same values and notes: each text is read once per measure.
    read_values: dict[tuple, tuple[rv.IndicatorValue, ...]] = {}
    for rec in sorted(records, key=lambda r: (r.recorded_at, r.id)):
        measure = measure_of.get(rec.assignment)
        key = (measure, _text_key(rec.indicator_values), _text_key(rec.indicator_notes))
        values = read_values.get(key)
        if values is None:
            values = read_values[key] = _indicator_values(
                rec.indicator_values, rec.indicator_notes, indicator_names.get(measure, {})
            )
        period = periods.get(rec.period)
        if period is None:
            period = periods[rec.period] = parse_period(rec.period)
        returned = rec.returned
        revisions[rec.assignment].append(
            rv.Revision(
                recorded_at=rec.recorded_at,
                period=period,
                percent=max(0, min(100, rec.percent or 0)),
                complete=rec.complete,
                indicator_values=values,
                signed_off_at=rec.signed_off_at,
                returned_at=returned[0] if returned else None,
                returned_reason=returned[1] if returned else "",
            )
        )
    return revisions


def _text_key(value):
    # JSON comes as text from most drivers; a parsed value (dict) is keyed by its canonical text.
    return value if isinstance(value, str) or value is None else json.dumps(value, sort_keys=True)


def _indicator_values(values, notes, names: dict[str, str]) -> tuple[rv.IndicatorValue, ...]:
    out = []
    notes = None if notes is None else _json(notes)
    for code, value in sorted((_json(values) or {}).items()):
        number = _decimal(value)
        if number is not None and code in names:
            out.append(rv.IndicatorValue(names[code], number, note=(notes or {}).get(code, "")))
    return tuple(out)


def derived_for(plan: Plan, indicator: Indicator) -> tuple[rv.Milestone, ...]:
    """Milestones for an indicator the plan file gives only an end target (see `derived`)."""
    m = indicator.measure
    return derived(
        plan,
        indicator.target,
        indicator.baseline,
        indicator.direction,
        indicator.kind,
        m.start,
        m.deadline,
        m.cadence,
    )


def derived(
    plan: Plan, target, baseline, direction, kind, start: date | None, deadline: date | None, cadence
) -> tuple[rv.Milestone, ...]:
    """Milestones for an indicator the plan file gives only an end target: linear from its baseline
    from the day the measure's work began to its deadline (the plan's end for a 长期 measure), one at
    the end of each of its report periods (see `rules.milestones`)."""
    begin = max(plan.start, start) if start else plan.start
    end = deadline or plan.end
    ends = [p.last_day for p in periods_between(cadence or plan.cadence or "monthly", begin, end)]
    return derived_milestones(
        Decimal(str(target)),
        Decimal(str(baseline or 0)),
        rv.Direction(direction or "up"),
        rv.IndicatorKind(kind or "amount"),
        begin,
        end,
        ends,
    )


# How each cadence's period text is told apart in SQL: its length, and for 2024Q2 / 2024H1 a letter.
_FORMS = {
    "monthly": (7, None),
    "weekly": (8, None),
    "quarterly": (6, "Q"),
    "half-yearly": (6, "H"),
    "yearly": (4, None),
}


def _earlier_than(day: date):
    """Report periods that end before the period `day` falls in, in each cadence: a period's text
    sorts in time order only among texts of its own form (2024-05 < 2024-06, 2024Q1 < 2024Q2)."""
    condition = None
    for cadence, (length, letter) in _FORMS.items():
        form = fn.LENGTH(Report.period) == length
        if letter:
            form &= fn.SUBSTR(Report.period, 5, 1) == letter
        term = form & (Report.period < str(period_of(cadence, day)))
        condition = term if condition is None else condition | term
    return condition


def _parent_name(unit: _UnitRow) -> str | None:
    """The name of the unit above, read by the join in `gather` (never a query of its own)."""
    return unit.parent_name


def _specs_of(a: Assignment, by_id: dict, measure_specs) -> tuple[rv.IndicatorSpec, ...]:
    """The indicators assignment `a` is judged by: the whole for a lead; a member's share of it
    (from the plan's `shares`, or from the split that made it) for the others (see
    `rollup.member_spec`)."""
    out = []
    for code, shares, spec in measure_specs:
        if a.role == "lead" and a.parent_id is None:
            out.append(spec)
            continue
        chain, node = [], a
        while node is not None and node.parent_id is not None:
            chain.append(node)
            node = by_id.get(node.parent_id)
        top = node if node is not None else a
        judged = member_spec(
            spec,
            None if top.unit.name not in shares else Decimal(str(shares[top.unit.name])),
            bool(shares),
        )
        for child in reversed(chain):
            # Each split gives a part of the share above it.
            part = (child.shares or {}).get(code)
            judged = member_spec(judged, None if part is None else Decimal(str(part)), True)
        out.append(judged)
    return tuple(out)


def _with_members(
    rows: list, own: dict[int, rv.AssignmentFacts], rolling: set[int]
) -> list[rv.AssignmentFacts]:
    """Attach to each assignment the ones that roll up into it: a lead's are the measure's top-level
    responsible units, a split assignment's are its children; built bottom-up, so a town's facts
    carry its villages' when they reach the county."""
    children: dict[int, list[int]] = defaultdict(list)
    tops: dict[int, list[int]] = defaultdict(list)
    for a in rows:
        if a.parent_id is not None:
            children[a.parent_id].append(a.id)
        elif a.role == "responsible":
            tops[a.measure_id].append(a.id)
    done: dict[int, rv.AssignmentFacts] = {}

    def build(a_id: int, seen: frozenset) -> rv.AssignmentFacts:
        if a_id in done:
            return done[a_id]
        base = own[a_id]
        row = by_row[a_id]
        if row.measure_id not in rolling:
            done[a_id] = base
            return base
        kids = children.get(a_id) or (tops.get(row.measure_id, []) if row.role == "lead" else [])
        members = tuple(build(k, seen | {a_id}) for k in kids if k not in seen and k != a_id and k in own)
        done[a_id] = replace(base, members=members) if members else base
        return done[a_id]

    by_row = {a.id: a for a in rows}
    return [build(a.id, frozenset()) for a in rows]


def _findings(plan: Plan, as_of: datetime, unit_id: int | None):
    """Findings recorded by `as_of`: those on a measure keyed by (unit, measure), the rest by unit."""
    # Findings with their closing and reopening events in one statement (one row per event).
    query = (
        Finding.select(
            Finding.id,
            Finding.unit,
            Unit.name,
            Finding.title,
            Finding.created_at,
            Finding.rectify_by,
            Finding.measure,
            Measure.code,
            FindingEvent.kind,
            FindingEvent.at,
        )
        .join(Unit, on=(Finding.unit == Unit.id))
        .switch(Finding)
        .join(Measure, on=(Finding.measure == Measure.id), join_type=JOIN.LEFT_OUTER)
        .switch(Finding)
        .join(
            FindingEvent,
            JOIN.LEFT_OUTER,
            on=(
                (FindingEvent.finding == Finding.id)
                & (FindingEvent.at <= as_of)
                & FindingEvent.kind.in_(("close", "reopen"))
            ),
        )
        .where(Finding.plan == plan.id, Finding.created_at <= as_of)
        .order_by(Finding.id, FindingEvent.id)
    )
    if unit_id is not None:
        query = query.where(Finding.unit == unit_id)
    closes, reopens = defaultdict(list), defaultdict(list)
    found: dict[int, tuple] = {}
    for row in _raw(query):
        found.setdefault(row[0], row[:8])
        if row[8] is not None:
            (closes if row[8] == "close" else reopens)[row[0]].append(stored_moment(row[9]))
    rows = list(found.values())
    keyed, loose = defaultdict(list), []
    for f_id, f_unit, unit_name, title, created_at, rectify_by, measure_id, measure_code in rows:
        item = rv.Finding(
            id=f_id,
            unit=unit_name,
            title=title,
            opened_at=stored_moment(created_at),
            deadline=_date(rectify_by),
            measure_code=measure_code if measure_id else None,
            closed_at=tuple(sorted(closes.get(f_id, ()))),
            reopened_at=tuple(sorted(reopens.get(f_id, ()))),
        )
        if measure_id:
            keyed[(f_unit, measure_id)].append(item)
        else:
            loose.append(item)
    return keyed, loose


def quality_ratings(plan: Plan, quarters: list[str], as_of: datetime) -> dict[str, Decimal]:
    """Each unit's quality rating over `quarters`: the mean of the quarters rated by `as_of`."""
    sums: dict[str, list[Decimal]] = defaultdict(list)
    for r in (
        QualityRating.select(QualityRating, Unit)
        .join(Unit)
        .where(
            QualityRating.plan == plan.id,
            QualityRating.quarter.in_(quarters),
            QualityRating.rated_at <= as_of,
        )
    ):
        sums[r.unit.name].append(Decimal(str(r.points)))
    return {name: sum(points, Decimal(0)) / len(points) for name, points in sums.items()}
