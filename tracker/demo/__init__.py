"""`tracker demo`: a fresh demo database from the shipped plans, with a user of every role.

It refuses to replace a database that holds real data: only one that `tracker demo` made itself
(marked in `setting`) or an empty one is rebuilt, unless `--force` says so.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tracker.clock import now
from tracker.demo.reports import seed_reports
from tracker.store import models
from tracker.store.db import database_url, db, init_database
from tracker.store.migrations import upgrade

# The shipped plans: measures/ of a source checkout, else tracker/measures/ of an installed wheel.
_CHECKOUT = Path(__file__).resolve().parents[2] / "measures"
MEASURES_DIR = _CHECKOUT if _CHECKOUT.is_dir() else Path(__file__).resolve().parents[1] / "measures"
DEMO_MARK = "demo"


class DemoRefused(RuntimeError):
    pass


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    unit: str | None

    @property
    def role_label(self) -> str:
        from tracker.services.users import ROLE_LABELS

        return ROLE_LABELS[self.role]


# One person of every role; unit people for a department and a county of each shipped plan.
DEMO_USERS = (
    ("admin", "admin", None, "系统管理员"),
    ("duchashi", "inspector", None, "督查室 王敏"),
    ("lingdao", "leader", None, "分管领导 李强"),
    ("ak-xczx", "reporter", "安康市乡村振兴局", "市乡村振兴局 填报员 陈静"),
    ("ak-xczx-fzr", "unit_leader", "安康市乡村振兴局", "市乡村振兴局 负责人 赵军"),
    ("ak-hanbin", "reporter", "安康市汉滨区", "汉滨区 填报员 刘洋"),
    ("xy-xczx", "reporter", "旬邑县乡村振兴局", "县乡村振兴局 填报员 张磊"),
    ("zx-xczx", "reporter", "资兴市乡村振兴局", "市乡村振兴局 填报员 周芳"),
    # Levels: a county's office sees 旬邑县 and everything under it; a town reports its share.
    ("xy-duchashi", "inspector", "旬邑县", "旬邑县督查室 孙丽"),
    ("xy-chengguan", "reporter", "旬邑县城关街道", "城关街道 填报员 马涛"),
    ("cq-chengkou", "reporter", "城口县", "城口县 填报员 冉娟"),
)


def shipped_plans() -> list[Path]:
    return sorted(MEASURES_DIR.glob("*.yaml"))


def _holds_real_data() -> bool:
    if not models.Setting.table_exists():
        return bool(db.get_tables())
    if models.Setting.get_or_none(models.Setting.key == DEMO_MARK):
        return False
    return any(m.table_exists() and m.select().exists() for m in (models.Plan, models.User))


def _reset(url: str) -> None:
    """Start from nothing: delete the SQLite file, or drop tracker's tables on PostgreSQL."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        db.close_all() if hasattr(db.obj, "close_all") else db.close()
        path = Path(parts.path[1:] if parts.path.startswith("/") else parts.path)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        init_database(url)
    else:
        db.drop_tables(list(reversed(models.MODELS)), safe=True, cascade=True)


def _adoption_days(moment) -> dict:
    """The demo's reports cover the last MONTHS months; a shipped plan that started earlier is loaded
    mid-span, adopted on the first of those months, as an admin would set it (a file's own
    reporting.start wins)."""
    from tracker.demo.reports import MONTHS
    from tracker.plans.load import read_files
    from tracker.rules.periods import Period

    first = Period.of(moment.date())
    for _ in range(MONTHS):
        first = first.prev()
    return {
        plan.code: first.first_day
        for plan in read_files(shipped_plans())
        if plan.start < first.first_day and plan.reporting.start is None
    }


def build_demo(
    force: bool = False, echo: Callable[[str], None] = print, out: str | None = None, publish: bool = True
) -> list[Login]:
    """Rebuild the configured database as a demo and return the logins to print; `publish=False`
    leaves the static site alone (tests of the app's pages need the database only)."""
    from tracker.plans.load import load_plans
    from tracker.services.users import add_user

    url = database_url()
    init_database(url)
    if _holds_real_data() and not force:
        raise DemoRefused(
            f"{url} 中已有非演示数据,未做任何改动。换一个 TRACKER_DATABASE_URL,或加 --force 覆盖。"
        )
    _reset(url)
    upgrade()
    with db.atomic():
        models.Setting.create(key=DEMO_MARK, value="made by tracker demo")
    for summary in load_plans(shipped_plans(), actor="demo", adopted=_adoption_days(now())):
        echo(f"已加载 {summary.plan}:" + ";".join(summary.lines()))
    logins = []
    for username, role, unit, display in DEMO_USERS:
        # Demo passwords are fixed and readable; real users get one-time passwords.
        password = f"{username}-demo-2024"
        add_user(username, role, unit, password, display_name=display, actor="demo", must_change=False)
        logins.append(Login(username, password, role, unit))
    from tracker.demo.levels import seed_levels

    seed_levels(echo)  # splits before the reports, so towns and villages report their parts
    seed_reports(now(), echo)
    from tracker.demo.supervision import seed_supervision

    uploads = Path(os.environ.get("TRACKER_INSTANCE", "instance")) / "uploads"  # the app's UPLOAD_DIR
    for line in seed_supervision(now(), upload_dir=uploads).lines():
        echo(line)
    _seed_chases(now(), echo)
    _seed_integrations(echo)
    _seed_notice(uploads, echo)
    if not publish:
        return logins
    from tracker.services.publishing import publish_demo

    for result in publish_demo(out):  # the demo's boards, bulletins and assessments into sites/
        echo(f"已发布 {result.plan}:{len(result.boards)} 期看板,{result.files} 个文件 → {result.out}")
    return logins


def _seed_notice(uploads: Path, echo: Callable[[str], None]) -> None:
    """A notice the office has just received, converted and waiting in 通知转换 for its review: a group
    row naming the leader, a misprinted unit and a measure without a lead."""
    from tracker.services.notices import NoticeError, stage_notice

    source = Path(__file__).with_name("notices") / "ankang-renjing-2024.docx"
    try:
        notice = stage_notice(uploads, source.read_bytes(), source.name, "demo")
    except NoticeError as exc:
        echo(f"演示通知未能转换:{';'.join(exc.reasons)}")
        return
    echo(f"已上传待审核的通知 {notice.original_name}:{notice.summary}")


def _seed_integrations(echo: Callable[[str], None]) -> None:
    """Other systems plugged in: a unit's API token that filed this month's report, a read-only token
    for the leaders' big screen, an event subscription of the city's 督查督办 system, calendar feeds."""
    import dataclasses

    from tracker.services import calendars, events, reports, tokens
    from tracker.services.scoping import Scope

    clerk = models.User.get(models.User.username == "ak-xczx")
    made = tokens.add("demo", clerk, "市政务平台对接", days=None)
    screen = models.User.get(models.User.username == "lingdao")
    tokens.add("demo", screen, "领导驾驶舱大屏", days=None, read_only=True)
    events.subscribe(
        "demo",
        "市督查督办系统",
        "http://127.0.0.1:8765/tracker-events",
        ["report.filed", "report.returned", "finding.opened", "finding.closed"],
    )
    # The platform files one report through the API, as a revision audited with the token's name.
    scope = dataclasses.replace(Scope.of(clerk), username=tokens.actor_name(clerk, made.token))
    period = f"{now():%Y-%m}"
    for assignment in scope.assignments().order_by(models.Assignment.id):
        try:
            latest = reports.report_page(scope, assignment.id, period).latest
            percent = max(latest.percent if latest and latest.percent is not None else 0, 50)
            text = "经市政务平台报送:本月按计划推进,完成阶段性任务。"
            reports.save_revision(
                scope,
                assignment.id,
                period,
                reports.ReportInput(percent=percent, narrative=text),
                source="api",
            )
            break
        except reports.ReportError:  # not due this month, complete, or archived: the next one
            continue
    calendars.unit_feed(clerk.unit_id)
    for plan in models.Plan.select():
        calendars.plan_feed(plan.id)
    echo(f"已签发 API 令牌 2 个(ak-xczx 的“市政务平台对接”:{made.secret});事件订阅 1 个;日历订阅地址已生成")


def _seed_chases(moment, echo: Callable[[str], None]) -> None:
    """Run the chaser at the moments the scheduler would have, over the last month and today."""
    from datetime import timedelta

    from tracker.services.chasing import chase

    made = 0
    for days_back in (28, 25, 23, 20, 16, 0):  # before, on and after October's due day, then now
        made += len(chase(moment - timedelta(days=days_back), actor="demo"))
    echo(f"已生成催办 {made} 条(蓝色提醒、黄色催办、红色督办)")
    # 汉滨区's clerk has read the reminder on their home (已读); 市乡村振兴局's has not (标为已读).
    from tracker.services.chasing import mark_read
    from tracker.services.reports import unit_home
    from tracker.services.scoping import Scope

    clerk = models.User.get_or_none(models.User.username == "ak-hanbin")
    if clerk is not None and clerk.unit_id:
        shown = unit_home(Scope.of(clerk), as_of=moment).reminders[-1:]  # the oldest the home lists
        for r in shown:
            mark_read(Scope.of(clerk), r.id, now=moment)
        echo(f"ak-hanbin 已将 {len(shown)} 条催办标为已读")
