"""The Flask app: `create_app` loads defaults, then instance config, then each part's `init_app`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from tracker.store.db import db, init_database


def _secret_key(instance: Path) -> str:
    """TRACKER_SECRET_KEY, else a random key kept in instance/secret_key (made once, owner-only)."""
    key = os.environ.get("TRACKER_SECRET_KEY")
    if key:
        return key
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(test_config: dict | None = None) -> Flask:
    instance = Path(os.environ.get("TRACKER_INSTANCE", "instance")).resolve()
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        DATABASE_URL=None,
        SITES_DIR=os.environ.get("TRACKER_SITES_DIR", "sites"),
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="tracker_session",
        # Cookies only over HTTPS, and HSTS, when TRACKER_SECURE_COOKIES=1 (the site is served by HTTPS).
        SESSION_COOKIE_SECURE=os.environ.get("TRACKER_SECURE_COOKIES") == "1",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which has its own limits
        UPLOAD_DIR=str(instance / "uploads"),
    )
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(instance)

    if app.config["DATABASE_URL"]:
        init_database(app.config["DATABASE_URL"])
    elif db.obj is None:
        init_database()

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()

    from flask_wtf import CSRFProtect, FlaskForm

    # WTForms' own messages ("Not a valid integer value.") from its Chinese catalogue, without Babel.
    app.config["WTF_I18N_ENABLED"] = False
    FlaskForm.Meta.locales = ("zh",)

    from tracker.web import access, errors, failures, filters, security
    from tracker.web.auth import session as auth_session

    CSRFProtect(app)
    security.init_app(app)
    filters.init_app(app)
    failures.init_app(app)
    auth_session.init_app(app)

    from tracker.web import api
    from tracker.web.admin import bp as admin_bp
    from tracker.web.auth import bp as auth_bp
    from tracker.web.browse import bp as browse_bp
    from tracker.web.calendars import bp as calendars_bp
    from tracker.web.findings import bp as findings_bp
    from tracker.web.integrations import bp as integrations_bp
    from tracker.web.leader import bp as leader_bp
    from tracker.web.notices import bp as notices_bp
    from tracker.web.office import bp as office_bp
    from tracker.web.profile import bp as profile_bp
    from tracker.web.published import bp as published_bp
    from tracker.web.tokens import bp as tokens_bp
    from tracker.web.unit import bp as unit_bp

    app.register_blueprint(browse_bp)
    app.register_blueprint(published_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(unit_bp)
    app.register_blueprint(office_bp)
    app.register_blueprint(leader_bp)
    app.register_blueprint(findings_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(integrations_bp)
    app.register_blueprint(calendars_bp)
    app.register_blueprint(profile_bp)
    api.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    return app
