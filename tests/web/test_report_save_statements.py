"""A report POST is lean: it loads its target once and sends at most a handful of statements, counted
by the database driver itself (SQLite's trace callback; a psycopg2 cursor that counts), not by peewee."""

from __future__ import annotations

import contextlib
import re

import pytest

from tests.web.conftest import served_form, submit
from tracker.store.db import db, is_postgres
from tracker.store.models import (
    Assignment,
    AuditEvent,
    Indicator,
    Measure,
    Plan,
    ReportDraft,
    ReportRevision,
    Unit,
)

TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)
MOST = 6


@contextlib.contextmanager
def statements():
    """Every statement the database is sent while open, as the driver sees it (transaction control
    — BEGIN, COMMIT, savepoints — left out)."""
    seen: list[str] = []
    conn = db.connection()
    if is_postgres():
        import psycopg2.extensions

        class Counting(psycopg2.extensions.cursor):
            def execute(self, sql, params=None):
                seen.append(sql if isinstance(sql, str) else sql.decode())
                return super().execute(sql, params)

        before = conn.cursor_factory
        conn.cursor_factory = Counting
        try:
            yield seen
        finally:
            conn.cursor_factory = before
    else:
        # SQLite also traces each trigger program a statement runs (the ledger's, services.ledger),
        # with the text of the statement that fired it: a repeat right after it is not another
        # statement sent, and PostgreSQL's cursor count never sees triggers either.
        conn.set_trace_callback(lambda sql: None if seen and seen[-1] == sql else seen.append(sql))
        try:
            yield seen
        finally:
            conn.set_trace_callback(None)
    seen[:] = [s for s in seen if not TRANSACTION_CONTROL.match(s)]


@pytest.fixture(autouse=True)
def may_2024(monkeypatch, database_url):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")


def assignment_of_clerk(with_indicators: bool) -> Assignment:
    """One of the clerk's unit's assignments (安康市乡村振兴局), on a measure with or without indicators."""
    has = Measure.id.in_(Indicator.select(Indicator.measure).where(Indicator.archived_at.is_null()))
    return (
        Assignment.select()
        .join(Measure)
        .join(Plan)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Plan.code == "ankang-2023", Unit.name == "安康市乡村振兴局", has if with_indicators else ~has)
        .order_by(Assignment.id)
        .first()
    )


def post(web, path: str, fields: dict) -> tuple[list[str], object]:
    page = web.get(path)
    with statements() as seen:
        response = submit(page, path, fields, button="save")
    assert response.status_int == 302, response.text
    assert response.headers["Location"].endswith(path)  # a redirect, nothing rendered
    return seen, response


@pytest.mark.parametrize("with_indicators", [False, True], ids=["plain", "indicator values"])
def test_a_report_post_sends_at_most_six_statements_first_save_second_and_after_a_draft(
    web_as, with_indicators
):
    web = web_as("clerk")
    a = assignment_of_clerk(with_indicators)
    path = f"/unit/assignments/{a.id}/reports/2024-05"
    fields = {"percent": "40", "narrative": "召开推进会 2 次"}
    if with_indicators:
        names = [n for n in served_form(web.get(path), path).fields if n and n.startswith("ind_")]
        assert names
        fields[names[0]] = "1"
    # The first save of the period (it makes the report), after the autosave kept a draft.
    web.post(f"{path}/draft", {**fields, "csrf_token": served_form(web.get(path), path)["csrf_token"].value})
    assert ReportDraft.select().count() == 1
    counts = []
    for round_ in range(3):
        seen, _ = post(web, path, {**fields, "percent": str(40 + round_)})
        counts.append(len(seen))
        assert len(seen) <= MOST, f"save {round_ + 1}: {len(seen)} statements\n" + "\n".join(seen)
    assert ReportDraft.select().count() == 0  # the draft went with the first save
    revisions = ReportRevision.select().order_by(ReportRevision.number)
    assert [(r.number, r.percent) for r in revisions] == [(1, 40), (2, 41), (3, 42)]
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.seq)][-4:]
    assert actions == ["report.create", "report.revise", "report.revise", "report.revise"]
    assert counts[1] <= counts[0]  # a later save does not make the report again


def test_a_save_still_refuses_a_stale_version_and_another_units_assignment(web_as):
    web = web_as("clerk")
    a = assignment_of_clerk(False)
    path = f"/unit/assignments/{a.id}/reports/2024-05"
    old = web.get(path)
    post(web, path, {"percent": "40", "narrative": "第一稿"})
    response = submit(
        old, path, {"percent": "50", "narrative": "旧页面上的稿"}, button="save", expect_errors=True
    )
    assert response.status_int == 409 and "旧页面上的稿" in response.text
    other = web_as("other")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', other.get("/unit/").text).group(1)
    response = other.post(
        path, {"percent": "40", "narrative": "越权", "csrf_token": token}, expect_errors=True
    )
    assert response.status_int == 404
    assert ReportRevision.select().count() == 1
