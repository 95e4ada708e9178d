"""Fixtures for the security findings' tests: the people and app of tests/services and tests/web."""

from __future__ import annotations

import pytest

from tests.services.conftest import people, scopes  # noqa: F401 - fixtures
from tests.web.conftest import app, client, live_server, signed_in, world  # noqa: F401 - fixtures
from tests.web.test_browser import browser  # noqa: F401 - fixture


@pytest.fixture
def people_scope(scopes):  # noqa: F811
    return scopes["inspector"]
