"""Finding 5: sign-in throttling locked users out.

Reproductions: behind a reverse proxy every client was 127.0.0.1, so 30 bad sign-ins locked
everyone out; 5 bad passwords locked any named account, admins included; a wrong current password
on /password was never counted; 40 parallel guesses made 12 password checks, not 5.
"""

from __future__ import annotations

import threading

import pytest

from tests.web.conftest import csrf_token, sign_in
from tracker.services import auth
from tracker.services.auth import AuthError, Throttled, clear_throttle, wait_before_try
from tracker.store.db import db
from tracker.store.models import AuditEvent, LoginAttempt


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_an_attacker_guessing_an_admins_password_does_not_lock_the_admin_out(app, people):
    attacker = client_at(app, "10.9.9.9")
    for _ in range(10):
        sign_in(attacker, "admin", "not the password")
    assert sign_in(client_at(app, "10.0.0.2"), "admin").status_code == 302


def test_the_wait_grows_with_each_failure_and_is_never_a_fixed_lock(people, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")
    for _ in range(3):
        with pytest.raises(AuthError):
            auth.sign_in("clerk", "wrong", "10.1.1.1")
    assert wait_before_try("clerk", "10.1.1.1") == 2
    assert wait_before_try("clerk", "10.1.1.2") == 0
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:03+08:00")
    with pytest.raises(AuthError):
        auth.sign_in("clerk", "wrong", "10.1.1.1")
    assert wait_before_try("clerk", "10.1.1.1") == 4  # 2, 4, 8 … seconds after the last failure


def test_behind_a_trusted_proxy_each_client_counts_on_its_own_address(database, people, monkeypatch):
    from tracker.web import create_app

    monkeypatch.setenv("TRACKER_TRUSTED_PROXIES", "127.0.0.1")
    app = create_app({"TESTING": True, "SECRET_KEY": "test"})
    proxy = app.test_client()
    for n in range(40):  # forty different clients behind one proxy, each one wrong password
        proxy.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n}"
        sign_in(proxy, f"nobody{n}", "wrong")
    proxy.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
    assert sign_in(proxy, "clerk").status_code == 302
    addresses = {a.remote_addr for a in LoginAttempt.select()}
    assert "203.0.113.5" in addresses and "127.0.0.1" not in addresses
    # A client that is not a trusted proxy cannot choose its address by header.
    forger = app.test_client()
    forger.environ_base.update(REMOTE_ADDR="10.5.5.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    sign_in(forger, "clerk", "wrong")
    assert LoginAttempt.select().where(LoginAttempt.remote_addr == "10.5.5.5").count() == 1


def test_an_admin_clears_the_wait_and_it_is_audited(app, people, signed_in):
    attacker = client_at(app, "10.2.2.2")
    for _ in range(4):
        sign_in(attacker, "clerk", "wrong")
    assert sign_in(attacker, "clerk").status_code == 401
    admin = signed_in("admin")
    page = f"/admin/users/{people['clerk'].id}"
    token = csrf_token(admin, page)
    assert admin.post(f"{page}/throttle/clear", data={"csrf_token": token}).status_code == 302
    assert AuditEvent.select().where(AuditEvent.action == "login.throttle_clear").count() == 1
    assert sign_in(attacker, "clerk").status_code == 302


def test_a_wrong_current_password_on_the_password_page_counts_as_a_failure(app, people, signed_in):
    clerk = signed_in("clerk")
    for _ in range(3):
        token = csrf_token(clerk, "/password")
        new = "a new long enough pass"
        clerk.post("/password", data={"csrf_token": token, "old": "guess", "new": new, "again": new})
    assert LoginAttempt.select().where(LoginAttempt.success == False).count() == 3  # noqa: E712
    assert wait_before_try("clerk", "127.0.0.1") > 0


PARALLEL = 30  # under the connection pool's 32, one left for the test itself


def test_parallel_guesses_make_no_more_checks_than_the_free_tries(people):
    checks, refused = [], []
    start = threading.Barrier(PARALLEL)

    def guess():
        start.wait()
        db.connect(reuse_if_open=True)
        try:
            auth.sign_in("clerk", "wrong guess", "10.3.3.3")
        except Throttled:
            refused.append(1)
        except AuthError:
            checks.append(1)
        finally:
            db.close()

    threads = [threading.Thread(target=guess) for _ in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks) == auth.FREE_TRIES and len(refused) == PARALLEL - auth.FREE_TRIES


def test_clear_throttle_from_the_service(people):
    for _ in range(4):
        with pytest.raises(AuthError):
            auth.sign_in("boss", "wrong", "10.4.4.4")
    clear_throttle("boss", "admin")
    assert wait_before_try("boss", "10.4.4.4") == 0
