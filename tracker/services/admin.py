"""Administration, for the admin pages and the CLI alike: people, units, plan files, the audit chain.

Every change runs in one write transaction with its audit event, so both commit or neither does.
Nothing here imports Flask; the app and the `tracker` command are shells over these functions.

Group members: removing a member deletes only the link row (`UnitMember`), which no other table
refers to; the member's assignments made through the group, and every report on them, stay as they
are. The next load of a plan naming the group archives (never deletes) assignments the member no
longer has, and a plan file that lists the group's members itself puts its list back on that load.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import peewee as pw

from tracker.clock import now
from tracker.plans.load import LoadError, LoadSummary, load_plans, read_files, wants_adoption
from tracker.plans.schema import PlanFileError, Problem, check_yaml_text
from tracker.rules.periods import local_date
from tracker.services import auth, tokens, users
from tracker.services.users import ROLES, UNIT_ROLES, UserError
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import Assignment, AuditEvent, Unit, UnitMember, User


class AdminError(ValueError):
    """A request the service refuses; the message is for the person who made it."""


class AdminNotFound(LookupError):
    """No such user, unit, member link or staged plan file."""


# -- people -----------------------------------------------------------------------------------------


def list_users() -> list[User]:
    """Every user with their unit, office roles first, then by unit and name."""
    order = {role: i for i, role in enumerate(("admin", "inspector", "leader", "unit_leader", "reporter"))}
    rows = list(User.select(User, Unit).join(Unit, pw.JOIN.LEFT_OUTER).order_by(User.username))
    return sorted(rows, key=lambda u: (order.get(u.role, 9), u.unit.name if u.unit_id else "", u.username))


def get_user(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise AdminNotFound(f"user {user_id}")
    return user


def user_by_name(username: str) -> User:
    user = User.get_or_none(User.username == username)
    if user is None:
        raise AdminNotFound(f"没有用户名为 {username!r} 的账号")
    return user


def _unit_by_id(unit_id: int | None) -> Unit | None:
    if not unit_id:
        return None
    unit = Unit.get_or_none(Unit.id == unit_id)
    if unit is None:
        raise AdminError("所选单位不存在。")
    return unit


def _check_role_unit(role: str, unit: Unit | None) -> None:
    if role not in ROLES:
        raise AdminError(f"角色 {role!r} 无效。")
    if role in UNIT_ROLES and unit is None:
        raise AdminError(f"{users.ROLE_LABELS[role]}必须属于一个单位,请选择单位。")
    if role not in UNIT_ROLES and role not in users.SCOPABLE_ROLES and unit is not None:
        raise AdminError(f"{users.ROLE_LABELS[role]}不属于某个单位,单位请留空。")


def _is_last_admin(user: User) -> bool:
    others = User.select().where(User.role == "admin", User.active == True, User.id != user.id)  # noqa: E712
    return user.role == "admin" and user.active and not others.exists()


def create_user(
    actor: str,
    username: str,
    role: str,
    unit_id: int | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> tuple[User, str]:
    """Add a person with a one-time password that must be changed at first sign-in; returns both."""
    username = (username or "").strip()
    unit = _unit_by_id(unit_id)
    _check_role_unit(role, unit)
    try:
        return users.add_user(
            username,
            role,
            unit.name if unit else None,
            display_name=(display_name or "").strip() or None,
            email=(email or "").strip() or None,
            actor=actor,
        )
    except UserError as exc:
        raise AdminError(str(exc)) from None


def set_active(actor: str, user_id: int, active: bool) -> User:
    """Disable (every open session ends at once) or enable an account."""
    with write_transaction():
        user = get_user(user_id)
        if user.active == active:
            return user
        if not active and user.username == actor:
            raise AdminError("不能停用自己的账号。")
        if not active and _is_last_admin(user):
            raise AdminError("这是最后一个启用的管理员账号,不能停用。")
        user.active = active
        user.save(only=["active"])
        audit.record(
            actor,
            "user.enable" if active else "user.disable",
            "user",
            user.id,
            {"active": not active},
            {"active": active},
        )
        if not active:
            auth.revoke_all(user, "disabled", actor)
            tokens.revoke_all(user, "disabled", actor)
    return user


_MOBILE = re.compile(r"\+?\d{6,15}")
_USERID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


def set_contacts(
    actor: str,
    user_id: int,
    *,
    wecom: str | None = None,
    dingtalk: str | None = None,
    mobile: str | None = None,
) -> User:
    """A person's WeCom / DingTalk userid and mobile number (None leaves one as it is, "" clears it)."""
    wanted = {"wecom_id": wecom, "dingtalk_id": dingtalk, "mobile": mobile}
    for field, value in wanted.items():
        if value is None or value.strip() == "":
            continue
        pattern, label = (_MOBILE, "手机号") if field == "mobile" else (_USERID, "账号")
        if not pattern.fullmatch(value.strip()):
            raise AdminError(f"{label} {value!r} 格式不正确")
    with write_transaction():
        user = get_user(user_id)
        before = {f: getattr(user, f) for f in wanted}
        for field, value in wanted.items():
            if value is not None:
                setattr(user, field, value.strip() or None)
        after = {f: getattr(user, f) for f in wanted}
        if after != before:
            user.save(only=list(wanted))
            audit.record(actor, "user.contacts", "user", user.id, before, after)
    return user


def reset_password(actor: str, user_id: int) -> tuple[User, str]:
    """A new one-time password; the old one stops working and every session of the user ends."""
    password = users.one_time_password()
    with write_transaction():
        user = get_user(user_id)
        if user.username == actor:
            raise AdminError("不能在这里重置自己的密码,请用“修改密码”。")
        user.password_hash = users.hasher.hash(password)
        user.must_change_password = True
        user.password_changed_at = now()
        user.save(only=["password_hash", "must_change_password", "password_changed_at"])
        audit.record(actor, "user.password_reset", "user", user.id, None, {"must_change_password": True})
        auth.revoke_all(user, "password_reset", actor)
    return user, password


def change_role(actor: str, user_id: int, role: str, unit_id: int | None) -> User:
    """Change a person's role and unit; their sessions end, so the next page is under the new rights."""
    with write_transaction():
        user = get_user(user_id)
        unit = _unit_by_id(unit_id)
        _check_role_unit(role, unit)
        if user.role == role and user.unit_id == (unit.id if unit else None):
            return user
        if role != "admin" and _is_last_admin(user):
            raise AdminError("这是最后一个启用的管理员账号,不能改为其他角色。")
        before = {"role": user.role, "unit": user.unit.name if user.unit_id else None}
        user.role, user.unit = role, unit
        user.save(only=["role", "unit"])
        audit.record(
            actor,
            "user.role_change",
            "user",
            user.id,
            before,
            {"role": role, "unit": unit.name if unit else None},
        )
        auth.revoke_all(user, "role_change", actor)
        tokens.revoke_all(user, "role_change", actor)  # a token never acts under rights it was not made with
    return user


# -- units ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    members: list[Unit]
    groups: list[Unit]
    users: int
    assignments: int


def unit_tree(rows: list[UnitRow]) -> list[tuple[UnitRow, int]]:
    """The rows in the levels' order, each with its depth: a unit, then the units under it (市 → 县 →
    镇 → 村). A unit whose parent is not among `rows` (say, filtered out) starts a tree of its own."""
    present = {r.unit.id for r in rows}
    below: dict[int | None, list[UnitRow]] = {}
    for r in rows:
        parent = r.unit.parent_id if r.unit.parent_id in present else None
        below.setdefault(parent, []).append(r)
    out: list[tuple[UnitRow, int]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for r in below.get(parent, []):
            if r.unit.id not in seen:  # loading refuses cycles; this only guards the page
                seen.add(r.unit.id)
                out.append((r, depth))
                walk(r.unit.id, depth + 1)

    walk(None, 0)
    out.extend((r, 0) for r in rows if r.unit.id not in seen)
    return out


def list_units() -> list[UnitRow]:
    """Every unit with its group members (in order), the groups it belongs to and a few counts."""
    units = {u.id: u for u in Unit.select().order_by(Unit.kind, Unit.name)}
    members: dict[int, list[Unit]] = {}
    groups: dict[int, list[Unit]] = {}
    for link in UnitMember.select().order_by(UnitMember.group, UnitMember.position, UnitMember.id):
        members.setdefault(link.group_id, []).append(units[link.member_id])
        groups.setdefault(link.member_id, []).append(units[link.group_id])
    user_counts = dict(User.select(User.unit, pw.fn.COUNT(User.id)).group_by(User.unit).tuples())
    assignment_counts = dict(
        Assignment.active()
        .select(Assignment.unit, pw.fn.COUNT(Assignment.id))
        .group_by(Assignment.unit)
        .tuples()
    )
    return [
        UnitRow(
            u,
            members.get(u.id, []),
            groups.get(u.id, []),
            user_counts.get(u.id, 0),
            assignment_counts.get(u.id, 0),
        )
        for u in units.values()
    ]


def get_unit(unit_id: int) -> Unit:
    unit = Unit.get_or_none(Unit.id == unit_id)
    if unit is None:
        raise AdminNotFound(f"unit {unit_id}")
    return unit


def unit_row(unit_id: int) -> UnitRow:
    unit = get_unit(unit_id)
    return next(r for r in list_units() if r.unit.id == unit.id)


_NAME_SPLIT = re.compile(r"[\n\r,,、;;]+")


def split_names(text: str | None) -> list[str]:
    """Names typed one per line (or separated by 、,;), trimmed, empty ones and repeats dropped."""
    seen: list[str] = []
    for part in _NAME_SPLIT.split(text or ""):
        name = part.strip()
        if name and name not in seen:
            seen.append(name)
    return seen


def update_unit(actor: str, unit_id: int, short: str | None, aliases: list[str]) -> Unit:
    """Change a unit's short name and aliases. A name that is another unit's full name is refused."""
    short = (short or "").strip() or None
    with write_transaction():
        unit = get_unit(unit_id)
        aliases = [a for a in dict.fromkeys(a.strip() for a in aliases) if a and a not in (unit.name, short)]
        for name in [n for n in (short, *aliases) if n]:
            if len(name) > 100:
                raise AdminError(f"名称 {name!r} 过长(不超过 100 个字符)。")
            if Unit.select().where(Unit.name == name, Unit.id != unit.id).exists():
                raise AdminError(f"{name!r} 是另一个单位的全称,不能用作本单位的简称或别名。")
        before = {"short": unit.short, "aliases": list(unit.aliases or [])}
        after = {"short": short, "aliases": aliases}
        if before == after:
            return unit
        unit.short, unit.aliases = short, aliases
        unit.save(only=["short", "aliases"])
        audit.record(actor, "unit.update", "unit", unit.id, before, after)
    return unit


def add_member(actor: str, group_id: int, member_id: int) -> UnitMember:
    """Add a unit to a group (kind `group`), at the end of its list."""
    with write_transaction():
        group, member = get_unit(group_id), get_unit(member_id)
        if group.kind != "group":
            raise AdminError(f"{group.label} 不是单位组,不能添加成员。")
        if member.id == group.id or member.kind == "group":
            raise AdminError("单位组的成员必须是具体单位,不能是单位组。")
        if UnitMember.select().where(UnitMember.group == group, UnitMember.member == member).exists():
            raise AdminError(f"{member.label} 已是 {group.label} 的成员。")
        last = UnitMember.select(pw.fn.MAX(UnitMember.position)).where(UnitMember.group == group).scalar()
        link = UnitMember.create(group=group, member=member, position=(last if last is not None else -1) + 1)
        audit.record(
            actor,
            "unit_member.create",
            "unit_member",
            f"{group.id}:{member.id}",
            None,
            {"group": group.name, "member": member.name, "position": link.position},
        )
    return link


def remove_member(actor: str, group_id: int, member_id: int) -> None:
    """Take a unit out of a group: the link goes, the member's assignments and reports stay."""
    with write_transaction():
        link = UnitMember.get_or_none(UnitMember.group == group_id, UnitMember.member == member_id)
        if link is None:
            raise AdminNotFound(f"unit_member {group_id}:{member_id}")
        before = {"group": link.group.name, "member": link.member.name, "position": link.position}
        link.delete_instance()
        audit.record(actor, "unit_member.delete", "unit_member", f"{group_id}:{member_id}", before, None)


# -- plan files -------------------------------------------------------------------------------------

MAX_PLAN_BYTES = 2 * 1024 * 1024  # the shipped plans are under 100 KB
PLAN_SUFFIXES = (".yaml", ".yml", ".json")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")

KIND_LABELS = {
    "plan": "方案",
    "section": "部分",
    "measure": "措施",
    "assignment": "分工",
    "indicator": "指标",
    "milestone": "阶段目标",
    "unit": "单位",
    "unit_member": "单位组成员",
}


@dataclass(frozen=True)
class StagedPlan:
    """An uploaded plan file waiting to be loaded, kept under a name the server made."""

    token: str
    original_name: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    path: Path


@dataclass(frozen=True)
class AdoptionQuestion:
    """A plan loaded in the middle of its span: from which day is it chased, scored and published?"""

    code: str
    title: str
    start: date
    end: date
    default: date  # today in Beijing, within the plan's span


@dataclass(frozen=True)
class PlanPreview:
    """What loading a staged file would change, or every reason it cannot be loaded."""

    staged: StagedPlan
    summaries: list[LoadSummary]
    problems: list[Problem]
    # Plans whose start is past and that have no adoption day yet: the load asks for one.
    adoption: list[AdoptionQuestion] = dataclasses.field(default_factory=list)

    @property
    def loadable(self) -> bool:
        return not self.problems

    @property
    def unresolved(self) -> list[Problem]:
        return [p for p in self.problems if "单位名称" in p.reason]


def _plan_dir(directory: str | Path) -> Path:
    path = Path(directory) / "plans"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def check_plan_bytes(data: bytes, original_name: str) -> None:
    """Refuse what is not a small, plain YAML text before anything is stored or parsed further.

    Anchors and aliases are refused: plan files do not need them, and they are how a small file
    expands into a huge document ("billion laughs"). Nesting depth and size are bounded too.
    """
    if not original_name.lower().endswith(PLAN_SUFFIXES):
        raise AdminError("只接受 .yaml、.yml 或 .json 格式的方案文件。")
    if not data:
        raise AdminError("文件是空的。")
    if len(data) > MAX_PLAN_BYTES:
        raise AdminError(f"文件过大(上限 {MAX_PLAN_BYTES // 1024 // 1024} MB)。")
    if b"\x00" in data:
        raise AdminError("文件含有二进制内容,不是方案文件。")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AdminError("文件不是 UTF-8 编码的文本,请另存为 UTF-8 后再上传。") from None
    try:
        check_yaml_text(text, original_name)  # the same guards as `tracker load`
    except PlanFileError as exc:
        problem = exc.problems[0]
        where = f"第 {problem.line} 行:" if problem.line else ""
        raise AdminError(f"{where}{problem.reason}。") from None


def stage_plan_file(directory: str | Path, data: bytes, original_name: str, actor: str) -> StagedPlan:
    """Keep an uploaded plan file, after the checks above, under a random name outside the web root."""
    original_name = Path((original_name or "").replace("\\", "/")).name[:200] or "plan.yaml"
    check_plan_bytes(data, original_name)
    token = secrets.token_hex(16)
    folder = _plan_dir(directory)
    staged = StagedPlan(
        token=token,
        original_name=original_name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
        uploaded_at=now(),
        path=folder / f"{token}.yaml",
    )
    _write_private(staged.path, data)
    meta = {
        "original_name": staged.original_name,
        "size": staged.size,
        "sha256": staged.sha256,
        "uploaded_by": actor,
        "uploaded_at": staged.uploaded_at.isoformat(),
    }
    _write_private(folder / f"{token}.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    with write_transaction():
        audit.record(actor, "plan_file.stage", "plan_file", token, None, meta)
    return staged


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def staged_plan(directory: str | Path, token: str) -> StagedPlan:
    """A staged file by its token; an unknown or malformed token is simply not found."""
    if not _TOKEN.match(token or ""):
        raise AdminNotFound("plan_file")
    folder = _plan_dir(directory)
    path, meta_path = folder / f"{token}.yaml", folder / f"{token}.json"
    if not path.is_file() or not meta_path.is_file():
        raise AdminNotFound(f"plan_file {token}")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return StagedPlan(
        token=token,
        original_name=meta["original_name"],
        size=meta["size"],
        sha256=meta["sha256"],
        uploaded_by=meta["uploaded_by"],
        uploaded_at=datetime.fromisoformat(meta["uploaded_at"]),
        path=path,
    )


def staged_plans(directory: str | Path) -> list[StagedPlan]:
    """Uploaded files not yet loaded or discarded, newest first."""
    folder = _plan_dir(directory)
    found = []
    for meta in folder.glob("*.json"):
        try:
            found.append(staged_plan(directory, meta.stem))
        except (AdminNotFound, ValueError, KeyError):
            continue
    return sorted(found, key=lambda s: s.uploaded_at, reverse=True)


def _named(staged: StagedPlan, problems: list[Problem]) -> list[Problem]:
    """Problems placed in the file as the person named it, not under the server's name."""
    server = str(staged.path)
    return [
        Problem(staged.original_name if p.source == server else p.source, p.line, p.path, p.reason)
        for p in problems
    ]


def preview_plan(staged: StagedPlan, actor: str) -> PlanPreview:
    """The dry run of `tracker load`: what would change, or every problem, writing nothing."""
    try:
        summaries = load_plans([staged.path], dry_run=True, actor=actor)
    except LoadError as exc:
        return PlanPreview(staged, [], _named(staged, exc.problems))
    for s in summaries:
        s.origin = staged.original_name
        s.warnings = _named(staged, s.warnings)
    return PlanPreview(staged, summaries, [], adoption_questions(staged))


def adoption_questions(staged: StagedPlan) -> list[AdoptionQuestion]:
    """What the load must ask, by the rule of `tracker load` (see `plans.load.wants_adoption`)."""
    today = local_date(now())
    try:
        plans = read_files([staged.path])
    except LoadError:
        return []
    return [
        AdoptionQuestion(p.code, p.title, p.start, p.end, min(max(today, p.start), p.end))
        for p in wants_adoption(plans, today)
    ]


def load_staged(
    directory: str | Path, token: str, actor: str, adopt: Mapping[str, str] | None = None
) -> list[LoadSummary]:
    """Load a staged file with the same service as `tracker load`, then remove it from the staging area.

    `adopt` holds the adoption day (YYYY-MM-DD) the admin gave each plan that asks for one (see
    `adoption_questions`); a missing or wrong day refuses the load (AdminError) and changes nothing.
    Without `adopt` nothing is asked, as `tracker load` away from a terminal and without --adopt.
    """
    staged = staged_plan(directory, token)
    adopted = {}
    for question in adoption_questions(staged) if adopt is not None else ():
        text = (adopt.get(question.code) or "").strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise AdminError(f"请填写方案 {question.code} 的采用日(YYYY-MM-DD),未加载任何内容") from None
        if not question.start <= day <= question.end:
            raise AdminError(
                f"采用日 {day} 不在方案 {question.code} 的实施期内({question.start} 至 {question.end}),"
                "未加载任何内容"
            )
        adopted[question.code] = day
    try:
        summaries = load_plans([staged.path], actor=actor, adopted=adopted)
    except LoadError as exc:
        raise LoadError(_named(staged, exc.problems)) from None
    _remove(staged)
    for s in summaries:
        s.origin = staged.original_name
    return summaries


def discard_staged(directory: str | Path, token: str, actor: str) -> StagedPlan:
    staged = staged_plan(directory, token)
    with write_transaction():
        audit.record(actor, "plan_file.discard", "plan_file", token, {"original_name": staged.original_name})
    _remove(staged)
    return staged


def _remove(staged: StagedPlan) -> None:
    staged.path.unlink(missing_ok=True)
    staged.path.with_suffix(".json").unlink(missing_ok=True)


def change_table(summary: LoadSummary) -> list[tuple[str, int, int, int, int]]:
    """Rows (kind label, created, updated, archived, restored) for the kinds a load touches."""
    kinds = set(summary.created) | set(summary.updated) | set(summary.archived) | set(summary.restored)
    order = list(KIND_LABELS)
    return [
        (
            KIND_LABELS.get(k, k),
            summary.created[k],
            summary.updated[k],
            summary.archived[k],
            summary.restored[k],
        )
        for k in sorted(kinds, key=lambda k: (order.index(k) if k in order else 99, k))
    ]


# -- the audit chain --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    message: str
    first_bad: int | None  # seq of the first event changed, removed or inserted
    head: tuple[int, str] | None  # the last event's seq and hash, to note down and compare later


def check_audit_chain(heads: list[tuple[int, str]] = ()) -> ChainCheck:
    """`audit.verify()`, with a sharper name for a broken link.

    When event #n does not link to #n-1 but its content is intact, either #n-1 was changed and its
    hash recomputed, or events were slipped in before #n: if #n links to an earlier event #k, the
    first inserted one is #k+1; otherwise the first changed one is #n-1.
    """
    result = audit.verify(heads)
    head = audit.head()
    if result.ok:
        return ChainCheck(True, result.checked, result.message, None, head)
    if "head" in result.message:  # the chain is intact but no longer holds a head noted earlier
        return ChainCheck(False, result.checked, result.message, None, head)
    bad = result.checked + 1
    message = result.message
    event = AuditEvent.get_or_none(AuditEvent.seq == bad)
    previous = AuditEvent.get_or_none(AuditEvent.seq == bad - 1)
    if event is not None and previous is not None and event.prev_hash != previous.hash:
        linked = AuditEvent.get_or_none(AuditEvent.hash == event.prev_hash)
        if linked is not None and linked.seq < bad - 1:
            bad = linked.seq + 1
            span = f"#{bad}" if bad == event.seq - 1 else f"#{bad} 至 #{event.seq - 1}"
            message = f"事件 {span} 是插入的:#{event.seq} 原本紧接在 #{linked.seq} 之后"
        else:
            bad -= 1
            message = (
                f"事件 #{bad}({previous.action} {previous.entity} {previous.entity_id})被改动并重算了哈希"
            )
    return ChainCheck(False, result.checked, message, bad, head)
