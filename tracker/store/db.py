"""The deferred database: one proxy that models bind to, pointed at SQLite or PostgreSQL at start-up.

`TRACKER_DATABASE_URL` picks the backend (`sqlite:///PATH` or `postgresql://user:pw@host:port/db`).
Both run the same code; the differences (pragmas, write locks) are kept in this one module.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
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
_PG_LOCK_SQL = f"SELECT pg_advisory_xact_lock({_PG_WRITE_LOCK})"
_lock = threading.local()  # .pending: this thread's write transaction still has to take the lock
# A pooled PostgreSQL connection handed back less than this long ago is taken as alive without the
# pool's round trip (`SELECT 1`, made under the pool's lock); one idle longer is still checked.
_PG_FRESH_SECONDS = 5.0


WRITER_QUEUE_SECONDS = 2.0


class _SqlitePool(PooledSqliteDatabase):
    """SQLite with the process's writers queued on a lock of their own: SQLite's busy handler makes a
    waiting writer sleep 1, 2, 5, 10 … ms between tries, so under a burst the write lock sat free
    while every waiter slept (report POSTs from 8 clients, issue 17). Other processes still wait
    on the busy timeout."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.writer = threading.Lock()


class _PostgresPool(PooledPostgresqlDatabase):
    """The pool, minus a round trip per request: a connection used moments ago is not pinged again."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._handed_back: dict[int, float] = {}

    def _is_closed(self, conn):
        handed_back = self._handed_back.pop(self.conn_key(conn), None)
        if (
            not conn.closed
            and handed_back is not None
            and time.monotonic() - handed_back < _PG_FRESH_SECONDS
            and self._adapter.txn_status(conn) == self._adapter.txn_idle
        ):
            return False
        return super()._is_closed(conn)

    def _close(self, conn, close_conn=False):
        super()._close(conn, close_conn)
        if not close_conn and not conn.closed:
            self._handed_back[self.conn_key(conn)] = time.monotonic()


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
        return _SqlitePool(
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
        return _PostgresPool(
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
def write_transaction(lock_with_first_read: bool = False):
    """A transaction for a change: serialised with every other writer, so the audit chain stays linear.

    `lock_with_first_read`: on PostgreSQL the lock is sent with the caller's first statement, which
    must go through `with_write_lock` (one round trip fewer while every other writer waits); a body
    that never sends one still takes the lock before it commits."""
    writer = getattr(db.obj, "writer", None) if db.transaction_depth() == 0 else None
    with _queued(writer), db.atomic() as txn:
        outermost = is_postgres() and db.transaction_depth() == 1
        if outermost and lock_with_first_read:
            _lock.pending = True
        elif outermost:
            db.execute_sql(_PG_LOCK_SQL)
        try:
            yield txn
            if outermost and getattr(_lock, "pending", False):
                db.execute_sql(with_write_lock("SELECT 1"))
        finally:
            if outermost:
                _lock.pending = False


@contextmanager
def _queued(writer: threading.Lock | None):
    """Wait for this process's other writers on `writer`, at most WRITER_QUEUE_SECONDS: beyond that
    SQLite's own busy timeout takes over, so a writer held up that long still gets "database is
    locked" (the app's 503 page) as before, not an endless wait."""
    acquired = writer is not None and writer.acquire(timeout=WRITER_QUEUE_SECONDS)
    try:
        yield
    finally:
        if acquired:
            writer.release()


def with_write_lock(sql: str) -> str:
    """`sql`, preceded by the write lock's statement when this transaction has not taken it yet: the
    two go in one round trip, the lock first (the read that follows sees every earlier writer's rows)."""
    if getattr(_lock, "pending", False):
        _lock.pending = False
        return f"{_PG_LOCK_SQL}; {sql}"
    return sql


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
