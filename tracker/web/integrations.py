"""事件订阅 (admin): outside systems that are told of events, their secrets and the delivery log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.services import events as event_service
from tracker.store.models import User
from tracker.web.access import allow
from tracker.web.admin.forms import choices

bp = Blueprint("integrations", __name__, url_prefix="/integrations")


class SubscriptionForm(FlaskForm):
    name = StringField("名称", validators=[DataRequired("请填写名称"), Length(max=100)])
    url = StringField("接收地址", validators=[DataRequired("请填写接收地址"), Length(max=500)])
    kinds = SelectMultipleField(
        "事件(不选即全部)",
        choices=choices(list(event_service.KINDS.items())),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    owner = SelectField("范围", coerce=int)


class ToggleForm(FlaskForm):
    pass


def _owner_choices() -> list:
    people = User.select().where(User.active == True).order_by(User.username)  # noqa: E712
    return choices(
        [(0, "全部单位(督查室)")]
        + [(u.id, f"按 {u.username}({u.display_name})可见的范围") for u in people if u.role != "admin"]
    )


def _page(form, made=None, status=200):
    return (
        render_template(
            "integrations/events.html",
            form=form,
            toggle_form=ToggleForm(formdata=None),
            made=made,
            subscriptions=event_service.subscriptions(),
            log=event_service.delivery_log(),
            kinds=event_service.KINDS,
        ),
        status,
    )


@bp.get("/events")
@allow("admin")
def events():
    form = SubscriptionForm(formdata=None)
    form.owner.choices = _owner_choices()
    return _page(form)


@bp.post("/events")
@allow("admin")
def subscribe():
    form = SubscriptionForm()
    form.owner.choices = _owner_choices()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _page(form, status=400)
    owner = User.get_or_none(User.id == form.owner.data) if form.owner.data else None
    try:
        made = event_service.subscribe(
            current_user.user.username, form.name.data, form.url.data, form.kinds.data, owner
        )
    except event_service.SubscriptionError as exc:
        form.url.errors = [*form.url.errors, str(exc)]
        return _page(form, status=400)
    return _page(_fresh(), made=made)  # the secret is shown in this answer only


def _fresh():
    form = SubscriptionForm(formdata=None)
    form.owner.choices = _owner_choices()
    return form


@bp.post("/events/<int:subscription_id>/toggle")
@allow("admin")
def toggle(subscription_id: int):
    if not ToggleForm().validate_on_submit():
        abort(400)
    subs = {s.id: s for s in event_service.subscriptions()}
    if subscription_id not in subs:
        abort(404)
    sub = event_service.set_active(
        current_user.user.username, subscription_id, not subs[subscription_id].active
    )
    flash(f"订阅“{sub.name}”已{'启用' if sub.active else '停用'}。", "info")
    return redirect(url_for("integrations.events"))
