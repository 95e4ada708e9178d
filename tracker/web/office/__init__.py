"""The inspection office's pages (督查室): overview, missing reports, lights, changes, extensions,
inspections and findings, rectification lists, completion, bulletins and quality ratings.

The office (inspector, admin) reads and changes; leaders read the same pages without the forms.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("office", __name__, url_prefix="/office")

from tracker.web.office import routes  # noqa: E402,F401  (routes register on bp)
