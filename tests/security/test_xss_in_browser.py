"""Script payloads in every field a person writes, viewed in headless Chromium: none runs.

Every writable text field of the world's rows (report narrative, problems, next steps and public
summary, return and extension reasons, findings and their notes, the office's commentary and ratings,
inspection and list titles, unit, user, token and subscription names, reminder messages) is set to
one of the payload families below; then every page of the app (the authorization matrix's GET routes,
downloads aside) is opened signed in as a unit clerk, the office and an admin. A payload that runs
sets `window.__xss` or opens a dialog; both are counted, and the count must be 0.
"""

from __future__ import annotations

import pytest

from tests.web.test_access_matrix import ARGS, QUERIES, ROUTES, app_rules
from tests.web.test_browser import browser  # noqa: F401 - fixture
from tests.web.world import PASSWORD
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
                setattr(row, field, f"{PAYLOADS[(row.id + n) % len(PAYLOADS)]} {row.id}")
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


def test_no_payload_runs_on_any_page(app, world, live_server, browser):  # noqa: F811
    pages = _pages(app, world)
    assert _poison() > 50
    ran: list[str] = []
    views = shown = 0
    for username in ("clerk", "inspector", "admin"):
        context = browser.new_context(base_url=live_server, locale="zh-CN")
        context.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
        page = context.new_page()
        page.on("dialog", lambda d, who=username: (ran.append(f"{who} dialog {d.message}"), d.dismiss()))
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_load_state()
        for url in pages:
            page.goto(url)
            views += 1
            shown += "__xss" in page.content()  # the payload is on the page, as text
            if page.evaluate("() => Boolean(window.__xss)"):
                ran.append(f"{username} {url}")
        context.close()
    assert views >= 100 and shown >= views // 3, (views, shown)
    print(f"{views} page views, {shown} showing a payload, {len(ran)} ran one")
    assert not ran, f"{len(ran)} of {views} page views ran a payload:\n" + "\n".join(ran[:10])
