"""Per-person messages (工作通知): a reminder sent to one person through WeCom's or DingTalk's work
notice API, or as a text message through an office's HTTP SMS gateway, via the outbox's channels
`wecom`, `dingtalk` and `sms`. Each provider is configured by environment variables (below) and
each person's WeCom/DingTalk userid and mobile number are on their profile (`tracker users contact`).

Providers answer HTTP 200 with an `errcode`: 0 is sent; an expired or invalid access token is
fetched again once; "busy" or rate-limit codes are retried like any failure; anything else (an
unknown userid, a bad agent, a refused template) is a refusal that a retry cannot fix.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
from dataclasses import dataclass

from tracker.services import outbox
from tracker.services.channels import PERMANENT, RETRY, DeliveryError, request_json
from tracker.store.models import Delivery, User

# Codes that mean "come back later" (system busy, frequency limits) in WeCom's and DingTalk's lists.
BUSY = {-1, 45009, 45033, 90018, 130101}
# Codes that mean the access token is stale: fetch a new one and try once more.
STALE_TOKEN = {40001, 40014, 42001, 88, 41001}
SMS_TEXT_LIMIT = 70  # one SMS segment of Chinese text


@dataclass(frozen=True)
class WecomConfig:
    corp_id: str
    agent_id: str
    secret: str
    api: str

    @classmethod
    def from_env(cls) -> WecomConfig | None:
        corp, agent, secret = (
            os.environ.get(f"TRACKER_WECOM_{k}", "").strip() for k in ("CORP_ID", "AGENT_ID", "SECRET")
        )
        if not (corp and agent and secret):
            return None
        return cls(
            corp,
            agent,
            secret,
            os.environ.get("TRACKER_WECOM_API", "https://qyapi.weixin.qq.com").rstrip("/"),
        )


@dataclass(frozen=True)
class DingtalkConfig:
    app_key: str
    app_secret: str
    agent_id: str
    api: str

    @classmethod
    def from_env(cls) -> DingtalkConfig | None:
        key, secret, agent = (
            os.environ.get(f"TRACKER_DINGTALK_{k}", "").strip() for k in ("APP_KEY", "APP_SECRET", "AGENT_ID")
        )
        if not (key and secret and agent):
            return None
        return cls(
            key,
            secret,
            agent,
            os.environ.get("TRACKER_DINGTALK_API", "https://oapi.dingtalk.com").rstrip("/"),
        )


@dataclass(frozen=True)
class SmsConfig:
    """A generic HTTP SMS gateway: POST JSON {"template_id", "phone", "params"} to `url`."""

    url: str
    template_id: str
    token: str | None

    @classmethod
    def from_env(cls) -> SmsConfig | None:
        url, template = (
            os.environ.get("TRACKER_SMS_URL", "").strip(),
            os.environ.get("TRACKER_SMS_TEMPLATE", "").strip(),
        )
        if not (url and template):
            return None
        return cls(url, template, os.environ.get("TRACKER_SMS_TOKEN", "").strip() or None)


def routes(people: list[User]) -> list[tuple[str, str]]:
    """(channel, recipient) for each person who can be reached by a configured provider."""
    out: list[tuple[str, str]] = []
    if WecomConfig.from_env() is not None:
        out += [("wecom", u.wecom_id.strip()) for u in people if (u.wecom_id or "").strip()]
    if DingtalkConfig.from_env() is not None:
        out += [("dingtalk", u.dingtalk_id.strip()) for u in people if (u.dingtalk_id or "").strip()]
    if SmsConfig.from_env() is not None:
        out += [("sms", u.mobile.strip()) for u in people if (u.mobile or "").strip()]
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------- HTTP


def _call(url: str, body: dict | None = None, headers: dict | None = None, who: str = "接口") -> dict:
    """GET (no body) or POST JSON; the parsed answer, or a classified DeliveryError."""
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    _status, answer = request_json(url, data, headers, who=who)
    if answer is None:  # these APIs always answer a JSON object; anything else is a fault at their end
        raise DeliveryError(f"{who}的应答不是 JSON", RETRY)
    return answer


def _refused(who: str, answer: dict) -> DeliveryError:
    code = answer.get("errcode")
    outcome = RETRY if code in BUSY else PERMANENT
    return DeliveryError(f"{who}拒收: errcode {code} {answer.get('errmsg', '')}".strip(), outcome)


class _Tokens:
    """Access tokens per provider and app, kept until shortly before they expire (they last 2 h)."""

    def __init__(self):
        self._tokens: dict[tuple, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, fetch) -> str:
        with self._lock:
            found = self._tokens.get(key)
            if found and found[1] > time.monotonic():
                return found[0]
        token, lifetime = fetch()
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(60, lifetime - 300))
        return token

    def drop(self, key: tuple) -> None:
        with self._lock:
            self._tokens.pop(key, None)


TOKENS = _Tokens()


def _fetch_token(url: str, who: str) -> tuple[str, int]:
    """An access token and its lifetime in seconds from a provider's gettoken URL (WeCom, DingTalk)."""
    answer = _call(url, who=who)
    if answer.get("errcode") not in (0, None) or not answer.get("access_token"):
        raise _refused(f"{who}(取令牌)", answer)
    return answer["access_token"], int(answer.get("expires_in") or 7200)


def _with_token(key: tuple, fetch, send) -> dict:
    """Send with a cached token; a stale-token answer fetches a fresh one and sends once more."""
    answer = send(TOKENS.get(key, fetch))
    if answer.get("errcode") in STALE_TOKEN:
        TOKENS.drop(key)
        answer = send(TOKENS.get(key, fetch))
    return answer


# ---------------------------------------------------------------- providers


def _text(d: Delivery) -> str:
    reminder = d.reminder
    return f"{reminder.unit.label}：{reminder.message}" if d.reminder_id else d.payload["text"]


def send_wecom(d: Delivery) -> str:
    config = WecomConfig.from_env()
    if config is None:
        raise DeliveryError("未配置企业微信(TRACKER_WECOM_CORP_ID/AGENT_ID/SECRET)", PERMANENT)

    def fetch():
        query = urllib.parse.urlencode({"corpid": config.corp_id, "corpsecret": config.secret})
        return _fetch_token(f"{config.api}/cgi-bin/gettoken?{query}", "企业微信")

    def send(token: str) -> dict:
        body = {
            "touser": d.recipient,
            "msgtype": "text",
            "agentid": int(config.agent_id),
            "text": {"content": _text(d)},
        }
        return _call(f"{config.api}/cgi-bin/message/send?access_token={token}", body, who="企业微信")

    answer = _with_token(("wecom", config.api, config.corp_id, config.agent_id), fetch, send)
    if answer.get("errcode") not in (0, None):
        raise _refused("企业微信", answer)
    if answer.get("invaliduser"):
        raise DeliveryError(f"企业微信拒收: 成员 {answer['invaliduser']} 不存在或不在应用可见范围", PERMANENT)
    return f"企业微信 errcode 0 {answer.get('msgid', '')}".strip()


def send_dingtalk(d: Delivery) -> str:
    config = DingtalkConfig.from_env()
    if config is None:
        raise DeliveryError("未配置钉钉(TRACKER_DINGTALK_APP_KEY/APP_SECRET/AGENT_ID)", PERMANENT)

    def fetch():
        query = urllib.parse.urlencode({"appkey": config.app_key, "appsecret": config.app_secret})
        return _fetch_token(f"{config.api}/gettoken?{query}", "钉钉")

    def send(token: str) -> dict:
        body = {
            "agent_id": int(config.agent_id),
            "userid_list": d.recipient,
            "msg": {"msgtype": "text", "text": {"content": _text(d)}},
        }
        return _call(
            f"{config.api}/topapi/message/corpconversation/asyncsend_v2?access_token={token}",
            body,
            who="钉钉",
        )

    answer = _with_token(("dingtalk", config.api, config.app_key), fetch, send)
    if answer.get("errcode") not in (0, None):
        raise _refused("钉钉", answer)
    return f"钉钉 task {answer.get('task_id', '')}".strip()


def send_sms(d: Delivery) -> str:
    config = SmsConfig.from_env()
    if config is None:
        raise DeliveryError("未配置短信网关(TRACKER_SMS_URL/TEMPLATE)", PERMANENT)
    text = _text(d)
    unit = d.reminder.unit.label if d.reminder_id else ""
    content = text if len(text) <= SMS_TEXT_LIMIT else text[: SMS_TEXT_LIMIT - 1] + "…"
    body = {
        "template_id": config.template_id,
        "phone": d.recipient,
        "params": {"unit": unit, "content": content},
    }
    headers = {"Authorization": f"Bearer {config.token}"} if config.token else None
    answer = _call(config.url, body, headers, who="短信网关")
    code = answer.get("code", answer.get("errcode", 0))
    if code not in (0, "0", "OK", "ok", None):
        outcome = RETRY if code in BUSY or str(code).lower() in ("busy", "throttled") else PERMANENT
        raise DeliveryError(
            f"短信网关拒收: {code} {answer.get('message') or answer.get('errmsg') or ''}".strip(), outcome
        )
    return f"短信网关 {answer.get('id') or answer.get('message_id') or 'ok'}"


outbox.register("wecom", send_wecom)
outbox.register("dingtalk", send_dingtalk)
outbox.register("sms", send_sms)
