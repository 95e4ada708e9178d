"""Sign-in, server-side sessions and password changes.

A session is a row: the browser holds a random token, the database its SHA-256. Logout, a password
change or a disabled account revokes the rows, so a cookie captured before is refused at once, in
every process. Failed sign-ins are stored too, so throttling holds across processes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2.exceptions import VerificationError
from zxcvbn import zxcvbn

from tracker.clock import now
from tracker.services import users
from tracker.services.users import check_password
from tracker.store import audit, hot
from tracker.store.db import write_transaction
from tracker.store.models import LoginAttempt, User, UserSession

FREE_TRIES = 3  # failures for one (name, address) before each further try must wait
MAX_DELAY = timedelta(minutes=15)  # the wait doubles with each failure, up to this
ADDRESS_FAILURES = 30  # failures from one address over all names, against guessing many names
ADDRESS_DELAY = timedelta(seconds=60)  # each further try from that address waits this long
FAILURE_WINDOW = timedelta(minutes=15)
ADMIN_CLEAR = "admin-clear"  # the remote_addr of the row an admin's clearing writes
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # last-seen is written at most this often, not on every request
MIN_PASSWORD = 10


class AuthError(ValueError):
    pass


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def wait_before_try(username: str, remote_addr: str | None) -> int:
    """Seconds this (name, address) must still wait before a password is checked; 0 when it may try.

    Progressive, never a lock: up to FREE_TRIES failures in 15 minutes cost nothing, then each try
    waits 2, 4, 8 … seconds (at most 15 minutes) after the last failure of the same name from the
    same address. The owner signing in from elsewhere is not held, a success or an admin's clearing
    starts the count again, and an address failing on many names waits a minute per try."""
    moment = now()
    since = moment - FAILURE_WINDOW
    reset = (
        LoginAttempt.select(LoginAttempt.at)
        .where(LoginAttempt.username == username, LoginAttempt.success == True, LoginAttempt.at > since)  # noqa: E712
        .order_by(LoginAttempt.at.desc())
        .first()
    )
    start = max(since, reset.at) if reset else since
    failures = list(
        LoginAttempt.select(LoginAttempt.at)
        .where(
            LoginAttempt.username == username,
            LoginAttempt.remote_addr == (remote_addr or ""),
            LoginAttempt.success == False,  # noqa: E712
            LoginAttempt.at > start,
        )
        .order_by(LoginAttempt.at.desc())
    )
    wait = timedelta(0)
    if len(failures) >= FREE_TRIES:
        delay = min(timedelta(seconds=2 ** (len(failures) - FREE_TRIES + 1)), MAX_DELAY)
        wait = failures[0].at + delay - moment
    if remote_addr:
        by_address = LoginAttempt.select().where(
            LoginAttempt.remote_addr == remote_addr,
            LoginAttempt.success == False,  # noqa: E712
            LoginAttempt.at > since,
        )
        if by_address.count() >= ADDRESS_FAILURES:
            last = by_address.order_by(LoginAttempt.at.desc()).first()
            wait = max(wait, last.at + ADDRESS_DELAY - moment)
    return max(0, int(wait.total_seconds() + 0.999))


def _claim_try(username: str, remote_addr: str | None) -> LoginAttempt:
    """Check the wait and record this try as a failure in one write transaction (the row becomes a
    success once the password checks out): parallel guesses cannot all pass one check."""
    with write_transaction():
        _lock_name(username)
        wait = wait_before_try(username, remote_addr)
        if wait:
            raise Throttled(wait)
        return LoginAttempt.create(username=username, remote_addr=remote_addr or "", at=now(), success=False)


def _lock_name(username: str) -> None:
    # SQLite's write transaction already excludes every other writer; PostgreSQL needs a lock per name.
    from tracker.store.db import db, is_postgres

    if is_postgres():
        db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", ("tracker-login:" + username,))


class Throttled(AuthError):
    def __init__(self, seconds: int):
        self.seconds = seconds
        shown = f"{seconds} 秒" if seconds < 120 else f"{(seconds + 59) // 60} 分钟"
        super().__init__(f"登录失败次数过多,请 {shown}后再试。")


def clear_throttle(username: str, actor: str) -> None:
    """An admin lifts the wait on a name (after checking with its owner), audited."""
    with write_transaction():
        LoginAttempt.create(username=username, remote_addr=ADMIN_CLEAR, at=now(), success=True)
        audit.record(actor, "login.throttle_clear", "user", username, None, None)


def sign_in(username: str, password: str, remote_addr: str | None = None) -> SignedIn:
    """Check a password and open a new session; the same message for every failure."""
    username = (username or "").strip()[:64]
    attempt = _claim_try(username, remote_addr)
    user = User.get_or_none(User.username == username)
    # Verify against a dummy hash for unknown names so timing does not reveal which names exist.
    ok = check_password(user, password) if user else _spend_time(password)
    success = bool(ok and user.active)
    if not success:
        raise AuthError("用户名或密码错误,或账号已停用。")
    with write_transaction():
        LoginAttempt.update(success=True).where(LoginAttempt.id == attempt.id).execute()
        token = secrets.token_urlsafe(32)
        moment = now()
        session = UserSession.create(
            token_hash=_hash(token),
            user=user,
            created_at=moment,
            last_seen_at=moment,
            remote_addr=remote_addr,
        )
        audit.record(
            user.username, "session.open", "user_session", session.id, None, {"remote_addr": remote_addr}
        )
        if users.hasher.check_needs_rehash(user.password_hash):
            user.password_hash = users.hasher.hash(password)
            user.save(only=["password_hash"])
    return SignedIn(user, token)


def _spend_time(password: str) -> bool:
    """As long as a real check takes, and always False."""
    with contextlib.suppress(VerificationError):
        users.hasher.verify(_dummy_hash(), password)
    return False


@functools.cache
def _dummy_hash() -> str:
    return users.hasher.hash("not a real password: only to spend the same time")


def session_user(token: str | None) -> tuple[User, UserSession] | None:
    """The user behind a session token, if the session is open, fresh and the account active."""
    if not token:
        return None
    session = hot.read_session(_hash(token))  # every signed-in request: plain SQL built once
    if session is None or session.revoked_at is not None or not session.user.active:
        return None
    moment = now()
    if moment - session.last_seen_at > IDLE_TIMEOUT or moment - session.created_at > ABSOLUTE_TIMEOUT:
        return None
    if moment - session.last_seen_at > TOUCH_EVERY:
        UserSession.update(last_seen_at=moment).where(UserSession.id == session.id).execute()
    return session.user, session


def sign_out(token: str | None, actor: str) -> None:
    if not token:
        return
    with write_transaction():
        session = UserSession.get_or_none(UserSession.token_hash == _hash(token))
        if session and session.revoked_at is None:
            _revoke([session], "logout", actor)


def _revoke(sessions, why: str, actor: str) -> int:
    moment = now()
    for s in sessions:
        UserSession.update(revoked_at=moment, revoked_why=why).where(UserSession.id == s.id).execute()
        audit.record(actor, "session.revoke", "user_session", s.id, None, {"why": why})
    return len(sessions)


def revoke_all(user: User, why: str, actor: str) -> int:
    """End every open session of `user`; call inside the change's transaction."""
    open_sessions = list(
        UserSession.select().where(UserSession.user == user, UserSession.revoked_at.is_null())
    )
    return _revoke(open_sessions, why, actor)


def check_new_password(user: User, new: str) -> None:
    if len(new) < MIN_PASSWORD:
        raise AuthError(f"新密码至少 {MIN_PASSWORD} 个字符。")
    if new.strip().lower() == user.username.lower() or new.isdigit():
        raise AuthError("新密码不能与用户名相同,也不能全是数字。")
    # zxcvbn knows common and breached passwords, keyboard runs, repeats and dates: "aaaaaaaaaa" and
    # "password12" score 0; 3 of 4 needs a guess count no online attacker reaches.
    strength = zxcvbn(new[:100], user_inputs=[user.username, user.display_name or ""])
    if strength["score"] < 3:
        raise AuthError("新密码太容易被猜中(常见密码、重复字符或键盘顺序),请换一个更长、更少见的密码。")


def change_password(user: User, old: str, new: str, remote_addr: str | None = None) -> SignedIn:
    """Change a password: every session of the user ends, and a new one is opened for this browser."""
    # A wrong current password is a failed sign-in: the page must not be a way around the waits.
    attempt = _claim_try(user.username, remote_addr)
    if not check_password(user, old):
        raise AuthError("原密码不正确。")
    with write_transaction():
        LoginAttempt.update(success=True).where(LoginAttempt.id == attempt.id).execute()
    check_new_password(user, new)
    if check_password(user, new):
        raise AuthError("新密码不能与原密码相同。")
    with write_transaction():
        user.password_hash = users.hasher.hash(new)
        user.must_change_password = False
        user.password_changed_at = now()
        user.save(only=["password_hash", "must_change_password", "password_changed_at"])
        audit.record(user.username, "user.password_change", "user", user.id, None, None)
        revoke_all(user, "password_change", user.username)
    return sign_in(user.username, new, remote_addr)
