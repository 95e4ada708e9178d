"""Who may use each route, declared on the route itself and enforced here, in one place.

`@allow(PUBLIC)` opens a page to everyone; `@allow(SIGNED_IN)` to anyone signed in; otherwise the
roles named. A view without a declaration is refused (fail closed); the access-matrix test walks
every route. A person whose password is a one-time password may only change it or sign out.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from tracker.services import limits
from tracker.services.scoping import OutOfScope
from tracker.store import audit
from tracker.store.db import write_transaction

PUBLIC = "public"
SIGNED_IN = "signed_in"
ROLES = ("reporter", "unit_leader", "inspector", "leader", "admin")
UNIT = ("reporter", "unit_leader")
OFFICE = ("inspector", "admin")
READERS = ("inspector", "leader", "admin")
PASSWORD_CHANGE_ENDPOINTS = {"auth.password", "auth.logout"}


def allow(*roles: str):
    """Declare who may call a view: `@allow(PUBLIC)`, `@allow(SIGNED_IN)`, or roles such as `@allow(*OFFICE)`."""
    unknown = set(roles) - {PUBLIC, SIGNED_IN, *ROLES}
    if unknown or not roles:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def mark(view):
        view.allowed_roles = frozenset(roles)
        return view

    return mark


def allowed_roles(endpoint: str | None) -> frozenset[str] | None:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "allowed_roles", None)


def record_refusal(what: str) -> None:
    """Log and audit a refused attempt to reach another unit's data or a forbidden page."""
    who = current_user.user.username if current_user.is_authenticated else "anonymous"
    # Rate-limited per person and address: a client probing URLs cannot flood the log or the chain.
    if limits.REFUSALS.take((who, request.remote_addr)):
        return
    current_app.logger.warning("refused %s %s for %s: %s", request.method, request.path, who, what)
    with write_transaction():
        audit.record(
            who,
            "access.refused",
            "route",
            request.endpoint,
            None,
            {"method": request.method, "path": request.path, "what": what},
        )


def init_app(app: Flask) -> None:
    @app.before_request
    def _enforce():
        if request.endpoint in (None, "static"):
            return None
        if request.blueprint == "api":
            return None  # bearer tokens only, checked against the same declarations (tracker.web.api.guard)
        roles = allowed_roles(request.endpoint)
        if roles is None:
            current_app.logger.error("route %s declares no access rule; refused", request.endpoint)
            abort(404)
        if PUBLIC in roles:
            return None
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if current_user.user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            return redirect(url_for("auth.password"))
        if SIGNED_IN in roles or current_user.role in roles:
            return None
        record_refusal(f"role {current_user.role} not in {sorted(roles)}")
        abort(403)

    @app.errorhandler(OutOfScope)
    def _out_of_scope(exc):
        record_refusal(str(exc))
        from tracker.web.errors import error_page

        return error_page(404)
