"""Every route × every role × own / other unit's object, against the table below.

Adding a route means adding its line to ROUTES; a URL argument of a new kind also needs one line in
ARGS. The test fails on any route of the app that the table lacks, on a line whose rule no longer
matches the app, and on any answer that differs from the table — above all an unexpected 2xx.

The last role, `county_office`, is a level's office: an inspector scoped to the county over unit A;
its cells are in SCOPED, one per route, so that unit B's objects are checked to answer 404.

Cells, one per role, in the order of ROLES:
  "ok"     2xx, or a redirect that is not to the sign-in page
  "login"  a redirect to the sign-in page (`/login?next=…`)
  "403"    refused for the role;  "404"  not found, or another unit's object (never confirmed)
  "a|b"    "a" for the unit's own object, "b" for another unit's (e.g. "ok|404")
Each method of the rule is requested: GET as is (with QUERIES, if any), POST with a valid CSRF token
and the FORMS data.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from tests.web.conftest import csrf_token, sign_in
from tests.web.world import PASSWORD, World
from tracker.services import admin, calendars, events, notices, tokens
from tracker.store.models import ExtensionRequest, ReportRevision

ROLES = ("anonymous", "reporter", "unit_leader", "inspector", "leader", "admin", "county_office")
SIGN_IN_AS = {
    "reporter": "clerk",
    "unit_leader": "boss",
    "inspector": "inspector",
    "leader": "leader",
    "admin": "admin",
    "county_office": "county",
}

EVERYONE = ("ok", "ok", "ok", "ok", "ok", "ok")
SIGNED_IN = ("login", "ok", "ok", "ok", "ok", "ok")
ADMIN_ONLY = ("login", "403", "403", "403", "403", "ok")
# reporter, unit_leader, inspector, leader, admin: the unit's own object only, and every reader
UNIT_OWN_READERS = ("ok|404", "ok|404", "ok", "ok", "ok")
UNIT_OWN = ("ok|404", "ok|404", "403", "403", "403")  # a change a unit makes to its own object only
READERS_ONLY = ("login", "403", "403", "ok", "ok", "ok")  # the office's pages and the leaders' dashboard
OFFICE_ONLY = ("login", "403", "403", "ok", "403", "ok")  # the office's changes (and their forms)
NO_SESSION = ("401",) * 6  # the JSON API: a session cookie opens nothing

# endpoint: ("METHODS /rule", anonymous, reporter, unit_leader, inspector, leader, admin)
ROUTES: dict[str, tuple[str, ...]] = {
    "browse.index": ("GET /", *EVERYONE),
    "browse.healthz": ("GET /healthz", *EVERYONE),
    "browse.plan": ("GET /plans/<code>/", *EVERYONE),
    "browse.measure": ("GET /plans/<code>/measures/<measure_code>", *EVERYONE),
    "published.index": ("GET /site/", *EVERYONE),
    "published.page": ("GET /site/<path:path>", *EVERYONE),
    "auth.login": ("GET,POST /login", *EVERYONE),
    "auth.logout": ("POST /logout", *SIGNED_IN),
    "auth.password": ("GET,POST /password", *SIGNED_IN),
    "admin.index": ("GET /admin/", *ADMIN_ONLY),
    "admin.users": ("GET /admin/users", *ADMIN_ONLY),
    "admin.user_new": ("GET,POST /admin/users/new", *ADMIN_ONLY),
    "admin.user": ("GET,POST /admin/users/<int:user_id>", *ADMIN_ONLY),
    "admin.user_disable": ("POST /admin/users/<int:user_id>/disable", *ADMIN_ONLY),
    "admin.user_enable": ("POST /admin/users/<int:user_id>/enable", *ADMIN_ONLY),
    "admin.user_reset_password": ("POST /admin/users/<int:user_id>/password", *ADMIN_ONLY),
    "admin.user_clear_throttle": ("POST /admin/users/<int:user_id>/throttle/clear", *ADMIN_ONLY),
    "admin.units": ("GET /admin/units", *ADMIN_ONLY),
    "admin.unit": ("GET,POST /admin/units/<int:unit_id>", *ADMIN_ONLY),
    "admin.unit_member_add": ("POST /admin/units/<int:group_id>/members", *ADMIN_ONLY),
    "admin.unit_member_remove": (
        "POST /admin/units/<int:group_id>/members/<int:member_id>/remove",
        *ADMIN_ONLY,
    ),
    "admin.plans": ("GET /admin/plans", *ADMIN_ONLY),
    "admin.plan_upload": ("POST /admin/plans/upload", *ADMIN_ONLY),
    "admin.plan_preview": ("GET /admin/plans/staged/<token>", *ADMIN_ONLY),
    "admin.plan_load": ("POST /admin/plans/staged/<token>/load", *ADMIN_ONLY),
    "admin.plan_discard": ("POST /admin/plans/staged/<token>/discard", *ADMIN_ONLY),
    "admin.audit": ("GET /admin/audit", *ADMIN_ONLY),
    "admin.backups": ("GET /admin/backups", *ADMIN_ONLY),
    "admin.backup_now": ("POST /admin/backups", *ADMIN_ONLY),
    "notices.index": ("GET /admin/notices/", *ADMIN_ONLY),
    "notices.upload": ("POST /admin/notices/", *ADMIN_ONLY),
    "notices.notice": ("GET /admin/notices/<notice_token>", *ADMIN_ONLY),
    "notices.save": ("POST /admin/notices/<notice_token>", *ADMIN_ONLY),
    "notices.download": ("GET /admin/notices/<notice_token>/draft.yaml", *ADMIN_ONLY),
    "notices.review": ("POST /admin/notices/<notice_token>/review", *ADMIN_ONLY),
    "notices.load": ("POST /admin/notices/<notice_token>/load", *ADMIN_ONLY),
    "notices.discard": ("POST /admin/notices/<notice_token>/discard", *ADMIN_ONLY),
    "unit.home": ("GET /unit/", "login", "ok", "ok", "403", "403", "403"),
    "unit.reminder_read": (
        "POST /unit/reminders/<int:reminder_id>/read",
        "login",
        "ok|404",
        "ok|404",
        "403",
        "403",
        "403",
    ),
    "unit.assignment": ("GET /unit/assignments/<int:assignment_id>/", "login", *UNIT_OWN_READERS),
    "unit.report": ("GET /unit/assignments/<int:assignment_id>/reports/<period>", "login", *UNIT_OWN_READERS),
    "unit.report_save": ("POST /unit/assignments/<int:assignment_id>/reports/<period>", "login", *UNIT_OWN),
    "unit.report_draft": (
        "POST /unit/assignments/<int:assignment_id>/reports/<period>/draft",
        "login",
        *UNIT_OWN,
    ),
    "unit.signoff": (
        "POST /unit/revisions/<int:revision_id>/signoff",
        "login",
        "403",
        "ok|404",
        "403",
        "403",
        "403",
    ),
    "unit.return_revision": (
        "POST /unit/revisions/<int:revision_id>/return",
        "login",
        "403",
        "403",
        "ok",
        "403",
        "ok",
    ),
    "unit.evidence": ("GET /unit/evidence/<int:evidence_id>", "login", *UNIT_OWN_READERS),
    "unit.extension": ("GET /unit/assignments/<int:assignment_id>/extension", "login", *UNIT_OWN_READERS),
    "unit.extension_request": ("POST /unit/assignments/<int:assignment_id>/extension", "login", *UNIT_OWN),
    # 分解: the holding unit or an office splits; 牵头单位汇总: the lead unit reads its measure's reports.
    "unit.breakdown_page": (
        "GET /unit/assignments/<int:assignment_id>/breakdown",
        "login",
        *UNIT_OWN_READERS,
    ),
    "unit.breakdown_save": (
        "POST /unit/assignments/<int:assignment_id>/breakdown",
        "login",
        "ok|404",
        "ok|404",
        "ok",
        "403",
        "ok",
    ),
    "unit.compile_page": ("GET /unit/assignments/<int:assignment_id>/compile", "login", *UNIT_OWN_READERS),
    "unit.sheet_template": ("GET /unit/sheet", "login", "ok", "ok", "403", "403", "403"),
    "unit.sheet_import": ("POST /unit/sheet", "login", "ok", "ok", "403", "403", "403"),
    # The office's pages: leaders read them; only the office (inspector, admin) changes anything.
    "office.overview": ("GET /office/", *READERS_ONLY),
    "office.missing": ("GET /office/missing", *READERS_ONLY),
    "office.missing_chase": ("POST /office/missing/chase", *OFFICE_ONLY),
    "office.matrix": ("GET /office/matrix", *READERS_ONLY),
    "office.changes": ("GET /office/changes", *READERS_ONLY),
    "office.assignment": ("GET /office/assignments/<int:assignment_id>", *READERS_ONLY),
    "office.measure": ("GET /office/plans/<code>/measures/<measure_code>", *READERS_ONLY),
    "office.chase": ("POST /office/assignments/<int:assignment_id>/chase", *OFFICE_ONLY),
    "office.completions": ("GET /office/completions", *READERS_ONLY),
    "office.completion_confirm": ("POST /office/assignments/<int:assignment_id>/confirm", *OFFICE_ONLY),
    "office.completion_reopen": ("POST /office/assignments/<int:assignment_id>/reopen", *OFFICE_ONLY),
    "office.extensions": ("GET /office/extensions", *READERS_ONLY),
    "office.extension": ("GET /office/extensions/<int:request_id>", *READERS_ONLY),
    "office.extension_decide": ("POST /office/extensions/<int:request_id>/decide", *OFFICE_ONLY),
    "office.inspections": ("GET /office/inspections", *READERS_ONLY),
    "office.inspection_new": ("GET,POST /office/inspections/new", *OFFICE_ONLY),
    "office.inspection": ("GET /office/inspections/<int:inspection_id>", *READERS_ONLY),
    "office.findings": ("GET /office/findings", *READERS_ONLY),
    "office.finding_new": ("GET,POST /office/findings/new", *OFFICE_ONLY),
    "office.finding": ("GET /office/findings/<int:finding_id>", *READERS_ONLY),
    "office.finding_chase": ("POST /office/findings/<int:finding_id>/chase", *OFFICE_ONLY),
    "office.finding_close": ("POST /office/findings/<int:finding_id>/close", *OFFICE_ONLY),
    "office.finding_reopen": ("POST /office/findings/<int:finding_id>/reopen", *OFFICE_ONLY),
    "office.rectifications": ("GET /office/rectifications", *READERS_ONLY),
    "office.rectification_new": ("GET,POST /office/rectifications/new", *OFFICE_ONLY),
    "office.rectification": ("GET /office/rectifications/<int:list_id>", *READERS_ONLY),
    "office.rectification_docx": ("GET /office/rectifications/<int:list_id>.docx", *READERS_ONLY),
    "office.rectification_xlsx": ("GET /office/rectifications/<int:list_id>.xlsx", *READERS_ONLY),
    "office.rectification_withdraw": ("POST /office/rectifications/<int:list_id>/withdraw", *OFFICE_ONLY),
    "office.bulletins": ("GET /office/bulletins", *READERS_ONLY),
    "office.bulletin": ("GET,POST /office/bulletins/<code>/<board>", *OFFICE_ONLY),
    "office.bulletin_publish": ("POST /office/bulletins/<code>/<board>/publish", *OFFICE_ONLY),
    "office.ratings": ("GET /office/ratings", *READERS_ONLY),
    "office.ratings_save": ("POST /office/ratings", *OFFICE_ONLY),
    "office.scoring": ("GET /office/scoring", *READERS_ONLY),
    "office.scoring_save": ("POST /office/scoring", *OFFICE_ONLY),
    # The leaders' dashboard and ledger exports: read-only, for every reader.
    "leader.dashboard": ("GET /leader/", *READERS_ONLY),
    "leader.plan": ("GET /leader/plans/<code>", *READERS_ONLY),
    "leader.export": ("GET /leader/exports/<ledger>.xlsx", *READERS_ONLY),
    # A unit's own findings: read, answer with evidence, download its rectification list.
    "findings.index": ("GET /findings/", "login", "ok", "ok", "403", "403", "403"),
    "findings.detail": ("GET /findings/<int:finding_id>", "login", *UNIT_OWN),
    "findings.answer": ("POST /findings/<int:finding_id>/answer", "login", *UNIT_OWN),
    "findings.list_docx": ("GET /findings/lists/<int:list_id>.docx", "login", *UNIT_OWN),
    # 我的令牌: everyone their own; an admin revokes anyone's (a fresh token of each side's clerk).
    "tokens.index": ("GET /tokens/", *SIGNED_IN),
    "profile.index": ("GET,POST /profile/", *SIGNED_IN),
    "tokens.create": ("POST /tokens/", *SIGNED_IN),
    "tokens.revoke": ("POST /tokens/<int:token_id>/revoke", "login", "ok|404", "404", "404", "404", "ok"),
    # 日历订阅: a unit resets its own feed, the office a plan's; the feed itself opens by its secret.
    "calendars.index": ("GET /calendar/", "login", "ok", "ok", "ok", "403", "ok"),
    "calendars.reset": (
        "POST /calendar/<int:feed_id>/reset",
        "login",
        "ok|404",
        "ok|404",
        "404|ok",
        "403",
        "404|ok",
    ),
    "calendars.feed": ("GET /calendar/<key>.ics", *EVERYONE),
    "integrations.events": ("GET /integrations/events", *ADMIN_ONLY),
    "integrations.subscribe": ("POST /integrations/events", *ADMIN_ONLY),
    "integrations.toggle": ("POST /integrations/events/<int:subscription_id>/toggle", *ADMIN_ONLY),
    # The JSON API never takes a session cookie: signed in or not, only a bearer token opens it
    # (tests/api/test_api_access.py walks it with tokens). Its description is public.
    "api.openapi": ("GET /api/v1/openapi.json", *EVERYONE),
    "api.docs": ("GET /api/v1/docs", *EVERYONE),
    **{
        endpoint: (rule, *NO_SESSION)
        for endpoint, rule in {
            "api.plans": "GET /api/v1/plans",
            "api.measures": "GET /api/v1/plans/<code>/measures",
            "api.board": "GET /api/v1/plans/<code>/boards/<period>",
            "api.assignments": "GET /api/v1/assignments",
            "api.assignment": "GET /api/v1/assignments/<int:assignment_id>",
            "api.reports": "GET /api/v1/assignments/<int:assignment_id>/reports",
            "api.report_save": "POST /api/v1/assignments/<int:assignment_id>/reports",
            "api.findings": "GET /api/v1/findings",
            "api.finding": "GET /api/v1/findings/<int:finding_id>",
            "api.finding_answer": "POST /api/v1/findings/<int:finding_id>/answer",
        }.items()
    },
}

# A level's office (县督查室): an inspector scoped to 测试县, the county over unit A (`own`); unit B
# (`other`) is outside it. One cell per route, the last column of ROLES: what an unscoped inspector
# gets, except another unit's object answers 404.
SCOPED: dict[str, str] = {
    "browse.index": "ok",
    "browse.healthz": "ok",
    "browse.plan": "ok",
    "browse.measure": "ok",
    "published.index": "ok",
    "published.page": "ok",
    "auth.login": "ok",
    "auth.logout": "ok",
    "auth.password": "ok",
    "admin.index": "403",
    "admin.users": "403",
    "admin.user_new": "403",
    "admin.user": "403",
    "admin.user_disable": "403",
    "admin.user_enable": "403",
    "admin.user_reset_password": "403",
    "admin.user_clear_throttle": "403",
    "admin.units": "403",
    "admin.unit": "403",
    "admin.unit_member_add": "403",
    "admin.unit_member_remove": "403",
    "admin.plans": "403",
    "admin.plan_upload": "403",
    "admin.plan_preview": "403",
    "admin.plan_load": "403",
    "admin.plan_discard": "403",
    "admin.audit": "403",
    "admin.backups": "403",
    "admin.backup_now": "403",
    "notices.index": "403",
    "notices.upload": "403",
    "notices.notice": "403",
    "notices.save": "403",
    "notices.download": "403",
    "notices.review": "403",
    "notices.load": "403",
    "notices.discard": "403",
    "unit.home": "403",
    "unit.reminder_read": "403",
    "unit.assignment": "ok|404",
    "unit.report": "ok|404",
    "unit.report_save": "403",
    "unit.report_draft": "403",
    "unit.signoff": "403",
    "unit.return_revision": "ok|404",
    "unit.evidence": "ok|404",
    "unit.extension": "ok|404",
    "unit.extension_request": "403",
    "unit.breakdown_page": "ok|404",
    "unit.breakdown_save": "ok|404",
    "unit.compile_page": "ok|404",
    "unit.sheet_template": "403",
    "unit.sheet_import": "403",
    "office.overview": "ok",
    "office.missing": "ok",
    "office.missing_chase": "ok",
    "office.matrix": "ok",
    "office.changes": "ok",
    "office.assignment": "ok|404",
    "office.measure": "ok",  # 1.2 has unit A among its units: the office sees its part of it
    "office.chase": "ok|404",
    "office.completions": "ok",
    "office.completion_confirm": "ok|404",
    "office.completion_reopen": "ok|404",
    "office.extensions": "ok",
    "office.extension": "ok|404",
    "office.extension_decide": "ok|404",
    "office.inspections": "ok",
    "office.inspection_new": "ok",
    "office.inspection": "ok",
    "office.findings": "ok",
    "office.finding_new": "ok",
    "office.finding": "ok|404",
    "office.finding_chase": "ok|404",
    "office.finding_close": "ok|404",
    "office.finding_reopen": "ok|404",
    "office.rectifications": "ok",
    "office.rectification_new": "ok",
    "office.rectification": "ok|404",
    "office.rectification_docx": "ok|404",
    "office.rectification_xlsx": "ok|404",
    "office.rectification_withdraw": "ok|404",
    "office.bulletins": "ok",
    "office.bulletin": "404",  # the plan's own office writes and publishes its bulletins
    "office.bulletin_publish": "404",
    "office.ratings": "ok",  # its own part only (tests/web/test_county_office.py)
    "office.ratings_save": "ok|404",
    "office.scoring": "ok",
    "office.scoring_save": "ok",
    "leader.dashboard": "ok",
    "leader.plan": "ok",
    "leader.export": "ok",
    "findings.index": "403",
    "findings.detail": "403",
    "findings.answer": "403",
    "findings.list_docx": "403",
    "tokens.index": "ok",
    "profile.index": "ok",
    "tokens.create": "ok",
    "tokens.revoke": "404",
    "calendars.index": "ok",
    "calendars.reset": "404",  # neither unit A's feed nor the whole plan's
    "calendars.feed": "ok",
    "integrations.events": "403",
    "integrations.subscribe": "403",
    "integrations.toggle": "403",
    "api.openapi": "ok",
    "api.docs": "ok",
    "api.plans": "401",
    "api.measures": "401",
    "api.board": "401",
    "api.assignments": "401",
    "api.assignment": "401",
    "api.reports": "401",
    "api.report_save": "401",
    "api.findings": "401",
    "api.finding": "401",
    "api.finding_answer": "401",
}


def cells(endpoint: str) -> tuple[str, ...]:
    """The route's cells in the order of ROLES."""
    return (*ROUTES[endpoint][1:], SCOPED[endpoint])


Builder = Callable[[World, str], object]  # (world, "own" | "other") → the URL argument's value

# URL argument name → the value for the unit's own object or another unit's.
ARGS: dict[str, Builder] = {
    "code": lambda w, side: w.plan.code,
    "path": lambda w, side: "index.html",
    "measure_code": lambda w, side: w.side(side).assignment.measure.code,
    "period": lambda w, side: w.period,
    "board": lambda w, side: w.period,  # a monthly board; a quarter (2024Q2) or a year works the same way
    "unit_id": lambda w, side: w.side(side).unit.id,
    "assignment_id": lambda w, side: w.side(side).assignment.id,
    "report_id": lambda w, side: w.side(side).report.id,
    "revision_id": lambda w, side: w.side(side).revision.id,
    "number": lambda w, side: w.side(side).revision.number,
    "evidence_id": lambda w, side: w.side(side).evidence.id,
    "finding_id": lambda w, side: w.side(side).finding.id,
    "event_id": lambda w, side: w.side(side).finding_event.id,
    "reminder_id": lambda w, side: w.side(side).reminder.id,
    "extension_id": lambda w, side: w.side(side).extension.id,
    "request_id": lambda w, side: w.side(side).extension.id,
    "list_id": lambda w, side: w.side(side).rectification.id,
    "inspection_id": lambda w, side: w.inspection.id,
    # Admin pages: a spare person of each unit (never one who is signed in), the group and its members.
    "user_id": lambda w, side: w.side(side).spare.id,
    "group_id": lambda w, side: w.group.id,
    "member_id": lambda w, side: w.members[0 if side == "own" else 1].id,
    "token": lambda w, side: _staged_plan(w),
    "notice_token": lambda w, side: _staged_notice(w),
    "ledger": lambda w, side: "findings",
    "token_id": lambda w, side: _fresh_token(w, side),
    # own: unit A's feed; other: the plan's feed (the office's)
    "feed_id": lambda w, side: (
        (calendars.unit_feed(w.own.unit.id) if side == "own" else calendars.plan_feed(w.plan.id)).id
    ),
    "key": lambda w, side: calendars.unit_feed(w.side(side).unit.id).key,
    "subscription_id": lambda w, side: events.subscribe("fixture", "测试订阅", "http://127.0.0.1:9/hook").id,
}

# endpoint → form data sent with its POST besides the CSRF token (default: none), so that an allowed
# request does its real work rather than stopping at an empty form.
FORMS: dict[str, Builder] = {
    "admin.unit_member_add": lambda w, side: {"member": w.side(side).unit.id},
    "notices.upload": lambda w, side: {"file": (io.BytesIO(NOTICE), "notice.txt")},
    "notices.save": lambda w, side: {"text": SMALL_PLAN.decode("utf-8"), "save": "1"},
    "unit.report_save": lambda w, side: {"percent": "45", "expected": _latest(w, side), "save": "提交"},
    "unit.report_draft": lambda w, side: {"narrative": "尚未写完的进展"},
    "unit.return_revision": lambda w, side: {"reason": "请补充佐证材料"},
    "findings.answer": lambda w, side: {"note": "已按要求整改完毕。"},
    "office.finding_reopen": lambda w, side: {"note": "整改不到位"},
    "office.completion_reopen": lambda w, side: {"note": "经核实尚未办结"},
    "office.extension_decide": lambda w, side: {"decision": "refuse", "reason": "理由不充分"},
    "office.ratings_save": lambda w, side: {
        "plan": w.plan.code,
        "quarter": "2024Q2",
        f"points-{w.side(side).unit.id}": "8",
    },
    "office.chase": lambda w, side: {"message": "请按时报送", "slip": "1"},
    "office.missing_chase": lambda w, side: {
        "plan": w.plan.code,
        "unit": str(w.side(side).unit.id),
        "message": "请按时报送",
        "slip": "1",
    },
    "unit.extension_request": lambda w, side: _extension_form(w, side),
    "unit.breakdown_save": lambda w, side: _breakdown_form(w, side),
    "unit.sheet_import": lambda w, side: {"sheet": (io.BytesIO(_sheet(w)), "调度表.xlsx")},
    "tokens.create": lambda w, side: {"name": "对接测试", "days": "30"},
    "profile.index": lambda w, side: {"mobile": "13800138000"},
    "integrations.subscribe": lambda w, side: {
        "name": "督查督办系统",
        "url": "http://127.0.0.1:9/hook",
        "owner": "0",
    },
}

# endpoint → query string for a route that reads one (default: none).
QUERIES: dict[str, Builder] = {
    "unit.sheet_template": lambda w, side: {"plan": w.plan.code, "period": w.period},
}


def _county_office(w: World) -> None:
    """测试县 over unit A, and its office: an inspector scoped to it (the `county_office` role)."""
    from tracker.clock import now
    from tracker.services.users import add_user
    from tracker.store.models import Unit

    county = Unit.create(name="测试市测试县", short="测试县", kind="county", created_at=now())
    Unit.update(parent=county).where(Unit.id == w.own.unit.id).execute()
    add_user("county", "inspector", county.name, PASSWORD, must_change=False)


def _fresh_token(w: World, side: str) -> int:
    """A new token of the side's clerk for every request: a revoke uses it up."""
    return tokens.add("fixture", w.side(side).clerk).token.id


def _latest(w: World, side: str) -> str:
    """The revision number the editor last saw: earlier roles in the walk may have saved newer ones."""
    return str(ReportRevision.select().where(ReportRevision.report == w.side(side).report).count())


def _extension_form(w: World, side: str) -> dict:
    # One open request at a time: the office refuses an earlier role's request before the next asks.
    ExtensionRequest.update(decision="refused").where(
        ExtensionRequest.assignment == w.side(side).assignment, ExtensionRequest.decision.is_null()
    ).execute()
    return {"new_date": "2025-06-30", "reason": "受汛期影响,需延期"}


def _breakdown_form(w: World, side: str) -> dict:
    """A split of the side's assignment to a town under its unit, with a share of each indicator."""
    from tracker.clock import now
    from tracker.store.models import Indicator, Unit

    parent = w.side(side).unit
    town = Unit.get_or_none(Unit.name == f"{parent.name}下属镇") or Unit.create(
        name=f"{parent.name}下属镇",
        short=f"{parent.short}下属镇",
        kind="town",
        parent=parent,
        created_at=now(),
    )
    form = {f"pick_{town.id}": "y", f"due_{town.id}": "2024-09-30"}
    for i in Indicator.select().where(Indicator.measure == w.side(side).assignment.measure_id):
        form[f"share_{town.id}_{i.id}"] = "10"
    return form


def _sheet(w: World) -> bytes:
    """Unit A's dispatch sheet as downloaded, sent back unfilled: a real import that saves nothing."""
    from tracker.services.sheets import template_bytes

    return template_bytes(w.plan.code, w.period, w.own.unit.id)


SMALL_PLAN = b"""\
plan: {code: matrix-upload, title: \xe4\xb8\x8a\xe4\xbc\xa0, start: 2024-01-01, end: 2024-12-31}
sections: [{code: "1", title: "x", measures: [{code: "1.1", title: "y", lead: [\xe7\x94\xb2\xe5\xb1\x80]}]}]
"""


def _staged_plan(w: World) -> str:
    """A fresh upload for every request: loading or discarding one uses it up."""
    return admin.stage_plan_file(w.upload_dir, SMALL_PLAN, "plan.yaml", "fixture").token


NOTICE = "测试通知\n一、重点任务\n1.完成一项工作。(牵头单位:甲局)完成时限:2024年6月底前\n".encode()


def _staged_notice(w: World) -> str:
    """A fresh notice for every request, its draft the small plan above: loading or discarding uses it up."""
    staged = notices.stage_notice(w.upload_dir, NOTICE, "notice.txt", "fixture")
    notices.save_draft(staged, SMALL_PLAN.decode("utf-8"), None)
    return staged.token


def app_rules(app) -> dict[str, list]:
    rules: dict[str, list] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            rules.setdefault(rule.endpoint, []).append(rule)
    return rules


def test_every_route_of_the_app_is_in_the_table(app):
    missing = sorted(set(app_rules(app)) - set(ROUTES))
    assert not missing, f"add a line to ROUTES in {__name__} for each of: {missing}"


def test_every_line_of_the_table_is_a_route_of_the_app(app):
    stale = sorted(set(ROUTES) - set(app_rules(app)))
    assert not stale, f"ROUTES names endpoints the app no longer has: {stale}"


def test_every_line_has_a_cell_for_every_role():
    assert set(SCOPED) == set(ROUTES), "give every route of ROUTES its county office's cell in SCOPED"
    assert all(len(cells(endpoint)) == len(ROLES) for endpoint in ROUTES)


def outcome(response) -> str:
    if 300 <= response.status_code < 400:
        location = urlsplit(response.headers.get("Location", ""))
        return "login" if location.path == "/login" and "next=" in location.query else "ok"
    if 200 <= response.status_code < 300:
        return "ok"
    return str(response.status_code)


def expected(cell: str, side: str) -> str:
    own, _, other = cell.partition("|")
    return own if side == "own" or not other else other


def _token(client, role: str) -> str:
    return csrf_token(client, "/login" if role == "anonymous" else "/")


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_each_role_gets_what_the_table_says(app, world, endpoint):
    rules = app_rules(app).get(endpoint)
    assert rules, f"{endpoint} is in ROUTES but not a route of the app"
    assert len(rules) == 1, f"{endpoint} has several rules; give each its own endpoint"
    rule = rules[0]
    declared_methods, _, declared_path = ROUTES[endpoint][0].partition(" ")
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    assert (sorted(declared_methods.split(",")), declared_path) == (methods, rule.rule), (
        f"ROUTES[{endpoint!r}] says {ROUTES[endpoint][0]!r}; the app has {','.join(methods)} {rule.rule}"
    )
    unknown = sorted(set(rule.arguments) - set(ARGS))
    assert not unknown, f"add a builder to ARGS for URL argument(s) {unknown} of {endpoint}"

    wrong = []
    _county_office(world)
    for role, cell in zip(ROLES, cells(endpoint), strict=True):
        sides = ("own", "other") if rule.arguments or endpoint in FORMS else ("own",)
        for side in sides:
            client = app.test_client()
            if role != "anonymous":
                assert sign_in(client, SIGN_IN_AS[role], PASSWORD).status_code == 302, role
            for method in methods:
                url, response = ask(app, client, role, endpoint, rule, method, world, side)
                got, want = outcome(response), expected(cell, side)
                if got != want:
                    wrong.append(
                        f"{role:<12} {side:<5} {method:<5} {url}: {response.status_code} → {got}, table says {want}"
                    )
    assert not wrong, f"{endpoint}:\n" + "\n".join(wrong)


def ask(app, client, role: str, endpoint: str, rule, method: str, world: World, side: str):
    """One request for the route with the world's object of that side; returns the URL and the answer."""
    values = {a: ARGS[a](world, side) for a in rule.arguments}
    values.update(QUERIES.get(endpoint, lambda w, s: {})(world, side))
    url = app.url_map.bind("localhost").build(endpoint, values, method=method)
    if method == "GET":
        response = client.get(url)
    else:
        data = {"csrf_token": _token(client, role), **FORMS.get(endpoint, lambda w, s: {})(world, side)}
        response = client.open(url, method=method, data=data)
    response.close()  # a file download holds its file open until the answer is closed
    return url, response
