"""Security at the app's edge: every text value received is cleaned of control characters; every
response carries a strict CSP with no inline script, no framing, no sniffing."""

from __future__ import annotations

import contextlib
import ipaddress
import os

from flask import Flask, Request, abort, request
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items
from werkzeug.routing import IntegerConverter

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


class TrustedProxies:
    """WSGI middleware: the client's address from X-Forwarded-For, only when the request came from
    a proxy listed in TRACKER_TRUSTED_PROXIES (addresses or networks, comma-separated). Walking the
    header from the right, the first address that is not a trusted proxy is the client; a header
    from anyone else is ignored, so a client cannot pick the address its sign-in failures count on."""

    def __init__(self, wsgi_app, proxies: str):
        self.wsgi_app = wsgi_app
        self.networks = [
            ipaddress.ip_network(p.strip(), strict=False) for p in proxies.split(",") if p.strip()
        ]

    def trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and self.trusted(peer):
            hops = [h.strip() for h in forwarded.split(",") if h.strip()]
            client = next((h for h in reversed(hops) if not self.trusted(h)), hops[0] if hops else peer)
            with contextlib.suppress(ValueError):  # not an address: keep the proxy's
                environ["REMOTE_ADDR"] = str(ipaddress.ip_address(client))
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.wsgi_app(environ, start_response)


class BoundedInt(IntegerConverter):
    """`<int:…>` in every URL: an id beyond any real row (≥ 2³¹, what PostgreSQL's integer holds and
    far below SQLite's 2⁶³ overflow) is simply not found."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


MAX_ID = 2**31 - 1


def init_app(app: Flask) -> None:
    app.request_class = CleanRequest
    app.url_map.converters["int"] = BoundedInt  # before any blueprint adds its rules

    @app.after_request
    def _private_pages(response):
        # A signed-in page may hold another unit's or a person's data: never kept by a browser or proxy.
        if current_user and current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.before_request
    def _refuse_nul():
        # A NUL in the path reaches file names (/site/…) and the database: refused before any view.
        if "\x00" in request.path:
            abort(400)

    proxies = app.config.get("TRUSTED_PROXIES") or os.environ.get("TRACKER_TRUSTED_PROXIES", "")
    if proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, proxies)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
