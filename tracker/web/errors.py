"""Error pages in the app's layout, in Chinese, with a way back: 400 (and a missing or stale CSRF
token), 403, 404, 405, 413, 429 and 500. The JSON API keeps its own JSON errors."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

# status → (title, what happened, what to do)
MESSAGES = {
    400: ("请求有误", "提交的内容无法处理。", "请返回上一页，检查后重新提交。"),
    403: ("无权访问", "您的账号无权使用该页面。", "如确需使用，请联系系统管理员调整权限。"),
    404: ("未找到", "未找到该内容,或您无权查看。", "请检查网址，或从首页重新进入。"),
    405: ("操作方式不对", "该网址不接受这种操作。", "请从页面上的按钮或链接操作。"),
    413: ("内容过大", "上传的文件或提交的内容超过了上限（20 MB）。", "请压缩或拆分后重新上传。"),
    429: ("操作过于频繁", "短时间内的操作次数过多。", "请稍候一分钟再试。"),
    500: ("系统出错", "系统处理时出现错误，已记录在日志中。", "请稍后重试；如仍不行，请联系系统管理员。"),
}
CSRF_MESSAGE = (
    "页面已过期",
    "表单的安全令牌缺失或已失效（例如页面打开太久、已退出或在别处重新登录）。",
    "请返回上一页，刷新后重新提交；填写的内容请先复制保存。",
)


def _back() -> str | None:
    """The page the person came from, when it is on this site and not the page that failed."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") and path != request.full_path.rstrip("?") else None


def _home() -> str:
    if current_user.is_authenticated:
        from tracker.web.auth.session import home_for

        return home_for(current_user.user)
    return "/"


def error_page(status: int, message: tuple[str, str, str] | None = None):
    title, what, todo = message or MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    page = render_template(
        "error.html", status=status, title=title, what=what, todo=todo, back=_back(), home=_home()
    )
    return page, status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return error_page(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code is None or exc.code < 400 or request.blueprint == "api":
            return exc
        response = error_page(exc.code)
        if exc.code == 405 and exc.valid_methods:
            return (*response, {"Allow": ", ".join(exc.valid_methods)})
        return response

    # Handlers already registered for a status (the API's for unknown paths under /api/v1/) answer
    # first; what they hand back unanswered gets the page.
    for code in (404, 405):
        earlier = list(app.error_handler_spec[None].get(code, {}).values())

        def chained(exc, earlier=earlier):
            for handler in earlier:
                answer = handler(exc)
                if answer is not exc:
                    return answer
            return _http(exc)

        app.register_error_handler(code, chained)

    @app.errorhandler(InternalServerError)
    def _server_error(exc):
        if request.blueprint == "api":
            return exc
        return error_page(500)
