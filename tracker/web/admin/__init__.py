"""Administration pages, for admins only: people, units, plan files and the audit trail."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from tracker.web.admin import routes  # noqa: E402,F401  (routes register on bp)
