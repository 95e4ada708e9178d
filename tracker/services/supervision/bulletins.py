"""Ranked bulletins' commentary (季通报), publishing a board from the app, and the quarterly quality
ratings of units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tracker.clock import now
from tracker.rules.periods import Period, Quarter, local_date
from tracker.services import publishing
from tracker.services.boards import board_moment
from tracker.services.scoping import Scope
from tracker.services.supervision.common import (
    COMMENTARY_LIMIT,
    SupervisionError,
    board_label,
    check_board,
    checked_text,
    parse_board,
    plan_review_windows,
    require_office,
)
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import (
    Assignment,
    Bulletin,
    Measure,
    Plan,
    Publication,
    QualityRating,
    Unit,
)


@dataclass(frozen=True)
class BoardLine:
    board: str
    label: str
    bulletin: Bulletin | None
    publication: Publication | None = None
    publishable: bool = False  # its cut-off has passed: `tracker publish` would take it

    @property
    def commentary_unpublished(self) -> bool:
        """The commentary was saved after the board last went out: the public site lacks it."""
        return bool(
            self.publication
            and self.bulletin
            and self.bulletin.updated_at > self.publication.last_published_at
        )


def bulletin_boards(plan: Plan, as_of: datetime) -> list[BoardLine]:
    """Every month and quarter of the plan that has begun by `as_of`, newest first, with its commentary
    and whether (and when) it is published; a review window of the plan (季调度) comes first among
    the boards that close with its month."""
    written = {b.board: b for b in Bulletin.select().where(Bulletin.plan == plan.id)}
    published = {p.board: p for p in Publication.select().where(Publication.plan == plan.id)}
    boards = []
    today = local_date(as_of)
    period, first = Period.of(min(today, plan.end)), Period.of(plan.start)
    reviews: dict[Period, list[str]] = {}
    for window in plan_review_windows(plan):
        if window.first_day <= today:
            reviews.setdefault(window.end, []).append(str(window))
    seen_quarters = set()
    while period >= first:
        boards += reviews.get(period, [])
        quarter = str(period.quarter)
        if quarter not in seen_quarters and period.month % 3 == 0:
            seen_quarters.add(quarter)
            boards.append(quarter)
        boards.append(str(period))
        period = period.prev()
    boards += sorted(set(written) - set(boards), reverse=True)
    return [
        BoardLine(
            b,
            board_label(b, plan),
            written.get(b),
            published.get(b),
            _cut_off(plan, b) < as_of,
        )
        for b in boards
    ]


def _cut_off(plan: Plan, board: str) -> datetime:
    """When a board may go out: its last month's cut-off, as `tracker publish` reads it."""
    return board_moment(plan, parse_board(board).periods[-1])


def board_line(plan: Plan, board: str, as_of: datetime) -> BoardLine:
    key = str(parse_board(board))
    return next((line for line in bulletin_boards(plan, as_of) if line.board == key), None) or BoardLine(
        key, board_label(key, plan), bulletin(plan, key)
    )


@dataclass(frozen=True)
class Published:
    board: str
    status: str  # new, same, changed, forced: written; kept: it differs and was left as published
    files: int


def publish_board(
    scope: Scope, plan: Plan, board: str, out: str, *, correct: bool = False, at: datetime | None = None
) -> Published:
    """The office publishes one board (with its commentary) to the public site, by the rules of
    `tracker publish`: not before its cut-off; a published board that would now read differently is
    kept as it is unless the office asks to correct it (`correct`, like `--force`: audited)."""
    require_office(scope, "publish board")
    scope.check_plan_office("publish board")
    key = str(parse_board(board))
    try:
        result = publishing.publish(plan.code, [key], out, force=correct, actor=scope.username, now=at)
    except publishing.PublishError as exc:
        raise SupervisionError(f"未发布：{exc}") from None
    outcome = result.boards[0]
    return Published(key, outcome.status, outcome.files)


def bulletin(plan: Plan, board: str) -> Bulletin | None:
    return Bulletin.get_or_none(Bulletin.plan == plan.id, Bulletin.board == str(parse_board(board)))


def save_bulletin(
    scope: Scope, plan_id: int, board: str, commentary: str, at: datetime | None = None
) -> Bulletin:
    """The office writes (or rewrites) the Markdown commentary of a monthly or quarterly bulletin (or
    the year's, or one of the plan's review windows: 季调度); the audit trail keeps every earlier
    text."""
    require_office(scope, "save bulletin")
    scope.check_plan_office("save bulletin")
    at = at or now()
    key = str(parse_board(board))
    commentary = (commentary or "").replace("\r\n", "\n").strip()
    if len(commentary) > COMMENTARY_LIMIT:
        raise SupervisionError(f"通报点评不能超过 {COMMENTARY_LIMIT} 字")
    with write_transaction():
        plan = Plan.get_or_none(Plan.id == plan_id)
        if plan is None:
            raise SupervisionError("没有这个方案")
        check_board(plan, key)  # a review window's commentary only for a window the plan holds
        row = Bulletin.get_or_none(Bulletin.plan == plan_id, Bulletin.board == key)
        before = {"commentary": row.commentary} if row else None
        if row is None:
            row = Bulletin.create(
                plan=plan_id, board=key, commentary=commentary, updated_by=scope.user_id, updated_at=at
            )
        else:
            row.commentary, row.updated_by, row.updated_at = commentary, scope.user_id, at
            row.save()
        audit.record(
            scope.username,
            "bulletin.save",
            "bulletin",
            row.id,
            before,
            {"plan": plan_id, "board": key, "commentary": commentary},
        )
    return row


@dataclass(frozen=True)
class RatingLine:
    unit_id: int
    unit_label: str
    rating: QualityRating | None


def quality_sheet(plan: Plan, quarter: str, scope: Scope | None = None) -> list[RatingLine]:
    """Every unit with an assignment in `plan` (and in `scope`: a county's office rates its own part),
    by name, with its quality rating for `quarter` if any."""
    key = str(Quarter.parse(quarter))
    units = (
        Unit.select()
        .join(Assignment, on=(Assignment.unit == Unit.id))
        .join(Measure)
        .where(Measure.plan == plan.id, Assignment.archived_at.is_null(), Measure.archived_at.is_null())
        .distinct()
        .order_by(Unit.name)
    )
    if scope is not None:
        units = scope.restrict(units, Unit.id)
    ratings = {
        r.unit_id: r
        for r in QualityRating.select().where(QualityRating.plan == plan.id, QualityRating.quarter == key)
    }
    return [RatingLine(u.id, u.label, ratings.get(u.id)) for u in units]


@dataclass(frozen=True)
class RatingInput:
    points: float | None  # None: leave as it is
    note: str = ""


def save_quality_ratings(
    scope: Scope,
    plan_id: int,
    quarter: str,
    ratings: Mapping[int, RatingInput],
    at: datetime | None = None,
) -> int:
    """The office rates the quality of units' reporting for a quarter (0–10 points, halves allowed):
    the 10 points of the score. Returns how many ratings changed; unchanged ones write nothing."""
    require_office(scope, "rate quality")
    at = at or now()
    try:
        key = str(Quarter.parse(quarter))
    except ValueError:
        raise SupervisionError(f"季度应写作 2024Q2，不是 {quarter!r}") from None
    changed = 0
    with write_transaction():
        plan = Plan.get_or_none(Plan.id == plan_id)
        if plan is None:
            raise SupervisionError("没有这个方案")
        allowed = {line.unit_id: line for line in quality_sheet(plan, key, scope)}
        for unit_id, given in sorted(ratings.items()):
            if given.points is None:
                continue
            scope.check_write_unit(unit_id)  # a county's office rates units under it only
            line = allowed.get(unit_id)
            if line is None:
                raise SupervisionError("所评单位在该方案中没有分工")
            points = float(given.points)
            if not 0 <= points <= 10 or points * 2 != int(points * 2):
                raise SupervisionError(f"{line.unit_label}：质量评分应在 0 到 10 分之间，最小单位 0.5 分")
            note = checked_text(given.note, "评分说明", required=False, limit=500)
            row = line.rating
            if row is not None and row.points == points and row.note == note:
                continue
            before = {"points": row.points, "note": row.note} if row else None
            if row is None:
                row = QualityRating.create(
                    plan=plan.id,
                    unit=unit_id,
                    quarter=key,
                    points=points,
                    note=note,
                    rated_by=scope.user_id,
                    rated_at=at,
                )
            else:
                row.points, row.note, row.rated_by, row.rated_at = points, note, scope.user_id, at
                row.save()
            audit.record(
                scope.username,
                "quality.rate",
                "quality_rating",
                row.id,
                before,
                {"plan": plan.id, "unit": unit_id, "quarter": key, "points": points, "note": note},
            )
            changed += 1
    return changed


SCORING_PARTS = ("on_time", "progress", "findings", "quality", "red_penalty")


def save_scoring(scope: Scope, plan_id: int, values: Mapping[str, Decimal]) -> dict | None:
    """The office sets a plan's score weights and red penalty (DOMAIN.md: configurable per plan):
    each 0–100, the four parts adding up to 100. Audited with before and after in the same
    transaction; returns the new weights, or None when nothing changed. A county's office (scoped to
    a level) cannot change a plan's weights."""
    require_office(scope, "set score weights")
    scope.check_plan_office("set score weights")
    given = {}
    for part in SCORING_PARTS:
        value = values.get(part)
        if value is None or not Decimal(value).is_finite() or not 0 <= Decimal(value) <= 100:
            raise SupervisionError(f"{SCORING_LABELS[part]}应为 0 到 100 之间的数")
        number = Decimal(value).normalize()
        given[part] = int(number) if number == number.to_integral_value() else float(number)
    total = sum(Decimal(str(given[p])) for p in SCORING_PARTS[:4])
    if total != 100:
        raise SupervisionError(f"四项权重合计应为 100 分，现为 {total.normalize():f} 分")
    with write_transaction():
        plan = Plan.get_or_none(Plan.id == plan_id)
        if plan is None:
            raise SupervisionError("没有这个方案")
        before = {**DEFAULT_SCORING, **(plan.scoring or {})}
        if before == given:
            return None
        plan.scoring = given
        plan.save(only=["scoring"])
        audit.record(scope.username, "plan.scoring", "plan", plan.code, before, given)
    return given


SCORING_LABELS = {
    "on_time": "按时报送",
    "progress": "按计划推进",
    "findings": "问题按期整改",
    "quality": "质量评价",
    "red_penalty": "每个红灯扣分",
}
DEFAULT_SCORING = {"on_time": 30, "progress": 40, "findings": 20, "quality": 10, "red_penalty": 2}
