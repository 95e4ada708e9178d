"""Fixtures shared by every layer: a fresh database per test, on SQLite or on PostgreSQL.

`TRACKER_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test` runs the suite on PostgreSQL:
every test gets its own database on that server, cloned from a template, dropped at the end.
"""

from __future__ import annotations

import os

# Every test process (and the subprocesses it starts) seals the audit chain with this key; tests of
# the key file remove it.
os.environ.setdefault("TRACKER_AUDIT_KEY", "tests-audit-key-not-secret")

import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from click.testing import CliRunner

from tracker.store.db import db, init_database
from tracker.store.migrations import upgrade

ROOT = Path(__file__).resolve().parents[1]
MEASURES = ROOT / "measures"


def _pg_admin(url: str):
    parts = urlsplit(url)
    conn = psycopg2.connect(
        dbname=parts.path.lstrip("/") or "postgres",
        user=parts.username,
        password=parts.password,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    conn.autocommit = True
    return conn


class PostgresClones:
    """Fresh PostgreSQL databases per test, cloned from templates built once per session:
    empty, at the latest schema, or with the shipped plans loaded."""

    def __init__(self, base: str):
        self.base = urlsplit(base)
        self.admin = _pg_admin(base)
        self.prefix = f"tracker_test_{uuid.uuid4().hex[:8]}"
        self.templates: dict[str, str] = {}
        self.count = 0

    def url(self, name: str) -> str:
        return urlunsplit(self.base._replace(path=f"/{name}"))

    def execute(self, sql: str) -> None:
        with self.admin.cursor() as cur:
            cur.execute(sql)

    def template(self, kind: str) -> str:
        if kind not in self.templates:
            name = f"{self.prefix}_tpl_{kind}"
            self.execute(f'CREATE DATABASE "{name}"')
            database = init_database(self.url(name))
            upgrade()
            if kind == "loaded":
                from tracker.plans.load import load_plans

                load_plans(sorted(MEASURES.glob("*.yaml")))
            database.close_all()
            self.templates[kind] = name
        return self.templates[kind]

    def fresh(self, kind: str | None) -> str:
        self.count += 1
        name = f"{self.prefix}_{self.count}"
        template = f' TEMPLATE "{self.template(kind)}" STRATEGY FILE_COPY' if kind else ""
        self.execute(f'CREATE DATABASE "{name}"{template}')
        return name

    def drop(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for name in self.templates.values():
            self.drop(name)
        self.admin.close()


@pytest.fixture(scope="session")
def postgres():
    """Clones of PostgreSQL databases for this session, or None when testing SQLite."""
    base = os.environ.get("TRACKER_TEST_DATABASE_URL", "")
    if not base.startswith("postgres"):
        yield None
        return
    clones = PostgresClones(base)
    yield clones
    if db.obj is not None and hasattr(db.obj, "close_all"):
        db.close_all()
    clones.close()


@pytest.fixture
def database_url(request, tmp_path, postgres, monkeypatch):
    """The URL of this test's own database, also set as TRACKER_DATABASE_URL for the CLI.

    Empty, unless the test also asks for `database` (latest schema) or `loaded` (the shipped plans):
    on PostgreSQL those come cloned from a template, which is much faster than building them again.
    """
    monkeypatch.delenv("TRACKER_NOW", raising=False)
    monkeypatch.setenv("TRACKER_SITES_DIR", str(tmp_path / "sites"))  # where `tracker demo` publishes
    if postgres is None:
        url = f"sqlite:///{tmp_path}/tracker.db"
        monkeypatch.setenv("TRACKER_DATABASE_URL", url)
        yield url
        return
    wanted = set(request.fixturenames)
    kind = "loaded" if "loaded" in wanted else "schema" if "database" in wanted else None
    name = postgres.fresh(kind)
    url = postgres.url(name)
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    yield url
    if db.obj is not None and hasattr(db.obj, "close_all"):
        db.close_all()
    postgres.drop(name)


@pytest.fixture
def database(database_url):
    """A fresh database at the latest schema, connected."""
    database = init_database(database_url)
    upgrade()
    yield database
    database.close_all() if hasattr(database, "close_all") else database.close()


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """argon2id with small cost parameters: the same algorithm and code path, milliseconds not 0.2 s."""
    from argon2 import PasswordHasher

    from tracker.services import users

    monkeypatch.setattr(users, "hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def shipped_plans():
    return sorted(MEASURES.glob("*.yaml"))


@pytest.fixture(scope="session")
def _loaded_sqlite_file(tmp_path_factory):
    """The shipped plans loaded once per session into a SQLite file that tests copy."""
    from tracker.plans.load import load_plans

    path = tmp_path_factory.mktemp("loaded") / "tracker.db"
    database = init_database(f"sqlite:///{path}")
    upgrade()
    load_plans(sorted(MEASURES.glob("*.yaml")))
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close_all()
    return path


@pytest.fixture
def loaded(request, database, database_url, shipped_plans):
    """The database of this test with the three shipped plans loaded (cloned on PostgreSQL)."""
    if database_url.startswith("sqlite"):
        source = request.getfixturevalue("_loaded_sqlite_file")
        database.close_all()
        target = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        shutil.copyfile(source, target)
        init_database(database_url)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with empty in-process rate windows, as a freshly started process would."""
    from tracker.services import limits

    for window in limits.WINDOWS:
        window.clear()


def as_dba() -> None:
    """Let this connection change audit events, as a database superuser would (PostgreSQL's trigger
    refuses the app; a superuser can turn triggers off for the session)."""
    from tracker.store.db import db, is_postgres

    if is_postgres():
        db.execute_sql("SET session_replication_role = replica")


@pytest.fixture(autouse=True)
def own_audit_anchors(monkeypatch, tmp_path):
    """Each test's anchors file is its own: a head anchored by one test's database is not another's."""
    monkeypatch.setenv("TRACKER_AUDIT_ANCHORS", str(tmp_path / "audit_anchors"))
