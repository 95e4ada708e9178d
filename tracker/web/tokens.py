"""我的令牌: each person makes and revokes their own API tokens; an admin sees and revokes everyone's."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from tracker.services import tokens as token_service
from tracker.web.access import SIGNED_IN, allow

bp = Blueprint("tokens", __name__, url_prefix="/tokens")


class TokenForm(FlaskForm):
    name = StringField(
        "用途", validators=[Optional(), Length(max=token_service.NAME_LIMIT)], description="如:政务平台对接"
    )
    days = IntegerField(
        "有效天数",
        default=token_service.DEFAULT_DAYS,
        validators=[
            InputRequired("请填写有效天数"),
            NumberRange(1, token_service.MAX_DAYS, f"有效天数须在 1 到 {token_service.MAX_DAYS} 之间"),
        ],
    )
    read_only = BooleanField("只读(只能查询,不能报送)")


class RevokeForm(FlaskForm):
    pass


def _page(form, made=None, status=200):
    user = current_user.user
    return (
        render_template(
            "tokens/index.html",
            form=form,
            revoke_form=RevokeForm(formdata=None),
            made=made,
            mine=token_service.of_user(user.id),
            everyone=token_service.every() if user.role == "admin" else None,
            state=token_service.state,
            labels=token_service.STATE_LABELS,
        ),
        status,
    )


@bp.get("/")
@allow(SIGNED_IN)
def index():
    return _page(TokenForm(formdata=None))


@bp.post("/")
@allow(SIGNED_IN)
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _page(form, status=400)
    user = current_user.user
    try:
        made = token_service.add(user.username, user, form.name.data, form.days.data, form.read_only.data)
    except token_service.TokenError as exc:
        form.name.errors = [*form.name.errors, str(exc)]
        return _page(form, status=400)
    # The secret is shown in this answer only: never flashed, never kept in the session.
    return _page(TokenForm(formdata=None), made=made)


@bp.post("/<int:token_id>/revoke")
@allow(SIGNED_IN)
def revoke(token_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        token = token_service.revoke(current_user.user, token_id)  # OutOfScope → 404, recorded
    except token_service.TokenError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已吊销令牌“{token.name}”,使用它的请求将立即被拒绝。", "info")
    return redirect(url_for("tokens.index"))
