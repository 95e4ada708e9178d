"""Views of the office's pages. Each parses, calls `tracker.services.supervision` (or documents) with
the person's `Scope`, and maps a refused change to a message. GET pages are open to the leaders too
(read-only, without the forms); every change is the office's (inspector, admin)."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO
from urllib.parse import quote

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup

from tracker.clock import now
from tracker.rules.chasing import Slip
from tracker.rules.periods import Period, Quarter, end_of_day, local_date
from tracker.services import chasing, documents
from tracker.services import supervision as sv
from tracker.services.boards import UnknownPlan, plan_by_code
from tracker.services.text import render_markdown
from tracker.store.models import Inspection, Plan, Unit
from tracker.web.access import OFFICE, READERS, allow
from tracker.web.filters import cn_date
from tracker.web.office import bp
from tracker.web.office.forms import (
    BulletinForm,
    ChaseForm,
    DecideForm,
    FindingForm,
    InspectionForm,
    MissingChaseForm,
    NoteForm,
    PublishForm,
    RatingsForm,
    RectificationForm,
    ScoringForm,
    choices,
)
from tracker.web.paging import matches, paginate, query

PAGE_SIZE = 100


def _scope():
    return current_user.scope


def _render(template: str, **context):
    context.setdefault("can_edit", current_user.role in OFFICE)
    return render_template(
        template,
        lights=sv.LIGHT_LABELS,
        reports=sv.REPORT_LABELS,
        states=sv.STATE_LABELS,
        severities=sv.SEVERITY_LABELS,
        **context,
    )


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def _as_of() -> tuple[datetime, date | None]:
    """The moment a page reads: the end of `?date=YYYY-MM-DD` when given and in the past, else now."""
    text = request.args.get("date", "").strip()
    moment = now()
    if not text:
        return moment, None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        flash(f"日期 {text} 格式不对，应为 2024-07-01，已按今天显示。", "warning")
        return moment, None
    if not EARLIEST <= day <= LATEST:  # far dates overflow the calendar arithmetic; no plan reaches them
        flash(f"日期 {text} 超出可查询范围({EARLIEST:%Y}–{LATEST:%Y} 年),已按今天显示。", "warning")
        return moment, None
    return (min(end_of_day(day), moment), day)


def _plans() -> list[Plan]:
    return list(Plan.select().order_by(Plan.code))


def _plan_arg(name: str = "plan") -> Plan | None:
    """The plan named in the query string, else the first plan; 404 for an unknown code."""
    code = request.args.get(name, "").strip()
    if code:
        try:
            return plan_by_code(code)
        except UnknownPlan:
            abort(404)
    return Plan.select().order_by(Plan.code).first()


def _int_arg(name: str) -> int | None:
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        return None


def _back(default: str) -> str:
    """Where to go after a POST: the page the form was on, when it is on this site."""
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


def _form_errors(form) -> None:
    if "csrf_token" in form.errors:
        abort(400)
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


# ---------------------------------------------------------------- overview


@bp.get("/")
@allow(*READERS)
def overview():
    as_of, day = _as_of()
    plan = _plan_arg()
    summary = sv.plan_lights(as_of, _scope().units)
    view = None
    page = max(1, _int_arg("page") or 1)
    if plan is not None:
        view = sv.overview(
            plan,
            as_of,
            section=request.args.get("section") or None,
            unit_id=_int_arg("unit"),
            light=request.args.get("light") or None,
            report=request.args.get("report") or None,
            units=_scope().units,
        )
    rows = view.rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE] if view else ()
    pages = max(1, -(-len(view.rows) // PAGE_SIZE)) if view else 1
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return _render(
        "office/overview.html",
        summary=summary,
        plan=plan,
        view=view,
        rows=rows,
        page=page,
        pages=pages,
        args=args,
        day=day,
        as_of=as_of,
    )


@bp.get("/missing")
@allow(*READERS)
def missing():
    as_of, day = _as_of()
    groups = [(plan, sv.missing_and_late(plan, as_of, units=_scope().units)) for plan in _plans()]
    return _render(
        "office/missing.html", groups=groups, as_of=as_of, day=day, chase_form=MissingChaseForm(formdata=None)
    )


@bp.post("/missing/chase")
@allow(*OFFICE)
def missing_chase():
    """一键催办: one reminder for each of one unit's missing reports of the plan's current period."""
    form = MissingChaseForm()
    target = url_for("office.missing")
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(target)
    try:
        plan = plan_by_code(form.plan.data)
        unit_id = int(form.unit.data)
    except (UnknownPlan, ValueError):
        abort(404)
    rows = [
        c.row
        for c in sv.missing_and_late(plan, now(), units=_scope().units)
        if c.row.unit_id == unit_id and c.row.report == "missing"
    ]
    try:
        done, skipped = chasing.chase_missing(
            _scope(),
            [r.assignment_id for r in rows],
            rows[0].period if rows else "",
            form.message.data or f"请尽快报送 {rows[0].period if rows else ''} 缺报的措施进展情况。",
            Slip(form.slip.data),
        )
    except (chasing.ChaseError, ValueError) as exc:
        flash(str(exc), "error")
        return redirect(target)
    unit = rows[0].unit_label
    if done:
        again = f"，另有 {skipped} 项本期已这样催办过，未重复发送" if skipped else ""
        flash(f"已向{unit}发出 {len(done)} 份{done[0].slip.label}督办单（每项缺报一份）{again}。", "info")
    else:
        flash(f"{unit}本期缺报的 {skipped} 项已这样催办过，未重复发送。", "warning")
    return redirect(target)


@bp.get("/matrix")
@allow(*READERS)
def matrix():
    as_of, day = _as_of()
    return _render("office/matrix.html", matrix=sv.unit_matrix(as_of, _scope().units), as_of=as_of, day=day)


@bp.get("/changes")
@allow(*READERS)
def changes():
    until, day = _as_of()
    since = sv.month_before(until)
    plan = _plan_arg()
    measures, assignments = sv.light_changes(plan, since, until, _scope().units) if plan else ([], [])
    return _render(
        "office/changes.html",
        plans=_plans(),
        plan=plan,
        since=since,
        until=until,
        day=day,
        measures=measures,
        assignments=assignments,
    )


@bp.get("/assignments/<int:assignment_id>")
@allow(*READERS)
def assignment(assignment_id: int):
    detail = sv.assignment_detail(_scope(), assignment_id)
    return _render(
        "office/assignment.html",
        d=detail,
        note_form=NoteForm(formdata=None),
        chase_form=ChaseForm(formdata=None),
        decisions=sv.DECISION_LABELS,
    )


@bp.get("/plans/<code>/measures/<measure_code>")
@allow(*READERS)
def measure(code: str, measure_code: str):
    try:
        plan = plan_by_code(code)
    except UnknownPlan:
        abort(404)
    view = sv.measure_overview(plan, measure_code, now(), _scope().units)
    if view is None:
        abort(404)
    return _render("office/measure.html", m=view)


# ---------------------------------------------------------------- chasing (催办) and completion


@bp.post("/assignments/<int:assignment_id>/chase")
@allow(*OFFICE)
def chase(assignment_id: int):
    _scope().assignment(assignment_id)
    return _chase(url_for("office.assignment", assignment_id=assignment_id), assignment_id=assignment_id)


@bp.post("/findings/<int:finding_id>/chase")
@allow(*OFFICE)
def finding_chase(finding_id: int):
    _scope().finding(finding_id)
    return _chase(url_for("office.finding", finding_id=finding_id), finding_id=finding_id)


def _chase(target: str, **which):
    form = ChaseForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(target)
    try:
        outcome = chasing.chase_one(_scope(), message=form.message.data, slip=Slip(form.slip.data), **which)
    except (chasing.ChaseError, ValueError) as exc:
        flash(str(exc), "error")
        return redirect(target)
    flash(f"已向{outcome.unit}发出{outcome.slip.label}督办单。", "info")
    return redirect(target)


@bp.get("/completions")
@allow(*READERS)
def completions():
    plan = _plan_arg()
    waiting, done = sv.completions(plan, now()) if plan else ([], [])
    return _render(
        "office/completions.html",
        plans=_plans(),
        plan=plan,
        waiting=waiting,
        done=done,
        note_form=NoteForm(formdata=None),
    )


def _note_action(action, object_id: int, target: str, success: str):
    """Validate a note form, run an office decision on one object with it, flash, and go back."""
    form = NoteForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(target)
    try:
        action(_scope(), object_id, form.note.data or "")
        flash(success, "info")
    except sv.SupervisionError as exc:
        flash(str(exc), "error")
    return redirect(target)


@bp.post("/assignments/<int:assignment_id>/confirm")
@allow(*OFFICE)
def completion_confirm(assignment_id: int):
    back = _back(url_for("office.assignment", assignment_id=assignment_id))
    return _note_action(sv.confirm_completion, assignment_id, back, "已确认办结，该项任务亮“已办结”。")


@bp.post("/assignments/<int:assignment_id>/reopen")
@allow(*OFFICE)
def completion_reopen(assignment_id: int):
    back = _back(url_for("office.assignment", assignment_id=assignment_id))
    return _note_action(sv.reopen_completion, assignment_id, back, "已撤销办结确认，该项任务恢复推进中。")


# ---------------------------------------------------------------- extension requests (延期申请)


@bp.get("/extensions")
@allow(*READERS)
def extensions():
    state = request.args.get("state", "pending")
    if state not in ("pending", "decided", "all"):
        state = "pending"
    return _render("office/extensions.html", rows=sv.extension_requests(_scope(), state), state=state)


@bp.get("/extensions/<int:request_id>")
@allow(*READERS)
def extension(request_id: int):
    row = sv.extension_request(_scope(), request_id)
    form = DecideForm(formdata=None, new_deadline=row.request.requested_deadline)
    history = [
        r
        for r in sv.extension_requests(_scope(), "all")
        if r.request.assignment_id == row.request.assignment_id
    ]
    return _render("office/extension.html", row=row, form=form, history=history)


@bp.post("/extensions/<int:request_id>/decide")
@allow(*OFFICE)
def extension_decide(request_id: int):
    row = sv.extension_request(_scope(), request_id)
    target = url_for("office.extension", request_id=request_id)
    form = DecideForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(target)
    try:
        approve = form.decision.data == "approve"
        sv.decide_extension(
            _scope(),
            request_id,
            approve=approve,
            new_deadline=form.new_deadline.data,
            reason=form.reason.data,
        )
    except sv.SupervisionError as exc:
        flash(str(exc), "error")
        return redirect(target)
    if approve:
        flash(f"已批准{row.unit_label}措施 {row.measure_code} 延期，红黄绿灯按新的完成时限计算。", "info")
    else:
        flash(f"已不予批准{row.unit_label}的延期申请，单位将看到审核意见。", "info")
    return redirect(url_for("office.extensions"))


# ---------------------------------------------------------------- inspections (督查)


@bp.get("/inspections")
@allow(*READERS)
def inspections():
    return _render("office/inspections.html", rows=sv.inspections())


@bp.route("/inspections/new", methods=["GET", "POST"])
@allow(*OFFICE)
def inspection_new():
    form = InspectionForm()
    form.plan.choices = choices([(None, "（不限方案）")] + [(p.id, p.title) for p in _plans()])
    if form.validate_on_submit():
        try:
            row = sv.create_inspection(
                _scope(),
                title=form.title.data,
                held_on=form.held_on.data,
                plan_id=form.plan.data,
                notes=form.notes.data,
            )
        except sv.SupervisionError as exc:
            flash(str(exc), "error")
        else:
            flash("督查记录已保存，可在下方逐条登记发现的问题。", "info")
            return redirect(url_for("office.inspection", inspection_id=row.id))
    elif request.method == "GET":
        form.held_on.data = local_date(now())
    return _render("office/inspection_new.html", form=form)


@bp.get("/inspections/<int:inspection_id>")
@allow(*READERS)
def inspection(inspection_id: int):
    row = sv.inspection(inspection_id)
    findings = sv.finding_ledger(_scope(), inspection_id=row.id)
    return _render("office/inspection.html", inspection=row, findings=findings)


# ---------------------------------------------------------------- findings (问题台账)


@bp.get("/findings")
@allow(*READERS)
def findings():
    plan = None
    if request.args.get("plan"):
        plan = _plan_arg()
    state = request.args.get("state") or None
    state = state if state in sv.STATE_LABELS else None
    severity = request.args.get("severity") or None
    severity = severity if severity in sv.SEVERITY_LABELS else None
    everything = sv.finding_ledger(_scope())
    units = sorted(
        {(r.finding.unit_id, r.unit_label, r.finding.unit.name) for r in everything}, key=lambda u: u[1]
    )
    # 单位 is typed (a list of the units' names to pick from): its name, short name or id.
    unit_text = request.args.get("unit", "").strip()
    unit_id = next((u[0] for u in units if unit_text in (str(u[0]), u[1], u[2])), None) if unit_text else None
    rows = sv.finding_ledger(
        _scope(),
        state=state,
        unit_id=unit_id,
        plan_id=plan.id if plan else None,
        severity=severity,
        overdue=request.args.get("overdue") == "1",
    )
    if unit_text and unit_id is None:
        flash(f"没有名为“{unit_text}”的单位的问题，已显示全部单位。", "warning")
    if q := query():
        rows = [
            r
            for r in rows
            if matches(q, r.finding.title, r.finding.detail, r.unit_label, r.finding.unit.name)
        ]
    page = paginate(rows)
    return _render(
        "office/findings.html",
        rows=page.rows,
        counts=page_counts(rows),
        page=page,
        unit_label=next((u[1] for u in units if u[0] == unit_id), ""),
        plans=_plans(),
        plan=plan,
        units=units,
        args={k: v for k, v in request.args.items() if v},
    )


def page_counts(rows) -> dict:
    """The ledger's totals by state over every matching row (not only this page)."""
    return {
        "all": len(rows),
        **{k: sum(1 for r in rows if r.finding.state == k) for k in sv.STATE_LABELS},
        "overdue": sum(1 for r in rows if r.overdue),
    }


def _finding_form(plan: Plan | None, inspection_id: int | None) -> FindingForm:
    form = FindingForm()
    found = sv.choices(plan.id if plan else None)
    form.unit.choices = choices([(None, "请选择")] + [(u.id, u.name) for u in found.units])
    form.measure.choices = choices(
        [(None, "（不针对具体措施）")] + [(m.id, f"{m.code} {m.title[:40]}") for m in found.measures]
    )
    inspections = Inspection.select().order_by(Inspection.held_on.desc()).limit(50)
    if plan is not None:
        inspections = inspections.where((Inspection.plan == plan.id) | Inspection.plan.is_null())
    form.inspection.choices = choices(
        [(None, "（不关联督查）")] + [(i.id, f"{i.held_on:%Y-%m-%d} {i.title}") for i in inspections]
    )
    if request.method == "GET":
        form.inspection.data = inspection_id
        form.unit.data = _int_arg("unit")
    return form


@bp.route("/findings/new", methods=["GET", "POST"])
@allow(*OFFICE)
def finding_new():
    plan = _plan_arg()
    inspection_id = _int_arg("inspection")
    form = _finding_form(plan, inspection_id)
    if form.validate_on_submit():
        try:
            row = sv.open_finding(
                _scope(),
                unit_id=form.unit.data,
                measure_id=form.measure.data,
                inspection_id=form.inspection.data,
                plan_id=plan.id if plan else None,
                title=form.title.data,
                detail=form.detail.data,
                severity=form.severity.data,
                rectify_by=form.rectify_by.data,
                public=form.public.data,
                detail_public=form.detail_public.data,
            )
        except sv.SupervisionError as exc:
            flash(str(exc), "error")
        else:
            flash(f"问题已登记（编号 {row.id}），可将其编入整改清单下发给单位。", "info")
            if request.form.get("another"):
                return redirect(
                    url_for(
                        "office.finding_new", plan=plan.code if plan else None, inspection=row.inspection_id
                    )
                )
            return redirect(url_for("office.finding", finding_id=row.id))
    return _render(
        "office/finding_new.html", form=form, plan=plan, plans=_plans(), inspection_id=inspection_id
    )


@bp.get("/findings/<int:finding_id>")
@allow(*READERS)
def finding(finding_id: int):
    detail = sv.finding_detail(_scope(), finding_id)
    return _render(
        "office/finding.html",
        d=detail,
        note_form=NoteForm(formdata=None),
        chase_form=ChaseForm(formdata=None),
        events=sv.EVENT_LABELS,
    )


def _finding_action(action, finding_id: int, success: str):
    _scope().finding(finding_id)  # out of scope answers 404 before the form is read
    return _note_action(action, finding_id, url_for("office.finding", finding_id=finding_id), success)


@bp.post("/findings/<int:finding_id>/close")
@allow(*OFFICE)
def finding_close(finding_id: int):
    return _finding_action(sv.close_finding, finding_id, "已销号。")


@bp.post("/findings/<int:finding_id>/reopen")
@allow(*OFFICE)
def finding_reopen(finding_id: int):
    return _finding_action(sv.reopen_finding, finding_id, "已重新打开，单位需继续整改。")


# ---------------------------------------------------------------- rectification lists (整改清单)


@bp.get("/rectifications")
@allow(*READERS)
def rectifications():
    return _render("office/rectifications.html", rows=sv.rectification_lists(_scope()))


@bp.route("/rectifications/new", methods=["GET", "POST"])
@allow(*OFFICE)
def rectification_new():
    unit_id = _int_arg("unit")
    unit = Unit.get_or_none(Unit.id == unit_id) if unit_id else None
    # Units with findings not yet on a list, for the first step.
    waiting = sv.finding_ledger(_scope(), unlisted=True)
    units = sorted({(r.finding.unit_id, r.unit_label) for r in waiting}, key=lambda u: u[1])
    candidates = sv.finding_ledger(_scope(), unit_id=unit.id) if unit else []
    candidates = [r for r in candidates if r.finding.state != "closed"]
    form = RectificationForm()
    if unit is not None and form.validate_on_submit():
        picked = [int(x) for x in request.form.getlist("finding") if x.isdigit()]
        try:
            row = sv.create_rectification_list(
                _scope(),
                unit_id=unit.id,
                finding_ids=picked,
                title=form.title.data,
                doc_number=form.doc_number.data,
                body=form.body.data,
            )
        except sv.SupervisionError as exc:
            flash(str(exc), "error")
        else:
            flash(f"整改清单 {row.doc_number} 已下发，可下载 Word 或 Excel。", "info")
            return redirect(url_for("office.rectification", list_id=row.id))
    elif request.method == "POST":
        _form_errors(form)
    return _render(
        "office/rectification_new.html",
        form=form,
        unit=unit,
        units=units,
        candidates=candidates,
        preselected={r.finding.id for r in candidates if r.finding.rectification_list_id is None},
    )


@bp.get("/rectifications/<int:list_id>")
@allow(*READERS)
def rectification(list_id: int):
    detail = sv.rectification_list_detail(_scope(), list_id)
    withdrawable = detail.rectification_list.withdrawn_at is None and all(
        r.finding.state == "open" for r in detail.findings
    )
    return _render("office/rectification.html", d=detail, withdrawable=withdrawable)


@bp.post("/rectifications/<int:list_id>/withdraw")
@allow(*OFFICE)
def rectification_withdraw(list_id: int):
    _scope().rectification_list(list_id)  # out of scope answers 404 before the form is read
    target = url_for("office.rectification", list_id=list_id)
    form = NoteForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(target)
    try:
        row = sv.withdraw_rectification_list(_scope(), list_id, form.note.data or "")
    except sv.SupervisionError as exc:
        flash(str(exc), "error")
    else:
        flash(f"整改清单 {row.doc_number} 已作废，文号保留；所列问题可编入新的清单。", "info")
    return redirect(target)


def _attachment(data: bytes, mimetype: str, name: str):
    response = send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def list_filename(detail: sv.ListDetail, extension: str) -> str:
    name = (detail.rectification_list.doc_number or f"整改清单{detail.rectification_list.id}").replace(
        "/", "-"
    )
    return f"{name} {detail.unit.label}整改清单.{extension}"


@bp.get("/rectifications/<int:list_id>.docx")
@allow(*READERS)
def rectification_docx(list_id: int):
    detail = sv.rectification_list_detail(_scope(), list_id)
    return _attachment(
        documents.rectification_docx(_scope(), list_id), documents.DOCX_TYPE, list_filename(detail, "docx")
    )


@bp.get("/rectifications/<int:list_id>.xlsx")
@allow(*READERS)
def rectification_xlsx(list_id: int):
    detail = sv.rectification_list_detail(_scope(), list_id)
    return _attachment(
        documents.rectification_xlsx(_scope(), list_id), documents.XLSX_TYPE, list_filename(detail, "xlsx")
    )


# ---------------------------------------------------------------- bulletins and quality ratings


@bp.get("/bulletins")
@allow(*READERS)
def bulletins():
    plan = _plan_arg()
    boards = sv.bulletin_boards(plan, now()) if plan else []
    return _render(
        "office/bulletins.html",
        # a county's office reads the plan's bulletins; the plan's own office writes and publishes them
        can_edit=current_user.role in OFFICE and not _scope().is_scoped_office,
        plans=_plans(),
        plan=plan,
        boards=boards,
        publish_form=PublishForm(formdata=None),
    )


@bp.route("/bulletins/<code>/<board>", methods=["GET", "POST"])
@allow(*OFFICE)
def bulletin(code: str, board: str):
    _scope().check_plan_office("bulletin")
    try:
        plan = plan_by_code(code)
        board = sv.check_board(plan, board)
        label = sv.board_label(board, plan)
    except (UnknownPlan, sv.SupervisionError):
        abort(404)
    existing = sv.bulletin(plan, board)
    form = BulletinForm()
    preview = None
    if form.validate_on_submit():
        if form.save.data:
            try:
                sv.save_bulletin(_scope(), plan.id, board, form.commentary.data)
            except sv.SupervisionError as exc:
                flash(str(exc), "error")
            else:
                line = sv.board_line(plan, board, now())
                if line.publication is not None:
                    flash(
                        f"{label}点评已保存。该期已于{cn_date(line.publication.last_published_at)}发布，"
                        "点评须重新发布才会出现在公开网站上。",
                        "warning",
                    )
                    return redirect(url_for("office.bulletin", code=plan.code, board=board))
                flash(f"{label}点评已保存，将随该期通报发布。", "info")
                return redirect(url_for("office.bulletins", plan=plan.code))
        preview = Markup(render_markdown(form.commentary.data))  # nosec B704 # sanitized by nh3
    elif request.method == "POST":
        _form_errors(form)
    elif existing is not None:
        form.commentary.data = existing.commentary
    return _render(
        "office/bulletin.html",
        plan=plan,
        board=board,
        label=label,
        form=form,
        preview=preview,
        existing=existing,
        line=sv.board_line(plan, board, now()),
        publish_form=PublishForm(formdata=None),
    )


@bp.post("/bulletins/<code>/<board>/publish")
@allow(*OFFICE)
def bulletin_publish(code: str, board: str):
    _scope().check_plan_office("publish board")
    try:
        plan = plan_by_code(code)
        board = sv.check_board(plan, board)
        label = sv.board_label(board, plan)
    except (UnknownPlan, sv.SupervisionError):
        abort(404)
    back = _back(url_for("office.bulletins", plan=plan.code))
    form = PublishForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(back)
    try:
        done = sv.publish_board(
            _scope(), plan, board, current_app.config["SITES_DIR"], correct=form.correct.data
        )
    except sv.SupervisionError as exc:
        flash(str(exc), "error")
        return redirect(back)
    messages = {
        "new": (f"{label}已发布到公开网站（{done.files} 个文件）。", "info"),
        "same": (f"{label}已重新发布，公开内容没有变化。", "info"),
        "changed": (f"{label}已重新发布。", "info"),
        "forced": (f"{label}已按现在的数据和点评更正发布，更正已记入审计。", "info"),
        "kept": (
            f"{label}已发布过，现在生成的内容（如新写的点评）与公开的不同，公开网站未改动。"
            "确需更正，请勾选“更正已发布的内容”后再发布。",
            "warning",
        ),
    }
    flash(*messages[done.status])
    return redirect(back)


@bp.get("/ratings")
@allow(*READERS)
def ratings():
    plan = _plan_arg()
    if plan is None:
        return _render(
            "office/ratings.html", plan=None, plans=[], quarter=None, lines=[], quarters=[], form=None
        )
    try:
        quarter = Quarter.parse(request.args.get("quarter", "")) if request.args.get("quarter") else None
    except ValueError:
        abort(404)
    quarter = quarter or sv.current_quarter(plan, now())
    quarters = []
    q = sv.current_quarter(plan, now())
    first = Period.of(plan.start).quarter
    while q >= first and len(quarters) < 12:
        quarters.append(q)
        q = Quarter(q.year - 1, 4) if q.number == 1 else Quarter(q.year, q.number - 1)
    return _render(
        "office/ratings.html",
        plan=plan,
        plans=_plans(),
        quarter=quarter,
        quarters=quarters,
        lines=sv.quality_sheet(plan, str(quarter), _scope()),
        form=RatingsForm(formdata=None),
    )


@bp.post("/ratings")
@allow(*OFFICE)
def ratings_save():
    form = RatingsForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("office.ratings"))
    try:
        plan = plan_by_code(request.form.get("plan", ""))
    except UnknownPlan:
        flash("请选择方案。", "error")
        return redirect(url_for("office.ratings"))
    quarter = request.form.get("quarter", "")
    target = url_for("office.ratings", plan=plan.code, quarter=quarter)
    given = {}
    for key, value in request.form.items():
        if not key.startswith("points-") or not key[7:].isdigit():
            continue
        unit_id = int(key[7:])
        text = value.strip()
        if not text:
            continue
        try:
            points = float(text)
        except ValueError:
            flash(f"评分 {text!r} 不是数字。", "error")
            return redirect(target)
        given[unit_id] = sv.RatingInput(points, request.form.get(f"note-{unit_id}", ""))
    try:
        changed = sv.save_quality_ratings(_scope(), plan.id, quarter, given)
    except sv.SupervisionError as exc:
        flash(str(exc), "error")
        return redirect(target)
    flash(f"已保存 {changed} 个单位的质量评分。" if changed else "评分没有变化。", "info")
    return redirect(target)


@bp.get("/scoring")
@allow(*READERS)
def scoring():
    """The plan's 计分办法: weights of the four parts and the red penalty, as the bulletins use them."""
    plan = _plan_arg()
    form = ScoringForm(formdata=None)
    if plan is not None:
        for part, value in {**sv.DEFAULT_SCORING, **(plan.scoring or {})}.items():
            getattr(form, part).data = value
    # Leaders and a county's office read the weights; only the plan's own office changes them.
    can_edit = current_user.role in OFFICE and not _scope().is_scoped_office
    return _render(
        "office/scoring.html",
        plan=plan,
        plans=_plans(),
        form=form,
        labels=sv.SCORING_LABELS,
        can_edit=can_edit,
    )


@bp.post("/scoring")
@allow(*OFFICE)
def scoring_save():
    form = ScoringForm()
    try:
        plan = plan_by_code(request.form.get("plan", ""))
    except UnknownPlan:
        flash("请选择方案。", "error")
        return redirect(url_for("office.scoring"))
    target = url_for("office.scoring", plan=plan.code)
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(target)
    values = {part: getattr(form, part).data for part in sv.SCORING_LABELS}
    try:
        changed = sv.save_scoring(_scope(), plan.id, values)
    except sv.SupervisionError as exc:
        flash(str(exc), "error")
        return redirect(target)
    flash(
        "计分办法已保存，此后生成的通报和考核按新权重计分（已发布的不变）。"
        if changed
        else "计分办法没有改动。",
        "info",
    )
    return redirect(target)
