"""The inspection office's year for the demo: inspections, findings in every state (open, overdue,
answered, closed, reopened), rectification lists, extension requests (approved, refused, waiting),
a written monthly and quarterly bulletin per plan, and quality ratings of past quarters.

Everything goes through the same services the office's pages use, dated in the past with their
`at` argument, so every step has its history and its audit event. Deterministic (seeded): every
demo looks the same. Call after the reports exist (`tracker.demo.reports.seed_reports`).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from tracker.clock import TZ
from tracker.rules.periods import Period, Quarter, local_date
from tracker.services import supervision as sv
from tracker.services.boards import board_moment, monthly_board
from tracker.services.scoping import UNIT_ROLES, Scope
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import Assignment, ExtensionRequest, Finding, Measure, Plan, User

PROBLEMS = (
    ("帮扶台账更新不及时", "抽查 3 个村，帮扶台账仍停留在两个月前，与系统数据不一致。"),
    ("衔接资金拨付进度滞后", "已下达资金支出率低于序时进度 20 个百分点以上，部分项目尚未报账。"),
    ("项目开工率偏低", "年度计划项目中仍有 4 个未开工，前期手续办理迟缓。"),
    ("驻村干部在岗不足", "暗访发现 2 名驻村干部连续多日不在岗，考勤记录不实。"),
    ("政策宣传不到位", "入户走访中，部分农户对防返贫监测申报政策知晓率不高。"),
    ("监测对象识别认定超时", "个别风险户从发现线索到完成认定超过 15 天。"),
    ("公益性岗位管理不规范", "部分公益岗位人员未按要求签订协议，考勤和补贴发放台账不全。"),
    ("联农带农机制不健全", "产业项目与农户利益联结不紧密，带动脱贫户增收效果不明显。"),
    ("问题整改不彻底", "上轮督查指出的问题仍有反弹，整改措施未落到实处。"),
    ("佐证材料不完整", "月度进展报送缺少佐证材料，进度数据无法核实。"),
)
ANSWERS = (
    "已召开专题会议研究整改，逐村逐户完成整改，相关台账已补齐更新。",
    "已制定整改方案，明确责任人和时限，目前整改已全部完成，佐证材料附后。",
    "已督促相关镇村立行立改，建立长效机制，防止问题反弹。",
)
CLOSE_NOTES = ("经实地核查，整改到位，同意销号。", "核查佐证材料和现场情况，问题已解决，予以销号。")
REOPEN_NOTES = ("回访发现问题出现反弹，请继续整改并报送整改情况。",)
EXTENSION_REASONS = (
    "受汛期持续降雨影响，施工无法按期推进，申请延期。",
    "项目需报省级部门审批，审批周期较长，申请延期完成。",
    "资金到位较晚，招投标程序尚未完成，申请顺延完成时限。",
)


@dataclass
class SupervisionSeed:
    """What the seed made, for `tracker demo` to print."""

    inspections: int = 0
    findings: Counter = field(default_factory=Counter)  # by state
    lists: int = 0
    extensions: Counter = field(default_factory=Counter)  # approved / refused / pending
    bulletins: int = 0
    ratings: int = 0

    def lines(self) -> list[str]:
        states = "、".join(f"{sv.STATE_LABELS[k]} {v}" for k, v in sorted(self.findings.items()))
        decisions = "、".join(
            f"{sv.DECISION_LABELS.get(None if k == 'pending' else k)} {v}"
            for k, v in sorted(self.extensions.items())
        )
        return [
            f"督查 {self.inspections} 次，问题 {sum(self.findings.values())} 个（{states}），整改清单 {self.lists} 份",
            f"延期申请 {sum(self.extensions.values())} 份（{decisions}）",
            f"通报点评 {self.bulletins} 篇，质量评分 {self.ratings} 条",
        ]


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), TZ)


def _office() -> Scope:
    user = User.select().where(User.role == "inspector", User.active == True).order_by(User.id).first()  # noqa: E712
    if user is None:
        user = User.select().where(User.role == "admin").order_by(User.id).first()
    if user is None:
        raise RuntimeError("the demo needs an inspector or an admin before supervision is seeded")
    return Scope.of(user)


def _clerks() -> dict[int, Scope]:
    scopes: dict[int, Scope] = {}
    for user in User.select().where(User.role.in_(sorted(UNIT_ROLES)), User.active == True).order_by(User.id):  # noqa: E712
        scopes.setdefault(user.unit_id, Scope.of(user))
    return scopes


def _assignments(plan: Plan, clerks: dict[int, Scope]) -> list[Assignment]:
    """Active assignments of the plan whose unit has someone to answer, in a fixed order."""
    return [
        a
        for a in Assignment.active()
        .join(Measure)
        .where(Measure.plan == plan.id, Measure.archived_at.is_null())
        .order_by(Measure.position, Assignment.position, Assignment.id)
        if a.unit_id in clerks
    ]


def seed_supervision(now: datetime, *, upload_dir: str | os.PathLike | None = None) -> SupervisionSeed:
    """Seed the office's work on every plan running at `now` (see the module's note). With
    `upload_dir`, the units' answers carry a small evidence file."""
    rng = random.Random(20240520)
    office, clerks = _office(), _clerks()
    seed = SupervisionSeed()
    today = local_date(now)
    for plan in Plan.select().order_by(Plan.code):
        if plan.start > today - timedelta(days=60):
            continue
        candidates = _assignments(plan, clerks)
        if len(candidates) < 6:
            continue
        _inspections(plan, candidates, clerks, office, rng, now, seed, upload_dir)
        _extensions(plan, candidates, clerks, office, rng, now, seed)
        _bulletins(plan, office, now, seed)
        _ratings(plan, office, rng, now, seed)
    return seed


def _evidence(upload_dir, text: str):
    if upload_dir is None:
        return []
    from tracker.services.evidence import check_upload

    return [check_upload("整改情况说明.txt", text.encode("utf-8"))]


def _inspections(plan, candidates, clerks, office, rng, now, seed: SupervisionSeed, upload_dir) -> None:
    today = local_date(now)
    last_day = min(today, plan.end)
    picked = rng.sample(candidates, 7)
    # Two inspections: one about a hundred days ago, one about a month ago (within the plan).
    first_day = max(plan.start + timedelta(days=10), last_day - timedelta(days=110))
    second_day = max(first_day + timedelta(days=20), last_day - timedelta(days=35))
    rounds = (
        (first_day, "专项督查", picked[:4], ("closed", "reopened", "overdue", "closed")),
        (second_day, "常态化督导", picked[4:], ("answered", "open", "closed")),
    )
    problems = list(PROBLEMS)
    rng.shuffle(problems)
    for held_on, kind, assignments, fates in rounds:
        at = _moment(held_on, 16)
        inspection = sv.create_inspection(
            office,
            title=f"{held_on.month}月{kind}",
            held_on=held_on,
            plan_id=plan.id,
            notes=f"督查组深入{len(assignments)}个单位，查阅台账资料，入户走访核实。",
            at=at,
        )
        seed.inspections += 1
        made = []
        for index, (a, fate) in enumerate(zip(assignments, fates, strict=True)):
            title, detail = problems.pop()
            days = 30 if fate == "overdue" else 45 if fate != "open" else max(20, (today - held_on).days + 20)
            finding = sv.open_finding(
                office,
                unit_id=a.unit_id,
                measure_id=a.measure_id if index % 3 != 2 else None,
                plan_id=plan.id,
                inspection_id=inspection.id,
                title=title,
                detail=detail,
                severity=("general", "serious", "critical")[index % 3] if fate != "open" else "general",
                public=index % 2 == 0,
                rectify_by=held_on + timedelta(days=days),
                at=at,
            )
            made.append((finding, a, fate))
        # The findings are sent to each unit as a rectification list two days later (the open one waits).
        sent_at = _moment(held_on + timedelta(days=2))
        for finding, a, fate in made:
            if fate == "open":
                continue
            sv.create_rectification_list(office, unit_id=a.unit_id, finding_ids=[finding.id], at=sent_at)
            seed.lists += 1
        for finding, a, fate in made:
            _follow(finding, a, fate, held_on, clerks, office, rng, now, upload_dir)
            seed.findings[Finding.get_by_id(finding.id).state] += 1


def _follow(finding, a, fate, held_on, clerks, office, rng, now, upload_dir) -> None:
    """Take one finding along its fate, each step dated between the inspection and now."""
    clerk = clerks[a.unit_id]

    def day(offset: int, hour: int = 11) -> datetime:
        return min(_moment(held_on + timedelta(days=offset), hour), now - timedelta(hours=1))

    if fate in ("answered", "closed", "reopened"):
        note = rng.choice(ANSWERS)
        sv.answer_finding(
            clerk, finding.id, note, _evidence(upload_dir, note), upload_dir=upload_dir, at=day(12)
        )
    if fate in ("closed", "reopened"):
        sv.close_finding(office, finding.id, rng.choice(CLOSE_NOTES), at=day(18, 15))
    if fate == "reopened":
        sv.reopen_finding(office, finding.id, REOPEN_NOTES[0], at=day(40, 9))


def _extensions(plan, candidates, clerks, office, rng, now, seed: SupervisionSeed) -> None:
    """Up to three extension requests on measures with a dated deadline: approved, refused, waiting."""
    dated = [a for a in candidates if a.measure.deadline is not None and not a.measure.recurring]
    picked = rng.sample(dated, min(3, len(dated)))
    for index, (a, decision) in enumerate(zip(picked, ("approved", "refused", None), strict=False)):
        asked_at = now - timedelta(days=25 - index * 8, hours=3)
        current = a.measure.deadline
        wanted = max(current, local_date(asked_at)) + timedelta(days=60 + 30 * index)
        reason = EXTENSION_REASONS[index]
        user = clerks[a.unit_id]
        with write_transaction():
            row = ExtensionRequest.create(
                assignment=a.id,
                requested_by=user.user_id,
                requested_at=asked_at,
                current_deadline=current,
                requested_deadline=wanted,
                reason=reason,
            )
            audit.record(
                user.username,
                "extension.request",
                "extension_request",
                row.id,
                None,
                {
                    "assignment": a.id,
                    "current_deadline": current,
                    "requested_deadline": wanted,
                    "reason": reason,
                },
            )
        decided_at = asked_at + timedelta(days=3)
        if decision == "approved":
            sv.decide_extension(
                office, row.id, approve=True, reason="理由充分，同意延期，请按新时限完成。", at=decided_at
            )
        elif decision == "refused":
            sv.decide_extension(
                office,
                row.id,
                approve=False,
                reason="延期理由不充分，请加大推进力度，按原时限完成。",
                at=decided_at,
            )
        seed.extensions[decision or "pending"] += 1


def _last_board(plan: Plan, now: datetime) -> Period | None:
    period = Period.of(min(local_date(now), plan.end))
    while period >= Period.of(plan.start):
        if board_moment(plan, period) <= now:
            return period
        period = period.prev()
    return None


def commentary(plan: Plan, period: Period, quarter: Quarter | None = None) -> str:
    """A bulletin's commentary in the office's words, from the month's board figures."""
    board, _ = monthly_board(plan, period)
    lights = Counter(row.light.value for row in board.measures)
    on_time = sum(u.on_time for u in board.units)
    late = sum(u.late for u in board.units)
    missing = sum(u.missing for u in board.units)
    worst = sorted(board.units, key=lambda u: (-u.lights.red, -u.missing, u.name))[:3]
    names = "、".join(u.short or u.name for u in worst if u.lights.red or u.missing) or "无"
    window = (
        f"{quarter.year}年第{'一二三四'[quarter.number - 1]}季度"
        if quarter
        else f"{period.year}年{period.month}月"
    )
    cutoff = local_date(board.cutoff)
    return "\n".join(
        [
            "## 总体情况",
            "",
            f"截至{cutoff.year}年{cutoff.month}月{cutoff.day}日，本方案共 {len(board.measures)} 项措施，"
            f"其中绿灯 {lights['green']} 项、黄灯 {lights['amber']} 项、红灯 {lights['red']} 项、"
            f"已办结 {lights['done']} 项。{period.month}月应报送 {on_time + late + missing} 项，"
            f"按时报送 {on_time} 项，迟报 {late} 项，缺报 {missing} 项。",
            "",
            "## 存在问题",
            "",
            f"- {window}红灯或缺报较多的单位：{names}。",
            "- 个别单位进展描述笼统，佐证材料不全，进度数据与实际不符。",
            "- 部分督查发现问题整改不及时，存在逾期未销号情况。",
            "",
            "## 下步要求",
            "",
            "1. 各单位要对照任务清单逐项推进，确保按时限完成。",
            "2. 亮红灯的单位要分析原因、制定措施，在下月报送中专门说明。",
            "3. 督查室将继续实行“月通报、季调度”，对整改不力的单位予以通报。",
        ]
    )


def _bulletins(plan, office, now, seed: SupervisionSeed) -> None:
    """The commentary of the latest monthly board cut off by `now`, and of the latest quarter's."""
    period = _last_board(plan, now)
    if period is None:
        return
    sv.save_bulletin(office, plan.id, str(period), commentary(plan, period), at=now - timedelta(days=5))
    seed.bulletins += 1
    last = period
    while last.month % 3 != 0:
        last = last.prev()
    if last >= Period.of(plan.start):
        text = commentary(plan, last, last.quarter)
        sv.save_bulletin(office, plan.id, str(last.quarter), text, at=now - timedelta(days=6))
        seed.bulletins += 1


def _ratings(plan, office, rng, now, seed: SupervisionSeed) -> None:
    """Quality ratings of the (up to) three latest quarters that ended within the plan."""
    today = local_date(now)
    quarter = Period.of(min(today, plan.end)).quarter
    done = []
    while len(done) < 3 and quarter.last_day >= plan.start:
        if quarter.last_day < today:
            done.append(quarter)
        quarter = (
            Quarter(quarter.year - 1, 4) if quarter.number == 1 else Quarter(quarter.year, quarter.number - 1)
        )
    for q in reversed(done):
        lines = sv.quality_sheet(plan, str(q))
        given = {
            line.unit_id: sv.RatingInput(
                max(5.0, min(10.0, 8.0 + rng.choice((-2, -1.5, -1, -0.5, 0, 0, 0.5, 1, 1.5, 2)))),
                rng.choice(("", "", "材料翔实", "数据准确", "进展描述笼统", "佐证材料不全")),
            )
            for line in lines
        }
        seed.ratings += sv.save_quality_ratings(
            office,
            plan.id,
            str(q),
            given,
            at=min(_moment(q.last_day + timedelta(days=8)), now - timedelta(hours=1)),
        )
