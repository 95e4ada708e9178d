"""The audit chain detects an event that was changed, removed or inserted."""

from __future__ import annotations

import pytest

from tests.conftest import as_dba
from tracker.store import audit
from tracker.store.db import db, write_transaction
from tracker.store.models import AuditEvent


@pytest.fixture
def chain(database):
    for i in range(1, 6):
        with write_transaction():
            audit.record("admin", "unit.update", "unit", i, {"short": f"旧{i}"}, {"short": f"新{i}"})
    as_dba()
    return list(AuditEvent.select().order_by(AuditEvent.seq))


def test_an_untouched_chain_verifies(chain):
    result = audit.verify()
    assert result.ok and result.checked == 5


def test_an_edited_event_is_named(chain):
    AuditEvent.update(after={"short": "篡改"}).where(AuditEvent.seq == 3).execute()
    result = audit.verify()
    assert not result.ok and "#3" in result.message


def test_a_removed_event_is_named(chain):
    AuditEvent.delete().where(AuditEvent.seq == 2).execute()
    result = audit.verify()
    assert not result.ok and "#2" in result.message


def test_an_inserted_event_is_named(chain):
    # Shift the tail to make room, as someone slipping an event in would have to.
    for ev in reversed(chain[3:]):
        AuditEvent.update(seq=ev.seq + 1).where(AuditEvent.id == ev.id).execute()
    forged = chain[2]
    AuditEvent.create(
        seq=4,
        at=forged.at,
        actor="intruder",
        action="unit.update",
        entity="unit",
        entity_id="9",
        before=None,
        after={"x": 1},
        prev_hash=forged.hash,
        hash="0" * 64,
    )
    result = audit.verify()
    assert not result.ok and "#4" in result.message


def test_an_event_outside_a_transaction_is_refused(database):
    with pytest.raises(RuntimeError):
        audit.record("admin", "unit.update", "unit", 1)
    assert not AuditEvent.select().exists()


def test_a_failed_change_leaves_no_event(database):
    with pytest.raises(ZeroDivisionError), write_transaction():
        audit.record("admin", "unit.update", "unit", 1)
        1 / 0  # noqa: B018
    assert not AuditEvent.select().exists()
    assert db.transaction_depth() == 0
