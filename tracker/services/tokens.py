"""API tokens (令牌): made for a person, shown once, kept only as a SHA-256, revoked at will.

A token acts as its user: the role and unit scope come from `Scope.of(user)` at each use, so a token
never sees more than its owner would in the app. Disabling the user, or changing their role or unit,
revokes their tokens in the same transaction (tracker.services.admin calls `revoke_all`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.clock import now
from tracker.services.scoping import OutOfScope, Scope
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import ApiToken, User

PREFIX = "trk_"
DEFAULT_DAYS = 90
MAX_DAYS = 366
NAME_LIMIT = 100
TOUCH_EVERY = timedelta(minutes=1)  # last use to the minute, as it is shown: not a write per request


class TokenError(ValueError):
    """A token request that is refused for a reason the person can act on."""


class BadToken(LookupError):
    """No usable token: unknown, revoked, expired, or its user disabled. The API answers 401."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once; only its hash is stored


@dataclass(frozen=True)
class Caller:
    """The person behind an API request, with the token they used."""

    user: User
    token: ApiToken
    scope: Scope

    @property
    def role(self) -> str:
        return self.user.role


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def actor_name(user: User, token: ApiToken) -> str:
    """How the audit trail names a change made through a token: the person and the token's name."""
    return f"{user.username}(令牌:{token.name})"[:100]


def state(token: ApiToken, moment: datetime | None = None) -> str:
    """active | expired | revoked, as the token list shows it."""
    moment = moment or now()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= moment:
        return "expired"
    return "active"


STATE_LABELS = {"active": "有效", "expired": "已过期", "revoked": "已吊销"}


def add(
    actor: str, user: User, name: str | None = None, days: int | None = DEFAULT_DAYS, read_only: bool = False
) -> NewToken:
    """Make a token for `user`; the secret is in the result and nowhere else."""
    if not user.active:
        raise TokenError(f"用户 {user.username} 已停用,不能签发令牌")
    moment = now()
    name = (name or "").strip() or f"令牌 {moment:%Y-%m-%d %H:%M}"
    if len(name) > NAME_LIMIT:
        raise TokenError(f"令牌名称不能超过 {NAME_LIMIT} 个字符")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise TokenError(f"有效天数须在 1 到 {MAX_DAYS} 之间")
    secret = PREFIX + secrets.token_urlsafe(32)
    with write_transaction():
        token = ApiToken.create(
            user=user.id,
            name=name,
            token_hash=_hash(secret),
            prefix=secret[:10],
            read_only=read_only,
            created_by=actor,
            created_at=moment,
            expires_at=moment + timedelta(days=days) if days else None,
        )
        audit.record(
            actor,
            "token.create",
            "api_token",
            token.id,
            None,
            {"user": user.username, "name": name, "read_only": read_only, "expires_at": token.expires_at},
        )
    return NewToken(token, secret)


def of_user(user_id: int) -> list[ApiToken]:
    return list(ApiToken.select().where(ApiToken.user == user_id).order_by(ApiToken.id.desc()))


def every() -> list[ApiToken]:
    return list(ApiToken.select(ApiToken, User).join(User).order_by(ApiToken.id.desc()))


def revoke(actor: User, token_id: int, *, why: str = "revoked") -> ApiToken:
    """Revoke a token: its owner may, and so may an admin. Anyone else is told it does not exist."""
    with write_transaction():
        token = ApiToken.get_or_none(ApiToken.id == token_id)
        if token is None or (token.user_id != actor.id and actor.role != "admin"):
            raise OutOfScope(f"token {token_id}")
        if token.revoked_at is not None:
            raise TokenError(f"令牌 {token.name} 已于 {token.revoked_at:%Y-%m-%d %H:%M} 吊销")
        _revoke([token], why, actor.username)
    return ApiToken.get_by_id(token_id)


def revoke_by_id(actor: str, token_id: int) -> ApiToken:
    """The command line's revoke: whoever runs `tracker tokens revoke` is the server's admin."""
    with write_transaction():
        token = ApiToken.get_or_none(ApiToken.id == token_id)
        if token is None:
            raise TokenError(f"没有编号为 {token_id} 的令牌")
        if token.revoked_at is not None:
            raise TokenError(f"令牌 {token_id} 已经吊销")
        _revoke([token], "revoked", actor)
    return ApiToken.get_by_id(token_id)


def _revoke(tokens, why: str, actor: str) -> int:
    moment = now()
    for t in tokens:
        ApiToken.update(revoked_at=moment, revoked_why=why).where(ApiToken.id == t.id).execute()
        audit.record(actor, "token.revoke", "api_token", t.id, None, {"why": why, "name": t.name})
    return len(tokens)


def revoke_all(user: User, why: str, actor: str) -> int:
    """Revoke every open token of `user`; call inside the change's transaction."""
    open_tokens = list(ApiToken.select().where(ApiToken.user == user.id, ApiToken.revoked_at.is_null()))
    return _revoke(open_tokens, why, actor)


def authenticate(secret: str | None) -> Caller:
    """The caller behind a bearer token; records the use. Raises BadToken for any unusable token."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        raise BadToken("缺少有效的访问令牌")
    token = ApiToken.select(ApiToken, User).join(User).where(ApiToken.token_hash == _hash(secret)).first()
    moment = now()
    if token is None or token.revoked_at is not None or not token.user.active:
        raise BadToken("访问令牌无效或已吊销")
    if token.expires_at is not None and token.expires_at <= moment:
        raise BadToken("访问令牌已过期")
    if token.last_used_at is None or moment - token.last_used_at >= TOUCH_EVERY:
        ApiToken.update(last_used_at=moment).where(ApiToken.id == token.id).execute()
        token.last_used_at = moment
    user = token.user
    scope = dataclasses.replace(Scope.of(user), username=actor_name(user, token))
    return Caller(user, token, scope)
