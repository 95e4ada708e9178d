"""The deferred database: one proxy that models bind to, pointed at SQLite or PostgreSQL at start-up.

`TRACKER_DATABASE_URL` picks the backend (`sqlite:///PATH` or `postgresql://user:pw@host:port/db`).
Both run the same code; the differences (pragmas, write locks) are kept in this one module.
"""

from __future__ import annotations

import contextlib
import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import peewee
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

DEFAULT_URL = "sqlite:///instance/tracker.db"

db = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    # WAL with synchronous=normal is durable across application crashes and consistent after power loss.
    "synchronous": "normal",
}

# Taken inside every write transaction on PostgreSQL so that audit events chain in one order.
_PG_WRITE_LOCK = 7_446_353


class DatabaseURLError(ValueError):
    pass


def database_url() -> str:
    return os.environ.get("TRACKER_DATABASE_URL") or DEFAULT_URL


def make_database(url: str) -> peewee.Database:
    """A database object for `url`; SQLite files get WAL, foreign keys and a busy timeout."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:///relative/path keeps one leading slash from the URL form; sqlite:////abs has two.
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise DatabaseURLError(f"{url!r}: no database path (write sqlite:///instance/tracker.db)")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):  # created owner-only: it holds every report
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return PooledSqliteDatabase(
            path,
            pragmas=SQLITE_PRAGMAS,
            # Every transaction takes the write lock up front: no deadlock when two writers upgrade.
            lock_type="IMMEDIATE",
            check_same_thread=False,
            max_connections=32,
            stale_timeout=300,
        )
    if parts.scheme in ("postgresql", "postgres"):
        options = dict(parse_qsl(parts.query))
        # The app's statements are short: JIT compilation cost more than it saved (board CPU -25% off).
        options.setdefault("options", "-c jit=off")
        return PooledPostgresqlDatabase(
            unquote(parts.path.lstrip("/")) or "postgres",
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            max_connections=32,
            stale_timeout=300,
            **options,
        )
    raise DatabaseURLError(f"{url!r}: TRACKER_DATABASE_URL must start with sqlite:/// or postgresql://")


def init_database(url: str | None = None) -> peewee.Database:
    """Point the proxy at `url` (default: the environment), closing any previous database."""
    current = db.obj
    if current is not None:
        current.close_all() if hasattr(current, "close_all") else current.close()
    database = make_database(url or database_url())
    db.initialize(database)
    return database


def is_postgres() -> bool:
    return isinstance(db.obj, peewee.PostgresqlDatabase)


@contextmanager
def write_transaction():
    """A transaction for a change: serialised with every other writer, so the audit chain stays linear."""
    with db.atomic() as txn:
        if is_postgres() and db.transaction_depth() == 1:
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_WRITE_LOCK,))
        yield txn


def sync_sequences(models) -> None:
    """After rows were inserted with explicit ids, move PostgreSQL's id sequences past them."""
    if not is_postgres():
        return
    for model in models:
        table = model._meta.table_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # nosec B608 # a model's table name
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
        )
