"""Finding 8: a weak password policy, guessed cookie flags, cacheable signed-in pages, refusals that
flood the audit chain, a world-readable SQLite file."""

from __future__ import annotations

import stat

import pytest

from tests.web.conftest import csrf_token
from tracker.store.db import make_database
from tracker.store.models import AuditEvent


@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "password12", "qwertyuiop", "1234567890a"])
def test_a_guessable_password_is_refused(signed_in, weak):
    clerk = signed_in("clerk")
    token = csrf_token(clerk, "/password")
    data = {"csrf_token": token, "old": "correct horse battery", "new": weak, "again": weak}
    response = clerk.post("/password", data=data)
    assert response.status_code == 400 and "太容易被猜中" in response.get_data(as_text=True)


def test_signed_in_pages_are_never_stored_by_a_browser(client, signed_in):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    clerk = signed_in("clerk")
    assert clerk.get("/unit/").headers["Cache-Control"] == "no-store"


def test_secure_cookies_and_hsts_follow_the_setting(database, people, monkeypatch):
    from tests.web.conftest import sign_in
    from tracker.web import create_app

    monkeypatch.setenv("TRACKER_SECURE_COOKIES", "1")
    app = create_app({"TESTING": True, "SECRET_KEY": "test"})
    client = app.test_client()
    response = sign_in(client, "clerk")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    monkeypatch.delenv("TRACKER_SECURE_COOKIES")
    plain = create_app({"TESTING": True, "SECRET_KEY": "test"}).test_client()
    assert "Strict-Transport-Security" not in plain.get("/login").headers


def test_refused_requests_are_audited_at_a_bounded_rate(signed_in, people):
    other = signed_in("other")
    before = AuditEvent.select().where(AuditEvent.action == "access.refused").count()
    for _ in range(60):
        other.get("/admin/")
    logged = AuditEvent.select().where(AuditEvent.action == "access.refused").count() - before
    assert 1 <= logged <= 20


def test_a_new_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    database = make_database(f"sqlite:///{tmp_path}/new.db")
    database.connect()
    database.execute_sql("CREATE TABLE t (x)")
    database.close()
    assert stat.S_IMODE((tmp_path / "new.db").stat().st_mode) == 0o600
