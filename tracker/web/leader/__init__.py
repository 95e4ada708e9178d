"""The leaders' pages (领导看板): one read-only screen per plan, and Excel exports of every ledger."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("leader", __name__, url_prefix="/leader")

from tracker.web.leader import routes  # noqa: E402,F401  (routes register on bp)
