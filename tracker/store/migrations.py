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
from tracker.store.db import db, write_transaction

CREATED = "created at this version"


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    step: Callable[[SchemaMigrator], None]


def _initial(migrator: SchemaMigrator) -> None:  # pragma: no cover - version 1 is created, never migrated to
    raise RuntimeError("version 1 is the initial schema")


def _report_drafts(migrator: SchemaMigrator) -> None:
    db.create_tables([models.ReportDraft])


def _outbox(migrator: SchemaMigrator) -> None:
    """Delivery becomes the outbox: a `sending` state with its claimer, and messages of any kind."""
    migrate(
        migrator.add_column("delivery", "dedupe_key", pw.CharField(null=True, unique=True, max_length=200)),
        migrator.add_column("delivery", "payload", models.JSONField(null=True)),
        migrator.add_column("delivery", "claimed_by", pw.CharField(null=True, max_length=100)),
        migrator.add_column("delivery", "claimed_at", models.MomentField(null=True)),
        migrator.drop_not_null("delivery", "reminder_id"),
    )


def _list_withdrawal(migrator: SchemaMigrator) -> None:
    """A rectification list can be withdrawn (作废) before the unit answers; its number stays used."""
    migrate(
        migrator.add_column("rectification_list", "withdrawn_at", models.RectificationList.withdrawn_at),
        migrator.add_column("rectification_list", "withdrawn_by_id", models.RectificationList.withdrawn_by),
        migrator.add_column(
            "rectification_list", "withdraw_reason", models.RectificationList.withdraw_reason
        ),
        migrator.add_column(
            "rectification_list", "withdrawn_findings", models.RectificationList.withdrawn_findings
        ),
    )


def _indicator_kind_direction(migrator: SchemaMigrator) -> None:
    migrate(
        migrator.add_column("indicator", "kind", pw.CharField(default="amount", null=True, max_length=12)),
        migrator.add_column("indicator", "direction", pw.CharField(default="up", null=True, max_length=4)),
    )


def _plan_calendar(migrator: SchemaMigrator) -> None:
    migrate(
        migrator.add_column("plan", "adopted", pw.DateField(null=True)),
        migrator.add_column("plan", "reviews", pw.TextField(default="[]", null=True)),
        migrator.add_column("plan", "scoring", pw.TextField(default="{}", null=True)),
    )


def _review_keys(migrator: SchemaMigrator) -> None:
    # A review window's key (dispatch-2024-05) names its bulletin and publication.
    migrate(
        migrator.alter_column_type("bulletin", "board", pw.CharField(max_length=32)),
        migrator.alter_column_type("publication", "board", pw.CharField(max_length=32)),
    )


def _api_tokens(migrator: SchemaMigrator) -> None:
    db.create_tables([models.ApiToken])


def _levels(migrator: SchemaMigrator) -> None:
    # Columns with a default are added NOT NULL DEFAULT in one statement: SQLite would otherwise
    # rebuild the table to add NOT NULL, which its foreign keys (reports → assignment) refuse.
    for table, column, kind, default in (
        ("unit", "tags", "TEXT", "'[]'"),
        ("indicator", "rollup", "VARCHAR(8)", "'none'"),
        ("indicator", "shares", "TEXT", "'{}'"),
        ("assignment", "shares", "TEXT", "'{}'"),
    ):
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind} NOT NULL DEFAULT {default}')
    migrate(
        migrator.add_column("unit", "parent_id", models.Unit.parent),
        migrator.add_column("assignment", "parent_id", models.Assignment.parent),
        migrator.add_column("assignment", "deadline", models.Assignment.deadline),
    )


def _event_subscriptions(migrator: SchemaMigrator) -> None:
    db.create_tables([models.EventSubscription])


def _calendar_feeds(migrator: SchemaMigrator) -> None:
    db.create_tables([models.CalendarFeed])


def _contacts(migrator: SchemaMigrator) -> None:
    migrate(
        migrator.add_column("user", "wecom_id", models.User.wecom_id),
        migrator.add_column("user", "dingtalk_id", models.User.dingtalk_id),
        migrator.add_column("user", "mobile", models.User.mobile),
    )


def _key_audit_chain(migrator: SchemaMigrator) -> None:
    from playhouse.migrate import migrate

    from tracker.store import audit

    migrate(migrator.add_column("audit_event", "key_id", models.AuditEvent.key_id))
    audit.seal_legacy_chain()  # the first-release events keep their SHA-256; the key seals their head


def _cadences(migrator: SchemaMigrator) -> None:
    """A measure may report on its own cadence; report periods may be weeks (2024-W23, 8 characters)."""
    from tracker.store.db import is_postgres

    migrate(migrator.add_column("measure", "cadence", pw.CharField(null=True, max_length=12)))
    tables = ("report", "report_draft", "reminder")
    if is_postgres():
        for table in tables:
            db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "period" TYPE VARCHAR(10)')
        return
    # SQLite cannot alter a column, and rebuilding these tables is refused by the foreign keys that
    # point at them. A varchar's length is only a declared name there (both are TEXT affinity, the
    # rows are untouched), so the declaration is rewritten in place, as SQLite's ALTER TABLE
    # documentation describes for such changes.
    version = db.execute_sql("PRAGMA schema_version").fetchone()[0]
    db.execute_sql("PRAGMA writable_schema = ON")
    for table in tables:
        db.execute_sql(
            "UPDATE sqlite_master SET sql = replace(sql, '\"period\" VARCHAR(7)', '\"period\" VARCHAR(10)') "
            "WHERE type = 'table' AND name = ?",
            (table,),
        )
    db.execute_sql(f"PRAGMA schema_version = {version + 1}")
    db.execute_sql("PRAGMA writable_schema = OFF")


# PostgreSQL refuses any change to a written audit event, whoever asks (the app's role included).
AUDIT_GUARD = """
CREATE OR REPLACE FUNCTION tracker_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = 'audit_event is append-only: ' || TG_OP || ' refused',
    ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION tracker_audit_append_only();
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION tracker_audit_append_only();
"""


def _guard_audit_table(migrator: SchemaMigrator | None = None) -> None:
    from tracker.store.db import is_postgres

    if is_postgres():
        db.execute_sql(AUDIT_GUARD)


def _report_ledger(migrator: SchemaMigrator) -> None:
    """The report ledger and its change rows, kept by triggers, filled from the revisions so far."""
    from tracker.services import ledger

    db.create_tables([models.ReportLedger, models.ReportLedgerChange])
    ledger.install_triggers()
    ledger.rebuild()


def _ledger_first_revision(migrator: SchemaMigrator) -> None:
    """The ledger names its report's first revision and first revision marked complete, so a board
    reads the first submission and what a confirmation rests on through it instead of searching the
    revisions."""
    from tracker.services import ledger

    for table in ("report_ledger", "report_ledger_change"):
        # A database upgraded from before version 105 got the column when 105 created the tables.
        have = {c.name for c in db.get_columns(table)}
        for column in ("first_revision_id", "first_complete_id"):
            if column not in have:
                migrate(migrator.add_column(table, column, pw.IntegerField(null=True)))
    ledger.fill_first_revisions()


def _created_extras() -> None:
    """What a new database gets besides its tables: PostgreSQL's audit guard and the ledger's triggers."""
    from tracker.services import ledger

    _guard_audit_table()
    ledger.install_triggers()


KEYED_VERSION = 30

MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema: plans, units, assignments, indicators, users, reports, audit", _initial),
    Migration(10, "rectification lists can be withdrawn (作废), keeping their number", _list_withdrawal),
    Migration(15, "report drafts: unsubmitted report text kept per person and assignment", _report_drafts),
    Migration(20, "delivery outbox: sending/unknown states, claimer, payload and dedupe key", _outbox),
    Migration(KEYED_VERSION, "audit chain keyed with HMAC-SHA256 (audit_event.key_id)", _key_audit_chain),
    Migration(31, "PostgreSQL: audit_event refuses UPDATE, DELETE and TRUNCATE", _guard_audit_table),
    Migration(
        50, "levels: unit parent and tags, indicator roll-up and shares, assignment breakdown", _levels
    ),
    Migration(
        60, "indicator kind (count/amount/percent/rate) and direction (up/down)", _indicator_kind_direction
    ),
    Migration(61, "plan adoption day (reporting.start), review windows and score weights", _plan_calendar),
    Migration(62, "bulletin and publication keys long enough for review windows", _review_keys),
    Migration(80, "API tokens (stored as hashes, with their user's scope)", _api_tokens),
    Migration(81, "event subscriptions (signed POSTs of events to outside systems)", _event_subscriptions),
    Migration(82, "calendar feeds: a secret iCalendar URL per unit and per plan", _calendar_feeds),
    Migration(83, "a person's WeCom and DingTalk ids and mobile number, for work notices", _contacts),
    Migration(90, "cadences: a measure's own cadence; report periods long enough for weeks", _cadences),
    Migration(
        105, "report ledger: each report's facts now and a row per change, kept by triggers", _report_ledger
    ),
    Migration(
        110, "report ledger: each report's first revision and first marked complete", _ledger_first_revision
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


def applied_versions(migrations: list[Migration] | None = None) -> set[int]:
    """The migrations this database has: each one recorded, and every one up to the version a
    database was created at (it got those tables from the models)."""
    rows = list(models.SchemaVersion.select())
    created = [r.version for r in rows if r.description == CREATED]
    applied = {r.version for r in rows}
    if created:
        applied |= {m.version for m in (migrations or MIGRATIONS) if m.version <= max(created)}
    return applied


def upgrade(migrations: list[Migration] | None = None) -> list[str]:
    """Create or upgrade the schema; safe to run again, and from two processes at once. Returns what
    was done, one line a step.

    Engineers number migrations in separate ranges, so a lower number can arrive after a higher
    one: every migration not yet recorded is applied, in order, not only those above the highest.
    """
    migrations = sorted(migrations or MIGRATIONS, key=lambda m: m.version)
    done = []
    if current_version() is None:
        with write_transaction():
            if current_version() is None:
                db.create_tables(models.MODELS)
                models.SchemaVersion.create(
                    version=migrations[-1].version, description=CREATED, applied_at=now()
                )
                _created_extras()
                return [f"created schema version {migrations[-1].version}"]
    migrator = SchemaMigrator.from_database(db.obj)
    for m in migrations:
        if m.version in applied_versions(migrations):
            continue
        with write_transaction():  # serialised: a second process waits, then sees the step done
            if m.version in applied_versions(migrations):
                continue
            m.step(migrator)
            models.SchemaVersion.create(version=m.version, description=m.description, applied_at=now())
        done.append(f"upgraded to version {m.version}: {m.description}")
    return done or [f"schema is up to date (version {current_version()})"]
