"""Use cases for people: adding a user with a one-time password, checking a password."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tracker.clock import now
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import Unit, User

ROLES = ("reporter", "unit_leader", "inspector", "leader", "admin")
UNIT_ROLES = ("reporter", "unit_leader")
SCOPABLE_ROLES = ("inspector", "leader")  # a level's office: scoped to a unit and everything under it
ROLE_LABELS = {
    "reporter": "单位填报员",
    "unit_leader": "单位负责人",
    "inspector": "督查室",
    "leader": "领导",
    "admin": "管理员",
}

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class UserError(ValueError):
    pass


def one_time_password() -> str:
    """A password a clerk can type from a printout: 12 characters without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def find_unit(name: str) -> Unit:
    """A unit by full name, short name or alias; refuses an unknown or ambiguous name."""
    exact = Unit.get_or_none(Unit.name == name)
    if exact:
        return exact
    matches = [u for u in Unit.select() if name in u.names()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UserError(f"单位 {name!r} 有多个可能:{'、'.join(u.name for u in matches)},请写全称")
    raise UserError(f"没有名为 {name!r} 的单位")


def add_user(
    username: str,
    role: str,
    unit_name: str | None = None,
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    actor: str = "cli",
    must_change: bool | None = None,
) -> tuple[User, str]:
    """Create a user; returns it and its password (generated, one-time, unless one was given)."""
    if role not in ROLES:
        raise UserError(f"角色 {role!r} 无效,可选:{', '.join(ROLES)}")
    if role in UNIT_ROLES and not unit_name:
        raise UserError(f"角色 {role} 必须指定 --unit")
    if role not in UNIT_ROLES and role not in SCOPABLE_ROLES and unit_name:
        raise UserError(f"角色 {role} 不属于某个单位,不能指定 --unit")
    if not username or len(username) > 64:
        raise UserError("用户名不能为空,且不超过 64 个字符")
    if password is not None and len(password) < 10:
        raise UserError("密码至少 10 个字符")
    generated = password is None
    password = password or one_time_password()
    with write_transaction():
        if User.get_or_none(User.username == username):
            raise UserError(f"用户名 {username!r} 已存在")
        unit = find_unit(unit_name) if unit_name else None
        user = User.create(
            username=username,
            display_name=display_name or username,
            role=role,
            unit=unit,
            email=email,
            password_hash=hasher.hash(password),
            must_change_password=generated if must_change is None else must_change,
            created_at=now(),
        )
        audit.record(
            actor,
            "user.create",
            "user",
            user.id,
            None,
            {"username": username, "role": role, "unit": unit.name if unit else None},
        )
    return user, password


def check_password(user: User, password: str) -> bool:
    try:
        return hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
