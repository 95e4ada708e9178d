"""Jinja filters for Chinese dates and labels."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, g

from tracker.clock import TZ
from tracker.services import labels

ROLE_NAMES = {"lead": "牵头", "responsible": "责任", "supporting": "配合"}
RECURRING_NAMES = {"monthly": "每月", "quarterly": "每季度", "half-yearly": "每半年", "yearly": "每年"}


def cn_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(TZ).strftime("%Y年%-m月%-d日 %H:%M")
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def plan_name(code: str | None) -> str:
    """A plan's short name for its code (looked up once per request): pages never show the code."""
    if not code:
        return ""
    names = g.get("_plan_names")
    if names is None:
        from tracker.store.models import Plan

        names = g._plan_names = {
            p.code: labels.plan_short(p.title) for p in Plan.select(Plan.code, Plan.title)
        }
    return names.get(code, code)


def actor_name(username: str | None) -> str:
    """Who did it, by name: cached per request, since a ledger names the same people many times."""
    if not username:
        return ""
    cache = g.setdefault("_actor_names", {})
    if username not in cache:
        cache[username] = labels.actor_name(username)
    return cache[username]


def init_app(app: Flask) -> None:
    app.add_template_filter(cn_date, "cn_date")
    app.add_template_filter(lambda s: labels.FINDING_STATES.get(s, s), "finding_state")
    app.add_template_filter(labels.audit_action, "audit_action")
    app.add_template_filter(labels.entity_name, "entity_name")
    app.add_template_filter(labels.beijing_time, "beijing_time")
    app.add_template_filter(labels.beijing_times_in, "beijing_times_in")
    app.add_template_filter(labels.plan_short, "plan_short")
    app.add_template_filter(plan_name, "plan_name")
    app.add_template_filter(actor_name, "actor_name")
    app.add_template_filter(lambda r: ROLE_NAMES.get(r, r), "role_name")
    app.add_template_filter(lambda r: RECURRING_NAMES.get(r, r or ""), "recurring_name")
