"""Who may call an API operation, how often, and what a refusal looks like (always JSON)."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque

from flask import current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from tracker.services import tokens
from tracker.services.scoping import OutOfScope
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.web.access import PUBLIC, SIGNED_IN
from tracker.web.api import bp

MAX_ID = 2**31 - 1
HTTP_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}
HTTP_MESSAGES = {
    404: "未找到该内容,或您无权查看。",
    405: "该地址不支持这种请求方法。",
    413: "请求体过大。",
}


def error(status: int, message: str, code: str | None = None, fields=None, headers=None):
    body = {"code": code or HTTP_CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


class RateLimiter:
    """At most `limit` requests per token in any `window` seconds, counted in this process."""

    def __init__(self):
        self._hits: dict[int, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: int, limit: int, window: float) -> int:
        """0 when the request may go ahead (and is counted), else the seconds to wait."""
        moment = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= moment - window:
                hits.popleft()
            if len(hits) >= limit:
                return max(1, math.ceil(hits[0] + window - moment))
            hits.append(moment)
            return 0


def _refuse(caller, what: str) -> None:
    current_app.logger.warning("API refused %s %s: %s", request.method, request.path, what)
    with write_transaction():
        audit.record(
            caller.scope.username if caller else "anonymous",
            "access.refused",
            "api",
            request.endpoint,
            None,
            {"method": request.method, "path": request.path, "what": what},
        )


def _clean(text: str) -> bool:
    """No NUL and no lone surrogate: neither database would store it."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@bp.before_request
def _authenticate():
    view = current_app.view_functions.get(request.endpoint)
    roles = getattr(view, "allowed_roles", None)
    if roles is None:
        return error(404, HTTP_MESSAGES[404])
    for key, value in (request.view_args or {}).items():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            return error(404, HTTP_MESSAGES[404])
        if isinstance(value, str) and not _clean(value):
            return error(400, f"{key} 含有不能处理的字符")
    for key, value in request.args.items(multi=True):
        if not _clean(key) or not _clean(value):
            return error(400, f"查询参数 {key!r} 含有不能处理的字符")
    if PUBLIC in roles:
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return error(
            401, "请在 Authorization 头中提供令牌: Bearer <令牌>", headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        caller = tokens.authenticate(secret.strip())
    except tokens.BadToken as exc:
        return error(401, str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    g.caller = caller
    config = current_app.config
    wait = current_app.extensions["api_rate"].retry_after(
        caller.token.id, config["API_RATE_LIMIT"], config["API_RATE_WINDOW"]
    )
    if wait:
        return error(429, f"请求过于频繁,请 {wait} 秒后再试", headers={"Retry-After": str(wait)})
    if SIGNED_IN not in roles and caller.role not in roles:
        _refuse(caller, f"role {caller.role} not in {sorted(roles)}")
        return error(403, "您的角色不能使用这项接口。")
    if request.method not in ("GET", "HEAD") and caller.token.read_only:
        _refuse(caller, "read-only token")
        return error(403, "这是只读令牌,不能提交或修改。", code="read_only")
    return None


@bp.after_request
def _etag(response):
    """Reads carry an ETag of their body; a matching If-None-Match gets 304 and no body."""
    if request.method == "GET" and response.status_code == 200 and response.is_json:
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
        response.headers["Cache-Control"] = "private, no-cache"
        response = response.make_conditional(request)
    response.headers.pop("Set-Cookie", None)  # the API never starts or refreshes a session
    return response


@bp.errorhandler(OutOfScope)
def _out_of_scope(exc):
    _refuse(g.get("caller"), str(exc))
    return error(404, HTTP_MESSAGES[404])


@bp.errorhandler(HTTPException)
def _http(exc):
    return error(exc.code or 400, HTTP_MESSAGES.get(exc.code, exc.description or "请求有误。"))


def init_app(app) -> None:
    app.config.setdefault("API_RATE_LIMIT", 600)
    app.config.setdefault("API_RATE_WINDOW", 60)
    app.extensions["api_rate"] = RateLimiter()
    prefix = bp.url_prefix + "/"

    def _routing(exc):
        # Unknown paths and methods under /api/v1/ fail before any blueprint is chosen.
        if request.path.startswith(prefix) or request.path == bp.url_prefix:
            return error(exc.code, HTTP_MESSAGES[exc.code])
        return exc

    app.register_error_handler(404, _routing)
    app.register_error_handler(405, _routing)
