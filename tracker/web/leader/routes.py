"""Views of the leaders' dashboard. Read-only: leaders, the office and admins see the same screens."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import quote

from flask import abort, render_template, request, send_file
from flask_login import current_user

from tracker.clock import now
from tracker.rules.periods import local_date
from tracker.services import documents
from tracker.services.boards import UnknownPlan, plan_by_code
from tracker.services.dashboard import LIGHTS, plan_dashboard
from tracker.services.supervision import (
    LIGHT_LABELS,
    REPORT_LABELS,
    SEVERITY_LABELS,
    STATE_LABELS,
    plan_lights,
)
from tracker.store.models import Plan
from tracker.web.access import READERS, allow
from tracker.web.leader import bp


@bp.get("/")
@allow(*READERS)
def dashboard():
    return render_template(
        "leader/index.html",
        summary=plan_lights(now()),
        lights=LIGHT_LABELS,
        light_keys=LIGHTS,
        ledgers=documents.LEDGERS,
    )


@bp.get("/plans/<code>")
@allow(*READERS)
def plan(code: str):
    try:
        found = plan_by_code(code)
    except UnknownPlan:
        abort(404)
    board = plan_dashboard(current_user.scope, found, now())
    return render_template(
        "leader/plan.html",
        d=board,
        chart=chart_data(board),
        lights=LIGHT_LABELS,
        light_keys=LIGHTS,
        reports=REPORT_LABELS,
        states=STATE_LABELS,
        severities=SEVERITY_LABELS,
        ledgers=documents.LEDGERS,
    )


@bp.get("/exports/<ledger>.xlsx")
@allow(*READERS)
def export(ledger: str):
    if ledger not in documents.LEDGERS:
        abort(404)
    plan = None
    if request.args.get("plan"):
        plan = Plan.get_or_none(Plan.code == request.args["plan"])
        if plan is None:
            abort(404)
    data = documents.ledger_xlsx(current_user.scope, ledger, plan.id if plan else None)
    name = f"{documents.LEDGERS[ledger]}{'-' + plan.code if plan else ''}-{local_date(now()):%Y%m%d}.xlsx"
    response = send_file(
        BytesIO(data), mimetype=documents.XLSX_TYPE, as_attachment=True, download_name=name, max_age=0
    )
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def chart_data(board) -> dict:
    """The rows each chart macro draws (see templates/macros/charts.html)."""
    return {
        "sections": [{"label": f"{s.code} {s.title}", "counts": s.lights} for s in board.sections],
        "units": [{"label": u.label, "counts": u.lights} for u in board.units],
        "trend": [
            {
                "label": t.label,
                "red": t.measures.red,
                "amber": t.measures.amber,
                "green": t.measures.green,
                "done": t.measures.done,
                "on_time_rate": t.on_time_rate,
            }
            for t in board.trend
        ],
        "ages": [{"label": a.label, "value": a.open} for a in board.ages],
    }
