"""Notice views. Each reads: validate → call tracker.services.notices → flash → redirect.

The draft lives on the server between steps, so a failed save, check or load loses nothing. Checking
and loading go through `load_plans`, the service behind `tracker load`.
"""

from __future__ import annotations

import io
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from tracker.plans.load import LoadError
from tracker.services import notices
from tracker.services.admin import change_table
from tracker.services.notices import (
    DraftCheck,
    DraftConflict,
    NeedsConfirmation,
    Notice,
    NoticeError,
    NoticeNotFound,
)
from tracker.services.plans import plan_summaries
from tracker.web.access import allow
from tracker.web.notices import bp
from tracker.web.notices.forms import DiscardForm, DraftForm, LoadForm, NoticeUploadForm, ReviewForm


def _actor() -> str:
    return current_user.user.username


def _uploads() -> str:
    return current_app.config["UPLOAD_DIR"]


def _notice(token: str) -> Notice:
    return notices.get_notice(_uploads(), token)


@bp.errorhandler(NoticeNotFound)
def _not_found(exc):
    return render_template("notices/not_found.html"), 404


# -- upload ---------------------------------------------------------------------------------------


@bp.get("/")
@allow("admin")
def index():
    return _index(NoticeUploadForm())


def _index(form: NoticeUploadForm, status: int = 200):
    page = render_template(
        "notices/index.html",
        form=form,
        notices=notices.list_notices(_uploads()),
        max_mb=notices.MAX_NOTICE_BYTES // 1024 // 1024,
    )
    return page, status


@bp.post("/")
@allow("admin")
def upload():
    form = NoticeUploadForm()
    if not form.validate_on_submit():
        return _index(form, 400)
    upload = form.file.data
    data = upload.stream.read(notices.MAX_NOTICE_BYTES + 1)
    try:
        notice = notices.stage_notice(_uploads(), data, upload.filename or "", _actor())
    except NoticeError as exc:
        form.file.errors = ["未能转换,文件未保存:" + r for r in exc.reasons]
        return _index(form, 400)
    if notice.problems or notice.warnings:
        flash(
            f"已转换 {notice.original_name}:{len(notice.problems)} 处未能识别,"
            f"{len(notice.warnings)} 处需核对,已在下方标出。",
            "warning",
        )
    else:
        flash(f"已转换 {notice.original_name},请对照原文核对草稿。", "info")
    return redirect(url_for("notices.notice", notice_token=notice.token))


# -- the notice beside its draft ------------------------------------------------------------------


@bp.get("/<notice_token>")
@allow("admin")
def notice(notice_token: str):
    item = _notice(notice_token)
    check = notices.check_draft(item, _actor()) if request.args.get("check") else None
    return _page(item, DraftForm(formdata=None), check)


def _page(item: Notice, form: DraftForm, check: DraftCheck | None, status: int = 200):
    """The source on the left, the draft on the right, notes and check results above them."""
    stored = item.draft()
    if form.text.data is None:
        form.text.data = stored
    if not form.base.data:
        form.base.data = notices.digest(stored)
    blocks = notices.source_blocks(item)
    where = notices.anchors(blocks)
    noted: dict[str, list[tuple[str, notices.Note]]] = {}
    for severity, note in item.notes():
        if note.location in where:
            noted.setdefault(where[note.location], []).append((severity, note))
    load_form = None
    confirm = []
    if check is not None and check.ok and check.digest == notices.digest(stored):
        load_form = LoadForm(formdata=None, checked=check.digest)
        confirm = notices.confirmations(item)
    loaded = None
    if item.loaded:
        loaded = next((p for p in plan_summaries() if p.code == item.loaded.get("plan")), None)
    page = render_template(
        "notices/notice.html",
        notice=item,
        form=form,
        blocks=blocks,
        where=where,
        noted=noted,
        outline=notices.outline(item, form.text.data, check),
        review_form=ReviewForm(formdata=None, base=notices.digest(stored)),
        review_rows=notices.outline(item, stored, check).rows,
        choices=notices.unit_choices(stored),
        confirm=confirm,
        check=check,
        load_form=load_form,
        discard_form=DiscardForm(formdata=None),
        loaded=loaded,
        change_table=change_table,
    )
    return page, status


@bp.post("/<notice_token>")
@allow("admin")
def save(notice_token: str):
    item = _notice(notice_token)
    form = DraftForm()
    if not form.validate_on_submit():
        return _page(item, form, None, 400)
    try:
        notices.save_draft(item, form.text.data, form.base.data or None)
    except DraftConflict as exc:
        flash(exc.reasons[0] + "您刚才修改的内容仍在下方文本框中,未保存。", "error")
        return _page(item, form, None, 409)
    except NoticeError as exc:
        form.text.errors = list(exc.reasons)
        return _page(item, form, None, 400)
    if form.check.data:
        return redirect(url_for("notices.notice", notice_token=notice_token, check=1, _anchor="check"))
    flash("草稿已保存。", "info")
    return redirect(url_for("notices.notice", notice_token=notice_token))


@bp.post("/<notice_token>/review")
@allow("admin")
def review(notice_token: str):
    """The review table's edits, written into the draft (the plan file) on the server."""
    item = _notice(notice_token)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash("表单已过期,请刷新页面后重新修改。", "error")
        return redirect(url_for("notices.notice", notice_token=notice_token))
    rows: dict[str, dict[str, str]] = {}
    for i in range(len(request.form)):
        code = request.form.get(f"r{i}-code")
        if code is None:
            break
        rows[code] = {
            f: request.form.get(f"r{i}-{f}", "")
            for f in ("title", "lead", "responsible", "supporting", "deadline_text")
            if f"r{i}-{f}" in request.form
        }
    try:
        notices.apply_review(item, rows, form.base.data or None, _actor())
    except DraftConflict as exc:
        flash(exc.reasons[0], "error")
        return redirect(url_for("notices.notice", notice_token=notice_token))
    except NoticeError as exc:
        flash("未保存:" + ";".join(exc.reasons), "error")
        return redirect(url_for("notices.notice", notice_token=notice_token, _anchor="review"))
    return redirect(url_for("notices.notice", notice_token=notice_token, check=1, _anchor="check"))


@bp.post("/<notice_token>/load")
@allow("admin")
def load(notice_token: str):
    item = _notice(notice_token)
    form = LoadForm()
    form.validate_on_submit()  # only the CSRF token, which CSRFProtect has already checked
    try:
        summaries = notices.load_draft(item, _actor(), form.checked.data or None, bool(form.confirm.data))
    except NeedsConfirmation as exc:
        flash("尚未加载:" + " ".join(exc.reasons) + "请勾选确认后再加载。", "error")
        return redirect(url_for("notices.notice", notice_token=notice_token, check=1, _anchor="check"))
    except DraftConflict as exc:
        flash(exc.reasons[0], "error")
        return redirect(url_for("notices.notice", notice_token=notice_token, check=1, _anchor="check"))
    except LoadError as exc:
        flash("方案未能加载,数据库未作任何改动,草稿已保留。请改正下列问题后重新检查。", "error")
        failed = DraftCheck(notices.digest(item.draft()), problems=exc.problems)
        return _page(item, DraftForm(formdata=None), failed, 400)
    counts = {p.code: p for p in plan_summaries()}
    for s in summaries:
        p = counts.get(s.plan)
        line = ";".join(_cn_lines(s))
        if p:
            line += (
                f"。现有部分 {p.sections}(含子部分 {p.sections_total}),措施 {p.measures}"
                f"(已归档 {p.archived}),单位 {p.units},分工 {p.assignments}"
            )
        flash(f"已加载方案 {s.plan}:{line}。", "info")
    return redirect(url_for("notices.notice", notice_token=notice_token))


def _cn_lines(summary) -> list[str]:
    rows = change_table(summary)
    if not rows:
        return ["无变化"]
    out = []
    for label, created, updated, archived, restored in rows:
        parts = [
            f"{n} {v}"
            for n, v in (("新增", created), ("更新", updated), ("归档", archived), ("恢复", restored))
            if v
        ]
        out.append(f"{label}{'、'.join(parts)}")
    return out


@bp.get("/<notice_token>/draft.yaml")
@allow("admin")
def download(notice_token: str):
    item = _notice(notice_token)
    data = item.draft().encode("utf-8")
    return send_file(
        io.BytesIO(data),
        mimetype="text/yaml; charset=utf-8",
        as_attachment=True,
        download_name=f"{Path(item.original_name).stem or 'notice'}.yaml",
        max_age=0,
    )


@bp.post("/<notice_token>/discard")
@allow("admin")
def discard(notice_token: str):
    item = _notice(notice_token)
    DiscardForm().validate_on_submit()  # the CSRF token, already checked by CSRFProtect
    notices.discard_notice(item, _actor())
    flash(f"已删除上传的通知 {item.original_name} 及其草稿;已加载的方案不受影响。", "info")
    return redirect(url_for("notices.index"))
