"""People read names, Chinese labels and Beijing time, never the codes we store: every page a role can
reach by following links is read as text (no scripts, no code samples), and none shows a plan code,
an outbox channel code (`in_app:`), an English audit event name or an ISO/UTC timestamp."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest
import webtest
from bs4 import BeautifulSoup

from tests.web.conftest import web_sign_in
from tracker.clock import TZ
from tracker.services.labels import AUDIT_ACTIONS, FINDING_STATES
from tracker.services.publishing import publish
from tracker.store.models import Finding, Plan

RAW = {
    "plan code": re.compile(r"\bmatrix-2024\b"),
    "channel code": re.compile(r"\b(in_app|email|webhook|wecom|dingtalk|sms):"),
    "English audit event": re.compile(r"\b(" + "|".join(re.escape(a) for a in AUDIT_ACTIONS) + r")\b"),
    "ISO time": re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d"),
    "system actor": re.compile(r"(发起|操作人)\s*(demo|scheduler|fixture)\b"),
}
# Where a code is the thing itself: admins load and name plan files by code (as `tracker` commands do),
# and the audit log quotes each record's stored values verbatim (its times shown in Beijing time).
EXEMPT = {"plan code": ("/admin/plans", "/admin/audit", "/admin/users/")}
SKIP = ("/logout", "/site/", "/api/", "/evidence/", ".xlsx", ".docx", ".csv", ".ics", ".json", ".svg")
LIMIT = 120  # pages per role: the world is small, every kind of page is reached well within it


def visible_text(page: webtest.TestResponse) -> str:
    html = page.html
    for tag in html(["script", "style", "code", "pre", "template"]):
        tag.decompose()
    return html.get_text(" ")


def crawl(web: webtest.TestApp, start: str) -> dict[str, str]:
    """path → visible text of every HTML page reachable from `start` by links (GET only)."""
    seen: dict[str, str] = {}
    queue = [start]
    while queue and len(seen) < LIMIT:
        path = queue.pop(0)
        if path in seen:
            continue
        page = web.get(path, expect_errors=True)
        assert page.status_int < 500, f"{path} answered {page.status_int}"
        if page.status_int >= 300 or "text/html" not in page.content_type:
            seen[path] = ""
            continue
        seen[path] = visible_text(page)
        for a in page.html.find_all("a", href=True):
            parts = urlsplit(a["href"])
            if parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen and not any(s in target for s in SKIP):
                queue.append(target)
    return seen


@pytest.mark.parametrize(
    ("who", "start"),
    [
        ("clerk", "/unit/"),
        ("boss", "/unit/"),
        ("inspector", "/office/"),
        ("leader", "/leader/"),
        ("admin", "/admin/"),
    ],
)
def test_no_page_of_any_role_shows_a_raw_code(app, world, who, start):
    web = webtest.TestApp(app)
    assert web_sign_in(web, who).status_int == 302
    pages = crawl(web, start)
    assert len(pages) > 5
    found = []
    for path, text in pages.items():
        for what, pattern in RAW.items():
            if path.startswith(EXEMPT.get(what, ("\0",))):
                continue
            for m in pattern.finditer(text):
                found.append(
                    f"{path}: {what} {m.group(0)!r} in …{text[max(0, m.start() - 30) : m.end() + 30]}…"
                )
    assert not found, "\n".join(found[:30])


def test_the_audit_log_reads_in_chinese_and_beijing_time(app, world):
    web = webtest.TestApp(app)
    web_sign_in(web, "admin")
    page = web.get("/admin/audit")
    rows = page.html.select("table.events tbody tr")
    assert rows
    texts = [r.get_text(" ") for r in rows]
    assert any("新增用户" in t for t in texts)  # user.create
    assert all("（北京时间）" in r.select_one('td[data-label="时间"]').text for r in rows)


def test_the_same_finding_reads_the_same_on_unit_office_leader_and_public_pages(app, world, tmp_path):
    Finding.update(public=True).where(Finding.id == world.own.finding.id).execute()
    finding = Finding.get_by_id(world.own.finding.id)
    label = FINDING_STATES[finding.state]
    plan = Plan.get_by_id(world.plan.id)
    pages = {}
    for who, path in (
        ("clerk", "/unit/"),
        ("clerk", f"/findings/{finding.id}"),
        ("inspector", f"/office/findings/{finding.id}"),
        ("inspector", "/office/findings"),
        ("leader", f"/leader/plans/{plan.code}"),
    ):
        web = webtest.TestApp(app)
        web_sign_in(web, who)
        pages[(who, path)] = visible_text(web.get(path))
    # The public board: May's, published after its cut-off, lists the (public) finding on its measure page.
    publish(plan.code, ["2024-05"], tmp_path / "site", now=datetime(2024, 6, 10, 10, tzinfo=TZ))
    board = tmp_path / "site" / plan.code / "2024-05" / "measures" / "1.1.html"
    pages[("public", "1.1.html")] = BeautifulSoup(board.read_text(encoding="utf-8"), "html.parser").get_text(
        " "
    )
    for key, text in pages.items():
        assert finding.title in text, key
        near = text[text.index(finding.title) :][:400]
        assert label in near, (key, near)
        for other in set(FINDING_STATES.values()) - {label}:
            assert other not in near.split(label)[0], (key, near)
