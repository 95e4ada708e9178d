"""Admin views. Each reads: validate → call a service in tracker.services.admin → flash → redirect.

A one-time password is the exception: it is rendered in the answer to the POST that made it, never
stored in a cookie or a flash, and the page is marked not to be cached.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from tracker.plans.load import LoadError
from tracker.services import admin
from tracker.services.auth import clear_throttle
from tracker.services.plans import plan_summaries
from tracker.services.users import ROLE_LABELS
from tracker.store.models import AuditEvent, Unit, User
from tracker.web.access import allow
from tracker.web.admin import bp
from tracker.web.admin.forms import (
    KIND_LABELS,
    NO_UNIT,
    MemberForm,
    PlanUploadForm,
    RoleUnitForm,
    UnitForm,
    UserCreateForm,
    unit_choices,
)
from tracker.web.paging import paginate

RECENT_EVENTS = 100


def _actor() -> str:
    return current_user.user.username


def _uploads() -> str:
    return current_app.config["UPLOAD_DIR"]


def audit_text(value) -> str:
    """An event's before/after as readable JSON: Chinese as it is, keys sorted."""
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@bp.context_processor
def _labels():
    return {"role_labels": ROLE_LABELS, "kind_labels": KIND_LABELS, "audit_text": audit_text}


def _private(response_body, status: int = 200):
    """An answer that shows a password: never cached, never kept in history."""
    response = current_app.make_response((response_body, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.errorhandler(admin.AdminNotFound)
def _not_found(exc):
    return render_template("admin/not_found.html"), 404


# -- overview ---------------------------------------------------------------------------------------


@bp.get("/")
@allow("admin")
def index():
    return render_template(
        "admin/index.html",
        users=User.select().count(),
        disabled=User.select().where(User.active == False).count(),  # noqa: E712
        units=Unit.select().count(),
        plans=len(plan_summaries()),
        staged=len(admin.staged_plans(_uploads())),
    )


# -- people -----------------------------------------------------------------------------------------


@bp.get("/users")
@allow("admin")
def users():
    page = paginate(
        admin.list_users(),
        lambda u: (
            u.username,
            u.display_name,
            u.unit.name if u.unit_id else "",
            u.unit.short if u.unit_id else "",
        ),
    )
    return render_template("admin/users.html", users=page.rows, page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@allow("admin")
def user_new():
    form = UserCreateForm()
    form.unit.choices = unit_choices()
    if form.validate_on_submit():
        try:
            user, password = admin.create_user(
                _actor(),
                form.username.data,
                form.role.data,
                form.unit.data or None,
                form.display_name.data,
                form.email.data,
            )
        except admin.AdminError as exc:
            flash(str(exc), "error")
            return render_template("admin/user_new.html", form=form), 400
        page = render_template("admin/password_once.html", user=user, password=password, created=True)
        return _private(page)
    if request.method == "GET":
        form.unit.data = NO_UNIT
    return render_template("admin/user_new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow("admin")
def user(user_id: int):
    person = admin.get_user(user_id)
    form = RoleUnitForm()
    form.unit.choices = unit_choices()
    if form.validate_on_submit():
        try:
            admin.change_role(_actor(), person.id, form.role.data, form.unit.data or None)
        except admin.AdminError as exc:
            flash(str(exc), "error")
            return _user_page(person, form), 400
        flash(f"已修改 {person.username} 的角色和单位;其已登录的设备需重新登录。", "info")
        return redirect(url_for("admin.user", user_id=person.id))
    if request.method == "GET":
        form.role.data = person.role
        form.unit.data = person.unit_id or NO_UNIT
    return _user_page(person, form)


def _user_page(person: User, form: RoleUnitForm) -> str:
    history = (
        AuditEvent.select()
        .where(AuditEvent.entity == "user", AuditEvent.entity_id == str(person.id))
        .order_by(AuditEvent.seq.desc())
        .limit(20)
    )
    return render_template("admin/user.html", person=person, form=form, history=list(history))


@bp.post("/users/<int:user_id>/disable")
@allow("admin")
def user_disable(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/enable")
@allow("admin")
def user_enable(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    try:
        person = admin.set_active(_actor(), user_id, active)
    except admin.AdminError as exc:
        flash(str(exc), "error")
    else:
        if active:
            flash(f"已启用 {person.username}。", "info")
        else:
            flash(f"已停用 {person.username},其所有登录已立即失效。", "info")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/throttle/clear")
@allow("admin")
def user_clear_throttle(user_id: int):
    person = admin.get_user(user_id)  # AdminNotFound answers 404
    clear_throttle(person.username, _actor())
    flash(f"已解除 {person.username} 的登录等待,可立即重新登录。", "info")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@allow("admin")
def user_reset_password(user_id: int):
    try:
        person, password = admin.reset_password(_actor(), user_id)
    except admin.AdminError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.user", user_id=user_id))
    return _private(
        render_template("admin/password_once.html", user=person, password=password, created=False)
    )


# -- units ------------------------------------------------------------------------------------------


@bp.get("/units")
@allow("admin")
def units():
    q = (request.args.get("q") or "").strip()[:50]
    kind = request.args.get("kind") or ""
    rows = admin.list_units()
    if q:
        rows = [r for r in rows if any(q in n for n in r.unit.names())]
    if kind in KIND_LABELS:
        rows = [r for r in rows if r.unit.kind == kind]
    names = {r.unit.id: r.unit.label for r in admin.list_units()} if rows else {}
    return render_template("admin/units.html", tree=admin.unit_tree(rows), names=names, q=q, kind=kind)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@allow("admin")
def unit(unit_id: int):
    row = admin.unit_row(unit_id)
    form = UnitForm()
    if form.validate_on_submit():
        try:
            admin.update_unit(_actor(), row.unit.id, form.short.data, admin.split_names(form.aliases.data))
        except admin.AdminError as exc:
            flash(str(exc), "error")
            return _unit_page(row, form), 400
        flash(f"已保存 {row.unit.name} 的简称和别名。", "info")
        return redirect(url_for("admin.unit", unit_id=row.unit.id))
    if request.method == "GET":
        form.short.data = row.unit.short or ""
        form.aliases.data = "\n".join(row.unit.aliases or [])
    return _unit_page(row, form)


def _member_form(row: admin.UnitRow) -> MemberForm | None:
    if row.unit.kind != "group":
        return None
    form = MemberForm()
    taken = {m.id for m in row.members} | {row.unit.id}
    candidates = [u for u in Unit.select().order_by(Unit.name) if u.id not in taken and u.kind != "group"]
    form.member.choices = unit_choices(candidates, blank=None)
    return form


def _unit_page(row: admin.UnitRow, form: UnitForm) -> str:
    return render_template("admin/unit.html", row=row, form=form, member_form=_member_form(row))


@bp.post("/units/<int:group_id>/members")
@allow("admin")
def unit_member_add(group_id: int):
    row = admin.unit_row(group_id)
    form = _member_form(row)
    if form is None:
        flash(f"{row.unit.label} 不是单位组,不能添加成员。", "error")
    elif not form.validate_on_submit():
        flash("请选择要添加的成员单位。", "error")
    else:
        try:
            link = admin.add_member(_actor(), group_id, form.member.data)
        except admin.AdminError as exc:
            flash(str(exc), "error")
        else:
            flash(f"已将 {link.member.name} 加入 {row.unit.label}。下次加载方案时生效于分工。", "info")
    return redirect(url_for("admin.unit", unit_id=group_id))


@bp.post("/units/<int:group_id>/members/<int:member_id>/remove")
@allow("admin")
def unit_member_remove(group_id: int, member_id: int):
    member = admin.get_unit(member_id)
    admin.remove_member(_actor(), group_id, member_id)
    flash(f"已将 {member.name} 移出该单位组;其已有的分工和报送保留。", "info")
    return redirect(url_for("admin.unit", unit_id=group_id))


# -- plans ------------------------------------------------------------------------------------------


@bp.get("/plans")
@allow("admin")
def plans():
    return _plans_page(PlanUploadForm())


def _plans_page(form: PlanUploadForm, status: int = 200):
    page = render_template(
        "admin/plans.html",
        plans=plan_summaries(),
        staged=admin.staged_plans(_uploads()),
        form=form,
        max_mb=admin.MAX_PLAN_BYTES // 1024 // 1024,
    )
    return page, status


@bp.post("/plans/upload")
@allow("admin")
def plan_upload():
    form = PlanUploadForm()
    if not form.validate_on_submit():
        return _plans_page(form)
    upload = form.file.data
    data = upload.stream.read(admin.MAX_PLAN_BYTES + 1)
    try:
        staged = admin.stage_plan_file(_uploads(), data, upload.filename or "", _actor())
    except admin.AdminError as exc:
        form.file.errors = [str(exc)]
        return _plans_page(form, 400)
    return redirect(url_for("admin.plan_preview", token=staged.token))


@bp.get("/plans/staged/<token>")
@allow("admin")
def plan_preview(token: str):
    staged = admin.staged_plan(_uploads(), token)
    preview = admin.preview_plan(staged, _actor())
    return render_template("admin/plan_preview.html", preview=preview, change_table=admin.change_table)


@bp.post("/plans/staged/<token>/load")
@allow("admin")
def plan_load(token: str):
    # The adoption day of each plan whose start is past (field adopt-<plan code>), as on the preview.
    adopt = {k.removeprefix("adopt-"): v for k, v in request.form.items() if k.startswith("adopt-")}
    try:
        summaries = admin.load_staged(_uploads(), token, _actor(), adopt)
    except admin.AdminError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.plan_preview", token=token))
    except LoadError:
        flash("方案未能加载,数据库未作任何改动。请查看下列问题。", "error")
        return redirect(url_for("admin.plan_preview", token=token))
    for s in summaries:
        flash(f"已加载 {s.plan}({s.origin}):" + ";".join(_cn_lines(s)), "info")
    return redirect(url_for("admin.plans"))


def _cn_lines(summary) -> list[str]:
    rows = admin.change_table(summary)
    if not rows:
        return ["无变化"]
    out = []
    for label, created, updated, archived, restored in rows:
        parts = [
            f"{n} {v}"
            for n, v in (("新增", created), ("更新", updated), ("归档", archived), ("恢复", restored))
            if v
        ]
        out.append(f"{label} " + "、".join(parts))
    return out


@bp.post("/plans/staged/<token>/discard")
@allow("admin")
def plan_discard(token: str):
    staged = admin.discard_staged(_uploads(), token, _actor())
    flash(f"已放弃上传的文件 {staged.original_name}。", "info")
    return redirect(url_for("admin.plans"))


# -- the audit trail --------------------------------------------------------------------------------


@bp.get("/audit")
@allow("admin")
def audit():
    check = admin.check_audit_chain()
    events = list(AuditEvent.select().order_by(AuditEvent.seq.desc()).limit(RECENT_EVENTS))
    return render_template("admin/audit.html", check=check, events=events, limit=RECENT_EVENTS)


# -- backups ----------------------------------------------------------------------------------------


@bp.get("/backups")
@allow("admin")
def backups():
    return render_template("admin/backups.html", nightly=_nightly_backups(), folder=_backup_dir())


def _backup_dir() -> str:
    return os.environ.get("TRACKER_BACKUP_DIR", "").strip()


def _nightly_backups() -> list[dict]:
    folder = _backup_dir()
    if not folder or not Path(folder).is_dir():
        return []
    rows = []
    for path in sorted(Path(folder).glob("tracker-*.zip"), reverse=True):
        stat = path.stat()
        rows.append({"name": path.name, "size": stat.st_size})
    return rows


@bp.post("/backups")
@allow("admin")
def backup_now():
    """A backup made now, streamed as a download and not kept on the server."""
    from tracker.clock import TZ, now
    from tracker.services.backup import BackupError, backup, upload_dir
    from tracker.store import audit as audit_store
    from tracker.store.db import write_transaction

    uploads = current_app.config.get("UPLOAD_DIR") or upload_dir()
    handle, name = tempfile.mkstemp(prefix="tracker-backup-", suffix=".zip")
    os.close(handle)
    try:
        result = backup(name, uploads)
    except (BackupError, OSError) as exc:
        Path(name).unlink(missing_ok=True)
        flash(f"备份失败:{exc}", "error")
        return redirect(url_for("admin.backups"))
    with write_transaction():
        audit_store.record(_actor(), "backup.download", "backup", None, after=result.manifest["audit_head"])
    stamp = now().astimezone(TZ).strftime("%Y%m%d-%H%M%S")
    fh = open(name, "rb")  # noqa: SIM115 - closed with the response
    os.unlink(name)  # the open handle keeps the data until the download ends
    response = send_file(
        fh, mimetype="application/zip", as_attachment=True, download_name=f"tracker-{stamp}.zip"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
