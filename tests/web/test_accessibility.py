"""axe-core finds no WCAG 2.1 A/AA violation on the public site's pages and the app's main screens.

axe-core comes from npm (package.json at the root; scripts/test runs `npm ci` when it is missing) and
is evaluated in the page through Playwright, which is not subject to the app's strict CSP. Every page
is checked in Debian's Chromium at phone (390 px) and desktop (1280 px) width; a failure lists each
rule with the elements it flagged. axe's heading-order rule (a best practice, outside the WCAG
tags) runs too: commentary headings must not skip a level under the page's own.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from tests.site.conftest import BOARDS, sample  # noqa: F401 (fixture)
from tests.web.test_browser import VIEWPORTS, browse, browser, sign_in_as  # noqa: F401 (fixtures)
from tracker.services.publishing import publish

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

SITE_PAGES = {
    "public index": "index.html",
    "plan page": "sample-2024/index.html",
    "monthly board": "sample-2024/2024-06/index.html",
    "measure page": "sample-2024/2024-06/measures/1.1.html",
    "unit page": "sample-2024/2024-06/units/1.html",
    "plan-level unit page": "sample-2024/units/1.html",
    "bulletin": "sample-2024/2024Q2/index.html",
    "assessment": "sample-2024/2024/index.html",
}


def violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as loaded, one line per rule and element."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` at the repository root")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}, rules: {'heading-order': {enabled: true}}})).violations",
        TAGS,
    )
    return [
        f"{v['id']}: {node['target']} {node['failureSummary'][:160]}" for v in found for node in v["nodes"]
    ]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def site_server(sample, tmp_path):  # noqa: F811
    publish("sample-2024", BOARDS, tmp_path / "sites")
    handler = functools.partial(QuietHandler, directory=str(tmp_path / "sites"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_public_site_has_no_wcag_violations(browser, site_server, viewport):  # noqa: F811
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN")
    page = context.new_page()
    found = {}
    try:
        for name, path in SITE_PAGES.items():
            assert page.goto(f"{site_server}/{path}").ok, path
            if flagged := violations(page):
                found[name] = flagged
    finally:
        context.close()
    assert not found, found


def app_pages(world) -> list[tuple[str, str | None, str]]:
    """(page name, who signs in or None, path) of the app's screens under test."""
    own = world.own
    return [
        ("login", None, "/login"),
        ("unit home", "clerk", "/unit/"),
        ("report form", "clerk", f"/unit/assignments/{own.assignment.id}/reports/{world.period}"),
        ("office overview", "inspector", "/office/"),
        ("finding page", "inspector", f"/office/findings/{own.finding.id}"),
        ("leader dashboard", "leader", "/leader/"),
        ("leader plan dashboard", "leader", f"/leader/plans/{world.plan.code}"),
    ]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_app_has_no_wcag_violations(browse, world, viewport):  # noqa: F811
    found = {}
    tabs = {}
    for name, who, path in app_pages(world):
        if who not in tabs:
            tabs[who] = browse(viewport)
            if who:
                sign_in_as(tabs[who].page, who)
        page = tabs[who].page
        assert page.goto(path).ok, path
        if flagged := violations(page):
            found[name] = flagged
    assert not found, found
