"""Per-person reminders through WeCom's and DingTalk's work notices and an HTTP SMS gateway, each
against a local server that plays the provider's documented answers, errors included."""

from __future__ import annotations

import pytest

from tests.local_servers import Provider
from tracker.cli import cli
from tracker.clock import now
from tracker.services import chasing, outbox, work_notices
from tracker.services.scoping import Scope
from tracker.store.models import Delivery, User

WECOM_SEND = "/cgi-bin/message/send"
DING_SEND = "/topapi/message/corpconversation/asyncsend_v2"


@pytest.fixture
def provider(monkeypatch):
    server = Provider().start()
    monkeypatch.setenv("TRACKER_WECOM_CORP_ID", "ww1234567890")
    monkeypatch.setenv("TRACKER_WECOM_AGENT_ID", "1000002")
    monkeypatch.setenv("TRACKER_WECOM_SECRET", "wecom-secret")
    monkeypatch.setenv("TRACKER_WECOM_API", server.url)
    monkeypatch.setenv("TRACKER_DINGTALK_APP_KEY", "dingkey")
    monkeypatch.setenv("TRACKER_DINGTALK_APP_SECRET", "ding-secret")
    monkeypatch.setenv("TRACKER_DINGTALK_AGENT_ID", "2918305")
    monkeypatch.setenv("TRACKER_DINGTALK_API", server.url)
    monkeypatch.setenv("TRACKER_SMS_URL", f"{server.url}/sms/send")
    monkeypatch.setenv("TRACKER_SMS_TEMPLATE", "SMS_2024_REMIND")
    monkeypatch.setenv("TRACKER_SMS_TOKEN", "gateway-token")
    work_notices.TOKENS._tokens.clear()
    yield server
    server.stop()
    work_notices.TOKENS._tokens.clear()


def _chase_clerk(world, runner) -> None:
    result = runner.invoke(
        cli,
        [
            "users",
            "contact",
            "clerk",
            "--wecom",
            "ChenJing",
            "--dingtalk",
            "manager4220",
            "--mobile",
            "13800138000",
        ],
    )
    assert result.exit_code == 0, result.output
    chasing.chase_one(
        Scope.of(world.people["inspector"]),
        assignment_id=world.own.assignment.id,
        message="请于今日报送5月进展。",
    )


def test_a_reminder_reaches_the_person_by_wecom_dingtalk_and_sms(world, runner, provider):
    _chase_clerk(world, runner)
    run = outbox.deliver(now())
    assert run.sent >= 3, run.lines
    (wecom,) = provider.sent(WECOM_SEND)
    assert (
        wecom["touser"] == "ChenJing"
        and wecom["agentid"] == 1000002
        and "5月进展" in wecom["text"]["content"]
    )
    (ding,) = provider.sent(DING_SEND)
    assert ding["userid_list"] == "manager4220" and ding["agent_id"] == 2918305
    (sms,) = provider.sent("/sms/send")
    assert sms["phone"] == "13800138000" and sms["template_id"] == "SMS_2024_REMIND"
    assert len(sms["params"]["content"]) <= work_notices.SMS_TEXT_LIMIT
    sent = {
        d.channel: d.status
        for d in Delivery.select().where(Delivery.channel.in_(["wecom", "dingtalk", "sms"]))
    }
    assert sent == {"wecom": "sent", "dingtalk": "sent", "sms": "sent"}


def test_an_expired_token_is_fetched_again_and_the_message_sent_once(world, runner, provider):
    work_notices.TOKENS.get(("wecom", provider.url, "ww1234567890", "1000002"), lambda: ("stale-token", 7200))
    _chase_clerk(world, runner)
    outbox.deliver(now())
    wecom_calls = [q.get("access_token") for p, q, _ in provider.calls if p == WECOM_SEND]
    assert wecom_calls == ["stale-token", provider.valid["wecom"]]
    assert Delivery.get(Delivery.channel == "wecom").status == "sent"


def test_provider_errors_are_retried_or_refused_as_documented(world, runner, provider):
    provider.script[WECOM_SEND] = [(200, {"errcode": 0, "errmsg": "ok", "invaliduser": "ChenJing"})]
    provider.script[DING_SEND] = [(200, {"errcode": -1, "errmsg": "系统繁忙"})]
    provider.script["/sms/send"] = [(200, {"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "非法手机号"})]
    _chase_clerk(world, runner)
    outbox.deliver(now())
    wecom = Delivery.get(Delivery.channel == "wecom")
    assert wecom.status == "failed" and "ChenJing" in wecom.last_error  # an unknown member: never retried
    ding = Delivery.get(Delivery.channel == "dingtalk")
    assert ding.status == "pending" and "-1" in ding.last_error  # busy: tried again later
    sms = Delivery.get(Delivery.channel == "sms")
    assert sms.status == "failed" and "非法手机号" in sms.last_error
    outbox.deliver(ding.next_attempt_at)
    assert Delivery.get(Delivery.channel == "dingtalk").status == "sent"


def test_a_provider_that_is_not_configured_gets_no_route(world, runner, monkeypatch):
    for name in ("TRACKER_WECOM_CORP_ID", "TRACKER_DINGTALK_APP_KEY", "TRACKER_SMS_URL"):
        monkeypatch.delenv(name, raising=False)
    _chase_clerk(world, runner)
    assert not Delivery.select().where(Delivery.channel.in_(["wecom", "dingtalk", "sms"])).exists()


def test_contacts_are_checked_and_audited(world, runner):
    bad = runner.invoke(cli, ["users", "contact", "clerk", "--mobile", "call me"])
    assert bad.exit_code == 1 and "手机号" in bad.output and "Traceback" not in bad.output
    assert User.get(User.username == "clerk").mobile is None


def test_a_person_sets_their_own_contacts_on_the_profile_page(client, world):
    from tests.web.conftest import csrf_token, sign_in

    sign_in(client, "clerk")
    bad = client.post("/profile/", data={"mobile": "call me", "csrf_token": csrf_token(client, "/profile/")})
    assert bad.status_code == 400 and "手机号" in bad.get_data(as_text=True)
    saved = client.post(
        "/profile/",
        data={"wecom_id": "ChenJing", "mobile": "13800138000", "csrf_token": csrf_token(client, "/profile/")},
    )
    assert saved.status_code == 302
    clerk = User.get(User.username == "clerk")
    assert (clerk.wecom_id, clerk.dingtalk_id, clerk.mobile) == ("ChenJing", None, "13800138000")
    assert 'value="ChenJing"' in client.get("/profile/").get_data(as_text=True)
