"""Views of work on several levels: the breakdown (分解) of an assignment among the units under it, and
the lead's compile (牵头单位汇总) of the responsible units' reports. Scoping is the services' (`Scope`);
another unit's object answers 404."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.clock import now
from tracker.rules.periods import Period, local_date
from tracker.services import breakdown
from tracker.services import compile as compile_service
from tracker.services.reports import decimal_text, parse_decimal, stored_decimal
from tracker.store.models import Indicator, Measure, Unit
from tracker.web.access import OFFICE, READERS, UNIT, allow
from tracker.web.unit import bp
from tracker.web.unit.forms import breakdown_form


def _scope():
    return current_user.scope


def _breakdown_context(assignment_id: int):
    parent = _scope().assignment(assignment_id)
    measure = Measure.get_by_id(parent.measure_id)
    indicators = list(
        Indicator.select()
        .where(Indicator.measure == measure.id, Indicator.archived_at.is_null())
        .order_by(Indicator.id)
    )
    return parent, measure, indicators, breakdown.candidates(parent), breakdown.children(parent)


def _filled(units, indicators, children):
    """The form showing the current split."""
    form = breakdown_form(units, indicators, formdata=None)
    for child in children:
        if f"pick_{child.unit_id}" not in form:
            continue
        form[f"pick_{child.unit_id}"].data = True
        form[f"due_{child.unit_id}"].data = child.deadline
        for i in indicators:
            share = (child.shares or {}).get(i.code)
            if share is not None:
                form[f"share_{child.unit_id}_{i.id}"].data = decimal_text(parse_decimal(share))
    return form


def _targets(parent, indicators) -> dict[int, tuple[str, str]]:
    """What the holding unit has to split, per indicator: its own share if it has one, else the target."""
    out = {}
    for i in indicators:
        share = (parent.shares or {}).get(i.code)
        if share is None:
            share = (i.shares or {}).get(parent.unit.name)
        if share is not None:
            out[i.id] = ("本单位任务", decimal_text(stored_decimal(share)))
        elif i.target is not None:
            out[i.id] = ("总目标", decimal_text(stored_decimal(i.target)))
    return out


def _render_breakdown(assignment_id: int, form=None, status: int = 200):
    parent, measure, indicators, units, children = _breakdown_context(assignment_id)
    if form is None:
        form = _filled(units, indicators, children)
    unit_names = {u.id: u.label for u in Unit.select(Unit.id, Unit.name, Unit.short)}
    return (
        render_template(
            "unit/breakdown.html",
            parent=parent,
            measure=measure,
            indicators=indicators,
            targets=_targets(parent, indicators),
            names={i.code: i.name for i in indicators},
            rows=form.unit_fields(units, indicators),
            children=children,
            history=breakdown.history(parent),
            unit_names=unit_names,
            limit=breakdown.parent_deadline(parent),
            can_split=breakdown.may_split(_scope(), parent) and bool(units),
            form=form,
        ),
        status,
    )


@bp.get("/assignments/<int:assignment_id>/breakdown")
@allow(*UNIT, *READERS)
def breakdown_page(assignment_id: int):
    return _render_breakdown(assignment_id)


@bp.post("/assignments/<int:assignment_id>/breakdown")
@allow(*UNIT, *OFFICE)
def breakdown_save(assignment_id: int):
    parent, _measure, indicators, units, _children = _breakdown_context(assignment_id)
    if not breakdown.may_split(_scope(), parent):
        abort(404)
    form = breakdown_form(units, indicators)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _render_breakdown(assignment_id, form, 400)
    parts, ok = [], True
    for unit, pick, due, shares in form.unit_fields(units, indicators):
        if not pick.data:
            continue
        values = {}
        for indicator, field in shares:
            try:
                value = parse_decimal(field.data)
            except ValueError as exc:
                field.errors = [*field.errors, str(exc)]
                ok = False
                continue
            if value is not None:
                values[indicator.code] = value
        parts.append(breakdown.Part(unit.id, values, due.data))
    if not ok:
        return _render_breakdown(assignment_id, form, 400)
    try:
        kept = breakdown.split(_scope(), parent.id, parts)
    except breakdown.BreakdownError as exc:
        flash(str(exc), "error")
        return _render_breakdown(assignment_id, form, 400)
    flash(f"已分解给 {len(kept)} 个下级单位,分解记录已留痕。", "info")
    return redirect(url_for("unit.breakdown_page", assignment_id=parent.id))


@bp.get("/assignments/<int:assignment_id>/compile")
@allow(*UNIT, *READERS)
def compile_page(assignment_id: int):
    period = request.args.get("period") or str(Period.of(local_date(now())))
    try:
        Period.parse(period)
    except ValueError:
        abort(404)
    compiled = compile_service.compile_reports(_scope(), assignment_id, period)
    return render_template("unit/compile.html", c=compiled)
