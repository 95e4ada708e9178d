"""Read-only pages over plan structure: plans, their sections, measures and units. Public data only."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template

from tracker.services import health
from tracker.services.plans import measure_detail, plan_structure, plan_summaries
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
    """For a load balancer: 200 when the database answers with a current schema, else 503 and
    Retry-After; the body also gives the scheduler lease's age."""
    healthy, report = health.check()
    response = jsonify(report)
    if not healthy:
        response.status_code = 503
        response.headers["Retry-After"] = "30"
    response.headers["Cache-Control"] = "no-store"
    return response
