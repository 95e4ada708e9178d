"""The JSON API under /api/v1/: bearer tokens, the same roles and scope as the app, JSON errors.

Each operation declares its roles with `@allow` like every web route and its OpenAPI description
with `@operation`; `before_request` here authenticates the token (never a session cookie), limits
its rate, refuses roles and read-only writes. CSRF does not apply: a bearer token is not ambient.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from tracker.web.api import guard, routes  # noqa: E402,F401  (hooks and routes register on bp)


def init_app(app) -> None:
    app.extensions["csrf"].exempt(bp)
    guard.init_app(app)
    app.register_blueprint(bp)
