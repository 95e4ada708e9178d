"""Security at the app's edge: every text value received is cleaned of control characters; every
response carries a strict CSP with no inline script, no framing, no sniffing."""

from __future__ import annotations

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items

from tracker.services.text import clean_text


class CleanMultiDict(ImmutableMultiDict):
    """Form fields and query values with `clean_text` applied (passwords are taken as typed)."""

    def __init__(self, mapping=None):
        if mapping is not None:
            mapping = [
                (key, value if not isinstance(value, str) or "password" in key else clean_text(value))
                for key, value in iter_multi_items(mapping)
            ]
        super().__init__(mapping)


class CleanRequest(Request):
    parameter_storage_class = CleanMultiDict


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def init_app(app: Flask) -> None:
    app.request_class = CleanRequest

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
