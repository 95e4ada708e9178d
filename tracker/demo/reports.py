"""A year of realistic monthly reports for the demo: most units on time, some late, a few missing,
some returned by the office and revised. Deterministic (seeded), so every demo looks the same.
"""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from tracker.clock import TZ
from tracker.rules.periods import Period, ReportPeriod, due_date, due_in
from tracker.rules.values import ReportingRules
from tracker.services import ledger
from tracker.store import audit
from tracker.store.db import sync_sequences, write_transaction
from tracker.store.models import (
    Assignment,
    Completion,
    Indicator,
    Measure,
    Plan,
    Report,
    ReportReturn,
    ReportRevision,
    Unit,
    User,
)

# The moment `scripts/demo` replays (TRACKER_NOW): after October's board, before November's due day.
DEMO_NOW = datetime(2024, 11, 20, 10, 0, tzinfo=TZ)
MONTHS = 12
PASSWORDS_FILE = "demo-passwords.txt"  # in the instance folder, mode 0600: every clerk's own password
# Light argon2 parameters so 125 hashes take seconds, not minutes; signing in rehashes with the full ones.
_DEMO_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a sheet and typed


def clerk_password() -> str:
    """A fresh random password for one demo clerk: three groups of four, e.g. `k7mq-x3tb-9wfe`."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))


def passwords_path() -> Path:
    return Path(os.environ.get("TRACKER_INSTANCE", "instance")) / PASSWORDS_FILE


def _write_passwords(lines: list[str]) -> Path:
    """The clerks' passwords, readable by the file's owner only (created 0600, tightened if it existed)."""
    path = passwords_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# tracker demo: 单位填报员账号(用户名 密码 单位),每个账号的密码各不相同\n")
        fh.write("".join(line + "\n" for line in lines))
    return path


ACTIONS = (
    "召开专题推进会{n}次,逐项梳理任务清单",
    "深入镇村开展实地督导{n}次,现场解决问题{m}个",
    "组织业务培训{n}场,培训镇村干部{k}人次",
    "完成年度实施方案修订,明确责任人和时间节点",
    "对照任务台账逐项销号,已完成阶段任务{m}项",
    "会同相关部门开展联合检查,发现问题{m}个并已交办",
    "落实专项资金{k}万元,已拨付到位",
    "完成入户走访{k}户,建立问题清单和整改台账",
)
PROBLEMS = (
    "部分项目资金到位较慢,影响施工进度。",
    "基层专业技术人员不足,业务指导力量偏弱。",
    "个别村组群众参与度不高,宣传发动仍需加强。",
    "受汛期天气影响,部分工程进度滞后于计划。",
    "部门间信息共享不够及时,数据比对存在滞后。",
)
NEXT_STEPS = (
    "下月将加大督导频次,确保按期完成阶段目标。",
    "协调财政部门加快资金拨付,推动项目尽快开工。",
    "组织开展专项培训,提升基层业务能力。",
    "对照时间节点倒排工期,每周调度进展。",
)
RETURN_REASONS = (
    "进展描述过于笼统,请补充具体数据和佐证材料。",
    "完成进度与指标数值不一致,请核实后重新报送。",
    "未说明存在问题及下步计划,请补充完善。",
)


@dataclass(frozen=True)
class Habit:
    """How a unit reports: the share of months it reports at all, and of those, late."""

    reports: float
    late: float


def _habit(rng: random.Random) -> Habit:
    kind = rng.random()
    if kind < 0.7:
        return Habit(reports=0.99, late=0.03)
    if kind < 0.9:
        return Habit(reports=0.93, late=0.3)
    return Habit(reports=0.75, late=0.4)


def _periods(plan: Plan, now: datetime, cadence: str = "monthly") -> list[ReportPeriod]:
    """The report periods of `cadence` due in the last MONTHS months before `now`'s month that fall
    within the plan (a quarterly measure reports in March, June, September and December)."""
    months = _months(plan, now)
    return months if cadence == "monthly" else [p for month in months for p in due_in(cadence, month)]


def _months(plan: Plan, now: datetime) -> list[Period]:
    """The last MONTHS months before `now`'s month that fall within the plan."""
    last = Period.of(now.date()).prev()
    out = []
    period = last
    while len(out) < MONTHS and period.last_day >= plan.start:
        if period.first_day <= plan.end:
            out.append(period)
        period = period.prev()
    return sorted(out)


def _expected(start: date, end: date, day: date) -> float:
    if day <= start:
        return 0.0
    if day >= end:
        return 100.0
    return 100.0 * (day - start).days / max(1, (end - start).days)


def _clerks(units: list[Unit], now: datetime, echo: Callable[[str], None]) -> dict[int, User]:
    """One clerk per unit that has none yet, each with its own random password, listed in
    `passwords_path()` for whoever runs the demo."""
    existing = {u.unit_id: u for u in User.select().where(User.role == "reporter", User.unit.is_null(False))}
    rows = []
    listing = []
    for unit in units:
        if unit.id not in existing:
            password = clerk_password()
            listing.append(f"u{unit.id:04d} {password} {unit.label}")
            rows.append(
                {
                    "username": f"u{unit.id:04d}",
                    "display_name": f"{unit.label} 填报员",
                    "role": "reporter",
                    "unit": unit.id,
                    "password_hash": _DEMO_HASHER.hash(password),
                    "must_change_password": False,
                    "created_at": now - timedelta(days=400),
                }
            )
    with write_transaction():
        for start in range(0, len(rows), 200):
            User.insert_many(rows[start : start + 200]).execute()
        audit.record_many(
            "demo",
            [
                audit.Change(
                    "user.create", "user", r["username"], None, {"role": "reporter", "unit": r["unit"]}
                )
                for r in rows
            ],
        )
    if rows:
        path = _write_passwords(listing)
        echo(f"已为 {len(rows)} 个单位各建一个填报员账号(用户名 u+单位编号,各有密码,见 {path},仅本人可读)")
    return {u.unit_id: u for u in User.select().where(User.role == "reporter", User.unit.is_null(False))}


def seed_reports(now: datetime, echo: Callable[[str], None] = print) -> int:
    """Reports of every active assignment of every plan for the year before `now`; returns revisions made."""
    rng = random.Random(20241120)
    inspector = User.get_or_none(User.role == "inspector")
    assignments = list(
        Assignment.active()
        .select(Assignment, Measure, Unit, Plan)
        .join(Measure)
        .join(Plan)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Measure.archived_at.is_null())
        .order_by(Assignment.id)
    )
    clerks = _clerks(sorted({a.unit for a in assignments}, key=lambda u: u.id), now, echo)
    indicators: dict[int, list[Indicator]] = {}
    for ind in Indicator.select().where(Indicator.archived_at.is_null()).order_by(Indicator.position):
        indicators.setdefault(ind.measure_id, []).append(ind)
    # How many responsible units share each measure: without `shares`, each carries an even part of a
    # summed target (four counties toward one 700 亿元), so the roll-up lands near the whole.
    members: dict[int, int] = {}
    for a in assignments:
        if a.role == "responsible":
            members[a.measure_id] = members.get(a.measure_id, 0) + 1
    habits: dict[int, Habit] = {}
    reports, revisions, returns, completions, changes = [], [], [], [], []
    report_id = Report.select(Report.id).order_by(Report.id.desc()).scalar() or 0
    revision_id = ReportRevision.select(ReportRevision.id).order_by(ReportRevision.id.desc()).scalar() or 0
    for a in assignments:
        m, plan = a.measure, a.measure.plan
        habit = habits.setdefault(a.unit_id, _habit(random.Random(a.unit_id * 7919)))
        start = max(plan.start, m.start) if m.start else plan.start
        end = m.deadline or plan.end
        pace = rng.uniform(0.8, 1.15)
        percent = 0
        rules = ReportingRules(due_day=plan.due_day)
        for period in _periods(plan, now, m.cadence or plan.cadence or "monthly"):
            if period.last_day < start:
                continue
            if rng.random() > habit.reports:
                continue  # missing this period
            due = datetime.combine(due_date(period, rules), time(23, 59), tzinfo=TZ)
            if rng.random() < habit.late:
                at = due + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
            else:
                at = due - timedelta(days=rng.randint(0, 12), hours=rng.randint(1, 9))
            if at > now:
                continue
            expected = _expected(start, end, period.last_day) * pace
            percent = int(min(100, max(percent, expected + rng.uniform(-8, 5))))
            complete = percent >= 100
            report_id += 1
            reports.append({"id": report_id, "assignment": a.id, "period": str(period), "created_at": at})
            author = clerks.get(a.unit_id)
            text = _narrative(rng, m.title, percent)
            values, notes = _indicator_values(indicators.get(m.id, []), percent, a, members.get(m.id, 1))
            base = {
                "report": report_id,
                "author": author.id if author else None,
                "percent": percent,
                "complete": complete,
                "narrative": text,
                "problems": rng.choice(PROBLEMS) if rng.random() < 0.35 else "",
                "next_steps": rng.choice(NEXT_STEPS),
                "public_summary": f"{m.title}:完成进度 {percent}%。",
                "indicator_values": values,
                "indicator_notes": notes,
                "source": "demo",
            }
            revision_id += 1
            revisions.append({**base, "id": revision_id, "number": 1, "recorded_at": at})
            changes.append(
                audit.Change(
                    "report.revise",
                    "report_revision",
                    revision_id,
                    None,
                    {"assignment": a.id, "period": str(period), "percent": percent},
                )
            )
            if inspector and rng.random() < 0.03 and at + timedelta(days=2) < now:
                returned_at = at + timedelta(days=1, hours=2)
                returns.append(
                    {
                        "revision": revision_id,
                        "by": inspector.id,
                        "at": returned_at,
                        "reason": rng.choice(RETURN_REASONS),
                    }
                )
                changes.append(audit.Change("report.return", "report_revision", revision_id))
                if rng.random() < 0.8:  # most units revise within two days
                    revision_id += 1
                    revised = {**base, "narrative": text + "\n\n补充说明:已按要求补充具体数据及佐证材料。"}
                    revisions.append(
                        {
                            **revised,
                            "id": revision_id,
                            "number": 2,
                            "recorded_at": returned_at + timedelta(days=1),
                        }
                    )
                    changes.append(audit.Change("report.revise", "report_revision", revision_id))
            if complete and a.role == "lead" and inspector and m.deadline and m.deadline <= now.date():
                completions.append(
                    {
                        "assignment": a.id,
                        "kind": "confirm",
                        "by": inspector.id,
                        "at": at + timedelta(days=3),
                        "reason": "经核查,已完成。",
                    }
                )
                break
    with write_transaction():
        for model, rows in (
            (Report, reports),
            (ReportRevision, revisions),
            (ReportReturn, returns),
            (Completion, completions),
        ):
            for start in range(0, len(rows), 400):
                model.insert_many(rows[start : start + 400]).execute()
        audit.record_many("demo", changes)
        sync_sequences([Report, ReportRevision])
        # Inserted in bulk, not in time order: the ledger's change rows are rewritten in it.
        ledger.rebuild()
    echo(
        f"已生成 {len(reports)} 份月度报送、{len(revisions)} 个版本(其中退回 {len(returns)} 次),"
        f"办结确认 {len(completions)} 项"
    )
    return len(revisions)


def _narrative(rng: random.Random, title: str, percent: int) -> str:
    parts = [
        a.format(n=rng.randint(1, 4), m=rng.randint(2, 12), k=rng.randint(20, 300))
        for a in rng.sample(ACTIONS, 2)
    ]
    return f"围绕“{title}”,本月{parts[0]};{parts[1]}。目前完成进度约 {percent}%。"


def _indicator_values(
    items: list[Indicator], percent: int, a: Assignment, members: int = 1
) -> tuple[dict, dict]:
    values, notes = {}, {}
    for ind in items:
        if ind.target is None:
            continue
        # A town with a share of a county-wide target reports its own part (8 of 60), not the whole.
        # A split child reports against the part it was given (分解).
        share = (a.shares or {}).get(ind.code, (ind.shares or {}).get(a.unit.name))
        target, baseline = ind.target, ind.baseline
        if share is not None:
            target = share
        elif ind.rollup == "sum" and a.role == "responsible" and members > 1:
            target, baseline = target / members, baseline / members  # its even part of the whole
        value = round(baseline + (target - baseline) * percent / 100, 1)
        if ind.kind == "count":
            value = int(value)  # 48 户, never 48.6 户
        values[ind.code] = int(value) if float(value).is_integer() else value
        if ind.direction == "up" and value > target:
            notes[ind.code] = "超额完成"
    return values, notes
