"""Outgoing events (事件推送): a change tells subscribed systems by a signed JSON POST.

`emit` is called inside the change's own write transaction and queues one outbox message per
matching subscription (tracker.services.outbox: retries, at most once per attempt, a delivery log),
so an event exists exactly when its change does. A subscription with an owner hears only of units
that owner's `Scope` may read. The body is signed with the subscription's secret:
`X-Tracker-Signature: sha256=<hex HMAC-SHA256 of the body>`; `X-Tracker-Event-Id` is the event's id,
the same in every retry, so a receiver can drop a repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from peewee import JOIN

from tracker.clock import now
from tracker.services import outbox
from tracker.services.channels import PERMANENT, DeliveryError, request_json
from tracker.services.scoping import OutOfScope, Scope
from tracker.store import audit
from tracker.store.audit import jsonable
from tracker.store.db import write_transaction
from tracker.store.models import Delivery, EventSubscription, User

CHANNEL = "event"
KINDS = {
    "report.filed": "报送月度进展",
    "report.returned": "报告被退回",
    "finding.opened": "新增问题",
    "finding.answered": "报送整改情况",
    "finding.closed": "问题销号",
    "finding.reopened": "问题重新打开",
    "reminder.sent": "发出催办",
    "extension.decided": "延期申请已答复",
    "board.published": "看板发布",
}


class SubscriptionError(ValueError):
    """A subscription that cannot be made as asked; the message says why."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _display(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _hears(sub: EventSubscription, kind: str, unit_id: int | None) -> bool:
    if sub.kinds and kind not in sub.kinds:
        return False
    if unit_id is None or sub.owner_id is None:
        return True  # plan-wide events (a published board) are public; an ownerless one is the office's
    owner = sub.owner
    if not owner.active:
        return False
    try:
        Scope.of(owner).check_unit(unit_id)
    except OutOfScope:
        return False
    return True


def emit(
    kind: str, unit_id: int | None, data: dict, at: datetime | None = None, any_subscription: bool = True
) -> str:
    """Queue `kind` for every active subscription that hears it; returns the event's id.
    Call inside the change's write transaction. `any_subscription=False`: the caller read, in this
    transaction, that no subscription is active (nothing to look up)."""
    if kind not in KINDS:
        raise ValueError(f"unknown event {kind}")
    moment = at or now()
    event_id = uuid.uuid4().hex
    event = {
        "id": event_id,
        "type": kind,
        "occurred_at": moment.isoformat(),
        "unit_id": unit_id,
        "data": jsonable(data),
    }
    if not any_subscription:
        return event_id
    subs = (
        EventSubscription.select(EventSubscription, User)
        .join(User, on=(EventSubscription.owner == User.id), join_type=JOIN.LEFT_OUTER)
        .where(EventSubscription.active == True)  # noqa: E712
    )
    for sub in subs:
        if _hears(sub, kind, unit_id):
            outbox.enqueue(
                CHANNEL,
                f"#{sub.id} {_display(sub.url)}"[:300],
                {"subscription": sub.id, "event": event},
                f"event:{event_id}:{sub.id}",
                at=moment,
            )
    return event_id


def _send(d: Delivery) -> str:
    sub = EventSubscription.get_or_none(EventSubscription.id == d.payload["subscription"])
    if sub is None or not sub.active:
        raise DeliveryError("订阅已停用", PERMANENT)
    event = d.payload["event"]
    body = json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    headers = {
        "X-Tracker-Signature": sign(sub.secret, body),
        "X-Tracker-Event": event["type"],
        "X-Tracker-Event-Id": event["id"],
        "User-Agent": "tracker-events/1",
    }
    # A subscriber is any HTTP endpoint, not a robot: a 2xx is taken, whatever its body says.
    status, _answer = request_json(sub.url, body, headers, who="订阅地址")
    return f"HTTP {status}"


outbox.register(CHANNEL, _send)


# ---------------------------------------------------------------- subscriptions


def subscribe(
    actor: str, name: str, url: str, kinds: list[str] | None = None, owner: User | None = None
) -> EventSubscription:
    """A new subscription with a fresh secret (shown to the admin, given to the receiver)."""
    name = (name or "").strip()
    url = (url or "").strip()
    if not name or len(name) > 100:
        raise SubscriptionError("请填写订阅名称(不超过 100 字)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
        raise SubscriptionError("接收地址应为 http:// 或 https:// 开头的网址")
    kinds = sorted(set(kinds or []))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise SubscriptionError(f"不认识的事件类型: {', '.join(unknown)};可用: {', '.join(KINDS)}")
    with write_transaction():
        sub = EventSubscription.create(
            name=name,
            url=url,
            secret=secrets.token_hex(32),
            kinds=kinds,
            owner=owner.id if owner else None,
            created_by=actor,
            created_at=now(),
        )
        audit.record(
            actor,
            "subscription.create",
            "event_subscription",
            sub.id,
            None,
            {"name": name, "url": _display(url), "kinds": kinds, "owner": owner.username if owner else None},
        )
    return sub


def set_active(actor: str, subscription_id: int, active: bool) -> EventSubscription:
    with write_transaction():
        sub = EventSubscription.get_or_none(EventSubscription.id == subscription_id)
        if sub is None:
            raise SubscriptionError(f"没有编号为 {subscription_id} 的订阅")
        if sub.active != active:
            sub.active = active
            sub.save(only=["active"])
            audit.record(
                actor,
                "subscription.enable" if active else "subscription.disable",
                "event_subscription",
                sub.id,
                {"active": not active},
                {"active": active},
            )
    return sub


def subscriptions() -> list[EventSubscription]:
    return list(EventSubscription.select().order_by(EventSubscription.id))


def delivery_log(limit: int = 100) -> list[Delivery]:
    """The latest event deliveries, newest first, for the admin's delivery log."""
    return list(
        Delivery.select().where(Delivery.channel == CHANNEL).order_by(Delivery.id.desc()).limit(limit)
    )
