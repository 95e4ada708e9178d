"""flask-login glue: the id kept in the cookie is the session token, not the user id."""

from __future__ import annotations

from flask import url_for
from flask_login import LoginManager

from tracker.services.auth import session_user
from tracker.services.scoping import Scope
from tracker.store.models import User


class SessionUser:
    """The signed-in person for one request: the user row plus the session it came with."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: User, token: str):
        self.user = user
        self.token = token
        self.scope = Scope.of(user)

    def get_id(self) -> str:
        return self.token

    @property
    def role(self) -> str:
        return self.user.role


def home_for(user: User) -> str:
    """Where a person lands after signing in."""
    if user.role in ("reporter", "unit_leader"):
        return url_for("unit.home") if "unit.home" in _endpoints() else url_for("browse.index")
    if user.role in ("inspector", "admin", "leader"):
        # Leaders read their dashboard first; the office works from its overview.
        preferred = ("leader.dashboard", "office.overview") if user.role == "leader" else ("office.overview",)
        for endpoint in preferred:
            if endpoint in _endpoints():
                return url_for(endpoint)
    return url_for("browse.index")


def _endpoints() -> set[str]:
    from flask import current_app

    return set(current_app.view_functions)


def init_app(app) -> None:
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = "请先登录。"
    manager.login_message_category = "info"
    manager.session_protection = "basic"

    @manager.user_loader
    def load(token: str):
        found = session_user(token)
        return SessionUser(found[0], token) if found else None

    manager.init_app(app)
