"""Views of a unit's findings. Every lookup goes through the person's `Scope`: another unit's
finding or list raises OutOfScope, which the app answers with 404 and records."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import quote

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.services import documents
from tracker.services import evidence as evidence_service
from tracker.services import supervision as sv
from tracker.web.access import UNIT, allow
from tracker.web.findings import bp


class AnswerForm(FlaskForm):
    note = TextAreaField("整改情况", validators=[DataRequired("请填写整改情况"), Length(max=sv.TEXT_LIMIT)])
    files = MultipleFileField("佐证材料（照片、文件等）")


def _scope():
    return current_user.scope


@bp.get("/")
@allow(*UNIT)
def index():
    rows = sv.finding_ledger(_scope())
    return render_template(
        "findings/index.html",
        open_rows=[r for r in rows if r.finding.state != "closed"],
        closed_rows=[r for r in rows if r.finding.state == "closed"],
        lists=sv.rectification_lists(_scope()),
    )


@bp.get("/<int:finding_id>")
@allow(*UNIT)
def detail(finding_id: int):
    return render_template(
        "findings/detail.html",
        d=sv.finding_detail(_scope(), finding_id),
        form=AnswerForm(formdata=None),
        accepted=evidence_service.ACCEPTED,
    )


@bp.post("/<int:finding_id>/answer")
@allow(*UNIT)
def answer(finding_id: int):
    _scope().finding(finding_id, write=True)
    target = url_for("findings.detail", finding_id=finding_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(target)
    uploads = [(f.filename, f.stream) for f in request.files.getlist(form.files.name) if f and f.filename]
    try:
        checked = evidence_service.check_uploads(uploads, current_user.user.id)
        sv.answer_finding(
            _scope(), finding_id, form.note.data, checked, upload_dir=current_app.config["UPLOAD_DIR"]
        )
    except (evidence_service.EvidenceError, sv.SupervisionError) as exc:
        flash(str(exc), "error")
        return redirect(target)
    flash("整改情况已报送，督查室核查后销号。", "info")
    return redirect(target)


@bp.get("/lists/<int:list_id>.docx")
@allow(*UNIT)
def list_docx(list_id: int):
    detail = sv.rectification_list_detail(_scope(), list_id)
    name = f"{detail.rectification_list.doc_number or '整改清单'} 整改清单.docx".replace("/", "-")
    response = send_file(
        BytesIO(documents.rectification_docx(_scope(), list_id)),
        mimetype=documents.DOCX_TYPE,
        as_attachment=True,
        download_name=name,
        max_age=0,
    )
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response
