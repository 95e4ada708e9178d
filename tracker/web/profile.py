"""个人设置: where a person's own reminders go besides the app and email (WeCom, DingTalk, mobile)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from tracker.services import admin
from tracker.web.access import SIGNED_IN, allow

bp = Blueprint("profile", __name__, url_prefix="/profile")


class ContactForm(FlaskForm):
    wecom_id = StringField("企业微信账号(userid)", validators=[Optional(), Length(max=64)])
    dingtalk_id = StringField("钉钉账号(userid)", validators=[Optional(), Length(max=64)])
    mobile = StringField("手机号(短信提醒)", validators=[Optional(), Length(max=20)])


@bp.route("/", methods=["GET", "POST"])
@allow(SIGNED_IN)
def index():
    user = current_user.user
    form = ContactForm(obj=user)  # a posted field wins over the stored value
    if form.is_submitted():
        if not form.validate():
            if "csrf_token" in form.errors:
                abort(400)
            return render_template("profile/index.html", form=form), 400
        try:
            admin.set_contacts(
                user.username,
                user.id,
                wecom=form.wecom_id.data or "",
                dingtalk=form.dingtalk_id.data or "",
                mobile=form.mobile.data or "",
            )
        except admin.AdminError as exc:
            form.mobile.errors = [*form.mobile.errors, str(exc)]
            return render_template("profile/index.html", form=form), 400
        flash("已保存。催办将同时通过已填写的方式发送给您。", "info")
        return redirect(url_for("profile.index"))
    return render_template("profile/index.html", form=form)
