"""Read-only pages over plan structure: plans, their sections, measures and units. Public data only."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from tracker.services.plans import measure_detail, plan_structure, plan_summaries
from tracker.store.models import Plan
from tracker.web.access import PUBLIC, allow

bp = Blueprint("browse", __name__)


@bp.get("/")
@allow(PUBLIC)
def index():
    return render_template("browse/index.html", plans=plan_summaries())


@bp.get("/plans/<code>/")
@allow(PUBLIC)
def plan(code: str):
    found = plan_structure(code)
    if found is None:
        abort(404)
    plan, sections = found
    return render_template("browse/plan.html", plan=plan, sections=sections)


@bp.get("/plans/<code>/measures/<measure_code>")
@allow(PUBLIC)
def measure(code: str, measure_code: str):
    m = measure_detail(code, measure_code)
    if m is None:
        abort(404)
    return render_template("browse/measure.html", plan=m.plan, measure=m)


@bp.get("/healthz")
@allow(PUBLIC)
def healthz():
    Plan.select().limit(1).count()
    return {"status": "ok"}
