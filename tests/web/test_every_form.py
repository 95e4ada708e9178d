"""Every page of every role in the demo, as a browser reaches it by following links: each answers
without a server error, and every POST form on it carries a non-empty CSRF token of its own (a form
without one fails in a browser with "The CSRF token is missing", whatever other forms the page has)."""

from __future__ import annotations

from collections import Counter, deque
from urllib.parse import urlsplit

import pytest
import webtest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.web.conftest import web_sign_in

pytestmark = pytest.mark.slow

# Pages a link leads to that are files or leave the app, not pages with forms.
SKIP_PREFIXES = ("/site/", "/static/", "/unit/evidence/")
SKIP_SUFFIXES = (".docx", ".xlsx", ".csv", ".json", ".zip", ".xml", ".png", ".pdf", ".txt")
PER_ENDPOINT = 3  # pages of one kind (one route) visited per role: the same template, other data


@pytest.fixture
def demo(database_url, tmp_path, monkeypatch):
    """The demo as `tracker demo` builds it on 20 November 2024; its logins."""
    from tracker.demo import build_demo

    monkeypatch.setenv("TRACKER_NOW", "2024-11-20T10:00:00+08:00")
    monkeypatch.setenv("TRACKER_INSTANCE", str(tmp_path / "instance"))
    return build_demo(echo=lambda line: None, publish=False)


def crawl(app, web: webtest.TestApp, start: list[str]) -> tuple[dict[str, list[str]], Counter]:
    """Follow the app's links from `start`; return the POST forms of each page (their actions)."""
    adapter = app.url_map.bind("localhost")
    seen: set[str] = set()
    per_endpoint: Counter = Counter()
    queue = deque(start)
    forms: dict[str, list[str]] = {}
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        try:
            endpoint, _ = adapter.match(urlsplit(url).path, method="GET")
        except (NotFound, MethodNotAllowed):
            continue
        if endpoint == "auth.logout" or per_endpoint[endpoint] >= PER_ENDPOINT:
            continue
        per_endpoint[endpoint] += 1
        page = web.get(url, expect_errors=True)
        assert page.status_int < 500, f"{url} answered {page.status}"
        if page.status_int != 200 or page.content_type != "text/html":
            continue
        forms[url] = []
        for key, form in page.forms.items():
            if not isinstance(key, int) or form.method.upper() != "POST":
                continue
            action = form.action or url
            tokens = form.fields.get("csrf_token", [])
            assert tokens and tokens[0].value, f"the form posting to {action} on {url} has no CSRF token"
            forms[url].append(action)
        for link in page.html.find_all("a", href=True):
            href = link["href"].split("#", 1)[0]
            if (
                href.startswith("/")
                and not href.startswith("//")
                and not href.startswith(SKIP_PREFIXES)
                and not urlsplit(href).path.endswith(SKIP_SUFFIXES)
                and href not in seen
            ):
                queue.append(href)
    return forms, per_endpoint


def test_every_post_form_of_every_role_in_the_demo_carries_a_csrf_token(app, demo):
    checked = {}
    for login in demo:
        web = webtest.TestApp(app)
        assert web_sign_in(web, login.username, login.password).status_int == 302
        forms, endpoints = crawl(app, web, ["/", web.get("/login").location or "/"])
        checked[login.username] = (sum(len(f) for f in forms.values()), len(endpoints))
    # The crawl reached the pages where the office decides (the forms this test exists for).
    inspector_forms, inspector_kinds = checked["duchashi"]
    assert inspector_forms > 20 and inspector_kinds > 20, checked
    assert checked["ak-xczx"][0] > 3 and checked["admin"][0] > 3, checked
