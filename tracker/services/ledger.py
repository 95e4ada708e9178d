"""The report ledger: per report (assignment, period) the facts a board reads — the latest revision,
the first and latest submission, percent, complete, indicator values, the latest revision's return
(退回) and sign-off (签发) — kept current, with an append-only row per change for boards "as of".

Who keeps it: the database, in the transaction of every write. Triggers on `report_revision`,
`report_return` and `report_signoff` fold the new row into the report's ledger row, and a trigger on
`report_ledger` appends each new state to `report_ledger_change`. A report's save is already at the
statement budget of its lean path (tests/web/test_report_save_statements.py), and imports, the demo
and restores insert revisions in bulk: a trigger costs none of them a statement and misses none.
The rule the triggers implement is `rules.ledger.as_of`; `recompute` applies it from scratch, and
`rebuild` (`tracker doctor --rebuild-ledger`) rewrites both tables from it. Extensions and completion
confirmations are about the assignment, not a report's facts: they leave the ledger alone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from peewee import chunked, fn

from tracker.rules.ledger import LedgerRow, RevisionRecord, as_of, changes
from tracker.store.db import db, is_postgres
from tracker.store.models import (
    Report,
    ReportLedger,
    ReportLedgerChange,
    ReportReturn,
    ReportRevision,
    ReportSignoff,
    stored_moment,
)

FACTS = (
    "report_id",
    "assignment_id",
    "period",
    "revision_id",
    "number",
    "first_revision_id",
    "first_complete_id",
    "first_at",
    "latest_at",
    "percent",
    "complete",
    "indicator_values",
    "indicator_notes",
    "returned_at",
    "returned_reason",
    "signed_off_at",
    "change",
)
_COLUMNS = ", ".join(f'"{c}"' for c in FACTS)
_NEW = ", ".join(f'NEW."{c}"' for c in FACTS)
_UPDATE = ", ".join(
    f'"{c}" = excluded."{c}"'
    for c in FACTS
    if c not in ("report_id", "assignment_id", "period", "first_revision_id", "first_complete_id", "first_at")
)

# A new revision becomes the report's latest: its facts replace the row's, the first submission and
# the first revision marked complete stay.
_ON_REVISION = (
    f'INSERT INTO report_ledger ({_COLUMNS}, "updated_at")'  # nosec B608 # FACTS' column names only
    " SELECT NEW.report_id, r.assignment_id, r.period, NEW.id, NEW.number, NEW.id,"
    " CASE WHEN NEW.complete THEN NEW.id END, NEW.recorded_at,"
    " NEW.recorded_at, NEW.percent, NEW.complete, NEW.indicator_values, NEW.indicator_notes,"
    " NULL, '', NULL, 'save', NEW.recorded_at FROM report r WHERE r.id = NEW.report_id AND TRUE"
    f' ON CONFLICT ("report_id") DO UPDATE SET {_UPDATE}, "updated_at" = excluded."updated_at",'
    ' "first_complete_id" = COALESCE(report_ledger."first_complete_id", excluded."first_complete_id");'
)
# A return or sign-off counts only for the report's latest revision, and only its first one.
_ON_RETURN = (
    "UPDATE report_ledger SET returned_at = NEW.at, returned_reason = NEW.reason, change = 'return',"
    " updated_at = NEW.at WHERE revision_id = NEW.revision_id AND returned_at IS NULL;"
)
_ON_SIGNOFF = (
    "UPDATE report_ledger SET signed_off_at = NEW.at, change = 'signoff', updated_at = NEW.at"
    " WHERE revision_id = NEW.revision_id AND signed_off_at IS NULL;"
)
# nosec B608: only FACTS' column names are spliced; the values are the trigger's NEW row.
_ON_LEDGER = f'INSERT INTO report_ledger_change ({_COLUMNS}, "at") VALUES ({_NEW}, NEW.updated_at);'  # nosec B608
_TRIGGERS = (
    ("report_revision", "INSERT", "report_ledger_revision", _ON_REVISION),
    ("report_return", "INSERT", "report_ledger_return", _ON_RETURN),
    ("report_signoff", "INSERT", "report_ledger_signoff", _ON_SIGNOFF),
    ("report_ledger", "INSERT", "report_ledger_history_insert", _ON_LEDGER),
    ("report_ledger", "UPDATE", "report_ledger_history_update", _ON_LEDGER),
)


def install_triggers() -> None:
    """Create (or replace) the triggers that keep the ledger; run by the schema's creation and upgrade."""
    for table, event, name, body in _TRIGGERS:
        if is_postgres():
            db.execute_sql(
                f"CREATE OR REPLACE FUNCTION tracker_{name}() RETURNS trigger AS $$ BEGIN {body}"
                " RETURN NULL; END $$ LANGUAGE plpgsql"
            )
            db.execute_sql(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            db.execute_sql(
                f'CREATE TRIGGER {name} AFTER {event} ON "{table}" FOR EACH ROW EXECUTE FUNCTION tracker_{name}()'
            )
        else:
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
            db.execute_sql(f'CREATE TRIGGER {name} AFTER {event} ON "{table}" BEGIN {body} END')


def _drop_trigger(table: str, name: str) -> None:
    if is_postgres():
        db.execute_sql(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
    else:
        db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")


def fill_first_revisions() -> None:
    """Name each report's first revision and first revision marked complete in its ledger row and
    change rows (schema version 110), as the triggers name them. Set in place with the history triggers off, so no
    change row is appended for it."""
    for table, _, name, _ in _TRIGGERS:
        if table == "report_ledger":
            _drop_trigger(table, name)
    db.execute_sql(
        "UPDATE report_ledger SET first_revision_id = (SELECT v.id FROM report_revision v"
        " WHERE v.report_id = report_ledger.report_id ORDER BY v.recorded_at, v.number LIMIT 1)"
    )
    db.execute_sql(
        "UPDATE report_ledger_change SET first_revision_id = (SELECT l.first_revision_id"
        " FROM report_ledger l WHERE l.report_id = report_ledger_change.report_id)"
    )
    # The first revision marked complete by each state: among the revisions up to its latest.
    for table in ("report_ledger", "report_ledger_change"):
        db.execute_sql(
            f"UPDATE {table} SET first_complete_id = (SELECT v.id FROM report_revision v"  # nosec B608 # own table names
            f" WHERE v.report_id = {table}.report_id AND v.complete AND v.number <= {table}.number"
            " ORDER BY v.recorded_at, v.number LIMIT 1)"
            f" WHERE EXISTS (SELECT 1 FROM report_revision w WHERE w.report_id = {table}.report_id AND w.complete)"
        )
    install_triggers()


@dataclass(frozen=True)
class Rebuilt:
    reports: int
    changes: int


def records() -> dict[tuple[int, int, str], list[RevisionRecord]]:
    """Every report's revisions with their returns and sign-offs, keyed (report, assignment, period)."""
    returns, signoffs = defaultdict(list), defaultdict(list)
    for rev_id, at, reason in ReportReturn.select(
        ReportReturn.revision, ReportReturn.at, ReportReturn.reason
    ).tuples():
        returns[rev_id].append((stored_moment(at), reason))
    for rev_id, at in ReportSignoff.select(ReportSignoff.revision, ReportSignoff.at).tuples():
        signoffs[rev_id].append(stored_moment(at))
    out: dict[tuple[int, int, str], list[RevisionRecord]] = defaultdict(list)
    query = (
        ReportRevision.select(
            ReportRevision.id,
            Report.id,
            Report.assignment,
            Report.period,
            ReportRevision.number,
            ReportRevision.recorded_at,
            ReportRevision.percent,
            ReportRevision.complete,
            ReportRevision.indicator_values,
            ReportRevision.indicator_notes,
        )
        .join(Report)
        .order_by(ReportRevision.id)
        .tuples()
    )
    for rev_id, report_id, a_id, period, number, at, percent, complete, values, notes in query:
        out[(report_id, a_id, period)].append(
            RevisionRecord(
                rev_id,
                number,
                stored_moment(at),
                percent,
                bool(complete),
                _text(values),
                _text(notes),
                tuple(returns.get(rev_id, ())),
                tuple(signoffs.get(rev_id, ())),
            )
        )
    return out


def recompute(cutoff: datetime) -> dict[tuple[int, str], LedgerRow]:
    """What the ledger says as of `cutoff`, from the revisions alone: (assignment, period) → row."""
    out = {}
    for (_, a_id, period), revisions in records().items():
        row = as_of(revisions, cutoff)
        if row is not None:
            out[(a_id, period)] = row
    return out


def current() -> dict[tuple[int, str], LedgerRow]:
    """The ledger now, as stored."""
    return {
        (r.assignment_id, r.period): _row(r, r.updated_at)
        for r in ReportLedger.select().order_by(ReportLedger.id)
    }


def snapshot(cutoff: datetime) -> dict[tuple[int, str], LedgerRow]:
    """The ledger as of `cutoff`, from its change rows: the latest per report at or before it (one
    query over the (at, report) index)."""
    latest = (
        ReportLedgerChange.select(fn.MAX(ReportLedgerChange.id))
        .where(ReportLedgerChange.at <= cutoff)
        .group_by(ReportLedgerChange.report_id)
    )
    return {
        (r.assignment_id, r.period): _row(r, r.at)
        for r in ReportLedgerChange.select().where(ReportLedgerChange.id.in_(latest))
    }


def rebuild() -> Rebuilt:
    """Rewrite both tables from the revisions (call inside a write transaction). Each report's states
    before its last go in as change rows; its last goes into the ledger, whose trigger appends it."""
    ReportLedger.delete().execute()
    ReportLedgerChange.delete().execute()
    earlier, final = [], []
    for (report_id, a_id, period), revisions in sorted(records().items()):
        states = changes(revisions)
        key = {"report_id": report_id, "assignment_id": a_id, "period": period}
        earlier.extend({**key, **_fields(s), "at": s.at} for s in states[:-1])
        final.append({**key, **_fields(states[-1]), "updated_at": states[-1].at})
    earlier.sort(key=lambda row: row["at"])
    for batch in chunked(earlier, 200):
        ReportLedgerChange.insert_many(batch).execute()
    for batch in chunked(final, 200):
        ReportLedger.insert_many(batch).execute()
    return Rebuilt(len(final), len(earlier) + len(final))


def _fields(row: LedgerRow) -> dict:
    return {
        "revision_id": row.revision_id,
        "number": row.number,
        "first_revision_id": row.first_revision_id,
        "first_complete_id": row.first_complete_id,
        "first_at": row.first_at,
        "latest_at": row.latest_at,
        "percent": row.percent,
        "complete": row.complete,
        "indicator_values": _json(row.indicator_values),
        "indicator_notes": _json(row.indicator_notes),
        "returned_at": row.returned_at,
        "returned_reason": row.returned_reason,
        "signed_off_at": row.signed_off_at,
        "change": row.change,
    }


def _row(r, at) -> LedgerRow:
    return LedgerRow(
        revision_id=r.revision_id,
        number=r.number,
        first_revision_id=r.first_revision_id,
        first_complete_id=r.first_complete_id,
        first_at=r.first_at,
        latest_at=r.latest_at,
        percent=r.percent,
        complete=bool(r.complete),
        indicator_values=_text(r.indicator_values),
        indicator_notes=_text(r.indicator_notes),
        returned_at=r.returned_at,
        returned_reason=r.returned_reason or "",
        signed_off_at=r.signed_off_at,
        change=r.change,
        at=at,
    )


def _text(value) -> str:
    """JSON as canonical text (sorted keys), whether the driver gave text or a value."""
    parsed = json.loads(value) if isinstance(value, str) else value
    return json.dumps(parsed if parsed is not None else {}, ensure_ascii=False, sort_keys=True)


def _json(text: str):
    return json.loads(text)
