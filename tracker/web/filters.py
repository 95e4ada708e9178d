"""Jinja filters for Chinese dates and labels."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from tracker.clock import TZ

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


def init_app(app: Flask) -> None:
    app.add_template_filter(cn_date, "cn_date")
    app.add_template_filter(lambda r: ROLE_NAMES.get(r, r), "role_name")
    app.add_template_filter(lambda r: RECURRING_NAMES.get(r, r or ""), "recurring_name")
