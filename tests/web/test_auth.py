"""Signing in and out: sessions live on the server, so ending one is final everywhere."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD, csrf_token, sign_in
from tracker.services.users import add_user
from tracker.store.db import write_transaction
from tracker.store.models import AuditEvent, LoginAttempt, User


def logout(client):
    token = csrf_token(client, "/password")
    return client.post("/logout", data={"csrf_token": token})


def test_a_person_signs_in_and_lands_on_a_page(client, people):
    response = sign_in(client, "clerk")
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_wrong_password_is_refused_with_one_message_for_every_cause(client, people):
    wrong = sign_in(client, "clerk", "not the password")
    unknown = sign_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert "用户名或密码错误" in unknown.get_data(as_text=True)


def test_a_blank_field_is_marked_and_its_message_tied_to_it_for_a_screen_reader(client, people):
    page = client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "username": "clerk"})
    html = page.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and 'aria-describedby="password-error"' in html
    assert '<span class="error" id="password-error">请输入密码</span>' in html
    assert 'aria-describedby="username-error"' not in html


def test_repeated_failures_make_this_name_and_address_wait_not_the_owner_elsewhere(app, people):
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.0.0.66"
    for _ in range(3):
        assert sign_in(attacker, "clerk", "wrong password!").status_code == 401
    waiting = sign_in(attacker, "clerk")  # even the right password waits now, from this address
    assert waiting.status_code == 401 and "秒后再试" in waiting.get_data(as_text=True)
    assert LoginAttempt.select().where(LoginAttempt.success == False).count() == 3  # noqa: E712
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert sign_in(owner, "clerk").status_code == 302  # the owner, from their own desk, is not locked out


def test_the_wait_is_kept_in_the_database_so_another_process_sees_it(app, people):
    for _ in range(3):
        sign_in(app.test_client(), "clerk", "wrong password!")
    fresh_client = app.test_client()  # as a second worker process would: no shared memory, same database
    assert sign_in(fresh_client, "clerk").status_code == 401


def test_a_session_cookie_replayed_after_logout_is_refused(app, client, people):
    sign_in(client, "clerk")
    cookie = client.get_cookie("tracker_session").value
    assert client.get("/password").status_code == 200
    logout(client)
    thief = app.test_client()
    thief.set_cookie("tracker_session", cookie)
    response = thief.get("/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_password_change_ends_every_other_session(app, people):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "clerk")
    sign_in(phone, "clerk")
    token = csrf_token(laptop, "/password")
    changed = laptop.post(
        "/password",
        data={
            "old": PASSWORD,
            "new": "a brand new secret",
            "again": "a brand new secret",
            "csrf_token": token,
        },
    )
    assert changed.status_code == 302
    assert laptop.get("/password").status_code == 200
    assert phone.get("/password").status_code == 302


def test_a_disabled_account_is_signed_out_at_once(app, client, people):
    from tracker.services.auth import revoke_all

    sign_in(client, "clerk")
    with write_transaction():
        user = User.get(User.username == "clerk")
        user.active = False
        user.save()
        revoke_all(user, "disabled", "admin")
    assert client.get("/password").status_code == 302


def test_a_one_time_password_must_be_changed_before_anything_else(client, loaded):
    _, one_time = add_user("newbie", "reporter", "安康市乡村振兴局")
    response = sign_in(client, "newbie", one_time)
    assert response.headers["Location"].endswith("/password")
    assert client.get("/").status_code == 200  # public pages stay open
    token = csrf_token(client, "/password")
    client.post(
        "/password",
        data={"old": one_time, "new": "my own secret 1", "again": "my own secret 1", "csrf_token": token},
    )
    assert not User.get(User.username == "newbie").must_change_password


def test_a_form_without_its_csrf_token_is_refused(client, people):
    response = client.post("/login", data={"username": "clerk", "password": PASSWORD})
    assert response.status_code == 400
    assert not AuditEvent.select().where(AuditEvent.action == "session.open").exists()


def test_signing_in_starts_a_new_session(client, people):
    client.get("/login")
    before = client.get_cookie("tracker_session").value
    sign_in(client, "clerk")
    assert client.get_cookie("tracker_session").value != before


def test_the_session_cookie_is_http_only_and_same_site(client, people):
    response = sign_in(client, "clerk")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(client, people, target):
    token = csrf_token(client, "/login")
    response = client.post(
        f"/login?next={target}", data={"username": "clerk", "password": PASSWORD, "csrf_token": token}
    )
    assert "evil" not in response.headers["Location"] and "javascript" not in response.headers["Location"]


@pytest.mark.parametrize(
    ("who", "lands"), [("clerk", "/unit/"), ("leader", "/leader/"), ("inspector", "/office/")]
)
def test_each_role_lands_on_its_own_first_page(client, people, who, lands):
    assert sign_in(client, who).headers["Location"].endswith(lands)
