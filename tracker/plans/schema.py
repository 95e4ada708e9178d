"""Typed parsing of plan files: YAML (or an already-parsed dict) in, frozen `PlanFile` out.

Every problem is collected with the file, the line where ruamel.yaml knows it, the path inside the
document and the reason, so a clerk can fix the whole file in one pass. Nothing here touches the
database: unit names are resolved later, by `tracker.plans.load`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

from tracker.rules.periods import CADENCES
from tracker.services.text import clean_text
from tracker.store import models

ROLES = ("lead", "responsible", "supporting")
RECURRING = ("monthly", "quarterly", "half-yearly", "yearly")
INDICATOR_KINDS = ("count", "amount", "percent", "rate")
DIRECTIONS = ("up", "down")
# Units that count whole things; an indicator in one of them is a count unless the file says otherwise.
COUNT_UNITS = frozenset(
    [
        "个",
        "户",
        "座",
        "村",
        "人",
        "人次",
        "名",
        "家",
        "所",
        "处",
        "项",
        "条",
        "宗",
        "件",
        "套",
        "间",
        "栋",
        "辆",
        "台",
        "场",
        "次",
        "期",
        "批",
        "支",
        "只",
        "头",
        "口",
        "镇",
        "乡",
        "校",
        "园",
        "队",
        "片",
        "篇",
        "份",
    ]
)
UNIT_KINDS = ("city", "county", "town", "village", "department", "enterprise", "group", "other")
ROLLUPS = ("sum", "mean", "min", "max", "none")
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")
PLAN_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")

KNOWN_KEYS = {
    "": {"plan", "units", "sections", "phases", "targets"},
    "plan": {
        "code",
        "title",
        "issuer",
        "doc_number",
        "issued",
        "start",
        "end",
        "reporting",
        "source",
        "phases",
        "reviews",
        "scoring",
    },
    "reporting": {"cadence", "due_day", "cutoff_day", "signoff", "holiday_shift", "amber_days", "start"},
    "review": {"code", "name", "months"},
    "scoring": {"weights", "red_penalty"},
    "weights": {"on_time", "progress", "findings", "quality"},
    "unit": {"name", "short", "aliases", "kind", "members", "reconstructed", "parent", "tags", "source"},
    "section": {"code", "title", "text", "sections", "measures", "reconstructed", "source"},
    "measure": {
        "code",
        "title",
        "text",
        "lead",
        "responsible",
        "supporting",
        "deadline",
        "deadline_text",
        "recurring",
        "cadence",
        "indicators",
        "reconstructed",
        "start",
        "public",
        "source",
        "leaders",
    },
    "indicator": {
        "code",
        "name",
        "unit",
        "target",
        "baseline",
        "cumulative",
        "milestones",
        "rollup",
        "shares",
        "source",
        "kind",
        "direction",
    },
    "milestone": {"date", "value", "phase"},
    "phase": {"name", "start", "end"},
    "target": {"name", "kind", "parent", "tags"},
}


# The longest text each (kind, key) may hold, read from the columns that store it, so a name that
# fits SQLite's untyped text but not PostgreSQL's varchar is refused on both, with its line.
LIMITS: dict[tuple[str, str], int] = {
    ("plan", "code"): models.Plan.code.max_length,
    ("plan", "doc_number"): models.Plan.doc_number.max_length,
    ("unit", "name"): models.Unit.name.max_length,
    ("unit", "short"): models.Unit.short.max_length,
    ("unit", "aliases"): models.Unit.short.max_length,
    ("unit", "members"): models.Unit.name.max_length,
    ("unit", "kind"): models.Unit.kind.max_length,
    ("section", "code"): models.Section.code.max_length,
    ("measure", "code"): models.Measure.code.max_length,
    ("measure", "recurring"): models.Measure.recurring.max_length,
    ("measure", "lead"): models.Assignment.printed_name.max_length,
    ("measure", "responsible"): models.Assignment.printed_name.max_length,
    ("measure", "supporting"): models.Assignment.printed_name.max_length,
    ("indicator", "code"): models.Indicator.code.max_length,
    ("indicator", "unit"): models.Indicator.unit.max_length,
    ("reporting", "cadence"): models.Plan.cadence.max_length,
}

# Bounds on the YAML itself, checked on its event stream before any document is built.
MAX_BYTES = 2 * 1024 * 1024  # the shipped plans are under 100 KB
MAX_EVENTS = 200_000
MAX_DEPTH = 40


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a plan file, placed so a person can find it."""

    source: str
    line: int | None
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.path}: {self.reason}" if self.path else f"{where}: {self.reason}"


class PlanFileError(ValueError):
    """A plan file that cannot be used; `.problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Reporting:
    cadence: str = "monthly"
    due_day: int = 25
    cutoff_day: int | None = None
    signoff: bool = False
    holiday_shift: bool = False
    amber_days: int = 30
    start: date | None = None  # adoption: nothing before it is chased, scored, ranked or published


@dataclass(frozen=True)
class ReviewSpec:
    """A ranked bulletin the notice names (季调度, 半年点评, 年终总结) and the months it closes."""

    code: str
    name: str
    months: tuple[int, ...]


@dataclass(frozen=True)
class Scoring:
    """Score weights and the red-light penalty from the plan file (DOMAIN.md's defaults otherwise)."""

    on_time: float = 30
    progress: float = 40
    findings: float = 20
    quality: float = 10
    red_penalty: float = 2

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("on_time", "progress", "findings", "quality", "red_penalty")}


@dataclass(frozen=True)
class Phase:
    name: str
    start: date
    end: date


@dataclass(frozen=True)
class UnitSpec:
    name: str
    short: str | None = None
    aliases: tuple[str, ...] = ()
    kind: str = "department"
    members: tuple[str, ...] = ()
    reconstructed: bool = False
    parent: str | None = None  # a printed name, resolved by the loader
    tags: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """Every name this unit answers to: full name, short name, aliases."""
        return tuple(n for n in (self.name, self.short, *self.aliases) if n)


@dataclass(frozen=True)
class Milestone:
    date: date
    value: float


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    unit: str | None
    target: float | None
    baseline: float = 0
    cumulative: bool = True
    milestones: tuple[Milestone, ...] = ()
    kind: str = "amount"
    direction: str = "up"
    rollup: str = "none"
    shares: tuple[tuple[str, float], ...] = ()  # (printed member name, its part of the target)


@dataclass(frozen=True)
class MeasureSpec:
    code: str
    title: str
    text: str | None
    lead: tuple[str, ...]
    responsible: tuple[str, ...]
    supporting: tuple[str, ...]
    deadline: date | None
    deadline_text: str | None
    recurring: str | None
    indicators: tuple[IndicatorSpec, ...] = ()
    reconstructed: bool = False
    start: date | None = None
    public: bool = True
    line: int | None = None
    # People the notice names (责任领导, 分管领导): kept for the record, never units, never assigned.
    leaders: tuple[str, ...] = ()
    cadence: str | None = None  # reports on its own cadence (quarterly …); None = the plan's

    def assignments(self) -> tuple[tuple[str, str], ...]:
        """(role, printed unit name) in printed order, lead first."""
        return tuple((role, name) for role in ROLES for name in getattr(self, role))


@dataclass(frozen=True)
class SectionSpec:
    code: str
    title: str
    text: str | None = None
    sections: tuple[SectionSpec, ...] = ()
    measures: tuple[MeasureSpec, ...] = ()
    reconstructed: bool = False

    def walk_measures(self):
        yield from self.measures
        for child in self.sections:
            yield from child.walk_measures()

    def walk_sections(self):
        yield self
        for child in self.sections:
            yield from child.walk_sections()


@dataclass(frozen=True)
class TargetSpec:
    name: str
    kind: str | None = None
    parent: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanFile:
    code: str
    title: str
    issuer: str | None
    doc_number: str | None
    issued: date | None
    start: date
    end: date
    reporting: Reporting
    source_note: str | None
    units: tuple[UnitSpec, ...]
    sections: tuple[SectionSpec, ...]
    phases: tuple[Phase, ...] = ()
    targets: tuple[TargetSpec, ...] = ()
    reviews: tuple[ReviewSpec, ...] = ()
    scoring: Scoring | None = None
    origin: str = "<plan>"
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    def measures(self) -> list[MeasureSpec]:
        return [m for s in self.sections for m in s.walk_measures()]

    def all_sections(self) -> list[SectionSpec]:
        return [x for s in self.sections for x in s.walk_sections()]


class _Reader:
    """Walks the parsed document, converting values and collecting problems with their lines."""

    def __init__(self, origin: str, allow_unknown: bool = False):
        self.origin = origin
        self.allow_unknown = allow_unknown
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.kinds: dict[int, str] = {}  # id(mapping) → its kind, for LIMITS
        self.phase_ends: dict[str, date] = {}  # a milestone may fall on a phase's end

    @staticmethod
    def line_of(node: Any, key: Any = None) -> int | None:
        lc = getattr(node, "lc", None)
        if lc is None:
            return None
        try:
            if key is not None and isinstance(node, dict) and key in node:
                return lc.key(key)[0] + 1
            return lc.line + 1
        except (AttributeError, KeyError, TypeError, IndexError):
            return None

    def fail(self, node: Any, path: str, reason: str, key: Any = None) -> None:
        self.problems.append(Problem(self.origin, self.line_of(node, key), path, reason))

    def mapping(self, node: Any, path: str, kind: str) -> dict:
        if not isinstance(node, dict):
            self.fail(node, path, f"应为映射(key: value),实为 {type(node).__name__}")
            return {}
        self.kinds[id(node)] = kind
        for key in node:
            if key not in KNOWN_KEYS[kind]:
                where = f"{path}.{key}".lstrip(".")
                line = self.line_of(node, key)
                if self.allow_unknown:
                    self.warnings.append(Problem(self.origin, line, where, "未知字段,已忽略"))
                else:
                    known = "、".join(sorted(KNOWN_KEYS[kind]))
                    self.problems.append(
                        Problem(
                            self.origin,
                            line,
                            where,
                            f"未知字段 {key!r}(此处可用:{known});确需忽略请加 --allow-unknown",
                        )
                    )
        return node

    def limit(self, node: dict, key: str, path: str, value: str) -> bool:
        """True when `value` fits the column that stores it; otherwise a problem naming the line."""
        most = LIMITS.get((self.kinds.get(id(node), ""), key))
        if most is not None and len(value) > most:
            self.fail(node, path, f"长度 {len(value)} 字,超过上限 {most} 字", key)
            return False
        return True

    def text(self, node: dict, key: str, path: str, required: bool = False) -> str | None:
        value = node.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(node, _join(path, key), "必填,不能为空", key)
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.fail(node, _join(path, key), f"应为文字,实为 {type(value).__name__}", key)
            return None
        value = clean_text(value).strip()
        return value if self.limit(node, key, _join(path, key), value) else None

    def day(self, node: dict, key: str, path: str, required: bool = False) -> date | None:
        value = node.get(key)
        if value is None:
            if required:
                self.fail(node, _join(path, key), "必填日期(YYYY-MM-DD)", key)
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(node, _join(path, key), f"{value!r} 不是有效日期(应为 YYYY-MM-DD)", key)
        return None

    def number(self, node: dict, key: str, path: str) -> float | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(node, _join(path, key), f"{value!r} 不是数字", key)
            return None
        return value

    def flag(self, node: dict, key: str, path: str, default: bool) -> bool:
        value = node.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(node, _join(path, key), f"{value!r} 应为 true 或 false", key)
            return default
        return value

    def names(self, node: dict, key: str, path: str) -> tuple[str, ...]:
        value = node.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(node, _join(path, key), "应为单位名称列表", key)
            return ()
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.fail(node, f"{_join(path, key)}[{i}]", f"{item!r} 不是单位名称", key)
                continue
            name = normalize_name(clean_text(item))
            if self.limit(node, key, f"{_join(path, key)}[{i}]", name):
                out.append(name)
        return tuple(out)

    def items(self, node: dict, key: str, path: str) -> list:
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(node, _join(path, key), "应为列表", key)
            return []
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_WIDTH = str.maketrans({"（": "(", "）": ")", "，": ",", "：": ":", "；": ";", "\u3000": " "})


def normalize_name(name: str) -> str:
    """A unit name as printed, minus width and spacing differences: `各县（市、区）` = `各县(市、区)`."""
    return re.sub(r"\s+", "", name.translate(_WIDTH))


def parse_plan(data: Any, origin: str = "<plan>", allow_unknown: bool = False) -> PlanFile:
    """Check a parsed plan document and return it typed; raise `PlanFileError` listing every problem.

    A key the schema does not know (KNOWN_KEYS) is a problem, as a typo such as `leader:` for `lead:`
    would otherwise silently drop an assignment; `allow_unknown` makes it a warning instead.
    """
    r = _Reader(origin, allow_unknown)
    doc = r.mapping(data, "", "")
    plan_node = r.mapping(doc.get("plan"), "plan", "plan") if "plan" in doc else {}
    if "plan" not in doc:
        r.fail(doc, "plan", "缺少 plan 段")

    code = r.text(plan_node, "code", "plan", required=True)
    if code and not PLAN_CODE_RE.match(code):
        r.fail(plan_node, "plan.code", f"{code!r} 只能用小写字母、数字和连字符(如 ankang-2023)", "code")
    title = r.text(plan_node, "title", "plan", required=True)
    start = r.day(plan_node, "start", "plan", required=True)
    end = r.day(plan_node, "end", "plan", required=True)
    if start and end and end < start:
        r.fail(plan_node, "plan.end", f"结束日期 {end} 早于开始日期 {start}", "end")
    reporting = _reporting(r, plan_node)

    phases = []
    phase_nodes = r.items(doc, "phases", "") + r.items(plan_node, "phases", "plan")
    for i, node in enumerate(phase_nodes):
        p = r.mapping(node, f"phases[{i}]", "phase")
        name = r.text(p, "name", f"phases[{i}]", required=True)
        ps, pe = r.day(p, "start", f"phases[{i}]", True), r.day(p, "end", f"phases[{i}]", True)
        if ps and pe and pe < ps:
            r.fail(p, f"phases[{i}].end", f"阶段结束 {pe} 早于开始 {ps}", "end")
        if name and ps and pe:
            phases.append(Phase(name, ps, pe))

    units = _units(r, doc)
    reviews = _reviews(r, plan_node)
    scoring = _scoring(r, plan_node)
    if reporting.start and start and end and not start <= reporting.start <= end:
        r.fail(
            plan_node, "plan.reporting.start", f"采用日 {reporting.start} 不在方案实施期内({start} 至 {end})"
        )
    r.phase_ends = {x.name: x.end for x in phases}
    sections = _sections(r, doc, "", start)
    if not sections and "sections" in doc:
        r.fail(doc, "sections", "至少需要一个部分(section)", "sections")
    elif "sections" not in doc:
        r.fail(doc, "sections", "缺少 sections 段")
    _check_codes(r, sections)

    targets = []
    for i, node in enumerate(r.items(doc, "targets", "")):
        t = r.mapping(node, f"targets[{i}]", "target")
        name = r.text(t, "name", f"targets[{i}]", required=True)
        if name:
            tags = r.names(t, "tags", f"targets[{i}]")
            targets.append(
                TargetSpec(
                    name, r.text(t, "kind", f"targets[{i}]"), r.text(t, "parent", f"targets[{i}]"), tags
                )
            )

    if r.problems:
        raise PlanFileError(r.problems)
    return PlanFile(
        code=code,
        title=title,
        issuer=r.text(plan_node, "issuer", "plan"),
        doc_number=r.text(plan_node, "doc_number", "plan"),
        issued=r.day(plan_node, "issued", "plan"),
        start=start,
        end=end,
        reporting=reporting,
        source_note=r.text(plan_node, "source", "plan"),
        units=tuple(units),
        sections=tuple(sections),
        phases=tuple(phases),
        targets=tuple(targets),
        reviews=reviews,
        scoring=scoring,
        origin=origin,
        warnings=tuple(r.warnings),
    )


def _reporting(r: _Reader, plan_node: dict) -> Reporting:
    node = plan_node.get("reporting")
    if node is None:
        return Reporting()
    node = r.mapping(node, "plan.reporting", "reporting")
    cadence = r.text(node, "cadence", "plan.reporting") or "monthly"
    if cadence not in CADENCES:
        r.fail(node, "plan.reporting.cadence", f"{cadence!r} 应为 {' / '.join(CADENCES)}", "cadence")
    values = {}
    for key, low, high in (("due_day", 1, 31), ("cutoff_day", 1, 31), ("amber_days", 0, 365)):
        v = node.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            r.fail(node, f"plan.reporting.{key}", f"{v!r} 应为 {low} 到 {high} 的整数", key)
        else:
            values[key] = v
    return Reporting(
        start=r.day(node, "start", "plan.reporting"),
        cadence=cadence,
        signoff=r.flag(node, "signoff", "plan.reporting", False),
        holiday_shift=r.flag(node, "holiday_shift", "plan.reporting", False),
        **values,
    )


def _reviews(r: _Reader, plan_node: dict) -> tuple[ReviewSpec, ...]:
    out, seen = [], set()
    for i, node in enumerate(r.items(plan_node, "reviews", "plan")):
        path = f"plan.reviews[{i}]"
        v = r.mapping(node, path, "review")
        code = r.text(v, "code", path, required=True)
        name = r.text(v, "name", path, required=True)
        if code and not re.fullmatch(r"[a-z][a-z0-9]{0,23}", code):
            r.fail(v, f"{path}.code", f"{code!r} 只能用小写字母和数字(如 dispatch),它是网址的一部分", "code")
        if code in seen:
            r.fail(v, f"{path}.code", f"评比 {code!r} 重复", "code")
        seen.add(code)
        months = v.get("months")
        if (
            not isinstance(months, list)
            or not months
            or not all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in months)
        ):
            r.fail(v, f"{path}.months", "应为 1 到 12 的月份列表,如 [5, 8, 11]", "months")
            continue
        if code and name:
            out.append(ReviewSpec(code, name, tuple(sorted(set(months)))))
    return tuple(out)


def _scoring(r: _Reader, plan_node: dict) -> Scoring | None:
    node = plan_node.get("scoring")
    if node is None:
        return None
    node = r.mapping(node, "plan.scoring", "scoring")
    weights = r.mapping(node.get("weights") or {}, "plan.scoring.weights", "weights")
    values = {}
    for key, source, path in [
        *((k, weights, "plan.scoring.weights") for k in ("on_time", "progress", "findings", "quality")),
        ("red_penalty", node, "plan.scoring"),
    ]:
        v = r.number(source, key, path)
        if v is not None and v < 0:
            r.fail(source, f"{path}.{key}", f"{v} 不能小于 0", key)
        elif v is not None:
            values[key] = v
    return Scoring(**values)


def _units(r: _Reader, doc: dict) -> list[UnitSpec]:
    units, seen = [], {}
    for i, node in enumerate(r.items(doc, "units", "")):
        path = f"units[{i}]"
        u = r.mapping(node, path, "unit")
        name = r.text(u, "name", path, required=True)
        if not name:
            continue
        kind = r.text(u, "kind", path) or "department"
        if kind not in UNIT_KINDS:
            r.fail(u, f"{path}.kind", f"{kind!r} 不是单位类型({'/'.join(UNIT_KINDS)})", "kind")
        members = r.names(u, "members", path)
        if members and kind != "group":
            r.fail(u, f"{path}.members", "只有 kind: group 的单位可以列 members", "members")
        short = r.text(u, "short", path)
        parent = r.text(u, "parent", path)
        spec = UnitSpec(
            name=normalize_name(name),
            short=normalize_name(short) if short else None,
            aliases=r.names(u, "aliases", path),
            kind=kind,
            members=members,
            reconstructed=r.flag(u, "reconstructed", path, False),
            parent=normalize_name(parent) if parent else None,
            tags=_tags(r, u, path),
        )
        if spec.parent and spec.parent in spec.names():
            r.fail(u, f"{path}.parent", "单位不能是自己的上级", "parent")
        for n in spec.names():
            if n in seen and seen[n] != spec.name:
                r.fail(u, path, f"名称 {n!r} 已被单位 {seen[n]!r} 使用,无法区分")
            seen.setdefault(n, spec.name)
        units.append(spec)
    return units


def _tags(r: _Reader, node: dict, path: str) -> tuple[str, ...]:
    value = node.get("tags")
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        r.fail(node, f"{path}.tags", "应为标签文字列表,如 [试点区县]", "tags")
        return ()
    return tuple(dict.fromkeys(x.strip() for x in value))


def _shares(r: _Reader, node: dict, path: str, target: float | None) -> tuple[tuple[str, float], ...]:
    """An indicator's `shares`: member name → its part of the target, each a number not below 0."""
    value = node.get("shares")
    if value is None:
        return ()
    if not isinstance(value, dict) or not value:
        r.fail(node, f"{path}.shares", "应为 单位: 分解数 的映射,如 {城关街道: 8}", "shares")
        return ()
    out: dict[str, float] = {}
    for name, part in value.items():
        if not isinstance(name, str) or not name.strip():
            r.fail(node, f"{path}.shares", f"{name!r} 不是单位名称", "shares")
        elif isinstance(part, bool) or not isinstance(part, (int, float)) or part < 0:
            r.fail(node, f"{path}.shares.{name}", f"{part!r} 应为不小于 0 的数", "shares")
        elif normalize_name(name) in out:
            r.fail(node, f"{path}.shares.{name}", "单位重复", "shares")
        else:
            out[normalize_name(name)] = part
    if target is None and out:
        r.fail(node, f"{path}.shares", "有分解数(shares)的指标必须有目标值(target)", "shares")
    return tuple(out.items())


def _sections(r: _Reader, node: dict, path: str, plan_start: date | None) -> list[SectionSpec]:
    out = []
    for i, s_node in enumerate(r.items(node, "sections", path)):
        spath = _join(path, f"sections[{i}]")
        s = r.mapping(s_node, spath, "section")
        code = _code(r, s, spath)
        title = r.text(s, "title", spath, required=True)
        children = _sections(r, s, spath, plan_start)
        measures = [
            _measure(r, m, f"{spath}.measures[{j}]") for j, m in enumerate(r.items(s, "measures", spath))
        ]
        if code and title:
            out.append(
                SectionSpec(
                    code=code,
                    title=title,
                    text=r.text(s, "text", spath),
                    sections=tuple(children),
                    measures=tuple(m for m in measures if m),
                    reconstructed=r.flag(s, "reconstructed", spath, False),
                )
            )
    return out


def _code(r: _Reader, node: dict, path: str) -> str | None:
    code = r.text(node, "code", path, required=True)
    if code and not CODE_RE.match(code):
        r.fail(node, f"{path}.code", f"{code!r} 不是有效编号(数字、字母、点、连字符)", "code")
        return None
    return code


def _measure(r: _Reader, node: Any, path: str) -> MeasureSpec | None:
    m = r.mapping(node, path, "measure")
    code = _code(r, m, path)
    title = r.text(m, "title", path, required=True)
    recurring = r.text(m, "recurring", path)
    if recurring and recurring not in RECURRING:
        r.fail(m, f"{path}.recurring", f"{recurring!r} 应为 {' / '.join(RECURRING)} 或 null", "recurring")
    cadence = r.text(m, "cadence", path)
    if cadence and cadence not in CADENCES:
        r.fail(m, f"{path}.cadence", f"{cadence!r} 应为 {' / '.join(CADENCES)}", "cadence")
    indicators = []
    for k, i_node in enumerate(r.items(m, "indicators", path)):
        ipath = f"{path}.indicators[{k}]"
        ind = r.mapping(i_node, ipath, "indicator")
        name = r.text(ind, "name", ipath, required=True)
        milestones = []
        for n, ms_node in enumerate(r.items(ind, "milestones", ipath)):
            ms = r.mapping(ms_node, f"{ipath}.milestones[{n}]", "milestone")
            phase = r.text(ms, "phase", f"{ipath}.milestones[{n}]")
            if phase is not None:
                # A phase's end carries the milestone: {phase: 集中实施, value: 60}.
                when = r.phase_ends.get(phase)
                if when is None:
                    r.fail(
                        ms, f"{ipath}.milestones[{n}].phase", f"没有名为 {phase!r} 的阶段(见 phases)", "phase"
                    )
            else:
                when = r.day(ms, "date", f"{ipath}.milestones[{n}]", required=True)
            value = r.number(ms, "value", f"{ipath}.milestones[{n}]")
            if value is None and "value" not in ms:
                r.fail(ms, f"{ipath}.milestones[{n}].value", "必填数值", None)
            if when and value is not None:
                milestones.append(Milestone(when, value))
        unit = r.text(ind, "unit", ipath)
        kind = r.text(ind, "kind", ipath) or _kind_of(unit)
        if kind not in INDICATOR_KINDS:
            r.fail(ind, f"{ipath}.kind", f"{kind!r} 应为 {' / '.join(INDICATOR_KINDS)}", "kind")
        direction = r.text(ind, "direction", ipath) or "up"
        if direction not in DIRECTIONS:
            r.fail(
                ind,
                f"{ipath}.direction",
                f"{direction!r} 应为 up(不低于目标) 或 down(不高于目标)",
                "direction",
            )
        target = r.number(ind, "target", ipath)
        for label, number in [("target", target)] + [
            (f"milestones[{n}]", x.value) for n, x in enumerate(milestones)
        ]:
            why = _implausible(kind, number)
            if why:
                r.fail(ind, f"{ipath}.{label}", why, "target" if label == "target" else "milestones")
        rollup = r.text(ind, "rollup", ipath) or "none"
        if rollup not in ROLLUPS:
            r.fail(ind, f"{ipath}.rollup", f"{rollup!r} 应为 {' / '.join(ROLLUPS)}", "rollup")
        shares = _shares(r, ind, ipath, target)
        if shares and rollup == "none":
            r.fail(ind, f"{ipath}.rollup", "有分解数(shares)的指标须写明汇总方式 rollup(如 sum)", "rollup")
        if name:
            indicators.append(
                IndicatorSpec(
                    code=r.text(ind, "code", ipath) or name,
                    name=name,
                    unit=unit,
                    target=target,
                    baseline=r.number(ind, "baseline", ipath) or 0,
                    # A ceiling (逾期率 ≤ 0.5%) is a level that may fall, not a running total.
                    cumulative=r.flag(ind, "cumulative", ipath, direction != "down"),
                    milestones=tuple(sorted(milestones, key=lambda x: x.date)),
                    kind=kind,
                    direction=direction,
                    rollup=rollup,
                    shares=shares,
                )
            )
    codes = [i.code for i in indicators]
    for dup in sorted({c for c in codes if codes.count(c) > 1}):
        r.fail(m, f"{path}.indicators", f"指标 {dup!r} 重复")
    lead = r.names(m, "lead", path)
    if not code or not title:
        return None
    return MeasureSpec(
        code=code,
        title=title,
        text=r.text(m, "text", path),
        lead=lead,
        responsible=r.names(m, "responsible", path),
        supporting=r.names(m, "supporting", path),
        deadline=r.day(m, "deadline", path),
        deadline_text=r.text(m, "deadline_text", path),
        recurring=recurring,
        indicators=tuple(indicators),
        reconstructed=r.flag(m, "reconstructed", path, False),
        start=r.day(m, "start", path),
        public=r.flag(m, "public", path, True),
        line=r.line_of(m),
        leaders=r.names(m, "leaders", path),
        cadence=cadence if cadence in CADENCES else None,
    )


def _kind_of(unit: str | None) -> str:
    """The kind an indicator's unit implies when the file names none: % is a percent, 户 or 座 a count."""
    if unit is None:
        return "amount"
    unit = unit.strip()
    if unit in ("%", "％"):
        return "percent"
    return "count" if unit in COUNT_UNITS else "amount"


def _implausible(kind: str, number: float | None) -> str | None:
    if number is None:
        return None
    if number < 0:
        return f"{number} 不能小于 0"
    if kind == "count" and float(number) != int(number):
        return f"{number} 不是整数(kind: count 只计整数)"
    if kind == "percent" and number > 100:
        return f"{number} 超出 0–100(kind: percent)"
    return None


def _check_codes(r: _Reader, sections: list[SectionSpec]) -> None:
    seen_sections: dict[str, str] = {}
    seen_measures: dict[str, str] = {}
    for top in sections:
        for s in top.walk_sections():
            if s.code in seen_sections:
                r.problems.append(Problem(r.origin, None, f"section {s.code}", "部分编号重复"))
            seen_sections[s.code] = s.title
            for m in s.measures:
                if m.code in seen_measures:
                    r.problems.append(
                        Problem(
                            r.origin,
                            m.line,
                            f"measure {m.code}",
                            f"措施编号重复(已用于 {seen_measures[m.code]!r})",
                        )
                    )
                seen_measures[m.code] = m.title
                if not m.lead and (m.responsible or m.supporting):
                    # 各地各部门按职责分工负责: the notice names no lead; each unit answers for its own part.
                    r.warnings.append(
                        Problem(
                            r.origin,
                            m.line,
                            f"measure {m.code}",
                            "未写明牵头单位：各责任单位分别报送，看板上视同共同牵头",
                        )
                    )


class _LenientDates(RoundTripConstructor):
    """Keeps an impossible date such as 2024-02-30 as text, so the checker can name its line."""

    def construct_yaml_timestamp(self, node, values=None):
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return self.construct_scalar(node)


_LenientDates.add_constructor("tag:yaml.org,2002:timestamp", _LenientDates.construct_yaml_timestamp)


def check_yaml_text(text: str, origin: str) -> None:
    """Refuse, before any document is built, what a plan file never needs and an attacker uses:
    anchors and aliases (a 1 KB "billion laughs" expands to gigabytes; a self-reference loops),
    nesting deeper than MAX_DEPTH, more than MAX_EVENTS nodes, and binary content."""
    if "\x00" in text:
        raise PlanFileError([Problem(origin, None, "", "文件含有二进制内容,不是方案文件")])
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise PlanFileError([Problem(origin, None, "", f"文件过大(上限 {MAX_BYTES // 1024 // 1024} MB)")])
    depth = events = 0
    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            events += 1
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
                raise PlanFileError([Problem(origin, line, "", "方案文件不能使用 YAML 锚点或别名(& 与 *)")])
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise PlanFileError(
                        [Problem(origin, line, "", f"层级过深(超过 {MAX_DEPTH} 层),不是有效的方案文件")]
                    )
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            if events > MAX_EVENTS:
                raise PlanFileError([Problem(origin, line, "", "内容过多,不是有效的方案文件")])
    except YAMLError as exc:
        raise PlanFileError([_yaml_problem(origin, exc)]) from None


def _yaml_problem(origin: str, exc: YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark else None
    reason = getattr(exc, "problem", None) or str(exc)
    return Problem(origin, line, "", f"YAML 格式错误:{reason}")


def read_yaml_text(text: str, origin: str) -> Any:
    """Parse a plan file's text after `check_yaml_text`, keeping line numbers for messages."""
    check_yaml_text(text, origin)
    yaml = YAML(typ="rt")
    yaml.Constructor = _LenientDates
    try:
        return yaml.load(text)
    except YAMLError as exc:
        raise PlanFileError([_yaml_problem(origin, exc)]) from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps documents far from the limit
        raise PlanFileError([Problem(origin, None, "", "层级过深,不是有效的方案文件")]) from None


def read_yaml(path: Path) -> Any:
    """Read and parse a YAML plan file with the guards of `check_yaml_text`."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:
            raise PlanFileError(
                [Problem(str(path), None, "", f"文件过大(上限 {MAX_BYTES // 1024 // 1024} MB)")]
            )
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise PlanFileError([Problem(str(path), None, "", "文件不存在")]) from None
    except IsADirectoryError:
        raise PlanFileError([Problem(str(path), None, "", "是目录,不是方案文件")]) from None
    except UnicodeDecodeError as exc:
        raise PlanFileError([Problem(str(path), None, "", f"不是 UTF-8 文本({exc.reason})")]) from None
    return read_yaml_text(text, str(path))


def load_plan_file(path: str | Path, allow_unknown: bool = False) -> PlanFile:
    """Read and check one plan file (YAML or JSON, which YAML reads too)."""
    path = Path(path)
    return parse_plan(read_yaml(path), str(path), allow_unknown)
