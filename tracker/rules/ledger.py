"""The report ledger's rule, without the database: what one report's ledger row says as of a moment,
from its revisions with their returns (退回) and sign-offs (签发).

The row is the latest revision recorded by then, the first one (the report's first submission), the
first one marked complete (a confirmation of completion rests on it), and that latest revision's
first return and first sign-off made by then. `changes` gives every state the row passed through, in
time order: the append-only snapshot rows a from-scratch build writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RevisionRecord:
    """One revision of a report as recorded, with every return and sign-off of it (any time)."""

    id: int
    number: int
    recorded_at: datetime
    percent: int | None
    complete: bool
    indicator_values: str  # JSON text as stored
    indicator_notes: str
    returns: tuple[tuple[datetime, str], ...] = ()  # (at, reason)
    signoffs: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class LedgerRow:
    revision_id: int
    number: int
    first_revision_id: int
    first_complete_id: int | None  # the first revision marked complete (已完成), if any by then
    first_at: datetime
    latest_at: datetime
    percent: int | None
    complete: bool
    indicator_values: str
    indicator_notes: str
    returned_at: datetime | None
    returned_reason: str
    signed_off_at: datetime | None
    change: str  # save | return | signoff
    at: datetime  # when the row became this


def as_of(revisions: tuple[RevisionRecord, ...] | list[RevisionRecord], cutoff: datetime) -> LedgerRow | None:
    """The report's ledger row as of `cutoff` (None when nothing was recorded by then)."""
    seen = [r for r in revisions if r.recorded_at <= cutoff]
    if not seen:
        return None
    latest = max(seen, key=lambda r: r.number)
    first = min(seen, key=lambda r: (r.recorded_at, r.number))
    complete = min((r for r in seen if r.complete), key=lambda r: (r.recorded_at, r.number), default=None)
    returns = sorted((a, reason) for a, reason in latest.returns if a <= cutoff)
    signoffs = sorted(a for a in latest.signoffs if a <= cutoff)
    returned = returns[0] if returns else None
    signed = signoffs[0] if signoffs else None
    # Within one moment the writes come in this order: the save, then its sign-off, then a return
    # (a returned version can no longer be signed off, services.reports.sign_off), so the last wins.
    moves = [(latest.recorded_at, 0, "save")]
    if signed:
        moves.append((signed, 1, "signoff"))
    if returned:
        moves.append((returned[0], 2, "return"))
    at, _, change = max(moves)
    return LedgerRow(
        revision_id=latest.id,
        number=latest.number,
        first_revision_id=first.id,
        first_complete_id=complete.id if complete else None,
        first_at=first.recorded_at,
        latest_at=latest.recorded_at,
        percent=latest.percent,
        complete=bool(latest.complete),
        indicator_values=latest.indicator_values,
        indicator_notes=latest.indicator_notes,
        returned_at=returned[0] if returned else None,
        returned_reason=returned[1] if returned else "",
        signed_off_at=signed,
        change=change,
        at=at,
    )


def changes(revisions: tuple[RevisionRecord, ...] | list[RevisionRecord]) -> list[LedgerRow]:
    """Every state the report's row passed through, oldest first (one per moment something moved it)."""
    moments = sorted(
        {r.recorded_at for r in revisions}
        | {a for r in revisions for a, _ in r.returns}
        | {a for r in revisions for a in r.signoffs}
    )
    out: list[LedgerRow] = []
    for moment in moments:
        row = as_of(revisions, moment)
        if row is not None and (not out or _facts(out[-1]) != _facts(row)):
            out.append(row)
    return out


def _facts(row: LedgerRow) -> tuple:
    return (
        row.revision_id,
        row.number,
        row.first_revision_id,
        row.first_complete_id,
        row.first_at,
        row.returned_at,
        row.returned_reason,
        row.signed_off_at,
    )
