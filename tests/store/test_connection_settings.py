"""Settings every connection of the app gets from `make_database`."""

from __future__ import annotations

import pytest

from tracker.store.db import is_postgres


def test_postgresql_connections_run_without_jit(database):
    """The app's statements are short; PostgreSQL's JIT compiled them for longer than they ran."""
    if not is_postgres():
        pytest.skip("PostgreSQL only")
    assert database.execute_sql("SHOW jit").fetchone()[0] == "off"


def test_a_url_may_still_set_its_own_connection_options(database_url):
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL only")
    from tracker.store.db import make_database

    database = make_database(database_url + "?options=-c%20jit%3Don")
    try:
        assert database.execute_sql("SHOW jit").fetchone()[0] == "on"
    finally:
        database.close_all()
