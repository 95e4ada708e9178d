"""Peewee models for the glossary in DOMAIN.md. Names follow it: a unit is a `Unit`, a 措施 a `Measure`.

Nothing is ever deleted: plans archive what a reload drops, reports grow by revisions, and the
audit trail only appends. Moments are stored in UTC and come back aware in Asia/Shanghai.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime

import peewee as pw

from tracker.clock import TZ
from tracker.store.db import db


class MomentField(pw.DateTimeField):
    """An aware datetime, stored as naive UTC so SQLite and PostgreSQL hold the same value."""

    def db_value(self, value):
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("MomentField needs an aware datetime")
            value = value.astimezone(UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):
        if isinstance(value, str):  # SQLite's text: the C parser first (a board converts thousands)
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                value = super().python_value(value)
        else:
            value = super().python_value(value)
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC).astimezone(TZ)
        return value


def stored_moment(value):
    """A moment as a raw row gives it (text on SQLite, naive UTC on PostgreSQL, or already
    converted), aware in Beijing time; None stays None."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    return _converted(value)


_MOMENT = MomentField()


@functools.lru_cache(maxsize=1 << 16)
def _converted(value):
    # Converting to local time is most of the cost, and a plan's rows repeat moments (a first
    # submission in every change row of its report, imports saved in one second): each is converted once.
    return _MOMENT.python_value(value)


class JSONField(pw.TextField):
    """JSON in a text column, written with sorted keys so equal values are equal text."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class SchemaVersion(BaseModel):
    version = pw.IntegerField(primary_key=True)
    description = pw.TextField()
    applied_at = MomentField()


class Setting(BaseModel):
    """Small facts about this database, e.g. that `tracker demo` made it."""

    key = pw.CharField(primary_key=True, max_length=64)
    value = pw.TextField()


class Unit(BaseModel):
    name = pw.CharField(unique=True, max_length=200)
    short = pw.CharField(null=True, index=True, max_length=100)
    aliases = JSONField(default=list)
    kind = pw.CharField(default="department", max_length=20)
    reconstructed = pw.BooleanField(default=False)
    created_at = MomentField()
    # Its place in the levels (市 → 县 → 镇 → 村); a scoped office supervises a unit and all below it.
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    tags = JSONField(default=list)  # sets boards rank by: 试点区县, 重点帮扶村

    def names(self) -> list[str]:
        return [n for n in (self.name, self.short, *(self.aliases or [])) if n]

    @property
    def label(self) -> str:
        return self.short or self.name


class UnitMember(BaseModel):
    """A unit group (各县(市、区)) and one of its members."""

    group = pw.ForeignKeyField(Unit, backref="member_links", on_delete="RESTRICT")
    member = pw.ForeignKeyField(Unit, backref="group_links", on_delete="RESTRICT")
    position = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("group", "member"), True),)


class Plan(BaseModel):
    code = pw.CharField(unique=True, max_length=64)
    title = pw.TextField()
    issuer = pw.TextField(null=True)
    doc_number = pw.CharField(null=True, max_length=100)
    issued = pw.DateField(null=True)
    start = pw.DateField()
    end = pw.DateField()
    cadence = pw.CharField(default="monthly", max_length=20)
    due_day = pw.IntegerField(default=25)
    cutoff_day = pw.IntegerField(null=True)
    signoff = pw.BooleanField(default=False)
    holiday_shift = pw.BooleanField(default=False)
    amber_days = pw.IntegerField(default=30)
    source_note = pw.TextField(null=True)
    phases = JSONField(default=list)
    targets = JSONField(default=list)
    adopted = pw.DateField(null=True)  # reporting.start: nothing before it is chased, scored or published
    reviews = JSONField(default=list, null=True)  # [{code, name, months}]: the plan's own ranked bulletins
    scoring = JSONField(default=dict, null=True)  # weights and red_penalty; empty = DOMAIN.md's defaults
    file_sha256 = pw.CharField(null=True, max_length=64)
    loaded_at = MomentField()


class Section(BaseModel):
    plan = pw.ForeignKeyField(Plan, backref="sections", on_delete="RESTRICT")
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    code = pw.CharField(max_length=32)
    title = pw.TextField()
    text = pw.TextField(null=True)
    position = pw.IntegerField(default=0)
    reconstructed = pw.BooleanField(default=False)
    archived_at = MomentField(null=True)

    class Meta:
        indexes = ((("plan", "code"), True),)


class Measure(BaseModel):
    plan = pw.ForeignKeyField(Plan, backref="measures", on_delete="RESTRICT")
    section = pw.ForeignKeyField(Section, backref="measures", on_delete="RESTRICT")
    code = pw.CharField(max_length=32)
    title = pw.TextField()
    text = pw.TextField(null=True)
    # The names as the notice prints them (a group keeps its printed name here).
    printed_units = JSONField(default=dict)
    deadline = pw.DateField(null=True)
    deadline_text = pw.TextField(null=True)
    recurring = pw.CharField(null=True, max_length=20)
    cadence = pw.CharField(null=True, max_length=12)  # its own reporting cadence; None = the plan's
    start = pw.DateField(null=True)
    public = pw.BooleanField(default=True)
    reconstructed = pw.BooleanField(default=False)
    position = pw.IntegerField(default=0)
    created_at = MomentField(null=True)  # when a load first stored it
    archived_at = MomentField(null=True)

    class Meta:
        indexes = ((("plan", "code"), True),)

    @classmethod
    def active(cls):
        return cls.select().where(cls.archived_at.is_null())


class Assignment(BaseModel):
    """One unit's duty on one measure: lead, responsible or supporting."""

    measure = pw.ForeignKeyField(Measure, backref="assignments", on_delete="RESTRICT")
    unit = pw.ForeignKeyField(Unit, backref="assignments", on_delete="RESTRICT")
    role = pw.CharField(max_length=12)
    via_group = pw.ForeignKeyField(Unit, null=True, backref="group_assignments", on_delete="RESTRICT")
    printed_name = pw.CharField(max_length=200)
    position = pw.IntegerField(default=0)
    created_at = MomentField(null=True)
    archived_at = MomentField(null=True)
    # A breakdown (分解): the assignment this one was split from, the child's own deadline (never
    # later than its parent's) and its share of each indicator (indicator code → part of the target).
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    deadline = pw.DateField(null=True)
    shares = JSONField(default=dict)

    class Meta:
        indexes = ((("measure", "unit"), True),)

    @classmethod
    def active(cls):
        return cls.select().where(cls.archived_at.is_null())


class Indicator(BaseModel):
    measure = pw.ForeignKeyField(Measure, backref="indicators", on_delete="RESTRICT")
    code = pw.CharField(max_length=100)
    name = pw.TextField()
    unit = pw.CharField(null=True, max_length=32)
    target = pw.FloatField(null=True)
    baseline = pw.FloatField(default=0)
    cumulative = pw.BooleanField(default=True)
    # Nullable so that adding them to a first-release SQLite database needs no table rebuild.
    kind = pw.CharField(default="amount", null=True, max_length=12)  # count | amount | percent | rate
    direction = pw.CharField(default="up", null=True, max_length=4)  # up: at least the target; down: at most
    position = pw.IntegerField(default=0)
    archived_at = MomentField(null=True)
    rollup = pw.CharField(default="none", max_length=8)  # sum | mean | min | max | none
    shares = JSONField(default=dict)  # member unit's full name → its part of the target

    class Meta:
        indexes = ((("measure", "code"), True),)


class Milestone(BaseModel):
    indicator = pw.ForeignKeyField(Indicator, backref="milestones", on_delete="RESTRICT")
    date = pw.DateField()
    value = pw.FloatField()
    archived_at = MomentField(null=True)

    class Meta:
        indexes = ((("indicator", "date"), True),)


class User(BaseModel):
    username = pw.CharField(unique=True, max_length=64)
    display_name = pw.CharField(max_length=100)
    role = pw.CharField(max_length=20)
    unit = pw.ForeignKeyField(Unit, null=True, backref="users", on_delete="RESTRICT")
    email = pw.CharField(null=True, max_length=200)
    password_hash = pw.TextField()
    must_change_password = pw.BooleanField(default=True)
    active = pw.BooleanField(default=True)
    password_changed_at = MomentField(null=True)
    created_at = MomentField()
    # Where a per-person work notice goes (企业微信/钉钉 userid) and a text message (手机号).
    wecom_id = pw.CharField(null=True, max_length=64)
    dingtalk_id = pw.CharField(null=True, max_length=64)
    mobile = pw.CharField(null=True, max_length=20)


class Report(BaseModel):
    """An assignment's report for one period; its content lives in its revisions."""

    assignment = pw.ForeignKeyField(Assignment, backref="reports", on_delete="RESTRICT")
    # 2024-W23, 2024-05, 2024Q2, 2024H1 or 2024 (see rules.periods); boards pick their periods' reports
    period = pw.CharField(max_length=10, index=True)
    created_at = MomentField()

    class Meta:
        indexes = ((("assignment", "period"), True),)


class ReportRevision(BaseModel):
    """One save of a report. Never updated after insert, except to record a return or a sign-off."""

    report = pw.ForeignKeyField(Report, backref="revisions", on_delete="RESTRICT")
    number = pw.IntegerField()
    author = pw.ForeignKeyField(User, null=True, backref="revisions", on_delete="RESTRICT")
    recorded_at = MomentField(index=True)
    percent = pw.IntegerField(null=True)
    complete = pw.BooleanField(default=False)
    narrative = pw.TextField(default="")
    problems = pw.TextField(default="")
    next_steps = pw.TextField(default="")
    public_summary = pw.TextField(default="")
    indicator_values = JSONField(default=dict)
    indicator_notes = JSONField(default=dict)
    source = pw.CharField(default="web", max_length=20)  # web | import | demo

    class Meta:
        indexes = ((("report", "number"), True),)


class ReportDraft(BaseModel):
    """Text a person typed into a report form but has not yet submitted (草稿): kept per person,
    assignment and period so that a session ending loses nothing; deleted when a revision is saved."""

    user = pw.ForeignKeyField(User, backref="drafts", on_delete="CASCADE")
    assignment = pw.ForeignKeyField(Assignment, backref="drafts", on_delete="CASCADE")
    period = pw.CharField(max_length=10)
    fields = JSONField(default=dict)  # form field name → text as typed
    saved_at = MomentField()

    class Meta:
        indexes = ((("user", "assignment", "period"), True),)


class UserSession(BaseModel):
    """A signed-in session, kept server-side so that logout or a password change ends it at once."""

    token_hash = pw.CharField(unique=True, max_length=64)
    user = pw.ForeignKeyField(User, backref="sessions", on_delete="RESTRICT")
    created_at = MomentField()
    last_seen_at = MomentField()
    revoked_at = MomentField(null=True)
    revoked_why = pw.CharField(null=True, max_length=32)
    remote_addr = pw.CharField(null=True, max_length=64)


class LoginAttempt(BaseModel):
    """Every sign-in attempt; failures throttle further attempts across processes."""

    username = pw.CharField(max_length=64, index=True)
    remote_addr = pw.CharField(null=True, max_length=64)
    at = MomentField(index=True)
    success = pw.BooleanField()


class ReportReturn(BaseModel):
    """The office returns a revision for revision (退回), with a reason the unit sees."""

    revision = pw.ForeignKeyField(ReportRevision, backref="returns", on_delete="RESTRICT")
    by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    at = MomentField()
    reason = pw.TextField()


class ReportSignoff(BaseModel):
    """A unit leader signs a revision where the plan requires sign-off before it counts."""

    revision = pw.ForeignKeyField(ReportRevision, backref="signoffs", on_delete="RESTRICT")
    by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    at = MomentField()


class _LedgerFacts(BaseModel):
    """What a board reads of one report (assignment, period), as of a moment: derived from its
    revisions, returns and sign-offs (see `services.ledger`); plain ids, no foreign keys, since
    `tracker doctor --rebuild-ledger` may drop and rewrite every row."""

    report_id = pw.IntegerField()
    assignment_id = pw.IntegerField()
    period = pw.CharField(max_length=10)
    revision_id = pw.IntegerField()  # the latest revision
    number = pw.IntegerField()
    first_revision_id = pw.IntegerField(null=True)  # the first submission's revision
    first_complete_id = pw.IntegerField(null=True)  # the first revision marked complete (已完成)
    first_at = MomentField()  # the first submission
    latest_at = MomentField()  # the latest revision's
    percent = pw.IntegerField(null=True)
    complete = pw.BooleanField(default=False)
    indicator_values = JSONField(default=dict)
    indicator_notes = JSONField(default=dict)
    returned_at = MomentField(null=True)  # the latest revision's first return (退回)
    returned_reason = pw.TextField(default="")
    signed_off_at = MomentField(null=True)  # the latest revision's first sign-off (签发)
    change = pw.CharField(max_length=10, default="save")  # save | return | signoff: what last moved it


class ReportLedger(_LedgerFacts):
    """One row per report: its facts now, kept by the database in the transaction of every revision,
    return and sign-off (triggers, see `services.ledger`)."""

    updated_at = MomentField()

    class Meta:
        table_name = "report_ledger"
        indexes = ((("report_id",), True), (("assignment_id", "period"), True))


class ReportLedgerChange(_LedgerFacts):
    """Append-only: the ledger row as it became at `at`, one row per change, so a board "as of a
    cut-off" is one indexed query (the latest row per report with `at` at or before it)."""

    at = MomentField()

    class Meta:
        table_name = "report_ledger_change"
        indexes = ((("at", "report_id"), False), (("report_id", "at"), False))


class Completion(BaseModel):
    """The office confirms a lead's "complete" (done), or reopens a confirmed assignment."""

    assignment = pw.ForeignKeyField(Assignment, backref="completions", on_delete="RESTRICT")
    kind = pw.CharField(max_length=10)  # confirm | reopen
    by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    at = MomentField()
    reason = pw.TextField(default="")


class ExtensionRequest(BaseModel):
    """A unit asks for a later deadline (延期申请); the office approves with a date or refuses."""

    assignment = pw.ForeignKeyField(Assignment, backref="extension_requests", on_delete="RESTRICT")
    requested_by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    requested_at = MomentField()
    current_deadline = pw.DateField(null=True)
    requested_deadline = pw.DateField()
    reason = pw.TextField()
    decision = pw.CharField(null=True, max_length=10)  # approved | refused
    decided_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT")
    decided_at = MomentField(null=True)
    new_deadline = pw.DateField(null=True)
    decision_reason = pw.TextField(default="")


class Inspection(BaseModel):
    """An inspection (督查) by the office: where, when, what it looked at."""

    plan = pw.ForeignKeyField(Plan, null=True, backref="inspections", on_delete="RESTRICT")
    title = pw.TextField()
    held_on = pw.DateField()
    notes = pw.TextField(default="")  # internal
    created_by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    created_at = MomentField()


class RectificationList(BaseModel):
    """A rectification list (整改清单): findings sent to one unit, as an official document."""

    unit = pw.ForeignKeyField(Unit, backref="rectification_lists", on_delete="RESTRICT")
    plan = pw.ForeignKeyField(Plan, null=True, on_delete="RESTRICT")
    title = pw.TextField()
    doc_number = pw.CharField(null=True, max_length=100)
    body = pw.TextField(default="")
    issued_by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    issued_at = MomentField()
    # Withdrawn (作废) by the office before the unit answered: the 文号 stays used, marked 作废.
    withdrawn_at = MomentField(null=True)
    withdrawn_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT", backref="withdrawn_lists")
    withdraw_reason = pw.TextField(null=True)
    withdrawn_findings = JSONField(null=True)  # the findings it held, sent back to the unlisted pile


class Finding(BaseModel):
    """A problem in the ledger (问题台账) against a unit and, where there is one, a measure."""

    plan = pw.ForeignKeyField(Plan, null=True, backref="findings", on_delete="RESTRICT")
    inspection = pw.ForeignKeyField(Inspection, null=True, backref="findings", on_delete="RESTRICT")
    unit = pw.ForeignKeyField(Unit, backref="findings", on_delete="RESTRICT")
    measure = pw.ForeignKeyField(Measure, null=True, backref="findings", on_delete="RESTRICT")
    rectification_list = pw.ForeignKeyField(
        RectificationList, null=True, backref="findings", on_delete="RESTRICT"
    )
    title = pw.TextField()
    detail = pw.TextField(default="")
    severity = pw.CharField(default="general", max_length=10)  # general | serious | critical
    public = pw.BooleanField(default=False)  # counted publicly is always; the title shown only if true
    detail_public = pw.BooleanField(default=False)
    rectify_by = pw.DateField()
    state = pw.CharField(default="open", max_length=10)  # open | answered | closed
    created_by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    created_at = MomentField()
    closed_at = MomentField(null=True)


class FindingEvent(BaseModel):
    """One step in a finding's history: opened, sent, answered, closed (销号), reopened."""

    finding = pw.ForeignKeyField(Finding, backref="events", on_delete="RESTRICT")
    kind = pw.CharField(max_length=10)
    by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    at = MomentField()
    note = pw.TextField(default="")


class Evidence(BaseModel):
    """An uploaded file, stored outside the web root under a server-made name."""

    unit = pw.ForeignKeyField(Unit, backref="evidence", on_delete="RESTRICT")
    revision = pw.ForeignKeyField(ReportRevision, null=True, backref="evidence", on_delete="RESTRICT")
    finding_event = pw.ForeignKeyField(FindingEvent, null=True, backref="evidence", on_delete="RESTRICT")
    uploaded_by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    uploaded_at = MomentField()
    original_name = pw.CharField(max_length=255)
    stored_name = pw.CharField(unique=True, max_length=80)
    content_type = pw.CharField(max_length=100)
    size = pw.IntegerField()
    sha256 = pw.CharField(max_length=64)


class Reminder(BaseModel):
    """A logged chase (催办); unique per target, period and step so nothing is sent twice."""

    key = pw.CharField(unique=True, max_length=120)
    kind = pw.CharField(max_length=20)  # report_due | report_missing | report_late | finding_overdue | manual
    step = pw.IntegerField(default=1)  # 1 blue, 2 yellow, 3 red slip (三色督办单)
    unit = pw.ForeignKeyField(Unit, backref="reminders", on_delete="RESTRICT")
    assignment = pw.ForeignKeyField(Assignment, null=True, backref="reminders", on_delete="RESTRICT")
    finding = pw.ForeignKeyField(Finding, null=True, backref="reminders", on_delete="RESTRICT")
    period = pw.CharField(null=True, max_length=10)
    message = pw.TextField()
    created_by = pw.CharField(max_length=64)
    created_at = MomentField()


class Delivery(BaseModel):
    """The outbox: one message to one recipient over one channel, with its state and result.

    A reminder's deliveries name their reminder; any other message (an outgoing event) carries its
    own `payload` and a unique `dedupe_key`. `status` is written as `sending` (with who and when)
    before the message leaves and resolved after, so a message whose outcome was lost is `unknown`
    and never sent again on its own.
    """

    reminder = pw.ForeignKeyField(Reminder, null=True, backref="deliveries", on_delete="RESTRICT")
    channel = pw.CharField(max_length=10)  # in_app | email | webhook | …
    recipient = pw.CharField(max_length=300)
    status = pw.CharField(default="pending", max_length=10)  # pending | sending | sent | failed | unknown
    dedupe_key = pw.CharField(null=True, unique=True, max_length=200)
    payload = JSONField(null=True)
    claimed_by = pw.CharField(null=True, max_length=100)
    claimed_at = MomentField(null=True)
    attempts = pw.IntegerField(default=0)
    last_error = pw.TextField(null=True)
    next_attempt_at = MomentField(null=True)
    delivered_at = MomentField(null=True)
    read_at = MomentField(null=True)

    class Meta:
        indexes = ((("reminder", "channel", "recipient"), True),)


class Bulletin(BaseModel):
    """The office's commentary (Markdown) on a monthly board, a quarterly bulletin or the year."""

    plan = pw.ForeignKeyField(Plan, backref="bulletins", on_delete="RESTRICT")
    board = pw.CharField(max_length=32)  # 2024-05 | 2024Q2 | 2024 | dispatch-2024-05
    commentary = pw.TextField(default="")
    updated_by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    updated_at = MomentField()

    class Meta:
        indexes = ((("plan", "board"), True),)


class QualityRating(BaseModel):
    """The office's quality rating of a unit for a quarter: the 10 points of the score."""

    plan = pw.ForeignKeyField(Plan, on_delete="RESTRICT")
    unit = pw.ForeignKeyField(Unit, on_delete="RESTRICT")
    quarter = pw.CharField(max_length=6)
    points = pw.FloatField()
    note = pw.TextField(default="")
    rated_by = pw.ForeignKeyField(User, on_delete="RESTRICT")
    rated_at = MomentField()

    class Meta:
        indexes = ((("plan", "unit", "quarter"), True),)


class Publication(BaseModel):
    """A board written to the static site; republishing must give the same digest."""

    plan = pw.ForeignKeyField(Plan, backref="publications", on_delete="RESTRICT")
    board = pw.CharField(max_length=32)  # a review window's key is longer than a month's
    first_published_at = MomentField()
    last_published_at = MomentField()
    digest = pw.CharField(max_length=64)
    files = pw.IntegerField()

    class Meta:
        indexes = ((("plan", "board"), True),)


class ApiToken(BaseModel):
    """A personal API token: only its SHA-256 is kept; it acts with its user's role and unit scope."""

    user = pw.ForeignKeyField(User, backref="api_tokens", on_delete="RESTRICT")
    name = pw.CharField(max_length=100)
    token_hash = pw.CharField(unique=True, max_length=64)
    prefix = pw.CharField(max_length=16)  # the first characters, so a person can tell tokens apart
    read_only = pw.BooleanField(default=False)
    created_by = pw.CharField(max_length=64)
    created_at = MomentField()
    expires_at = MomentField(null=True)
    last_used_at = MomentField(null=True)
    revoked_at = MomentField(null=True)
    revoked_why = pw.CharField(null=True, max_length=32)


class EventSubscription(BaseModel):
    """An outside system that is told of events by a signed POST (订阅). `owner`, when set, is the
    person whose unit scope the subscription has: it hears only of what that person may read."""

    name = pw.CharField(max_length=100)
    url = pw.CharField(max_length=500)
    secret = pw.CharField(max_length=100)  # the HMAC key; the receiver holds the same
    kinds = JSONField(default=list)  # event types; empty for all
    owner = pw.ForeignKeyField(User, null=True, backref="event_subscriptions", on_delete="RESTRICT")
    active = pw.BooleanField(default=True)
    created_by = pw.CharField(max_length=64)
    created_at = MomentField()


class CalendarFeed(BaseModel):
    """A secret iCalendar URL (日历订阅): a unit's due days and deadlines, or (no unit) a whole plan's
    for the office. Resetting it gives a new secret; the old URL stops at once."""

    key = pw.CharField(unique=True, max_length=64)
    unit = pw.ForeignKeyField(Unit, null=True, backref="calendar_feeds", on_delete="RESTRICT")
    plan = pw.ForeignKeyField(Plan, null=True, backref="calendar_feeds", on_delete="RESTRICT")
    created_at = MomentField()
    reset_by = pw.CharField(null=True, max_length=64)

    class Meta:
        indexes = ((("unit", "plan"), True),)


class AuditEvent(BaseModel):
    """Append-only, hash-chained record of a change: who, when, what before and after."""

    seq = pw.IntegerField(unique=True)
    at = MomentField()
    actor = pw.CharField(max_length=100)
    action = pw.CharField(max_length=64)
    entity = pw.CharField(max_length=64)
    entity_id = pw.CharField(max_length=64, null=True)
    before = JSONField(null=True)
    after = JSONField(null=True)
    prev_hash = pw.CharField(max_length=64)
    hash = pw.CharField(max_length=64)
    key_id = pw.CharField(max_length=16, null=True)  # which key sealed it; empty: first release, SHA-256


MODELS = [
    SchemaVersion,
    Setting,
    Unit,
    UnitMember,
    Plan,
    Section,
    Measure,
    Assignment,
    Indicator,
    Milestone,
    User,
    Report,
    ReportRevision,
    ReportDraft,
    UserSession,
    LoginAttempt,
    ReportReturn,
    ReportSignoff,
    Completion,
    Inspection,
    RectificationList,
    Finding,
    FindingEvent,
    Evidence,
    ExtensionRequest,
    Reminder,
    Delivery,
    Bulletin,
    QualityRating,
    Publication,
    ApiToken,
    EventSubscription,
    CalendarFeed,
    ReportLedger,
    ReportLedgerChange,
    AuditEvent,
]
