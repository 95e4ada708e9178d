from __future__ import annotations

import pytest

from tests.web.conftest import app, client, live_server, world  # noqa: F401  (fixtures)
from tracker.services import tokens
from tracker.services.users import add_user
from tracker.store.models import User


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def county(world):  # noqa: F811  (the fixture above)
    """A county-level office: an inspector scoped to unit A (测试市甲局) and what is under it."""
    return add_user("county", "inspector", "测试市甲局", "correct horse battery", must_change=False)[0]


@pytest.fixture
def token_of(world):  # noqa: F811  (the fixture above)
    """A fresh token's secret for a user of the world, by username."""

    def make(username: str, **kw) -> str:
        return tokens.add("test", User.get(User.username == username), **kw).secret

    return make
