"""The published board in headless Chromium, from file:// and from a local web server, offline.

Every request that is not to the local server or a local file is aborted and recorded: the pages must
make none (no CDN, no web font). Screenshots at phone and desktop widths go to screenshots/ (ignored
by git). Skipped without /usr/bin/chromium unless TRACKER_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from tests.site.conftest import BOARDS
from tracker.services.publishing import publish

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)")
        pytest.skip(f"{CHROMIUM} is missing")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(sample, tmp_path):
    publish("sample-2024", BOARDS, tmp_path / "sites")
    return tmp_path / "sites"


@pytest.fixture
def server(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def open_offline(chromium, url: str, allowed: str, size: tuple[int, int]):
    """A page at `url` in a context where every request outside `allowed` is aborted and recorded."""
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    blocked: list[str] = []

    def route(route):
        if route.request.url.startswith(allowed):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    response = page.goto(url)
    return context, page, response, blocked


def check_board(page) -> None:
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "2024年6月月调度"
    # The stylesheet applied (a local file), and every light carries its word, not only a colour.
    assert page.evaluate("getComputedStyle(document.querySelector('.top')).display") == "flex"
    lights = page.locator("table.measures .light").all_inner_texts()
    assert lights and all(any(w in t for w in ("红灯", "黄灯", "绿灯", "已办结", "未开始")) for t in lights)
    # Every chart has a title, and keyboard focus reaches the skip link first.
    assert page.locator("svg[role=img] > title").count() >= 1
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"


@pytest.mark.parametrize("width", sorted(SIZES))
def test_the_board_reads_offline_from_a_file(chromium, site, width):
    board = (site / "sample-2024/2024-06/index.html").as_uri()
    context, page, _, blocked = open_offline(chromium, board, "file://", SIZES[width])
    try:
        check_board(page)
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"site-board-file-{width}.png"), full_page=True)
        page.click("a[href='measures/1.1.html']")
        assert "措施 1.1" in page.locator("h1").inner_text()
    finally:
        context.close()
    assert blocked == []


@pytest.mark.parametrize("width", sorted(SIZES))
def test_the_board_reads_offline_from_a_local_server(chromium, server, width):
    context, page, response, blocked = open_offline(
        chromium, f"{server}/sample-2024/2024-06/", server, SIZES[width]
    )
    try:
        assert response.ok
        check_board(page)
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"site-board-http-{width}.png"), full_page=True)
        page.goto(f"{server}/sample-2024/2024Q2/")
        page.locator("details.score summary").first.click()
        assert page.locator("details.score ol.lines li").first.is_visible()
        page.screenshot(path=str(SCREENSHOTS / f"site-bulletin-http-{width}.png"), full_page=True)
    finally:
        context.close()
    assert blocked == []


def board_layout(chromium, path: Path, width: int) -> dict:
    context = chromium.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    page.goto(path.as_uri())
    layout = page.evaluate(
        """() => {
        const rows = [...document.querySelectorAll('table.measures tbody tr')];
        const title = rows[0].querySelector('td.title').getBoundingClientRect();
        return {
          scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth,
          height: document.documentElement.scrollHeight,
          rows: rows.length,
          rowHeight: rows.reduce((s, r) => s + r.getBoundingClientRect().height, 0) / rows.length,
          titleWidth: title.width,
          lead: getComputedStyle(rows[0].querySelector('td.lead'), '::before').content,
        };
    }"""
    )
    context.close()
    return layout


def test_the_monthly_board_gives_phones_a_card_per_measure(chromium, site):
    """At 390 px the six-column table made each measure title wrap every 3–4 characters: the demo's
    ankang-2023 board for 2024-10 was 40,722 px tall on a phone against 13,194 px on a desktop (3.1×).
    As cards (number and title on the first line, then lead, light, progress and report status) it
    is 15,149 px (1.15×). Here: the title gets most of the phone's width, a measure's card is at most
    2.5× its desktop row, and the column names stay readable inside each card."""
    board = site / "sample-2024" / "2024-06" / "index.html"
    phone, desktop = board_layout(chromium, board, 390), board_layout(chromium, board, 1280)
    assert phone["scrollWidth"] <= phone["innerWidth"]
    assert phone["titleWidth"] >= 390 * 0.6
    assert phone["rowHeight"] <= 2.5 * desktop["rowHeight"], (phone, desktop)
    assert phone["lead"] == '"牵头" "："' or "牵头" in phone["lead"]
    assert desktop["lead"] in ("none", "normal")  # a table with its header row on a desktop
