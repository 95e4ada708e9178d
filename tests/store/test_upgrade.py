"""A database made by the first release (schema version 1) upgrades to today's schema and works.

Version 1 is built from `models_v1.py`, a frozen copy of the models as the first release shipped
them (commit ef5f8d4), and filled through those models; `upgrade()` then brings it to the latest
version. The upgraded database must hold every row, sign people in, load, publish and remind, and
its introspected schema must equal a fresh database's: a model change without a migration fails.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from local_servers import Mailbox

from tests.store import models_v1 as v1
from tracker.clock import TZ
from tracker.plans.load import load_plans
from tracker.services import chasing, publishing
from tracker.services.users import hasher
from tracker.store import audit, models
from tracker.store.db import db, init_database, is_postgres
from tracker.store.migrations import MIGRATIONS, current_version, upgrade
from tracker.web import create_app

PASSWORD = "a long password"
AT = datetime(2024, 5, 26, 9, 0, tzinfo=TZ)


def build_version_1() -> None:
    """The first release's schema, as its `tracker init` made it."""
    with db.atomic():
        db.create_tables(v1.MODELS)
        v1.SchemaVersion.create(version=1, description="created at this version", applied_at=AT)


def fill_version_1() -> dict:
    """A county's data as the first release wrote it: a plan, people, a report, a chase, audit events."""
    with db.atomic():
        unit = v1.Unit.create(name="测试县水利局", short="县水利局", created_at=AT)
        plan = v1.Plan.create(
            code="upgrade-2024",
            title="测试县重点任务分工方案",
            start=date(2024, 4, 1),
            end=date(2024, 12, 31),
            loaded_at=AT,
        )
        section = v1.Section.create(plan=plan, code="1", title="重点任务")
        measure = v1.Measure.create(
            plan=plan, section=section, code="1.1", title="保障饮水安全", created_at=AT
        )
        assignment = v1.Assignment.create(
            measure=measure, unit=unit, role="lead", printed_name="县水利局", created_at=AT
        )
        people = {}
        for name, role, unit_id in (("admin", "admin", None), ("shui", "reporter", unit.id)):
            people[name] = v1.User.create(
                username=name,
                display_name=name,
                role=role,
                unit=unit_id,
                email=f"{name}@example.org",
                password_hash=hasher.hash(PASSWORD),
                must_change_password=False,
                created_at=AT,
            )
        report = v1.Report.create(assignment=assignment, period="2024-04", created_at=AT)
        v1.ReportRevision.create(
            report=report,
            number=1,
            author=people["shui"],
            recorded_at=AT,
            percent=40,
            narrative="已完成管网改造",
        )
        reminder = v1.Reminder.create(
            key="report:1:2024-05:overdue",
            kind="report_late",
            unit=unit,
            assignment=assignment,
            period="2024-05",
            message="请尽快报送5月进展。",
            created_by="scheduler",
            created_at=AT,
        )
        v1.Delivery.create(
            reminder=reminder, channel="email", recipient="shui@example.org", next_attempt_at=AT
        )
        v1.Delivery.create(
            reminder=reminder,
            channel="in_app",
            recipient=f"user:{people['shui'].id}",
            status="sent",
            attempts=1,
        )
        prev = audit.GENESIS
        for seq, action in enumerate(("plan.load", "user.add", "report.save"), 1):
            digest = audit._digest(seq, AT, "cli", action, "plan", "1", None, {"n": seq}, prev)
            v1.AuditEvent.create(
                seq=seq,
                at=AT,
                actor="cli",
                action=action,
                entity="plan",
                entity_id="1",
                after={"n": seq},
                prev_hash=prev,
                hash=digest,
            )
            prev = digest
    return {"report": report.id, "reminder": reminder.id}


def snapshot() -> dict[str, int]:
    return {m._meta.table_name: m.select().count() for m in v1.MODELS}


def test_a_first_release_database_upgrades_and_signs_in_loads_publishes_and_reminds(
    database_url, tmp_path, monkeypatch, shipped_plans
):
    init_database(database_url)
    build_version_1()
    ids = fill_version_1()
    before = snapshot()
    assert current_version() == 1

    done = upgrade()
    assert done == [f"upgraded to version {m.version}: {m.description}" for m in MIGRATIONS[1:]]
    assert current_version() == MIGRATIONS[-1].version
    # The keying migration appends one event: `audit.keyed`, sealing the first release's chain.
    assert snapshot() == {
        **before,
        "schema_version": before["schema_version"] + len(MIGRATIONS) - 1,
        "audit_event": before["audit_event"] + 1,
    }
    revision = models.ReportRevision.get(models.ReportRevision.report == ids["report"])
    assert (revision.percent, revision.narrative) == (40, "已完成管网改造")
    assert audit.verify().ok

    # Sign in through the served form.
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "SITES_DIR": str(tmp_path / "sites"),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
        }
    )
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": "shui", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    home = client.get(answer.headers["Location"])
    assert "保障饮水安全" in home.get_data(as_text=True)

    # Load the shipped plans next to the old one, publish the old plan's board, chase and deliver.
    load_plans(shipped_plans)
    assert models.Plan.select().count() == 1 + len(shipped_plans)
    result = publishing.publish("upgrade-2024", ["2024-04"], tmp_path / "sites", now=AT)
    assert (Path(tmp_path / "sites") / "upgrade-2024").is_dir() and result is not None
    mailbox = Mailbox().start()
    try:
        monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("TRACKER_SMTP_PORT", str(mailbox.port))
        run = chasing.deliver_pending(AT)
        assert run.sent == 1  # the first release's pending email goes out once
        assert chasing.deliver_pending(AT + timedelta(hours=1)).sent == 0
        assert list(mailbox.received()) == [("report:1:2024-05:overdue", "shui@example.org")]
    finally:
        mailbox.stop()
    assert audit.verify().ok


# -- fresh versus upgraded ------------------------------------------------------------------------------


def introspect() -> dict:
    """Every table's columns (type, length, nullable), indexes and foreign keys, as the database says."""
    shape = {}
    for table in sorted(db.get_tables()):
        if is_postgres():
            cursor = db.execute_sql(
                "SELECT column_name, data_type, character_maximum_length, is_nullable "
                "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s",
                (table,),
            )
            columns = {(name, kind, length, nullable == "YES") for name, kind, length, nullable in cursor}
        else:
            cursor = db.execute_sql(f'PRAGMA table_info("{table}")')
            columns = {
                (name, kind.upper(), None, not (notnull or pk)) for _, name, kind, notnull, _, pk in cursor
            }
        indexes = {(tuple(i.columns), i.unique) for i in db.get_indexes(table)}
        keys = {(k.column, k.dest_table, k.dest_column) for k in db.get_foreign_keys(table)}
        shape[table] = {"columns": columns, "indexes": indexes, "foreign_keys": keys}
    return shape


@pytest.fixture
def second_database(postgres, tmp_path):
    """Another empty database of the same kind as the test's own."""
    if postgres is None:
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    name = postgres.fresh(None)
    yield postgres.url(name)
    db.close_all()
    postgres.drop(name)


def test_an_upgraded_first_release_schema_equals_a_fresh_one(database_url, second_database):
    init_database(second_database)
    upgrade()
    fresh = introspect()
    init_database(database_url)
    build_version_1()
    upgrade()
    upgraded = introspect()
    assert fresh.keys() == upgraded.keys()
    for table in fresh:
        assert upgraded[table] == fresh[table], f"{table}: a model and its migration disagree"
