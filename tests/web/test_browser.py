"""Journeys in headless Chromium against the app under waitress, at phone and desktop widths.

Debian's Chromium (/usr/bin/chromium) is driven through Playwright. Every request to a host other
than 127.0.0.1 is aborted and counted, so a page that reaches for a CDN or a web font fails the test,
as does any console error (a Content-Security-Policy violation shows up as one). Screenshots go to
`screenshots/` at the repository root for a person to look at.

Fixtures for a new journey: `browse(viewport)` opens a fresh browser context (its own cookies) on
the live server; `sign_in_as(page, username)` signs in; `snap(page, name)` takes a screenshot.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.web.world import PASSWORD, PNG

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        why = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{why}, and TRACKER_REQUIRE_BROWSER=1")
        pytest.skip(f"{why}; set TRACKER_REQUIRE_BROWSER=1 to fail instead")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class Tab:
    """A browser context on the live server, and what it tried to reach outside or logged as an error."""

    def __init__(self, context, viewport: str):
        self.context = context
        self.viewport = viewport
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.expected_statuses: set[int] = set()  # a page answered with one of these is not an error
        self.page = context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture
def browse(browser, live_server):
    """A factory: `browse("phone")` → a Tab in a fresh context that may only reach 127.0.0.1."""
    tabs: list[Tab] = []

    def _open(viewport: str = "desktop") -> Tab:
        context = browser.new_context(
            base_url=live_server,
            viewport=VIEWPORTS[viewport],
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            is_mobile=viewport == "phone",
            has_touch=viewport == "phone",
        )
        tab = Tab(context, viewport)

        def only_local(route):
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                tab.blocked.append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        tabs.append(tab)
        return tab

    yield _open
    for tab in tabs:
        tab.context.close()
    for tab in tabs:
        assert not tab.blocked, f"pages reached outside 127.0.0.1: {tab.blocked}"
        expected = tuple(f"status of {code} " for code in tab.expected_statuses)
        errors = [e for e in tab.errors if not (expected and any(x in e for x in expected))]
        assert not errors, f"console errors: {errors}"


def sign_in_as(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()


def sign_out(page) -> None:
    page.click("header .who button:has-text('退出')")
    page.wait_for_url("**/login")


def snap(tab: Tab, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{tab.viewport}.png"
    tab.page.screenshot(path=str(path), full_page=True)
    return path


def session_cookie(context) -> dict:
    return next(c for c in context.cookies() if c["name"] == "tracker_session")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_an_admin_creates_a_user_sees_the_password_once_and_signs_out(browse, world, viewport):
    tab = browse(viewport)
    page = tab.page
    sign_in_as(page, "admin")
    page.click("header nav a:has-text('系统管理')")
    page.wait_for_url("**/admin/")
    snap(tab, "admin-home")
    page.click(".subnav a:has-text('用户')")
    page.click("a.button:has-text('新增用户')")
    username = f"new-clerk-{viewport}"
    page.fill("#username", username)
    page.fill("#display_name", "甲局 填报员 新同志")
    page.select_option("#role", "reporter")
    page.select_option("#unit", label="测试市甲局")
    snap(tab, "admin-user-new")
    page.click("form.form button[type=submit]")
    password = page.inner_text("#one-time-password").strip()
    assert len(password) == 12
    assert page.inner_text("#new-username") == username
    snap(tab, "admin-one-time-password")
    page.goto("/admin/users")
    assert username in page.inner_text("table.users")
    snap(tab, "admin-users")
    page.goto(f"/admin/units/{world.group.id}")
    snap(tab, "admin-unit-group")

    captured = session_cookie(tab.context)
    sign_out(page)
    assert "已安全退出" in page.inner_text("main")

    thief = browse(viewport)
    thief.context.add_cookies([captured])
    thief.page.goto("/admin/users")
    assert urlsplit(thief.page.url).path == "/login"
    assert username not in thief.page.content()

    newcomer = browse(viewport)
    sign_in_as(newcomer.page, username, password)
    assert urlsplit(newcomer.page.url).path == "/password"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_an_admin_previews_a_plan_file_before_loading_it(browse, world, viewport, tmp_path):
    plan = tmp_path / "新方案.yaml"
    plan.write_text(
        "plan: {code: browser-2024, title: 浏览器测试方案, start: 2024-01-01, end: 2024-12-31}\n"
        "sections:\n"
        '  - {code: "1", title: 第一部分, measures: [{code: "1.1", title: 试点措施, lead: [甲局], responsible: [未知局]}]}\n',
        encoding="utf-8",
    )
    tab = browse(viewport)
    page = tab.page
    sign_in_as(page, "admin")
    page.goto("/admin/plans")
    page.set_input_files("#file", str(plan))
    page.click("form.form button[type=submit]")
    assert "未知局" in page.inner_text("table.problems")
    assert page.locator("button:has-text('确认加载')").count() == 0
    snap(tab, "admin-plan-problems")
    page.click("button:has-text('放弃该文件')")
    page.wait_for_url("**/admin/plans")

    plan.write_text(plan.read_text(encoding="utf-8").replace("[未知局]", "[乙局]"), encoding="utf-8")
    page.set_input_files("#file", str(plan))
    page.click("form.form button[type=submit]")
    assert "措施" in page.inner_text("table.changes")
    snap(tab, "admin-plan-preview")
    page.click("button:has-text('确认加载')")
    page.wait_for_url("**/admin/plans")
    assert "已加载 browser-2024" in page.inner_text("main")


# The Markdown a clerk might paste: a script, a javascript: link, an event handler. All must be inert.
HOSTILE_NARRATIVE = (
    "**已完成选址**,进入施工阶段。\n\n"
    "<script>window.__pwned = 'script'</script>\n\n"
    "[查看详情](javascript:window.__pwned='link') "
    '<a href="#" onclick="window.__pwned=\'onclick\'">点这里</a>'
)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_clerk_files_a_report_with_an_indicator_and_evidence_and_another_unit_cannot_open_it(
    browse, world, viewport
):
    tab = browse(viewport)
    page = tab.page
    sign_in_as(page, "clerk")
    assert urlsplit(page.url).path == "/unit/"
    snap(tab, "unit-home")

    # 1.1 is led by 测试市甲局 (the clerk's unit); 测试市乙局 is responsible for it.
    page.click("table.assignments a:has-text('甲局牵头的措施')")
    page.wait_for_url(f"**/unit/assignments/{world.own.assignment.id}/reports/{world.period}")
    report_url = page.url
    page.fill("#percent", "60")
    indicator = page.locator("fieldset.indicator input").first
    indicator.fill("35")
    page.fill("#narrative", HOSTILE_NARRATIVE)
    page.fill("#problems", "部分村组用地协调较慢。")
    page.set_input_files("#files", files=[{"name": "施工现场.png", "mimeType": "image/png", "buffer": PNG}])
    snap(tab, "unit-report-form")
    page.click("#save")
    page.wait_for_url(report_url)
    assert "已保存第 2 版" in page.inner_text("main")

    newest = page.locator("article.revision").filter(has_text="第 2 版").first
    text = newest.inner_text()
    assert "60%" in text and "35" in text and "施工现场.png" in text and "已完成选址" in text
    snap(tab, "unit-report-saved")

    # The Markdown is inert: no script ran, no javascript: link or handler survived, clicking does nothing.
    assert newest.locator("script, a[href^='javascript'], [onclick]").count() == 0
    for link in newest.locator(".md a").all():
        link.click()
    assert page.evaluate("() => window.__pwned") is None

    with page.expect_download() as caught:
        newest.locator("a:has-text('施工现场.png')").click()
    download = caught.value
    assert download.suggested_filename == "施工现场.png"
    assert Path(download.path()).read_bytes() == PNG
    evidence_url = download.url
    sign_out(page)

    stranger = browse(viewport)
    stranger.expected_statuses.add(404)
    sign_in_as(stranger.page, "other")
    for url in (report_url, evidence_url):
        response = stranger.page.goto(url)
        assert response.status == 404, url
        assert "未找到该内容,或您无权查看" in stranger.page.content()
        assert "已完成选址" not in stranger.page.content()
    snap(stranger, "unit-other-refused")
