"""Chasing (催办) as a use case: work out the chases due now, record each once, and deliver them.

`chase` reads the facts, asks `tracker.rules.chasing` which chases are due, and inserts one
`Reminder` per chase. The reminder's key is unique, and the insert is `ON CONFLICT DO NOTHING`
inside the write transaction, so a restart, a second scheduler or two runs at the same time never
record (or send) a chase twice: deliveries are made only for the reminders this run inserted. Each
new reminder gets an audit event in the same transaction.

Deliveries: in-app (one per person of the unit, shown on their home, marked read by them), email
(SMTP) and a group bot (webhook). `deliver_pending` sends what is due, logs each attempt's result
on the delivery and in the audit trail, and retries a failure with growing pauses until it gives up.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN

from tracker.clock import TZ
from tracker.clock import now as clock_now
from tracker.rules import chasing as rules
from tracker.rules import values as rv
from tracker.rules.chasing import ChaseKind, ChasePolicy, Slip
from tracker.rules.periods import Period, local_date
from tracker.services import events, outbox, work_notices
from tracker.services.channels import DeliveryError, Mailer, SmtpConfig, WebhookConfig, post_webhook
from tracker.services.facts import gather
from tracker.services.scoping import OFFICE_ROLES, OutOfScope, Scope
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import (
    Assignment,
    Delivery,
    Finding,
    FindingEvent,
    Measure,
    Plan,
    Reminder,
    Unit,
    User,
)

log = logging.getLogger(__name__)

# Delivery lives in the outbox; these names stay here for the callers that know them.
BACKOFF, MAX_ATTEMPTS, BATCH = outbox.BACKOFF, outbox.MAX_ATTEMPTS, outbox.BATCH
DeliveryRun = outbox.DeliveryRun
# Finding history kinds that mean the unit answered (整改回复).
ANSWER_KINDS = ("answer", "answered")
UNIT_ROLES = ("reporter", "unit_leader")
CHANNEL_LABELS = {"in_app": "站内", "email": "邮件", "webhook": "群机器人"}
EMAIL_FOOTER = "\n\n——\n本邮件由任务分工督查督办系统自动发送，请登录系统报送或查看详情，勿直接回复。"


class ChaseError(ValueError):
    """A manual chase the office cannot send as asked (no such target, empty message…)."""


@dataclass(frozen=True)
class ChaseOutcome:
    """One chase recorded (or, in a dry run, that would be): its reminder and where it goes."""

    key: str
    kind: str
    slip: Slip
    unit: str
    message: str
    channels: tuple[str, ...]  # "email:a@example.org", "in_app:user:3", "webhook:https://…"
    reminder_id: int | None = None
    created: bool = True

    def line(self) -> str:
        counts = defaultdict(int)
        for channel in self.channels:
            counts[channel.split(":", 1)[0]] += 1
        where = (
            "、".join(f"{label} {counts[c]}" for c, label in CHANNEL_LABELS.items() if counts[c])
            or "无投递渠道"
        )
        return f"{self.unit}  {self.key}  → {where}\n    {self.message}"


@dataclass(frozen=True)
class ReminderView:
    """A reminder as the unit's home shows it; `read_at` is when this person marked it read."""

    id: int
    kind: str
    slip: Slip
    message: str
    period: str | None
    created_at: datetime
    created_by: str
    read_at: datetime | None

    @property
    def slip_label(self) -> str:
        return self.slip.label


@dataclass(frozen=True)
class _Draft:
    """A reminder about to be recorded."""

    key: str
    kind: str
    slip: Slip
    unit_id: int
    unit: str
    message: str
    copy_leader: bool
    assignment_id: int | None = None
    finding_id: int | None = None
    period: str | None = None


# -- working out what is due ------------------------------------------------------------------------


def _plans_in_play(plan: Plan | None, moment: datetime, policy: ChasePolicy) -> list[Plan]:
    if plan is not None:
        return [plan]
    today = local_date(moment)
    # A plan is chased from a little before its first due day until its last report stops being followed.
    return list(
        Plan.select()
        .where(
            Plan.start <= today + timedelta(days=policy.remind_days + 31),
            Plan.end >= today - timedelta(days=policy.follow_days + 62),
        )
        .order_by(Plan.code)
    )


def _finding_cases(plan: Plan | None, moment: datetime) -> list[tuple[rules.FindingCase, str]]:
    """Findings not closed by `moment` (of `plan`, or of every plan and none), with their plan titles."""
    query = (
        Finding.select(Finding, Unit, Measure, Plan)
        .join(Unit, on=(Finding.unit == Unit.id))
        .switch(Finding)
        .join(Measure, JOIN.LEFT_OUTER, on=(Finding.measure == Measure.id))
        .switch(Finding)
        .join(Plan, JOIN.LEFT_OUTER, on=(Finding.plan == Plan.id))
        .where(
            Finding.created_at <= moment,
            (Finding.state != "closed") | (Finding.closed_at > moment),
            # The unit answered: the office has it now, until it reopens the finding.
            Finding.state != "answered",
        )
        .order_by(Finding.id)
    )
    if plan is not None:
        query = query.where(Finding.plan == plan.id)
    rows = list(query)
    events = defaultdict(lambda: defaultdict(list))
    if rows:
        for e in FindingEvent.select(FindingEvent.finding, FindingEvent.kind, FindingEvent.at).where(
            FindingEvent.finding.in_([f.id for f in rows]), FindingEvent.at <= moment
        ):
            events[e.finding_id][e.kind].append(e.at)
    cases = []
    for f in rows:
        history = events[f.id]
        finding = rv.Finding(
            id=f.id,
            unit=f.unit.name,
            title=f.title,
            opened_at=f.created_at,
            deadline=f.rectify_by,
            measure_code=f.measure.code if f.measure_id else None,
            closed_at=tuple(sorted(history["close"])),
            reopened_at=tuple(sorted(history["reopen"])),
        )
        answered = tuple(sorted(m for kind in ANSWER_KINDS for m in history[kind]))
        cases.append((rules.FindingCase(finding, f.unit_id, answered), f.plan.title if f.plan_id else ""))
    return cases


def _drafts(moment: datetime, plan: Plan | None, policy: ChasePolicy) -> list[_Draft]:
    drafts = []
    for p in _plans_in_play(plan, moment, policy):
        facts = gather(p, moment)
        last = Period.of(p.end)
        for a in facts.assignments:
            for c in rules.report_chases(a, facts.rules, moment, policy, last):
                drafts.append(_from_chase(c, facts.unit_ids[c.unit], p.title))
    for case, plan_title in _finding_cases(plan, moment):
        for c in rules.finding_chases(case, moment, policy):
            drafts.append(_from_chase(c, case.unit_id, plan_title))
    drafts.sort(key=lambda d: (d.unit, d.key))
    return drafts


def _from_chase(c: rules.Chase, unit_id: int, plan_title: str) -> _Draft:
    return _Draft(
        key=c.key,
        kind=str(c.kind),
        slip=c.slip,
        unit_id=unit_id,
        unit=c.unit,
        message=rules.chase_message(c, plan_title),
        copy_leader=c.copy_leader,
        assignment_id=c.assignment_id,
        finding_id=c.finding_id,
        period=str(c.period) if c.period else None,
    )


def _existing_keys(keys: list[str]) -> set[str]:
    found = set()
    for start in range(0, len(keys), 500):  # SQLite caps the number of bound variables per statement
        chunk = keys[start : start + 500]
        found.update(r.key for r in Reminder.select(Reminder.key).where(Reminder.key.in_(chunk)))
    return found


# -- where a reminder goes ---------------------------------------------------------------------------


def _people(unit_id: int, copy_leader: bool) -> list[User]:
    """Who a reminder is for: the unit's reporters (its leaders when it has none); a red slip adds the
    unit's leaders (抄送)."""
    users = list(
        User.select()
        .where(User.unit == unit_id, User.active == True, User.role.in_(UNIT_ROLES))  # noqa: E712
        .order_by(User.id)
    )
    reporters = [u for u in users if u.role == "reporter"]
    leaders = [u for u in users if u.role == "unit_leader"]
    return reporters + leaders if copy_leader or not reporters else reporters


def _routes(unit_id: int, copy_leader: bool) -> list[tuple[str, str]]:
    """(channel, recipient) pairs for a reminder, for the channels configured now."""
    people = _people(unit_id, copy_leader)
    routes = [("in_app", f"user:{u.id}") for u in people]
    if SmtpConfig.from_env() is not None:
        emails = dict.fromkeys(u.email.strip() for u in people if u.email and u.email.strip())
        routes += [("email", address) for address in emails]
    webhook = WebhookConfig.from_env()
    if webhook is not None:
        routes.append(("webhook", webhook.display))
    return routes + work_notices.routes(people)  # WeCom / DingTalk work notices, SMS: per person


def _record(drafts: list[_Draft], moment: datetime, actor: str) -> list[ChaseOutcome]:
    """Insert the drafts' reminders (a key already present is skipped) with deliveries and audit events,
    in one write transaction."""
    outcomes, changes = [], []
    with write_transaction():
        for d in drafts:
            inserted = (
                Reminder.insert(
                    key=d.key,
                    kind=d.kind,
                    step=int(d.slip),
                    unit=d.unit_id,
                    assignment=d.assignment_id,
                    finding=d.finding_id,
                    period=d.period,
                    message=d.message,
                    created_by=actor,
                    created_at=moment,
                )
                .on_conflict_ignore()
                .as_rowcount()
                .execute()
            )
            if not inserted:  # another run recorded this chase first: it made the deliveries too
                continue
            reminder = Reminder.get(Reminder.key == d.key)
            routes = _routes(d.unit_id, d.copy_leader)
            rows = []
            for channel, recipient in routes:
                shown = channel == "in_app"  # in-app is delivered by being stored: the home page shows it
                rows.append(
                    {
                        "reminder": reminder.id,
                        "channel": channel,
                        "recipient": recipient,
                        "status": "sent" if shown else "pending",
                        "attempts": 1 if shown else 0,
                        "delivered_at": moment if shown else None,
                        "next_attempt_at": None if shown else moment,
                    }
                )
            if rows:
                Delivery.insert_many(rows).execute()
            channels = tuple(f"{c}:{r}" for c, r in routes)
            events.emit(
                "reminder.sent",
                d.unit_id,
                {
                    "reminder": reminder.id,
                    "kind": d.kind,
                    "step": int(d.slip),
                    "assignment": d.assignment_id,
                    "finding": d.finding_id,
                    "period": d.period,
                    "message": d.message,
                },
                at=moment,
            )
            changes.append(
                audit.Change(
                    "reminder.create",
                    "reminder",
                    reminder.id,
                    after={
                        "key": d.key,
                        "kind": d.kind,
                        "step": int(d.slip),
                        "unit": d.unit,
                        "assignment": d.assignment_id,
                        "finding": d.finding_id,
                        "period": d.period,
                        "message": d.message,
                        "deliveries": list(channels),
                    },
                )
            )
            outcomes.append(ChaseOutcome(d.key, d.kind, d.slip, d.unit, d.message, channels, reminder.id))
        audit.record_many(actor, changes)
    for o in outcomes:
        log.info("催办 %s %s → %s", o.key, o.unit, ", ".join(o.channels) or "-")
    return outcomes


# -- the use cases -----------------------------------------------------------------------------------


def chase(
    now: datetime | None = None,
    plan: Plan | None = None,
    dry_run: bool = False,
    actor: str = "scheduler",
    policy: ChasePolicy | None = None,
) -> list[ChaseOutcome]:
    """Record every chase due at `now` (of `plan`, or of every plan in play) that was not recorded yet.

    Returns the reminders this call recorded. With `dry_run`, returns what it would record and
    writes nothing. Safe to call from several processes at once: each chase is recorded once.
    """
    moment = now or clock_now()
    policy = policy or ChasePolicy()
    drafts = _drafts(moment, plan, policy)
    known = _existing_keys([d.key for d in drafts])
    drafts = [d for d in drafts if d.key not in known]
    if dry_run:
        return [
            ChaseOutcome(
                d.key,
                d.kind,
                d.slip,
                d.unit,
                d.message,
                tuple(f"{c}:{r}" for c, r in _routes(d.unit_id, d.copy_leader)),
                created=False,
            )
            for d in drafts
        ]
    return _record(drafts, moment, actor) if drafts else []


def chase_one(
    scope: Scope,
    *,
    assignment_id: int | None = None,
    finding_id: int | None = None,
    message: str,
    slip: Slip = Slip.BLUE,
    now: datetime | None = None,
) -> ChaseOutcome:
    """A manual chase by the office (督查室) of one assignment's report or one finding, with its words.

    Only the inspection office and admins chase. The reminder goes to the unit like an automatic
    one (a red slip also to its leaders). Sent twice within the same minute (a double click), it is
    recorded once; the second call returns the first with `created` False.
    """
    if scope.role not in OFFICE_ROLES:
        raise OutOfScope("chase")
    if (assignment_id is None) == (finding_id is None):
        raise ChaseError("请指定一项分工或一个问题")
    text = " ".join((message or "").split())
    if not text:
        raise ChaseError("催办内容不能为空")
    if len(text) > 500:
        raise ChaseError("催办内容不能超过500字")
    moment = now or clock_now()
    slip = Slip(slip)
    copy = "本督办单抄送你单位主要负责同志。" if slip is Slip.RED else ""
    tag = rules.slip_tag("督办" if slip is Slip.RED else "催办", slip)
    stamp = moment.astimezone(TZ).strftime("%Y%m%dT%H%M")
    if assignment_id is not None:
        a = (
            Assignment.select(Assignment, Measure, Plan, Unit)
            .join(Measure)
            .join(Plan)
            .switch(Assignment)
            .join(Unit, on=(Assignment.unit == Unit.id))
            .where(Assignment.id == assignment_id)
            .first()
        )
        if a is None:
            raise ChaseError(f"没有编号为 {assignment_id} 的分工")
        what = f"《{a.measure.plan.title}》{rules.measure_label(a.measure.code, a.measure.title)}"
        draft = _Draft(
            key=f"manual:assignment:{a.id}:{stamp}",
            kind=str(ChaseKind.MANUAL),
            slip=slip,
            unit_id=a.unit_id,
            unit=a.unit.name,
            message=f"{tag}{what}：{text}{copy}",
            copy_leader=slip is Slip.RED,
            assignment_id=a.id,
            period=str(Period.of(local_date(moment))),
        )
    else:
        f = Finding.select(Finding, Unit).join(Unit).where(Finding.id == finding_id).first()
        if f is None:
            raise ChaseError(f"没有编号为 {finding_id} 的问题")
        draft = _Draft(
            key=f"manual:finding:{f.id}:{stamp}",
            kind=str(ChaseKind.MANUAL),
            slip=slip,
            unit_id=f.unit_id,
            unit=f.unit.name,
            message=f"{tag}问题“{f.title}”：{text}{copy}",
            copy_leader=slip is Slip.RED,
            finding_id=f.id,
        )
    recorded = _record([draft], moment, scope.username)
    if recorded:
        return recorded[0]
    first = Reminder.get(Reminder.key == draft.key)
    channels = tuple(f"{d.channel}:{d.recipient}" for d in first.deliveries.order_by(Delivery.id))
    return ChaseOutcome(
        first.key, first.kind, Slip(first.step), draft.unit, first.message, channels, first.id, False
    )


def chase_missing(
    scope: Scope,
    assignment_ids: list[int],
    period: str,
    message: str,
    slip: Slip = Slip.BLUE,
    now: datetime | None = None,
) -> tuple[list[ChaseOutcome], int]:
    """The office chases all of one unit's missing reports of `period` in one action (一键催办): one
    reminder per assignment, each audited like a manual chase. An assignment already chased this way
    for the period at this slip is skipped, so pressing again (or twice) sends nothing twice.
    Returns the reminders recorded and how many were skipped."""
    if scope.role not in OFFICE_ROLES:
        raise OutOfScope("chase")
    text = " ".join((message or "").split())
    if not text:
        raise ChaseError("催办内容不能为空")
    if len(text) > 500:
        raise ChaseError("催办内容不能超过500字")
    if not assignment_ids:
        raise ChaseError("该单位本期没有缺报的分工")
    moment = now or clock_now()
    slip = Slip(slip)
    copy = "本督办单抄送你单位主要负责同志。" if slip is Slip.RED else ""
    tag = rules.slip_tag("督办" if slip is Slip.RED else "催办", slip)
    rows = list(
        Assignment.select(Assignment, Measure, Plan, Unit)
        .join(Measure)
        .join(Plan)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Assignment.id.in_(assignment_ids))
        .order_by(Measure.id)
    )
    if len({a.unit_id for a in rows}) != 1 or len(rows) != len(set(assignment_ids)):
        raise ChaseError("一次只能催办同一个单位的分工")
    scope.check_unit(rows[0].unit_id)
    drafts = [
        _Draft(
            key=f"manual:missing:{a.id}:{period}:{int(slip)}",
            kind=str(ChaseKind.MANUAL),
            slip=slip,
            unit_id=a.unit_id,
            unit=a.unit.name,
            message=f"{tag}《{a.measure.plan.title}》{rules.measure_label(a.measure.code, a.measure.title)}"
            f"（{period} 缺报）：{text}{copy}",
            copy_leader=slip is Slip.RED,
            assignment_id=a.id,
            period=period,
        )
        for a in rows
    ]
    known = _existing_keys([d.key for d in drafts])
    fresh = [d for d in drafts if d.key not in known]
    recorded = _record(fresh, moment, scope.username) if fresh else []
    return recorded, len(drafts) - len(recorded)


def reminders_for_unit(unit_id: int, user_id: int | None = None, limit: int = 50) -> list[ReminderView]:
    """The unit's reminders, newest first; with `user_id`, whether that person marked each read."""
    rows = list(
        Reminder.select()
        .where(Reminder.unit == unit_id)
        .order_by(Reminder.created_at.desc(), Reminder.id.desc())
        .limit(limit)
    )
    read = {}
    if user_id is not None and rows:
        for d in Delivery.select(Delivery.reminder, Delivery.read_at).where(
            Delivery.reminder.in_([r.id for r in rows]),
            Delivery.channel == "in_app",
            Delivery.recipient == f"user:{user_id}",
        ):
            read[d.reminder_id] = d.read_at
    return [
        ReminderView(
            r.id, r.kind, Slip(r.step), r.message, r.period, r.created_at, r.created_by, read.get(r.id)
        )
        for r in rows
    ]


def mark_read(scope: Scope, reminder_id: int, now: datetime | None = None) -> datetime:
    """Mark a reminder read by this person (their unit's only); returns when. Reading twice keeps the
    first moment."""
    reminder = Reminder.get_or_none(Reminder.id == reminder_id)
    if reminder is None:
        raise OutOfScope(f"reminder {reminder_id}")
    scope.check_unit(reminder.unit_id)
    moment = now or clock_now()
    recipient = f"user:{scope.user_id}"
    with write_transaction():
        delivery = Delivery.get_or_none(
            Delivery.reminder == reminder.id, Delivery.channel == "in_app", Delivery.recipient == recipient
        )
        if delivery is not None and delivery.read_at is not None:
            return delivery.read_at
        if delivery is None:
            # Someone who joined the unit after the reminder was sent reads it on their home too.
            Delivery.create(
                reminder=reminder.id,
                channel="in_app",
                recipient=recipient,
                status="sent",
                attempts=1,
                delivered_at=moment,
                read_at=moment,
            )
        else:
            Delivery.update(read_at=moment).where(Delivery.id == delivery.id).execute()
        audit.record(scope.username, "reminder.read", "reminder", reminder.id, after={"read_at": moment})
    return moment


# -- delivering --------------------------------------------------------------------------------------


@contextmanager
def _mail_session():
    """One SMTP connection for an email worker's run (None when SMTP is not configured)."""
    config = SmtpConfig.from_env()
    mailer = Mailer(config) if config is not None else None
    try:
        yield mailer
    finally:
        if mailer is not None:
            mailer.close()


def _subject(message: str) -> str:
    first = message.split("。", 1)[0]
    return first if len(first) <= 60 else first[:59] + "…"


def _send_email(d: Delivery) -> str:
    mailer = getattr(d, "session", None)
    if mailer is None:
        raise DeliveryError("未配置邮件服务器(TRACKER_SMTP_HOST)")
    if d.reminder_id:
        reminder = d.reminder
        subject, body, tag = _subject(reminder.message), reminder.message + EMAIL_FOOTER, reminder.key
    else:  # a queued message of another kind: {"subject", "body"}
        subject, body, tag = d.payload["subject"], d.payload["body"], d.dedupe_key
    mailer.send(d.recipient, subject, body, {"X-Tracker-Reminder": tag})
    return "SMTP 250"


def _send_webhook(d: Delivery) -> str:
    webhook = WebhookConfig.from_env()
    if webhook is None:
        raise DeliveryError("未配置群机器人(TRACKER_WEBHOOK_URL)")
    text = f"{d.reminder.unit.label}：{d.reminder.message}" if d.reminder_id else d.payload["text"]
    return post_webhook(webhook.url, text)


outbox.register("email", _send_email, session=_mail_session)
outbox.register("webhook", _send_webhook)


def deliver_pending(
    now: datetime | None = None,
    actor: str = "scheduler",
    stop: threading.Event | None = None,
    owner: str | None = None,
) -> DeliveryRun:
    """Send the email and webhook deliveries that are due; log each result and schedule retries.

    A delivery is tried when it is pending and its next attempt is due. Success marks it sent. A
    temporary failure keeps the reason in `last_error` and tries again after 1 min, 5 min, 30 min,
    then 2 h; after the 5th failed attempt, or at once when refused for good (SMTP 5xx, a bot's bad
    key), it is marked failed. A message whose answer was lost is marked unknown and never resent on
    its own. Every attempt is logged and audited; see `tracker.services.outbox`.
    """
    return outbox.deliver(now, actor=actor, owner=owner, stop=stop)
