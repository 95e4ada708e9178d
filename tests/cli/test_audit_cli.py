"""`tracker audit verify` finds an event someone changed, removed or slipped in with raw SQL."""

from __future__ import annotations

import pytest

from tests.conftest import as_dba
from tracker.cli import cli
from tracker.services.users import add_user
from tracker.store import audit
from tracker.store.db import db
from tracker.store.models import AuditEvent


@pytest.fixture
def chain(database):
    """Six real events: six people added, each in its own audited transaction."""
    for i in range(1, 7):
        add_user(f"inspector{i}", "inspector", password="a long enough password", actor="admin")
    assert AuditEvent.select().count() == 6
    return database


def sql(statement: str, *params) -> None:
    """Raw SQL, as someone with a database console would tamper: no model, no audit."""
    as_dba()
    db.execute_sql(statement.replace("?", db.param), params)


def verify(runner):
    db.close()
    return runner.invoke(cli, ["audit", "verify"])


def test_an_untouched_chain_verifies_and_gives_the_count_and_head(runner, chain):
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "共 6 条事件" in result.output
    assert "head: #6 " in result.output


def test_an_empty_chain_verifies(runner, database):
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "共 0 条事件" in result.output


def test_a_changed_event_is_named(runner, chain):
    sql("UPDATE audit_event SET actor = ? WHERE seq = ?", "intruder", 3)
    result = verify(runner)
    assert result.exit_code == 1
    assert "#3" in result.stderr and "内容被改动" in result.stderr


def test_a_changed_after_value_is_named(runner, chain):
    sql('UPDATE audit_event SET "after" = ? WHERE seq = ?', '{"role": "admin"}', 5)
    result = verify(runner)
    assert result.exit_code == 1
    assert "#5" in result.stderr


def test_a_changed_event_with_its_hash_recomputed_without_the_key_is_named(runner, chain):
    ev = AuditEvent.get(AuditEvent.seq == 2)
    forged = audit._digest(
        ev.seq, ev.at, "intruder", ev.action, ev.entity, ev.entity_id, ev.before, ev.after, ev.prev_hash
    )
    sql("UPDATE audit_event SET actor = ?, hash = ? WHERE seq = ?", "intruder", forged, 2)
    result = verify(runner)
    assert result.exit_code == 1
    assert "#2" in result.stderr and "改动" in result.stderr


def test_a_removed_event_is_named(runner, chain):
    sql("DELETE FROM audit_event WHERE seq = ?", 4)
    result = verify(runner)
    assert result.exit_code == 1
    assert "#4" in result.stderr and "缺失" in result.stderr


def test_a_removed_first_event_is_named(runner, chain):
    sql("DELETE FROM audit_event WHERE seq = ?", 1)
    result = verify(runner)
    assert result.exit_code == 1
    assert "#1" in result.stderr


def _insert(seq: int, prev_hash: str, digest: str | None = None) -> None:
    at = AuditEvent.get(AuditEvent.seq == 1).at
    digest = digest or audit._digest(seq, at, "intruder", "user.create", "user", "99", None, {}, prev_hash)
    sql(
        'INSERT INTO audit_event (seq, at, actor, action, entity, entity_id, "before", "after", prev_hash, hash)'
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        seq,
        AuditEvent.at.db_value(at),
        "intruder",
        "user.create",
        "user",
        "99",
        None,
        "{}",
        prev_hash,
        digest,
    )


def _make_room_at(seq: int) -> None:
    # Two steps so a unique seq never collides midway, on SQLite and PostgreSQL alike.
    sql("UPDATE audit_event SET seq = -seq WHERE seq >= ?", seq)
    sql("UPDATE audit_event SET seq = 1 - seq WHERE seq < 0")


def test_an_event_inserted_in_the_middle_with_a_well_formed_hash_is_named(runner, chain):
    third = AuditEvent.get(AuditEvent.seq == 3)
    _make_room_at(4)
    _insert(4, third.hash)
    result = verify(runner)
    assert result.exit_code == 1
    assert "#4" in result.stderr and "插入" in result.stderr


def test_an_event_inserted_in_the_middle_with_a_made_up_hash_is_named(runner, chain):
    third = AuditEvent.get(AuditEvent.seq == 3)
    _make_room_at(4)
    _insert(4, third.hash, digest="f" * 64)
    result = verify(runner)
    assert result.exit_code == 1
    assert "#4" in result.stderr


def test_an_event_appended_with_a_made_up_hash_is_named(runner, chain):
    _insert(7, AuditEvent.get(AuditEvent.seq == 6).hash, digest="0" * 64)
    result = verify(runner)
    assert result.exit_code == 1
    assert "#7" in result.stderr


def test_an_uninitialised_database_is_an_input_error(runner, database_url):
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "tracker init" in result.stderr
