"""Who may use each route, declared on the route itself and enforced in one place.

A view without a declaration is refused (fail closed); the access-matrix test walks every route.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, request

PUBLIC = "public"


def allow(*roles: str):
    """Declare who may call a view: `@allow(PUBLIC)`, or roles such as `@allow("inspector", "admin")`."""

    def mark(view):
        view.allowed_roles = frozenset(roles)
        return view

    return mark


def allowed_roles(endpoint: str | None) -> frozenset[str] | None:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "allowed_roles", None)


def init_app(app: Flask) -> None:
    @app.before_request
    def _enforce():
        if request.endpoint in (None, "static"):
            return None
        roles = allowed_roles(request.endpoint)
        if roles is None:
            current_app.logger.error("route %s declares no access rule; refused", request.endpoint)
            abort(404)
        if PUBLIC in roles:
            return None
        abort(404)  # signed-in roles arrive with the sign-in issue; until then nothing else is open
