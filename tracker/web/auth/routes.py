"""Views: sign in, sign out, change password. Each reads validate → write → flash → redirect."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from tracker.services.auth import AuthError, change_password, sign_in, sign_out
from tracker.web.access import PUBLIC, SIGNED_IN, allow
from tracker.web.auth import bp
from tracker.web.auth.forms import LoginForm, PasswordForm
from tracker.web.auth.session import SessionUser, home_for


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an absolute URL an attacker could send people to."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user.user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            signed = sign_in(form.username.data, form.password.data, request.remote_addr)
        except AuthError as exc:
            flash(str(exc), "error")
            return render_template("auth/login.html", form=form), 401
        session.clear()  # a new session at login: nothing carried over from before
        login_user(SessionUser(signed.user, signed.token))
        if signed.user.must_change_password:
            flash("首次登录请先修改初始密码。", "warning")
            return redirect(url_for("auth.password"))
        return redirect(_safe_next(request.args.get("next")) or home_for(signed.user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@allow(SIGNED_IN)
def logout():
    sign_out(current_user.token, current_user.user.username)
    logout_user()
    session.clear()
    flash("已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@allow(SIGNED_IN)
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            signed = change_password(current_user.user, form.old.data, form.new.data, request.remote_addr)
        except AuthError as exc:
            flash(str(exc), "error")
            return render_template("auth/password.html", form=form), 400
        session.clear()
        login_user(SessionUser(signed.user, signed.token))
        flash("密码已修改,其他设备上的登录已全部退出。", "info")
        return redirect(home_for(signed.user))
    return render_template("auth/password.html", form=form)
