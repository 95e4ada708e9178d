"""Schema versions. A new database gets every table at the latest version; an older one is upgraded
step by step by the migrations below, inside one transaction each, so no row is lost.

To change the schema: change the model, then append a `Migration` whose step brings an existing
database to the same shape (playhouse.migrate's `SchemaMigrator` works on SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import peewee as pw
from playhouse.migrate import SchemaMigrator, migrate

from tracker.clock import now
from tracker.store import models
from tracker.store.db import db


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    step: Callable[[SchemaMigrator], None]


def _initial(migrator: SchemaMigrator) -> None:  # pragma: no cover - version 1 is created, never migrated to
    raise RuntimeError("version 1 is the initial schema")


def _indicator_kind_direction(migrator: SchemaMigrator) -> None:
    migrate(
        migrator.add_column("indicator", "kind", pw.CharField(default="amount", max_length=12)),
        migrator.add_column("indicator", "direction", pw.CharField(default="up", max_length=4)),
    )


MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema: plans, units, assignments, indicators, users, reports, audit", _initial),
    Migration(
        60, "indicator kind (count/amount/percent/rate) and direction (up/down)", _indicator_kind_direction
    ),
]


def latest_version(migrations: list[Migration] | None = None) -> int:
    return max(m.version for m in (migrations or MIGRATIONS))


def current_version() -> int | None:
    """The schema version of the connected database, or None when it has no tracker tables."""
    if not models.SchemaVersion.table_exists():
        return None
    row = models.SchemaVersion.select().order_by(models.SchemaVersion.version.desc()).first()
    return row.version if row else None


def upgrade(migrations: list[Migration] | None = None) -> list[str]:
    """Create or upgrade the schema; safe to run again. Returns what was done, one line a step."""
    migrations = sorted(migrations or MIGRATIONS, key=lambda m: m.version)
    done = []
    version = current_version()
    if version is None:
        with db.atomic():
            db.create_tables(models.MODELS)
            models.SchemaVersion.create(
                version=migrations[-1].version, description="created at this version", applied_at=now()
            )
        return [f"created schema version {migrations[-1].version}"]
    migrator = SchemaMigrator.from_database(db.obj)
    for m in migrations:
        if m.version <= version:
            continue
        with db.atomic():
            m.step(migrator)
            models.SchemaVersion.create(version=m.version, description=m.description, applied_at=now())
        done.append(f"upgraded to version {m.version}: {m.description}")
    return done or [f"schema is up to date (version {version})"]
