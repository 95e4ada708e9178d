"""Views of the unit's side. Each parses, calls a service with the person's `Scope`, and maps a
domain error to a message; another unit's object raises OutOfScope, which the app answers with 404
and records (tracker.web.access)."""

from __future__ import annotations

import contextlib
from io import BytesIO

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from tracker.clock import TZ, now
from tracker.rules.periods import Period, local_date, parse_period, period_of
from tracker.services import chasing
from tracker.services import evidence as evidence_service
from tracker.services import reports as report_service
from tracker.services import sheets as sheet_service
from tracker.services.reports import (
    InvalidReport,
    ReportError,
    ReportInput,
    StaleRevision,
    parse_decimal,
)
from tracker.services.scoping import OutOfScope
from tracker.store.models import Assignment, Measure, Plan
from tracker.web.access import OFFICE, READERS, UNIT, allow
from tracker.web.unit import bp
from tracker.web.unit.forms import (
    ExtensionForm,
    ReadForm,
    ReturnForm,
    SheetUploadForm,
    SignoffForm,
    report_form,
)

FIELD_OF_PROBLEM = {"percent", "complete", "narrative", "problems", "next_steps", "public_summary"}


def _scope():
    return current_user.scope


def _target_or_404(assignment_id: int, period: str):
    try:
        return report_service.report_target(_scope(), assignment_id, period)
    except InvalidReport:
        abort(404)


def _page_or_404(assignment_id: int, period: str):
    try:
        return report_service.report_page(_scope(), assignment_id, period)
    except InvalidReport:
        abort(404)


# ---------------------------------------------------------------- home


@bp.get("/")
@allow(*UNIT)
def home():
    home = report_service.unit_home(_scope())
    return render_template(
        "unit/home.html",
        home=home,
        sheet_form=SheetUploadForm(),
        read_form=ReadForm(formdata=None),
        labels=report_service.STATUS_LABELS,
        lights=report_service.LIGHT_LABELS,
    )


@bp.post("/reminders/<int:reminder_id>/read")
@allow(*UNIT)
def reminder_read(reminder_id: int):
    """Mark a reminder (催办) read by this person; the audit chain records it (reminder.read)."""
    if not ReadForm().validate_on_submit():
        abort(400)
    chasing.mark_read(_scope(), reminder_id)
    flash("已标为已读。", "info")
    return redirect(url_for("unit.home") + "#h-reminders")


# ---------------------------------------------------------------- the report


def _form_from_revision(indicators, revision):
    form = report_form(indicators, formdata=None)
    if revision is not None:
        form.percent.data = revision.percent
        form.complete.data = revision.complete
        form.narrative.data = revision.narrative
        form.problems.data = revision.problems
        form.next_steps.data = revision.next_steps
        form.public_summary.data = revision.public_summary
        values = {row.code: row for row in revision.indicators}
        for i, value_field, note_field in form.indicator_fields(indicators):
            row = values.get(i.code)
            if row is not None:
                value_field.data = "" if row.value is None else report_service.decimal_text(row.value)
                note_field.data = row.note
    return form


def _render_report(
    page, form, *, status=200, preview=None, warnings=(), stale=None, draft=None, carried=None
):
    scope = _scope()
    latest = page.latest
    return (
        render_template(
            "unit/report.html",
            page=page,
            form=form,
            preview=preview,
            warnings=warnings,
            stale=stale,
            draft=draft,
            carried=carried,
            can_edit=scope.is_unit and not page.archived,
            can_sign=page.awaiting_signoff and scope.role == "unit_leader" and scope.unit_id == page.unit_id,
            can_return=scope.is_office and latest is not None and not latest.returned,
            return_form=ReturnForm(formdata=None),
            signoff_form=SignoffForm(formdata=None),
            labels=report_service.STATUS_LABELS,
            text_limit=report_service.TEXT_LIMIT,
            summary_limit=report_service.SUMMARY_LIMIT,
        ),
        status,
    )


@bp.get("/assignments/<int:assignment_id>/reports/<period>")
@allow(*UNIT, *READERS)
def report(assignment_id: int, period: str):
    page = _page_or_404(assignment_id, period)
    draft = report_service.draft_of(_scope(), page.assignment_id, page.period) if _scope().is_unit else None
    if draft is not None and not page.archived:
        # Text typed but never submitted (the session ended, or a save failed) comes back as typed.
        form = report_form(page.indicators, formdata=MultiDict(draft.fields))
    else:
        draft = None
        form = _form_from_revision(page.indicators, page.latest)
    carried = None
    if draft is None and _scope().is_unit and not page.archived:
        carried = report_service.carried_over(page)
    if carried is not None:
        # A new month starts from last month's progress, values and next steps, to be checked.
        form = _form_from_revision(page.indicators, carried)
        form.narrative.data = form.problems.data = form.public_summary.data = ""
        form.complete.data = False
        for _i, _value, note in form.indicator_fields(page.indicators):
            note.data = ""
    form.expected.data = str(page.latest_number)
    return _render_report(page, form, draft=draft, carried=carried)


def _keep_draft(target) -> None:
    """A save that failed keeps what was typed as the person's draft, so leaving the page loses nothing."""
    with contextlib.suppress(ReportError):
        report_service.save_draft(_scope(), target.assignment_id, target.period, request.form)


@bp.post("/assignments/<int:assignment_id>/reports/<period>/draft")
@allow(*UNIT)
def report_draft(assignment_id: int, period: str):
    """The form's autosave (static/report-draft.js): keeps the typed text, answers when it was kept."""
    target = _target_or_404(assignment_id, period)
    try:
        draft = report_service.save_draft(_scope(), target.assignment_id, target.period, request.form)
    except ReportError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(saved_at=draft.saved_at.astimezone(TZ).strftime("%H:%M"))


def _report_input(form, indicators) -> ReportInput | None:
    """The form's data as a ReportInput, or None after attaching errors to the fields."""
    ok = True
    values, notes = {}, {}
    for i, value_field, note_field in form.indicator_fields(indicators):
        try:
            value = parse_decimal(value_field.data)
        except ValueError as exc:
            value_field.errors = [*value_field.errors, f"{exc}"]
            ok = False
            continue
        if value is not None:
            values[i.code] = value
        if (note_field.data or "").strip():
            notes[i.code] = note_field.data.strip()
    if not ok or form.percent.data is None:
        return None
    return ReportInput(
        percent=form.percent.data,
        complete=bool(form.complete.data),
        narrative=(form.narrative.data or "").strip(),
        problems=(form.problems.data or "").strip(),
        next_steps=(form.next_steps.data or "").strip(),
        public_summary=(form.public_summary.data or "").strip(),
        indicator_values=values,
        indicator_notes=notes,
    )


def _attach(form, indicators, problems) -> None:
    by_code = {i.code: i for i in indicators}
    for problem in problems:
        kind, _, code = problem.field.partition(":")
        if problem.field in FIELD_OF_PROBLEM:
            target = form[problem.field]
        elif kind in ("indicator", "note") and code in by_code:
            target = form[f"{'ind' if kind == 'indicator' else 'note'}_{by_code[code].id}"]
        else:
            flash(problem.message, "error")
            continue
        target.errors = [*target.errors, problem.message]


@bp.post("/assignments/<int:assignment_id>/reports/<period>")
@allow(*UNIT)
def report_save(assignment_id: int, period: str):
    # The lean path: the service reads the target once, under the write lock, and hands it here to
    # read the form; a save answers with a redirect. Every other outcome builds the page afterwards.
    uploads = [(f.filename, f.stream) for f in request.files.getlist("files") if f and f.filename]
    try:  # before the write lock: checking files may take a while
        files, upload_error = evidence_service.check_uploads(uploads, current_user.user.id), None
    except evidence_service.EvidenceError as exc:
        files, upload_error = [], str(exc)
    seen: dict = {}

    def read(target):
        form = report_form(target.indicators)
        seen.update(target=target, form=form)
        if not form.validate_on_submit():
            return None
        data = seen["data"] = _report_input(form, target.indicators)
        if data is None or form.preview.data:
            return None
        if upload_error:
            form.files.errors = [*form.files.errors, upload_error]
            return None
        try:
            return data, int(form.expected.data or 0)
        except ValueError:
            abort(400)

    try:
        saved = report_service.save_report(
            _scope(), assignment_id, period, read, files, upload_dir=current_app.config["UPLOAD_DIR"]
        )
    except report_service.UnknownPeriod:
        abort(404)
    except StaleRevision as exc:
        _keep_draft(seen["target"])
        flash(f"{exc}。下方保留了您填写的内容,请对照最新一版核对后再提交(附件需重新选择)。", "error")
        seen["form"].expected.data = str(exc.latest.number)
        return _render_report(_page_or_404(assignment_id, period), seen["form"], status=409, stale=exc.latest)
    except InvalidReport as exc:
        _keep_draft(seen["target"])
        _attach(seen["form"], seen["target"].indicators, exc.problems)
        return _render_report(_page_or_404(assignment_id, period), seen["form"], status=400)
    except ReportError as exc:
        _keep_draft(seen["target"])
        flash(str(exc), "error")
        return _render_report(_page_or_404(assignment_id, period), seen["form"], status=400)
    if saved is None:
        return _not_saved(assignment_id, period, seen)
    target = seen["target"]
    message = f"已保存第 {saved.revision.number} 版。"
    if target.signoff:
        message += "本方案要求单位负责人签发后方计为报送。"
    flash(message, "info")
    for warning in saved.warnings:
        flash(f"请核对:{warning.message}", "warning")
    if target.assignment_id == assignment_id and target.period == period:
        # The page is at the URL the form was posted to: no URL building (5% of a save's CPU).
        return redirect(request.script_root + request.path)
    return redirect(url_for("unit.report", assignment_id=target.assignment_id, period=target.period))


def _not_saved(assignment_id: int, period: str, seen: dict):
    """The form came back without a save: wrong input, a preview, or a refused file."""
    form, target, data = seen["form"], seen["target"], seen.get("data")
    if data is None:
        if "csrf_token" in form.errors:
            abort(400)  # no CSRF token or a forged form
        _keep_draft(target)
        return _render_report(_page_or_404(assignment_id, period), form, status=400)
    if form.preview.data:
        warnings = report_service.preview_warnings(_scope(), target.assignment_id, target.period, data)
        problems = report_service.validate(data, target.indicators)
        _attach(form, target.indicators, problems)
        preview = {"narrative": data.narrative, "problems": data.problems, "next_steps": data.next_steps}
        return _render_report(_page_or_404(assignment_id, period), form, preview=preview, warnings=warnings)
    _keep_draft(target)  # a refused file
    return _render_report(_page_or_404(assignment_id, period), form, status=400)


@bp.post("/revisions/<int:revision_id>/signoff")
@allow("unit_leader")
def signoff(revision_id: int):
    revision = _scope().revision(revision_id)
    form = SignoffForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        report_service.sign_off(_scope(), revision_id)
        flash(f"已签发第 {revision.number} 版。", "info")
    except ReportError as exc:
        flash(str(exc), "error")
    return redirect(
        url_for("unit.report", assignment_id=revision.report.assignment_id, period=revision.report.period)
    )


@bp.post("/revisions/<int:revision_id>/return")
@allow(*OFFICE)
def return_revision(revision_id: int):
    revision = _scope().revision(revision_id)
    form = ReturnForm()
    target = url_for(
        "unit.report", assignment_id=revision.report.assignment_id, period=revision.report.period
    )
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash("请填写退回原因。", "error")
        return redirect(target)
    try:
        report_service.return_revision(_scope(), revision_id, form.reason.data)
        flash(f"已退回第 {revision.number} 版,单位将在首页看到退回原因。", "info")
    except ReportError as exc:
        flash(str(exc), "error")
    return redirect(target)


@bp.get("/evidence/<int:evidence_id>")
@allow(*UNIT, *READERS)
def evidence(evidence_id: int):
    try:
        found = evidence_service.open_evidence(_scope(), evidence_id, current_app.config["UPLOAD_DIR"])
    except FileNotFoundError:
        current_app.logger.error("evidence %s: stored file missing", evidence_id)
        abort(404)
    response = send_file(
        found.path,
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.download_name,
        etag=found.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# ---------------------------------------------------------------- the assignment's history, extensions


@bp.get("/assignments/<int:assignment_id>/")
@allow(*UNIT, *READERS)
def assignment(assignment_id: int):
    history = report_service.report_history(_scope(), assignment_id)
    periods: dict[str, list] = {}
    for revision in history.revisions:
        periods.setdefault(revision.period, []).append(revision)
    current = str(period_of(history.cadence, local_date(now())))
    return render_template("unit/assignment.html", history=history, periods=periods, current=current)


def _render_extension(assignment_id: int, form, status=200):
    history = report_service.report_history(_scope(), assignment_id)
    return (
        render_template(
            "unit/extension.html",
            history=history,
            form=form,
            can_request=_scope().is_unit,
        ),
        status,
    )


@bp.get("/assignments/<int:assignment_id>/extension")
@allow(*UNIT, *READERS)
def extension(assignment_id: int):
    return _render_extension(assignment_id, ExtensionForm(formdata=None))


@bp.post("/assignments/<int:assignment_id>/extension")
@allow(*UNIT)
def extension_request(assignment_id: int):
    _scope().assignment(assignment_id, write=True)
    form = ExtensionForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _render_extension(assignment_id, form, 400)
    try:
        report_service.request_extension(_scope(), assignment_id, form.new_date.data, form.reason.data)
    except ReportError as exc:
        form.new_date.errors = [*form.new_date.errors, str(exc)]
        return _render_extension(assignment_id, form, 400)
    flash("延期申请已提交,请等待督查室审核。", "info")
    return redirect(url_for("unit.extension", assignment_id=assignment_id))


# ---------------------------------------------------------------- the dispatch sheet


def _unit_plan(code: str) -> Plan:
    """A plan the person's unit has work in; another plan looks like no plan."""
    plan = Plan.get_or_none(Plan.code == code)
    scope = _scope()
    if plan is None or scope.unit_id is None:
        abort(404)
    has_work = (
        Assignment.select()
        .join(Measure)
        .where(Measure.plan == plan.id, Assignment.unit == scope.unit_id, Assignment.archived_at.is_null())
        .exists()
    )
    if not has_work:
        raise OutOfScope(f"plan {code} for unit {scope.unit_id}")
    return plan


@bp.get("/sheet")
@allow(*UNIT)
def sheet_template():
    plan = _unit_plan(request.args.get("plan", ""))
    today = local_date(now())
    period = request.args.get("period") or str(Period.of(min(today, plan.end)))
    try:
        parse_period(period)
    except ValueError:
        abort(404)
    data = sheet_service.template_bytes(plan.code, period, _scope().unit_id, today)
    return send_file(
        BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"调度表-{plan.code}-{period}.xlsx",
        max_age=0,
    )


@bp.post("/sheet")
@allow(*UNIT)
def sheet_import():
    form = SheetUploadForm()
    if not form.validate_on_submit():
        abort(400)
    upload = request.files.get(form.sheet.name)
    if upload is None or not upload.filename:
        flash("请选择要导入的调度表文件。", "error")
        return redirect(url_for("unit.home"))
    data = upload.read(sheet_service.MAX_FILE_BYTES + 1)
    try:
        result = sheet_service.import_sheet(data, _scope())
    except sheet_service.SheetError as exc:
        flash("调度表未导入,请修改以下问题后重新上传(整表未作任何改动):", "error")
        for problem in exc.problems:
            flash(problem, "error")
        return redirect(url_for("unit.home"))
    flash(
        f"导入完成:新增 {result.saved} 条报送修订,{result.unchanged} 行与已报内容相同,"
        f"{result.skipped} 行未填完成进度未导入。",
        "info",
    )
    for warning in result.warnings[:20]:
        flash(f"请核对:{warning}", "warning")
    return redirect(url_for("unit.home"))
