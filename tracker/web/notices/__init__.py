"""Converting a notice in the app, for admins only: upload, read beside the source, correct, check, load."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notices", __name__, url_prefix="/admin/notices")

from tracker.web.notices import routes  # noqa: E402,F401  (routes register on bp)
