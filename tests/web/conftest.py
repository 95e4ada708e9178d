from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

import pytest
import webtest

from tracker.services.users import add_user
from tracker.web import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def app(database, database_url, tmp_path):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "SITES_DIR": str(tmp_path / "sites"),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app):
    """The app under a real waitress server on 127.0.0.1 (a free port), in a thread; yields its base URL."""
    from waitress import wasyncore
    from waitress.server import create_server

    sockets: dict = {}
    server = create_server(app, map=sockets, host="127.0.0.1", port=0, threads=4, ident="tracker")
    stop = threading.Event()

    def serve():
        # Poll in short steps, so that stopping never closes a socket under a running poll.
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=sockets, count=1)

    thread = threading.Thread(target=serve, name="live_server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    stop.set()
    thread.join(timeout=10)
    server.close()


@pytest.fixture
def world(app, tmp_path, monkeypatch):
    """Two units with one of every object each, and people of every role (see tests/web/world.py)."""
    from tests.web.world import NOW, build_world

    monkeypatch.setenv("TRACKER_NOW", NOW)
    return build_world(tmp_path / "uploads", tmp_path)


# username → (role, unit): a clerk and a leader of one unit, a clerk of another, and the office roles.
PEOPLE = {
    "clerk": ("reporter", "安康市乡村振兴局"),
    "boss": ("unit_leader", "安康市乡村振兴局"),
    "other": ("reporter", "安康市汉滨区"),
    "inspector": ("inspector", None),
    "leader": ("leader", None),
    "admin": ("admin", None),
}


@pytest.fixture
def people(loaded):
    return {
        name: add_user(name, role, unit, PASSWORD, must_change=False)[0]
        for name, (role, unit) in PEOPLE.items()
    }


def csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def signed_in(client, people):
    """A factory: sign `client` in as one of PEOPLE."""

    def _sign_in(username):
        response = sign_in(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _sign_in


# ---------------------------------------------------------------- forms as a browser submits them (WebTest)


def served_form(page: webtest.TestResponse, action: str, has: str | None = None) -> webtest.Form:
    """The POST form on `page` that posts to `action` (a path, with its query string when the form has one),
    exactly as served: its hidden inputs, its token, its defaults. `has` picks among several forms
    with the same action by a name one of its fields carries (or its button text)."""
    found = []
    for key, form in page.forms.items():
        if not isinstance(key, int) or form.method.upper() != "POST":
            continue  # page.forms holds each form under its index and again under its id
        target = form.action or page.request.path_qs
        parts = urlsplit(target)
        path = parts.path + (f"?{parts.query}" if parts.query and "?" in action else "")
        if path != action:
            continue
        if has is not None and has not in form.fields and has not in form.text:
            continue
        found.append(form)
    assert found, f"no form posting to {action} on {page.request.path_qs}"
    assert len(found) == 1, f"{len(found)} forms post to {action} on {page.request.path_qs}; say which"
    return found[0]


def submit(page, action: str, fields: dict | None = None, has: str | None = None, button=None, **kwargs):
    """Fill the form that posts to `action` with what a person would type, and submit it as served."""
    form = served_form(page, action, has)
    for name, value in (fields or {}).items():
        form[name] = value  # a list ticks exactly those of a group of checkboxes sharing one name
    return form.submit(button, **kwargs)


def web_sign_in(web: webtest.TestApp, username: str, password: str = PASSWORD) -> webtest.TestResponse:
    page = web.get("/login")
    return submit(page, "/login", {"username": username, "password": password})


@pytest.fixture
def web_as(app, people):
    """A factory: a WebTest browser signed in as one of PEOPLE (its own cookies)."""

    def _as(username: str) -> webtest.TestApp:
        web = webtest.TestApp(app)
        response = web_sign_in(web, username)
        assert response.status_int == 302, response.text
        return web

    return _as
