"""Labels, errors and small helpers the office's modules share: periods, sections, names, board names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tracker.rules.periods import (
    Period,
    Quarter,
    Review,
    Year,
    due_moment,
    end_of_minute,
    local_date,
    parse_window,
    review_windows,
)
from tracker.rules.snapshot import code_key
from tracker.services import labels
from tracker.services.facts import reporting_rules, reporting_start
from tracker.services.labels import FINDING_STATES
from tracker.services.scoping import OFFICE_ROLES, OutOfScope, Scope
from tracker.store.models import (
    Assignment,
    Measure,
    Plan,
    Section,
    Unit,
    User,
)

LIGHT_LABELS, REPORT_LABELS = labels.LIGHTS, labels.REPORT_STATUS
SEVERITY_LABELS = {"general": "一般", "serious": "较重", "critical": "严重"}
STATE_LABELS = FINDING_STATES  # one mapping for every page (services.labels)
EVENT_LABELS = {
    "open": "立项",
    "send": "下发整改清单",
    "answer": "单位反馈",
    "close": "销号",
    "reopen": "重新打开",
    "withdraw": "清单作废",
}
DECISION_LABELS = {"approved": "已批准", "refused": "未批准", None: "待审核"}

TITLE_LIMIT = 200
TEXT_LIMIT = 5_000
COMMENTARY_LIMIT = 50_000
OFFICE_NAME_SETTING = "office_name"


class SupervisionError(ValueError):
    """A change that is refused for a reason the office (or the unit) can act on."""


def require_office(scope: Scope, what: str) -> None:
    """Only the inspection office (and admins) change supervision records; a refusal reads as 'not found'."""
    if scope.role not in OFFICE_ROLES:
        raise OutOfScope(what)


def checked_text(value: str | None, label: str, *, required: bool = True, limit: int = TEXT_LIMIT) -> str:
    text = (value or "").strip()
    if required and not text:
        raise SupervisionError(f"请填写{label}")
    if len(text) > limit:
        raise SupervisionError(f"{label}不能超过 {limit} 字")
    return text


def user_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({i for i in user_ids if i})
    if not ids:
        return {}
    return {u.id: u.display_name for u in User.select(User.id, User.display_name).where(User.id.in_(ids))}


# ---------------------------------------------------------------- overview


def reporting_period(plan: Plan, as_of: datetime) -> Period:
    """The period whose reports the office is checking at `as_of`: the current month once its due
    day has passed (23:59), otherwise the month before; kept within the plan's months."""
    period = Period.of(local_date(as_of))
    if as_of <= end_of_minute(due_moment(period, reporting_rules(plan))):
        period = period.prev()
    first, last = Period.of(plan.start), Period.of(plan.end)
    return max(first, min(period, last))


def month_before(as_of: datetime) -> datetime:
    """The same moment one calendar month earlier (31 March → 29 February): "since last month"."""
    day = local_date(as_of)
    prev = Period.of(day).prev()
    return as_of.replace(year=prev.year, month=prev.month, day=min(day.day, prev.last_day.day))


@dataclass(frozen=True)
class SectionInfo:
    code: str
    title: str
    top_code: str
    top_title: str
    chain: tuple[str, ...]  # own code and every parent's


def sections_of(plan: Plan) -> tuple[dict[int, SectionInfo], dict[str, int]]:
    """Every section of the plan with its top-level section; and measure code → section id."""
    rows = {s.id: s for s in Section.select().where(Section.plan == plan.id)}
    infos = {}
    for sid, s in rows.items():
        chain, top = [s.code], s
        while top.parent_id and top.parent_id in rows:
            top = rows[top.parent_id]
            chain.append(top.code)
        infos[sid] = SectionInfo(s.code, s.title, top.code, top.title, tuple(chain))
    measures = {
        m.code: m.section_id
        for m in Measure.select(Measure.code, Measure.section).where(Measure.plan == plan.id)
    }
    return infos, measures


def parse_board(text: str) -> Period | Quarter | Year | Review:
    try:
        return parse_window(text)
    except ValueError:
        raise SupervisionError(
            f"通报期次应写作 2024-05、2024Q2、2024 或评比 dispatch-2024-05，不是 {text!r}"
        ) from None


def review_name(plan: Plan | None, code: str) -> str | None:
    """The name a plan gives its review `code` (季调度), or None when the plan has no such review."""
    return next((r["name"] for r in (plan.reviews or []) if r.get("code") == code), None) if plan else None


def board_label(board: str, plan: Plan | None = None) -> str:
    window = parse_board(board)
    if isinstance(window, Period):
        return f"{window.year}年{window.month}月月通报"
    if isinstance(window, Quarter):
        return f"{window.year}年第{'一二三四'[window.number - 1]}季度季通报"
    if isinstance(window, Review):  # 2024年8月季调度, as the published bulletin is titled
        return f"{window.end.year}年{window.end.month}月{review_name(plan, window.code) or window.code}"
    return f"{window.year}年年终总结"


def check_board(plan: Plan, board: str) -> str:
    """The key of one of `plan`'s boards (a review window must be one the plan holds), else
    SupervisionError."""
    window = parse_board(board)
    if isinstance(window, Review) and str(window) not in {str(w) for w in plan_review_windows(plan)}:
        raise SupervisionError(f"方案 {plan.code} 没有在 {window.end} 结束的评比 {window.code!r}")
    return str(window)


def plan_review_windows(plan: Plan) -> tuple[Review, ...]:
    """The plan's own review windows from adoption to its end (as `publishing.plan_reviews`)."""
    return review_windows(plan.reviews or [], reporting_start(plan), plan.end)


def current_quarter(plan: Plan, as_of: datetime) -> Quarter:
    return Period.of(min(max(local_date(as_of), plan.start), plan.end)).quarter


@dataclass(frozen=True)
class Choices:
    """What the office's forms offer: plans, units (with the plans they work in), measures."""

    plans: tuple[Plan, ...]
    units: tuple[Unit, ...]
    measures: tuple[Measure, ...] = field(default_factory=tuple)


def choices(plan_id: int | None = None) -> Choices:
    plans = tuple(Plan.select().order_by(Plan.code))
    units = Unit.select().where(Unit.id.in_(Assignment.active().select(Assignment.unit).distinct()))
    measures: tuple[Measure, ...] = ()
    if plan_id:
        units = units.where(
            Unit.id.in_(
                Assignment.active()
                .join(Measure)
                .where(Measure.plan == plan_id)
                .select(Assignment.unit)
                .distinct()
            )
        )
        measures = tuple(
            sorted(Measure.active().where(Measure.plan == plan_id), key=lambda m: code_key(m.code))
        )
    return Choices(plans, tuple(units.order_by(Unit.name)), measures)


def days_since(moment: datetime, as_of: datetime) -> int:
    return (local_date(as_of) - local_date(moment)).days
