"""`tracker init` creates the schema once and upgrades an older database without losing rows."""

from __future__ import annotations

import peewee as pw
from playhouse.migrate import SchemaMigrator, migrate

from tracker.clock import now
from tracker.store import models
from tracker.store.db import db, is_postgres
from tracker.store.migrations import CREATED, MIGRATIONS, Migration, current_version, upgrade


def test_a_new_database_gets_the_latest_schema(database):
    assert current_version() == MIGRATIONS[-1].version
    assert set(db.get_tables()) >= {m._meta.table_name for m in models.MODELS}


def test_running_init_again_changes_nothing(database):
    models.Setting.create(key="k", value="v")
    assert upgrade() == [f"schema is up to date (version {MIGRATIONS[-1].version})"]
    assert models.Setting.get_by_id("k").value == "v"


def test_an_upgrade_adds_a_column_and_keeps_every_row(database):
    models.Setting.create(key="keep", value="me")

    def add_note(migrator):
        migrate(migrator.add_column("setting", "note", pw.TextField(null=True)))

    steps = [*MIGRATIONS, Migration(MIGRATIONS[-1].version + 1, "add setting.note", add_note)]
    assert upgrade(steps) == [f"upgraded to version {steps[-1].version}: add setting.note"]
    assert current_version() == steps[-1].version
    row = db.execute_sql("SELECT key, value, note FROM setting").fetchall()
    assert [tuple(r) for r in row] == [("keep", "me", None)]
    assert upgrade(steps) == [f"schema is up to date (version {steps[-1].version})"]


def test_a_lower_numbered_migration_that_lands_later_is_still_applied(database):
    def add(column):
        def step(migrator):
            migrate(migrator.add_column("setting", column, pw.TextField(null=True)))

        return step

    base = MIGRATIONS[-1].version
    later = Migration(base + 20, "add setting.b", add("b"))
    earlier = Migration(base + 10, "add setting.a", add("a"))  # another engineer's lower range
    assert upgrade([*MIGRATIONS, later]) == [f"upgraded to version {base + 20}: add setting.b"]
    assert upgrade([*MIGRATIONS, earlier, later]) == [f"upgraded to version {base + 10}: add setting.a"]
    assert [tuple(r) for r in db.execute_sql("SELECT key, a, b FROM setting").fetchall()] == []
    assert upgrade([*MIGRATIONS, earlier, later]) == [f"schema is up to date (version {base + 20})"]


def test_versions_80_to_89_add_the_api_tables_to_an_older_database(database):
    """Issue 18's migrations: a database from before them gains the API's tables, rows intact."""
    ours = [m for m in MIGRATIONS if 80 <= m.version <= 89]
    tables = [models.ApiToken, models.EventSubscription, models.CalendarFeed]
    db.drop_tables(tables)
    for column in ("wecom_id", "dingtalk_id", "mobile"):
        migrate(SchemaMigrator.from_database(db.obj).drop_column("user", column))
    models.SchemaVersion.delete().where(models.SchemaVersion.version >= 80).execute()
    models.Setting.create(key="keep", value="me")
    before = max(m.version for m in MIGRATIONS if m.version < 80)
    if not models.SchemaVersion.get_or_none(models.SchemaVersion.version == before):
        models.SchemaVersion.create(version=before, description=CREATED, applied_at=now())
    upgrade([m for m in MIGRATIONS if m.version < 80 or m in ours])
    assert {t._meta.table_name for t in tables} <= set(db.get_tables())
    assert models.Setting.get_by_id("keep").value == "me"
    assert {"wecom_id", "dingtalk_id", "mobile"} <= {c.name for c in db.get_columns("user")}
    assert current_version() == ours[-1].version


def test_version_50_adds_the_levels_to_an_older_database_and_keeps_its_rows(database):
    """A database from before the levels gains unit parent/tags, indicator roll-up/shares and the
    breakdown columns of assignments; its units keep their rows."""
    from playhouse.migrate import SchemaMigrator

    migrator = SchemaMigrator.from_database(db.obj)
    # SQLite refuses DROP COLUMN on a foreign key: rebuild the table instead (the legacy way).
    legacy = {"legacy": True} if not is_postgres() else {}
    migrate(
        migrator.drop_column("unit", "parent_id", **legacy),
        migrator.drop_column("unit", "tags"),
        migrator.drop_column("indicator", "rollup"),
        migrator.drop_column("indicator", "shares"),
        migrator.drop_column("assignment", "parent_id", **legacy),
        migrator.drop_column("assignment", "deadline"),
        migrator.drop_column("assignment", "shares"),
    )
    # Every other version recorded as applied one by one: only 50 is missing.
    models.SchemaVersion.delete().execute()
    for m in MIGRATIONS:
        if m.version != 50:
            models.SchemaVersion.create(version=m.version, description=m.description, applied_at=now())
    db.execute_sql(
        "INSERT INTO unit (name, aliases, kind, reconstructed, created_at)"
        " VALUES ('旬邑县', '[]', 'county', false, '2024-01-01 00:00:00')"
    )
    assert upgrade() == [
        "upgraded to version 50: levels: unit parent and tags, indicator roll-up and shares, assignment breakdown"
    ]
    unit = models.Unit.get(models.Unit.name == "旬邑县")
    assert (unit.kind, unit.parent, unit.tags) == ("county", None, [])
    assert models.Indicator.select(models.Indicator.rollup, models.Indicator.shares).count() == 0
