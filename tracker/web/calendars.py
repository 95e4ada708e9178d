"""日历订阅: each unit's secret iCalendar URL, the office's one per plan, and resetting them."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from tracker.services import calendars
from tracker.store.models import CalendarFeed, Plan
from tracker.web.access import OFFICE, PUBLIC, UNIT, allow

bp = Blueprint("calendars", __name__, url_prefix="/calendar")


class ResetForm(FlaskForm):
    pass


def _feeds() -> list[tuple[str, CalendarFeed]]:
    """The feeds this person may see and reset: their unit's, or each plan's for the city office."""
    scope = current_user.scope
    if scope.is_unit or (scope.unit_id is not None and not scope.sees_all):
        unit = current_user.user.unit
        return [(f"{unit.label}的任务日历", calendars.unit_feed(unit.id))] if unit else []
    return [(f"{p.title}(全部单位)", calendars.plan_feed(p.id)) for p in Plan.select().order_by(Plan.code)]


@bp.get("/")
@allow(*UNIT, *OFFICE)
def index():
    return render_template("calendars/index.html", feeds=_feeds(), form=ResetForm(formdata=None))


@bp.post("/<int:feed_id>/reset")
@allow(*UNIT, *OFFICE)
def reset(feed_id: int):
    if not ResetForm().validate_on_submit():
        abort(400)
    feed = next((f for _, f in _feeds() if f.id == feed_id), None)
    if feed is None:
        abort(404)
    calendars.reset(current_user.user.username, feed)
    flash("已重置订阅地址:原地址立即失效,请在日历软件中改用新地址。", "info")
    return redirect(url_for("calendars.index"))


@bp.get("/<key>.ics")
@allow(PUBLIC)
def feed(key: str):
    """The feed itself: the secret in the URL is the only key (calendar apps send no login)."""
    body = calendars.calendar_by_key(key)
    if body is None:
        abort(404)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="tracker.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
