from __future__ import annotations

import pytest

from tracker.plans.load import load_plans
from tracker.web import create_app


@pytest.fixture
def app(database, database_url, tmp_path):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "SITES_DIR": str(tmp_path / "sites"),
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def loaded(database, shipped_plans):
    load_plans(shipped_plans)
