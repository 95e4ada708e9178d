"""Finding 4: the audit chain could be rewritten by anyone with write access to the database.

Reproduction from the pen test: an event changed and another deleted, with every later hash
recomputed, passed `tracker audit verify`. Now each event is an HMAC under a key kept outside the
database, the head is anchored outside it, and PostgreSQL refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime

import pytest
from peewee import DatabaseError

from tests.security.forgery import change_and_delete, rewrite_from, truncate_from
from tracker.cli import cli
from tracker.services.users import add_user
from tracker.store import audit
from tracker.store.db import db, is_postgres, write_transaction
from tracker.store.migrations import KEYED_VERSION, MIGRATIONS, upgrade
from tracker.store.models import AuditEvent, SchemaVersion


@pytest.fixture
def chain(database):
    for i in range(1, 7):
        add_user(f"inspector{i}", "inspector", password="a long enough password", actor="admin")
    return database


def verify(runner, *args):
    db.close()
    return runner.invoke(cli, ["audit", "verify", *args])


@pytest.mark.parametrize("forged_key", [None, b"a key of the intruder's own"])
def test_a_changed_and_a_deleted_event_with_every_later_hash_recomputed_is_caught(runner, chain, forged_key):
    rewrite_from(3, change_and_delete, forged_key)
    result = verify(runner)
    assert result.exit_code == 1
    assert "#3" in result.stderr


def test_the_key_is_kept_in_a_file_of_its_own_made_owner_only(runner, database, monkeypatch, tmp_path):
    monkeypatch.delenv("TRACKER_AUDIT_KEY")
    monkeypatch.setenv("TRACKER_INSTANCE", str(tmp_path / "instance"))
    with write_transaction():
        audit.record("admin", "unit.update", "unit", 1, None, {"short": "新"})
    path = tmp_path / "instance" / "audit_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip().encode()
    event = AuditEvent.get()
    assert event.key_id == audit.key_id(key) and key.decode() not in json.dumps(event.after)
    assert verify(runner).exit_code == 0
    path.unlink()  # the key lost (or a copy of the database taken elsewhere): nothing verifies
    result = verify(runner)
    assert result.exit_code == 1 and "找不到审计密钥" in result.stderr


def test_a_first_release_chain_is_sealed_by_the_upgrade_and_verifies_as_it_was(runner, chain):
    # Make this database look like the first release's: unkeyed SHA-256 events, schema version 1.
    rewrite_from(1, lambda tail: [setattr(e, "key_id", None) or e for e in tail], None)
    from playhouse.migrate import SchemaMigrator, migrate

    migrate(SchemaMigrator.from_database(db.obj).drop_column("audit_event", "key_id"))
    SchemaVersion.delete().execute()
    for m in MIGRATIONS:  # every other engineer's step done, the keying ones not yet
        if m.version not in (KEYED_VERSION, KEYED_VERSION + 1):
            SchemaVersion.create(version=m.version, description=m.description, applied_at=datetime.now(UTC))
    assert any("version 30" in line for line in upgrade())
    sealed = AuditEvent.select().order_by(AuditEvent.seq.desc()).first()
    assert sealed.action == "audit.keyed" and sealed.after["legacy_events"] == 6
    result = verify(runner)
    assert result.exit_code == 0, result.output
    # An old event rewritten after the upgrade, its successors recomputed without the key: caught.
    rewrite_from(2, lambda tail: [setattr(tail[0], "actor", "intruder") or e for e in tail], None)
    assert verify(runner).exit_code == 1


def test_a_chain_rewritten_as_first_release_events_is_caught(runner, chain):
    rewrite_from(1, lambda tail: [setattr(e, "key_id", None) or e for e in tail], None)
    result = verify(runner)
    assert result.exit_code == 1 and "没有任何签名事件" in result.stderr


def test_a_truncated_chain_is_caught_by_a_head_noted_earlier(runner, chain):
    noted = audit.head_text()
    truncate_from(5)  # the tail cut, as an old backup restored
    assert verify(runner).exit_code == 0  # the chain alone cannot tell
    result = verify(runner, "--head", noted)
    assert result.exit_code == 1 and "#6" in result.stderr and "截断或回滚" in result.stderr
    assert verify(runner, "--head", "nonsense").exit_code == 2


def test_a_truncated_chain_is_caught_by_the_anchors_file(runner, chain):
    audit.write_anchor()
    audit.write_anchor()  # the head did not move: no second line
    lines = audit.anchors_path().read_text().splitlines()
    assert len(lines) == 1 and lines[0].endswith(audit.head_text())
    assert stat.S_IMODE(audit.anchors_path().stat().st_mode) == 0o600
    truncate_from(6)
    result = verify(runner)
    assert result.exit_code == 1 and "锚点" in result.stderr


def test_a_scheduler_run_anchors_the_head(chain):
    from tracker.scheduler import Scheduler

    Scheduler(owner="test").run_delivery()
    assert audit.read_anchors()[-1][1:] == audit.head()


def test_verify_checks_every_evidence_file_against_its_sha256(runner, people, scopes, tmp_path, monkeypatch):
    from tests.web.test_unit_report import assignment_of
    from tracker.services.evidence import check_upload
    from tracker.services.reports import ReportInput, save_revision
    from tracker.store.models import Evidence

    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")
    uploads = tmp_path / "uploads"
    pdf = check_upload("会议纪要.pdf", b"%PDF-1.4\n%%EOF\n")
    mine = assignment_of("安康市乡村振兴局")
    save_revision(scopes["clerk"], mine.id, "2024-05", ReportInput(percent=40), [pdf], 0, upload_dir=uploads)
    result = verify(runner, "--uploads", str(uploads))
    assert result.exit_code == 0 and "佐证材料 1 个" in result.output
    (uploads / Evidence.get().stored_name).write_bytes(b"%PDF-1.4\nchanged\n%%EOF\n")
    result = verify(runner, "--uploads", str(uploads))
    assert result.exit_code == 1 and "会议纪要.pdf" in result.stderr and "SHA-256 不符" in result.stderr


def test_the_app_role_cannot_change_or_delete_an_event_on_postgresql(chain):
    if not is_postgres():
        pytest.skip("the trigger is PostgreSQL's; SQLite's file is guarded by its 0600 mode")
    for statement in (
        "UPDATE audit_event SET actor = 'x'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ):
        with pytest.raises(DatabaseError, match="append-only"), db.atomic():
            db.execute_sql(statement)
    assert AuditEvent.select().count() == 6


def test_the_keying_migration_is_in_this_engineers_range():
    assert 30 <= KEYED_VERSION < 40 and KEYED_VERSION in {m.version for m in MIGRATIONS}
