"""Script payloads in every field a person writes, viewed in headless Chromium: none runs.

Three ways in. (1) Typed: every page of the app is opened as each role in WebTest and every POST form
on it is submitted as served, each text field and text area holding a payload (forms that sign out,
change passwords or disable, revoke or discard something are left alone); the pages are then viewed in
Chromium as a unit clerk, the office and an admin. (2) Published: the plan's boards are then published
and every page of the static site is opened in Chromium from a local web server. (3) Stored: every
writable text field of the world's rows (report narrative, problems, next steps and public
summary, return and extension reasons, findings and their notes, the office's commentary and ratings,
inspection and list titles, unit, user, token and subscription names, reminder messages) is set to
one of the payload families below; then every page of the app (the authorization matrix's GET routes,
downloads aside) is opened signed in as a unit clerk, the office and an admin. A payload that runs
sets `window.__xss` or opens a dialog; both are counted, and the count must be 0.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from datetime import datetime
from pathlib import Path

import pytest
import webtest

from tests.web.conftest import web_sign_in
from tests.web.test_access_matrix import ARGS, QUERIES, ROUTES, app_rules
from tests.web.world import PASSWORD
from tracker.clock import TZ
from tracker.services.publishing import publish
from tracker.store import models

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '"><svg onload="window.__xss=1">',
    '\'><iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '[点我](javascript:window.__xss=1) <a href="javascript:alert(1)">x</a>',
    '<details open ontoggle="window.__xss=1">',
    "</textarea><script>alert(1)</script>",
    '" autofocus onfocus="window.__xss=1" x="',
    "<style>@import 'javascript:alert(1)'</style><body onload=alert(1)>",
    "{{ 7*7 }}<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]
# model → the fields a person writes (through a form, the API, a sheet or a plan file)
WRITABLE = {
    models.Unit: ["name", "short"],
    models.Measure: ["title", "text"],
    models.Indicator: ["name"],
    models.User: ["display_name"],
    models.ReportRevision: ["narrative", "problems", "next_steps", "public_summary"],
    models.ReportReturn: ["reason"],
    models.ExtensionRequest: ["reason", "decision_reason"],
    models.Inspection: ["title"],
    models.RectificationList: ["title", "withdraw_reason"],
    models.Finding: ["title"],
    models.FindingEvent: ["note"],
    models.Evidence: ["original_name"],
    models.Reminder: ["message"],
    models.Bulletin: ["commentary"],
    models.QualityRating: ["note"],
    models.ApiToken: ["name"],
    models.EventSubscription: ["name"],
}
SKIP = (".docx", ".xlsx", ".ics", ".json", ".yaml", "/docs", "/sheet")
DOWNLOADS = ("unit.evidence", "unit.sheet_template")


def _poison() -> int:
    """Every writable field of every row gets a payload (and the row id, where names are unique)."""
    written = 0
    for model, fields in WRITABLE.items():
        for row in model.select():
            for n, field in enumerate(fields):
                text = f"{PAYLOADS[(row.id + n) % len(PAYLOADS)]} {model.__name__}{row.id}{field}"
                setattr(row, field, text[: getattr(getattr(model, field), "max_length", None)])
                written += 1
            row.save(only=[getattr(model, f) for f in fields])
    return written


def _pages(app, world) -> list[str]:
    adapter = app.url_map.bind("localhost")
    pages = []
    for endpoint, line in sorted(ROUTES.items()):
        if not line[0].startswith("GET") or endpoint.startswith("api.") or endpoint in DOWNLOADS:
            continue
        (rule,) = app_rules(app)[endpoint]
        values = {a: ARGS[a](world, "own") for a in rule.arguments}
        values.update(QUERIES.get(endpoint, lambda w, s: {})(world, "own"))
        url = adapter.build(endpoint, values, method="GET")
        if not url.split("?")[0].endswith(SKIP):
            pages.append(url)
    return pages


# forms left alone: they sign the typist out, lock someone out, or throw away what the walk needs
LEFT_ALONE = re.compile(r"/(login|logout|password|disable|enable|revoke|discard|reset|clear|backups)$")
# what a person types into a field that is not free text, when the form serves it empty (by type, then
# by name): the payloads go into every other field, so that the form is accepted and they are stored
TYPED = {"number": "1", "date": "2024-06-28", "month": "2024-06", "email": "xss@example.cn",
         "url": "http://127.0.0.1:9/hook", "tel": "13800138000"}  # fmt: skip
BY_NAME = {"mobile": "13800138000", "wecom_id": "xss", "dingtalk_id": "xss", "email": "xss@example.cn",
           "url": "http://127.0.0.1:9/hook", "new_date": "2024-12-30", "username": "typist"}  # fmt: skip
PLACEHOLDERS = ("", "None", "0")  # 请选择, 不属于单位
TYPISTS = ("clerk", "boss", "other", "inspector", "leader", "admin")


def _fill(form, start: int) -> int:
    """Fill `form` as a person would, a payload in every free-text field; returns how many."""
    typed = 0
    for name, fields in form.fields.items():
        for index, field in enumerate(fields):
            kind = (field.attrs.get("type") or field.tag).lower()
            if name is None or kind in ("hidden", "submit", "button", "image", "file", "password"):
                continue
            if name in BY_NAME:
                form.set(name, BY_NAME[name], index)
            elif field.tag == "select" and field.value in PLACEHOLDERS and "required" in field.attrs:
                options = [value for value, *_ in field.options if value not in PLACEHOLDERS]
                if options:
                    form.set(name, options[0], index)
            elif field.attrs.get("inputmode") in ("numeric", "decimal"):
                form.set(name, "1", index)
            elif field.tag == "textarea" or kind in ("text", "search"):
                n = (
                    start * 50 + typed
                )  # each text its own (the site refuses a public text equal to a private one)
                form.set(name, f"{PAYLOADS[n % len(PAYLOADS)]} {n}", index)
                typed += 1
            elif kind in TYPED and not field.value:
                form.set(name, TYPED[kind], index)
    return typed


def _type_everywhere(app, pages: list[str], refused: list[str]) -> tuple[int, int, int]:
    """Every POST form on every page each typist can open, submitted as served with a payload in each
    free-text field. Returns (forms submitted, forms accepted — they wrote an audit event —, payloads
    in accepted forms); `refused` gets the others."""
    submitted = accepted = stored = 0
    for username in TYPISTS:
        web = webtest.TestApp(app)
        assert web_sign_in(web, username, PASSWORD).status_int == 302
        for url in pages:
            page = web.get(url, expect_errors=True)
            if page.status_int != 200 or "html" not in page.content_type:
                continue
            for key, form in list(page.forms.items()):
                action = form.action or page.request.path
                if not isinstance(key, int) or form.method.upper() != "POST" or LEFT_ALONE.search(action):
                    continue
                typed = _fill(form, submitted)
                buttons = [
                    f.name
                    for fs in form.fields.values()
                    for f in fs
                    if f.name and f.attrs.get("type") == "submit"
                ]
                events = models.AuditEvent.select().count()
                answer = form.submit(
                    "save" if "save" in buttons else (buttons or [None])[0], expect_errors=True
                )
                submitted += 1
                if models.AuditEvent.select().count() > events and answer.status_int < 400:
                    accepted += 1
                    stored += typed
                else:
                    refused.append(f"{username} {action} {answer.status_int}")
                if "/login" in answer.headers.get("Location", ""):
                    assert web_sign_in(web, username, PASSWORD).status_int == 302
    return submitted, accepted, stored


def _view_all(browser, base_url: str, pages: list[str], who: tuple) -> tuple[int, int, list[str]]:
    """Each page in Chromium as each of `who` (None: not signed in): (views, views showing a payload as
    text, the views where one ran)."""
    ran: list[str] = []
    views = shown = 0
    for username in who:
        context = browser.new_context(base_url=base_url, locale="zh-CN")
        context.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
        page = context.new_page()
        page.on("dialog", lambda d, who=username: (ran.append(f"{who} dialog {d.message}"), d.dismiss()))
        if username:
            page.goto("/login")
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            page.click("form.form button[type=submit]")
            page.wait_for_load_state()
        for url in pages:
            page.goto(url)
            views += 1
            shown += "__xss" in page.content() or "alert(1)" in page.content()
            if page.evaluate("() => Boolean(window.__xss)"):
                ran.append(f"{username} {url}")
        context.close()
    return views, shown, ran


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _published_pages(world, root: Path) -> tuple[str, list[str], http.server.ThreadingHTTPServer]:
    """The plan's boards published into `root`, served from 127.0.0.1: (base URL, every page, server)."""
    publish(world.plan.code, [world.period, "2024Q2"], root, now=datetime(2024, 7, 15, 10, tzinfo=TZ))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    pages = sorted("/" + p.relative_to(root).as_posix() for p in root.rglob("*.html"))
    return f"http://127.0.0.1:{httpd.server_address[1]}", pages, httpd


def test_payloads_typed_through_every_form_run_on_no_page_nor_on_the_published_site(
    app, world, live_server, browser, tmp_path
):
    pages = _pages(app, world)
    refused: list[str] = []
    submitted, accepted, stored = _type_everywhere(app, pages, refused)
    assert stored >= 40 and accepted >= 30, (submitted, accepted, stored, refused)
    views, shown, ran = _view_all(browser, live_server, pages, ("clerk", "inspector", "admin"))
    assert views >= 100 and shown >= views // 4, (views, shown)
    base, published, httpd = _published_pages(world, tmp_path / "sites")
    try:
        site_views, site_shown, site_ran = _view_all(browser, base, published, (None,))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert site_views >= 5 and site_shown >= 1, (site_views, site_shown)
    print(
        f"typed: {submitted} forms, {accepted} accepted holding {stored} payloads; app: {views} page views, "
        f"{shown} showing a payload, {len(ran)} ran one; published site: {site_views} page views, "
        f"{site_shown} showing a payload, {len(site_ran)} ran one"
    )
    assert not ran and not site_ran, "payloads ran:\n" + "\n".join((ran + site_ran)[:10])


def test_no_stored_payload_runs_on_any_page_nor_on_the_published_site(
    app, world, live_server, browser, tmp_path
):
    pages = _pages(app, world)
    written = _poison()
    assert written > 50
    views, shown, ran = _view_all(browser, live_server, pages, ("clerk", "inspector", "admin"))
    assert views >= 100 and shown >= views // 3, (views, shown)
    base, published, httpd = _published_pages(world, tmp_path / "sites")
    try:
        site_views, site_shown, site_ran = _view_all(browser, base, published, (None,))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert site_views >= 5 and site_shown >= site_views // 2, (site_views, site_shown)
    print(
        f"stored: {written} fields; app: {views} page views, {shown} showing a payload, {len(ran)} ran one; "
        f"published site: {site_views} page views, {site_shown} showing a payload, {len(site_ran)} ran one"
    )
    assert not ran and not site_ran, "payloads ran:\n" + "\n".join((ran + site_ran)[:10])
