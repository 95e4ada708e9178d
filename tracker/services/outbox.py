"""The outbox: every outgoing message is a `Delivery` row, sent at most once per attempt.

Before a message leaves, its row is switched from `pending` to `sending` (with who took it and
when) in its own committed transaction, by a conditional update that only one worker can win;
after, it is resolved to `sent`, back to `pending` for a retry, `failed` (refused for good, or out
of attempts) or `unknown` (the server took it but its answer was lost). A process killed in between
leaves the row in `sending`, which a later run marks `unknown`: nothing is resent blindly, the office
decides (`resend` or `mark_sent`).

Each channel has its own worker thread, so a hanging SMTP server does not hold the bot's messages;
a channel whose server is unreachable or hanging stops for the rest of the run after one timeout.
Channels are pluggable: `register(channel, send)` with `send(delivery) -> str` raising
`DeliveryError`; `enqueue(channel, recipient, payload, key)` queues a message of any kind.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tracker.clock import now as clock_now
from tracker.services.channels import PERMANENT, UNKNOWN, DeliveryError
from tracker.store import audit
from tracker.store.db import db, write_transaction
from tracker.store.models import Delivery

log = logging.getLogger(__name__)

# A failed delivery waits this long before attempt n+1 (n = attempts so far); after MAX_ATTEMPTS it
# is marked failed and left for the office to see.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A row still `sending` this long after it was taken belongs to a process that died mid-send: its
# outcome is unknown. Far longer than one message can take (a few SMTP steps of 15 s each).
STALE = timedelta(minutes=10)
# At most this many messages per run and channel; group bots accept about 20 a minute.
BATCH = {"email": 200, "webhook": 20}
DEFAULT_BATCH = 50

Sender = Callable[[Delivery], str]
_senders: dict[str, Sender] = {}
# Called once per channel run with the worker's senders, to open and close shared connections.
_sessions: dict[str, Callable[[], Any]] = {}


def register(channel: str, send: Sender, session: Callable[[], Any] | None = None) -> None:
    """Teach the outbox a channel. `session()`, if given, is a context manager around a worker's run
    whose value is passed to `send` as `delivery.session` (one SMTP connection for a batch)."""
    _senders[channel] = send
    if session is not None:
        _sessions[channel] = session


def enqueue(channel: str, recipient: str, payload: Any, key: str, at: datetime | None = None) -> bool:
    """Queue one message; False when a message with this dedupe key was queued before. Call inside
    the change's own write transaction, so the message exists exactly when the change does."""
    moment = at or clock_now()
    return bool(
        Delivery.insert(
            channel=channel,
            recipient=recipient,
            payload=payload,
            dedupe_key=key,
            status="pending",
            attempts=0,
            next_attempt_at=moment,
        )
        .on_conflict_ignore()
        .as_rowcount()
        .execute()
    )


@dataclass
class DeliveryRun:
    """What one run did: how many sent, will retry, gave up, or of unknown outcome; a line each."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    lines: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, outcome: str, line: str) -> None:
        with self._lock:
            setattr(self, outcome, getattr(self, outcome) + 1)
            self.lines.append(line)


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _label(d: Delivery) -> str:
    what = d.reminder.key if d.reminder_id else d.dedupe_key
    return f"{d.channel} {d.recipient} ({what}, 第{d.attempts}次)"


def _audit_after(d: Delivery, **extra) -> dict:
    return {
        "reminder": d.reminder.key if d.reminder_id else None,
        "key": d.dedupe_key,
        "channel": d.channel,
        "recipient": d.recipient,
        **extra,
    }


def expire_stale(moment: datetime, actor: str) -> list[Delivery]:
    """Mark `sending` rows older than STALE as `unknown` (their sender died mid-send)."""
    with write_transaction():
        stale = list(
            Delivery.select().where(Delivery.status == "sending", Delivery.claimed_at < moment - STALE)
        )
        changes = []
        for d in stale:
            Delivery.update(status="unknown", next_attempt_at=None, last_error="发送中断,结果不明").where(
                Delivery.id == d.id, Delivery.status == "sending"
            ).execute()
            changes.append(
                audit.Change(
                    "delivery.unknown",
                    "delivery",
                    d.id,
                    after=_audit_after(d, attempts=d.attempts, claimed_by=d.claimed_by, error="发送中断"),
                )
            )
        audit.record_many(actor, changes)
    for d in stale:
        log.error("投递结果不明(发送进程中断) %s", _label(d))
    return stale


def _take(channel: str, moment: datetime, owner: str, skip: set[int]) -> Delivery | None:
    """Switch the next due message of `channel` to `sending`, committed before it is sent."""
    while True:
        query = Delivery.select(Delivery.id).where(
            Delivery.channel == channel,
            Delivery.status == "pending",
            Delivery.next_attempt_at.is_null() | (Delivery.next_attempt_at <= moment),
        )
        if skip:
            query = query.where(Delivery.id.not_in(list(skip)))
        candidate = query.order_by(Delivery.id).first()
        if candidate is None:
            return None
        with write_transaction():
            won = (
                Delivery.update(
                    status="sending", attempts=Delivery.attempts + 1, claimed_by=owner, claimed_at=moment
                )
                .where(Delivery.id == candidate.id, Delivery.status == "pending")
                .execute()
            )
        if won:
            return Delivery.get_by_id(candidate.id)
        skip.add(candidate.id)  # another worker took it first


def _resolve(
    d: Delivery, moment: datetime, actor: str, run: DeliveryRun, error: DeliveryError | None, detail: str
):
    where = _label(d)
    with write_transaction():
        if error is None:
            values = {"status": "sent", "delivered_at": moment, "next_attempt_at": None, "last_error": None}
            action, after, outcome = "delivery.sent", {"attempts": d.attempts, "result": detail}, "sent"
            line = f"已发送 {where}: {detail}"
            log.info("投递成功 %s: %s", where, detail)
        elif error.outcome == UNKNOWN:
            values = {"status": "unknown", "next_attempt_at": None, "last_error": detail}
            action, after, outcome = "delivery.unknown", {"attempts": d.attempts, "error": detail}, "unknown"
            line = f"结果不明(不会自动重发) {where}: {detail}"
            log.error("投递结果不明 %s: %s", where, detail)
        elif error.outcome == PERMANENT or d.attempts >= MAX_ATTEMPTS:
            values = {"status": "failed", "next_attempt_at": None, "last_error": detail}
            action, after, outcome = "delivery.failed", {"attempts": d.attempts, "error": detail}, "failed"
            line = f"放弃 {where}: {detail}"
            log.error("投递失败，已放弃 %s: %s", where, detail)
        else:
            retry_at = moment + BACKOFF[min(d.attempts, len(BACKOFF)) - 1]
            values = {"status": "pending", "next_attempt_at": retry_at, "last_error": detail}
            action = "delivery.retry"
            after, outcome = {"attempts": d.attempts, "error": detail, "next": retry_at}, "retrying"
            line = f"待重试 {where}: {detail}"
            log.warning("投递失败，将于 %s 重试 %s: %s", retry_at.isoformat(), where, detail)
        Delivery.update(**values).where(Delivery.id == d.id).execute()
        audit.record(actor, action, "delivery", d.id, after=_audit_after(d, **after))
    run.add(outcome, line)


def _worker(
    channel: str, moment: datetime, actor: str, owner: str, run: DeliveryRun, stop: threading.Event | None
) -> None:
    send = _senders.get(channel)
    opened = db.connect(reuse_if_open=True)  # each worker thread has its own connection
    try:
        session_factory = _sessions.get(channel)
        session = session_factory() if session_factory else None
        handle = session.__enter__() if session is not None else None
        try:
            skip: set[int] = set()
            for _ in range(BATCH.get(channel, DEFAULT_BATCH)):
                if stop is not None and stop.is_set():
                    break  # shutting down: what is not taken stays pending for the next run
                d = _take(channel, moment, owner, skip)
                if d is None:
                    break
                d.session = handle
                try:
                    if send is None:
                        raise DeliveryError(f"未知的投递渠道 {channel}", PERMANENT)
                    detail, error = send(d), None
                except DeliveryError as exc:
                    detail, error = str(exc), exc
                _resolve(d, moment, actor, run, error, detail)
                if error is not None and error.halt:
                    break  # the server is down or hanging: the rest waits for the next run
        finally:
            if session is not None:
                session.__exit__(None, None, None)
    except Exception:
        log.exception("投递渠道 %s 的工作线程出错", channel)
    finally:
        if opened:
            db.close()


def deliver(
    now: datetime | None = None,
    actor: str = "scheduler",
    owner: str | None = None,
    stop: threading.Event | None = None,
    channels: list[str] | None = None,
) -> DeliveryRun:
    """Send what is due, one worker thread per channel; returns what happened.

    `stop`, when set (SIGTERM, Ctrl+C), lets each worker finish the message in hand and stop.
    """
    moment = now or clock_now()
    owner = owner or default_owner()
    run = DeliveryRun()
    for d in expire_stale(moment, actor):
        run.add("unknown", f"结果不明(发送进程中断，不会自动重发) {_label(d)}")
    due = channels or [
        r.channel
        for r in Delivery.select(Delivery.channel)
        .where(
            Delivery.status == "pending",
            Delivery.next_attempt_at.is_null() | (Delivery.next_attempt_at <= moment),
        )
        .distinct()
    ]
    due = [c for c in due if c != "in_app"]
    threads = [
        threading.Thread(
            target=_worker, args=(c, moment, actor, owner, run, stop), name=f"deliver-{c}", daemon=True
        )
        for c in sorted(due)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return run


class NotUnknown(ValueError):
    """Only a delivery of unknown outcome is resent or marked sent by hand."""


def unknown_deliveries() -> list[Delivery]:
    return list(Delivery.select().where(Delivery.status == "unknown").order_by(Delivery.id))


def settle_unknown(delivery_id: int, resend: bool, actor: str, now: datetime | None = None) -> Delivery:
    """The office's decision on a message of unknown outcome: send it again, or take it as sent."""
    moment = now or clock_now()
    with write_transaction():
        d = Delivery.get_or_none(Delivery.id == delivery_id)
        if d is None or d.status != "unknown":
            raise NotUnknown(f"投递 #{delivery_id} 不是结果不明的投递")
        if resend:
            Delivery.update(status="pending", next_attempt_at=None).where(Delivery.id == d.id).execute()
        else:
            Delivery.update(status="sent", delivered_at=moment, next_attempt_at=None).where(
                Delivery.id == d.id
            ).execute()
        audit.record(
            actor,
            "delivery.resend" if resend else "delivery.confirmed",
            "delivery",
            d.id,
            before={"status": "unknown"},
            after=_audit_after(d, status="pending" if resend else "sent"),
        )
    return Delivery.get_by_id(delivery_id)
