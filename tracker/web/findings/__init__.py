"""A unit's findings (问题整改): its own findings and rectification lists, and answering a finding
with how it was fixed and evidence files. The office checks and closes them on its own pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("findings", __name__, url_prefix="/findings")

from tracker.web.findings import routes  # noqa: E402,F401  (routes register on bp)
