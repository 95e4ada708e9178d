"""Hand-written SQL for the hottest write, a report's save: everything it reads in one statement,
and every statement it writes (the session lookup, the report, the revision, the audit events, the
draft's removal), each built once per dialect (peewee spent half of a save turning queries into SQL
text, issue 17).

Values go through the models' own `db_value`, and rows come back as the same model instances peewee
would build, so the services above do not know.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.store.db import db, is_postgres, with_write_lock
from tracker.store.models import Assignment, Indicator, Measure, Plan, Report, ReportDraft, User, UserSession

_UNIT_SEP, _RECORD_SEP = "\x1f", "\x1e"  # control characters: JSON text always escapes them
_built: dict[tuple, str] = {}  # (what, dialect, …) → SQL text


def _once(key: tuple, build) -> str:
    """The SQL text for `key` on the current dialect, built on first use."""
    key = (*key, is_postgres())
    sql = _built.get(key)
    if sql is None:
        sql = _built[key] = build()
    return sql


def _table(model) -> str:
    return f'"{model._meta.table_name}"'


def _columns(model, alias: str) -> str:
    return ", ".join(f'{alias}."{f.column_name}"' for f in model._meta.sorted_fields)


def _save_target_sql(postgres: bool) -> str:
    p = db.obj.param
    concat = f"r.period || {p} || CAST(rr.number AS TEXT) || {p} || CAST(rr.indicator_values AS TEXT)"
    aggregate = f"string_agg({concat}, {p})" if postgres else f"group_concat({concat}, {p})"
    # Once per statement (an uncorrelated subquery), whatever the number of indicator rows.
    next_id = "(SELECT nextval(pg_get_serial_sequence('report_revision', 'id')))" if postgres else "NULL"
    return (
        f"SELECT {_columns(Assignment, 'a')}, {_columns(Measure, 'm')}, {_columns(Plan, 'p')},"  # nosec B608 # only column names and the driver's placeholder are spliced; every value is bound
        f" (SELECT r.id FROM report r WHERE r.assignment_id = a.id AND r.period = {p}),"
        " (SELECT MAX(rr.number) FROM report_revision rr JOIN report r ON r.id = rr.report_id"
        f"  WHERE r.assignment_id = a.id AND r.period = {p}),"
        " (SELECT COUNT(*) FROM report_draft d"
        f"  WHERE d.user_id = {p} AND d.assignment_id = a.id AND d.period = {p}),"
        " (SELECT COUNT(*) FROM event_subscription s WHERE s.active = TRUE),"
        " (SELECT e.seq FROM audit_event e ORDER BY e.seq DESC LIMIT 1),"
        " (SELECT e.hash FROM audit_event e ORDER BY e.seq DESC LIMIT 1),"
        # PostgreSQL: the id the revision will take, so that it goes out with its audit events.
        f" {next_id},"
        f" (SELECT {aggregate} FROM report_revision rr JOIN report r ON r.id = rr.report_id"
        f"  WHERE r.assignment_id = a.id AND r.period < {p}),"
        f" {_columns(Indicator, 'i')}"
        ' FROM assignment a JOIN measure m ON m.id = a.measure_id JOIN "plan" p ON p.id = m.plan_id'
        " LEFT JOIN indicator i ON i.measure_id = m.id AND i.archived_at IS NULL"
        f" WHERE a.id = {p} ORDER BY i.position, i.id"
    )


@dataclass(frozen=True)
class SaveRead:
    """What a save of (assignment, period) reads, as of the statement (run it under the write lock)."""

    assignment: Assignment  # with .measure and .measure.plan attached (no lazy query behind them)
    indicators: tuple[Indicator, ...]  # the measure's live ones, in their order
    report_id: int | None
    latest_number: int
    has_draft: bool  # the saving person's draft of this report
    any_subscription: bool  # an active event subscription exists
    audit_head: tuple[int, str] | None
    earlier: tuple[tuple[str, int, str], ...]  # (period, number, indicator values JSON) before the period
    revision_id: int | None  # PostgreSQL: the next revision's id, taken from its sequence


def _model(model, fields, values):
    instance = model()
    for f, v in zip(fields, values, strict=True):
        instance.__data__[f.name] = f.python_value(v)
    return instance


def read_for_save(assignment_id: int, period: str, user_id: int) -> SaveRead | None:
    """One statement: the assignment, its measure, plan and indicators, the report's state, the
    person's draft, whether anyone subscribes to events, the audit chain's head and the earlier
    indicator values. None when there is no such assignment. The first statement of a
    `write_transaction(lock_with_first_read=True)`: it carries the write lock."""
    sql = _once(("save target",), lambda: _save_target_sql(is_postgres()))
    # In the order of the placeholders: report, latest, draft, the earlier values' separators, period, id.
    params = (period, period, user_id, period, _UNIT_SEP, _UNIT_SEP, _RECORD_SEP, period, assignment_id)
    rows = db.execute_sql(with_write_lock(sql), params).fetchall()
    if not rows:
        return None
    fa, fm, fp, fi = (m._meta.sorted_fields for m in (Assignment, Measure, Plan, Indicator))
    first = rows[0]
    a_end, m_end = len(fa), len(fa) + len(fm)
    p_end = m_end + len(fp)
    assignment = _model(Assignment, fa, first[:a_end])
    measure = _model(Measure, fm, first[a_end:m_end])
    measure.plan = _model(Plan, fp, first[m_end:p_end])
    assignment.measure = measure
    report_id, latest, drafts, subs, seq, digest, revision_id, earlier = first[p_end : p_end + 8]
    indicators = tuple(_model(Indicator, fi, row[p_end + 8 :]) for row in rows if row[p_end + 8] is not None)
    found = []
    for record in (earlier or "").split(_RECORD_SEP) if earlier else ():
        period_text, number, values = record.split(_UNIT_SEP, 2)
        found.append((period_text, int(number), values))
    found.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return SaveRead(
        assignment=assignment,
        indicators=indicators,
        report_id=report_id,
        latest_number=latest or 0,
        has_draft=bool(drafts),
        any_subscription=bool(subs),
        audit_head=None if seq is None else (seq, digest),
        earlier=tuple(found),
        revision_id=revision_id,
    )


def insert_report(assignment_id: int, period: str, created_at, drop_draft_of: int | None) -> int:
    """Insert the report of (assignment, period); its id. With `drop_draft_of` (a user id) on
    PostgreSQL, the same statement deletes that person's draft of it (SQLite: the caller does)."""
    values = (assignment_id, period, Report.created_at.db_value(created_at))
    if drop_draft_of is not None and is_postgres():
        return db.execute_sql(
            "WITH gone AS (DELETE FROM report_draft WHERE user_id = %s AND assignment_id = %s AND period = %s)"
            " INSERT INTO report (assignment_id, period, created_at) VALUES (%s, %s, %s) RETURNING id",
            (drop_draft_of, assignment_id, period, *values),
        ).fetchone()[0]
    return insert(Report, Report(assignment=assignment_id, period=period, created_at=created_at))


def read_session(token_hash: str) -> UserSession | None:
    """The session with this token hash, with its `.user` attached (one statement, no lazy query)."""
    fs, fu = UserSession._meta.sorted_fields, User._meta.sorted_fields
    sql = _once(
        ("session",),
        lambda: (
            f"SELECT {_columns(UserSession, 's')}, {_columns(User, 'u')}"  # nosec B608 # column and table names only
            f" FROM {_table(UserSession)} s JOIN {_table(User)} u ON u.id = s.user_id"
            f" WHERE s.token_hash = {db.obj.param}"
        ),
    )
    row = db.execute_sql(sql, (token_hash,)).fetchone()
    if row is None:
        return None
    session = _model(UserSession, fs, row[: len(fs)])
    session.user = _model(User, fu, row[len(fs) :])
    return session


def _insert_sql(model, columns: tuple[str, ...], rows: int, returning: bool) -> str:
    p = db.obj.param
    one = "(" + ", ".join([p] * len(columns)) + ")"
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f"INSERT INTO {_table(model)} ({names}) VALUES {', '.join([one] * rows)}"  # nosec B608 # names and placeholders only
    return sql + " RETURNING id" if returning else sql


def _fields(model, with_id: bool):
    return [f for f in model._meta.sorted_fields if with_id or f is not model._meta.primary_key]


def insert(model, instance) -> int:
    """INSERT a model instance as `Model.create` would (every field but the id) in one statement of
    plain SQL; the new id is set on it and returned."""
    fields = _fields(model, False)
    sql = _once(
        ("insert", model.__name__),
        lambda: _insert_sql(model, tuple(f.column_name for f in fields), 1, is_postgres()),
    )
    cursor = db.execute_sql(sql, [f.db_value(instance.__data__.get(f.name)) for f in fields])
    instance.id = cursor.fetchone()[0] if is_postgres() else cursor.lastrowid
    instance._dirty.clear()
    return instance.id


def insert_many(model, rows: list[dict], along=None) -> None:
    """INSERT row dicts keyed by field name (every field but the id, as `insert_many`) in one statement.
    `along`: a model instance whose id is already set, inserted first in the same round trip (its
    statement and this one in one message: PostgreSQL only)."""
    fields = _fields(model, False)
    sql = _once(
        ("insert many", model.__name__, len(rows)),
        lambda: _insert_sql(model, tuple(f.column_name for f in fields), len(rows), False),
    )
    params = [f.db_value(row[f.name]) for row in rows for f in fields]
    if along is not None:
        if not is_postgres():
            raise ValueError("SQLite takes one statement at a time")
        first = _fields(type(along), True)
        sql = (
            _once(
                ("insert with id", type(along).__name__),
                lambda: _insert_sql(type(along), tuple(f.column_name for f in first), 1, False),
            )
            + "; "
            + sql
        )
        params = [f.db_value(along.__data__.get(f.name)) for f in first] + params
    db.execute_sql(sql, params)
    if along is not None:
        along._dirty.clear()


def delete_draft(user_id: int, assignment_id: int, period: str) -> None:
    """Remove a person's draft of a report (it has done its job once the report is saved)."""
    p = db.obj.param
    sql = _once(
        ("drop draft",),
        lambda: (
            f"DELETE FROM {_table(ReportDraft)}"  # nosec B608 # the table's name only
            f" WHERE user_id = {p} AND assignment_id = {p} AND period = {p}"
        ),
    )
    db.execute_sql(sql, (user_id, assignment_id, period))
