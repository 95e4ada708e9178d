"""Tokens: made on the command line and on 我的令牌, shown once, stored hashed, scoped, revoked."""

from __future__ import annotations

import hashlib
import re

from tests.api.conftest import bearer
from tests.web.conftest import csrf_token, sign_in
from tracker.cli import cli
from tracker.services import admin
from tracker.store.models import ApiToken, AuditEvent, User


def test_cli_adds_lists_and_revokes_a_token_that_is_stored_only_as_a_hash(client, world, runner):
    made = runner.invoke(cli, ["tokens", "add", "clerk", "--name", "政务平台对接", "--days", "30"])
    assert made.exit_code == 0, made.output
    secret = re.search(r"^(trk_\S+)$", made.output, re.M).group(1)
    row = ApiToken.get()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.select().dicts()[:])
    assert (row.expires_at - row.created_at).days == 30

    assert client.get("/api/v1/plans", headers=bearer(secret)).status_code == 200
    listed = runner.invoke(cli, ["tokens", "list"])
    assert "政务平台对接" in listed.output and "active" in listed.output and secret not in listed.output
    assert "last used never" not in listed.output  # the use above was recorded

    revoked = runner.invoke(cli, ["tokens", "revoke", str(row.id)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    answer = client.get("/api/v1/plans", headers=bearer(secret))
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthorized"
    again = runner.invoke(cli, ["tokens", "revoke", str(row.id)])
    assert again.exit_code == 1 and "Traceback" not in again.output


def test_cli_refuses_an_unknown_user_and_wrong_days_without_a_traceback(world, runner):
    for args in (["tokens", "add", "nobody"], ["tokens", "add", "clerk", "--days", "0"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert ApiToken.select().count() == 0


def test_an_expired_token_gets_401(client, world, token_of, monkeypatch):
    secret = token_of("clerk", days=1)
    assert client.get("/api/v1/plans", headers=bearer(secret)).status_code == 200
    monkeypatch.setenv("TRACKER_NOW", "2024-05-21T10:00:01+08:00")
    answer = client.get("/api/v1/plans", headers=bearer(secret))
    assert answer.status_code == 401 and "过期" in answer.get_json()["error"]["message"]


def test_disabling_a_user_revokes_their_tokens_at_once(client, world, token_of):
    secret = token_of("clerk")
    assert client.get("/api/v1/assignments", headers=bearer(secret)).status_code == 200
    admin.set_active("admin", world.people["clerk"].id, False)
    assert client.get("/api/v1/assignments", headers=bearer(secret)).status_code == 401
    assert ApiToken.get().revoked_why == "disabled"
    admin.set_active("admin", world.people["clerk"].id, True)
    assert client.get("/api/v1/assignments", headers=bearer(secret)).status_code == 401  # stays revoked


def test_a_role_change_revokes_tokens(client, world, token_of):
    secret = token_of("clerk")
    admin.change_role("admin", world.people["clerk"].id, "inspector", None)
    assert client.get("/api/v1/assignments", headers=bearer(secret)).status_code == 401


def test_a_read_only_token_reads_but_cannot_file(client, world, token_of):
    secret = token_of("clerk", read_only=True)
    assignment = world.own.assignment.id
    assert client.get(f"/api/v1/assignments/{assignment}", headers=bearer(secret)).status_code == 200
    answer = client.post(
        f"/api/v1/assignments/{assignment}/reports",
        headers=bearer(secret),
        json={"period": "2024-05", "percent": 60},
    )
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "read_only"


def test_a_session_cookie_is_never_accepted_by_the_api(client, world):
    assert sign_in(client, "clerk").status_code == 302
    assert client.get("/unit/").status_code == 200  # signed in for the app
    answer = client.get("/api/v1/assignments")
    assert answer.status_code == 401 and "Set-Cookie" not in answer.headers


def test_rate_limit_answers_429_with_retry_after(app, client, world, token_of):
    app.config.update(API_RATE_LIMIT=3, API_RATE_WINDOW=60)
    secret, other = token_of("clerk"), token_of("admin")
    assert [client.get("/api/v1/plans", headers=bearer(secret)).status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/plans", headers=bearer(secret))
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert client.get("/api/v1/plans", headers=bearer(other)).status_code == 200  # per token


def test_my_tokens_page_shows_a_new_token_once_and_revokes_it(client, world):
    sign_in(client, "clerk")
    page = client.get("/tokens/").get_data(as_text=True)
    assert "我的令牌" in page and "还没有令牌" in page
    made = client.post(
        "/tokens/",
        data={"name": "钉钉工作台", "days": "30", "csrf_token": csrf_token(client, "/tokens/")},
    )
    assert made.status_code == 200
    secret = re.search(r'id="new-token">(trk_[^<]+)<', made.get_data(as_text=True)).group(1)
    assert client.get("/api/v1/plans", headers=bearer(secret)).status_code == 200
    shown_again = client.get("/tokens/").get_data(as_text=True)
    assert "钉钉工作台" in shown_again and secret not in shown_again and secret[:10] in shown_again

    token = ApiToken.get()
    revoked = client.post(f"/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/tokens/")})
    assert revoked.status_code == 302
    assert client.get("/api/v1/plans", headers=bearer(secret)).status_code == 401
    assert AuditEvent.select().where(AuditEvent.action == "token.revoke").count() == 1


def test_a_person_cannot_revoke_another_persons_token_but_an_admin_can(client, world, token_of):
    token_of("other")
    token = ApiToken.get()
    sign_in(client, "clerk")
    answer = client.post(f"/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/tokens/")})
    assert answer.status_code == 404 and ApiToken.get().revoked_at is None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/tokens/")})
    sign_in(client, "admin")
    page = client.get("/tokens/").get_data(as_text=True)
    assert "全部令牌" in page and "other" in page
    client.post(f"/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/tokens/")})
    assert ApiToken.get().revoked_at is not None


def test_a_bad_days_value_is_shown_by_the_field_and_makes_nothing(client, world):
    sign_in(client, "clerk")
    answer = client.post("/tokens/", data={"days": "999", "csrf_token": csrf_token(client, "/tokens/")})
    assert answer.status_code == 400 and "有效天数须在" in answer.get_data(as_text=True)
    assert ApiToken.select().count() == 0
    assert User.get(User.username == "clerk").active
