"""What a person sees when the database fails: a Chinese page that says what happened and that nothing
was saved, with the text they typed in a form they can send again, answered 503 with Retry-After.

PostgreSQL down, SQLite locked beyond its busy timeout (a few seconds of retrying) or a full disk all
arrive here as peewee errors, from a view or from loading the session.
"""

from __future__ import annotations

import logging

import peewee
from flask import Flask, jsonify, render_template, request

from tracker.store.db import db

log = logging.getLogger(__name__)

RETRY_AFTER = 30  # seconds
# Fields never shown back: the form's token is reused as it is; passwords are never echoed.
HIDDEN = ("csrf_token",)
LABELS = {
    "percent": "完成进度(%)",
    "narrative": "工作进展",
    "problems": "存在问题",
    "next_steps": "下步打算",
    "public_summary": "公开摘要",
    "note": "说明",
    "reason": "理由",
    "message": "内容",
    "title": "标题",
    "detail": "详情",
    "commentary": "点评",
}
# A locked SQLite write is retried (by SQLite's busy handler) this long before the page says so,
# rather than the 10 s a batch job may wait.
WEB_BUSY_MS = 3000
MAX_POOLED = 32  # tracker.store.db's pools


def kind_of(exc: Exception) -> str:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "locked"
    if "full" in text or "no space" in text or "could not extend" in text or "disk" in text:
        return "full"
    return "down"


MESSAGES = {
    "locked": "数据库正忙(正被其他操作占用),系统已重试数秒仍未完成。",
    "full": "服务器磁盘空间已满,数据库无法写入。",
    "down": "暂时无法连接数据库。",
}


def init_app(app: Flask) -> None:
    tuned: dict[int, object] = {}  # connection id → the connection told the web's wait (bounded below)

    @app.before_request
    def _brief_busy_wait():
        # Once per pooled connection (they may predate the app), not once per request.
        if isinstance(db.obj, peewee.SqliteDatabase):
            conn = db.connection()
            if tuned.get(id(conn)) is not conn:
                if len(tuned) > 4 * MAX_POOLED:  # the pool has replaced its connections: start again
                    tuned.clear()
                db.execute_sql(f"PRAGMA busy_timeout = {WEB_BUSY_MS}")
                tuned[id(conn)] = conn

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    @app.errorhandler(peewee.DatabaseError)
    def database_failed(exc):
        kind = kind_of(exc)
        log.error("数据库故障(%s) %s %s: %s", kind, request.method, request.path, exc)
        if request.path == "/healthz" or request.path.startswith("/api/"):
            body = {"error": {"code": "database_unavailable", "message": MESSAGES[kind] + "请稍后再试。"}}
            if request.path == "/healthz":
                body = {"status": "unavailable", "database": f"error: {kind}"}
            response = jsonify(body)
        else:
            typed = []
            if request.method == "POST":
                typed = [
                    (name, LABELS.get(name, name), value)
                    for name, value in request.form.items(multi=True)
                    if name not in HIDDEN and "password" not in name
                ]
            response = app.make_response(
                render_template(
                    "errors/database.html",
                    message=MESSAGES[kind],
                    typed=typed,
                    token=request.form.get("csrf_token", "") if request.method == "POST" else "",
                    action=request.full_path.rstrip("?"),
                    lost_files=bool(request.method == "POST" and request.files),
                    retry=RETRY_AFTER,
                )
            )
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER)
        response.headers["Cache-Control"] = "no-store"
        return response
