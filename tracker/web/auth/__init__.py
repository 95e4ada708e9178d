"""Sign-in, sign-out and password change; flask-login over server-side sessions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)

from tracker.web.auth import routes  # noqa: E402,F401  (routes register on bp)
