"""Fixtures shared by every layer: a fresh database per test, on SQLite or on PostgreSQL.

`TRACKER_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test` runs the suite on PostgreSQL:
the session creates its own database next to that one and drops it at the end.
"""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL database for this test session, or None when testing SQLite."""
    base = os.environ.get("TRACKER_TEST_DATABASE_URL", "")
    if not base.startswith("postgres"):
        yield None
        return
    name = f"tracker_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin(base)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(base)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    db.close_all() if db.obj is not None and hasattr(db.obj, "close_all") else None
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def database_url(tmp_path, postgres_url, monkeypatch):
    """The URL of an empty database for this test, also set as TRACKER_DATABASE_URL for the CLI."""
    if postgres_url:
        init_database(postgres_url)
        db.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        db.close()
        url = postgres_url
    else:
        url = f"sqlite:///{tmp_path}/tracker.db"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    monkeypatch.delenv("TRACKER_NOW", raising=False)
    return url


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
    """The database of this test with the three shipped plans loaded."""
    from tracker.plans.load import load_plans

    if database_url.startswith("sqlite"):
        source = request.getfixturevalue("_loaded_sqlite_file")
        database.close_all()
        target = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        shutil.copyfile(source, target)
        init_database(database_url)
    else:
        load_plans(shipped_plans)
