"""The unit's side (单位): its home, the monthly report with revisions and evidence, sign-off,
extension requests and the dispatch sheet; and the office's return of a revision with a reason."""

from __future__ import annotations

from flask import Blueprint
from markupsafe import Markup

from tracker.services.reports import awaiting_signoff_count, decimal_text
from tracker.services.text import render_markdown

bp = Blueprint("unit", __name__, url_prefix="/unit")


@bp.app_template_filter("markdown")
def _markdown(text: str | None) -> Markup:
    return Markup(render_markdown(text))  # nosec B704 # sanitized by nh3 in render_markdown


@bp.app_template_filter("num")
def _num(value) -> str:
    return "" if value is None else decimal_text(value)


@bp.app_context_processor
def _awaiting_signoff():
    """`awaiting_signoff()` in templates: for a unit leader, the reports waiting for their signature."""
    from flask_login import current_user

    def count() -> int:
        if not current_user.is_authenticated or current_user.role != "unit_leader":
            return 0
        try:
            return awaiting_signoff_count(current_user.scope)
        except Exception:  # an error page (say, the database is down) must still render
            return 0

    return {"awaiting_signoff": count}


from tracker.web.unit import levels, routes  # noqa: E402,F401  (routes register on bp)
