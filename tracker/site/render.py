"""Render: public documents → the site's files as bytes (HTML, JSON, CSV, Atom), nothing written yet.

Its own Jinja2 environment (autoescape on, templates under `tracker/site/templates/`), so the site
never depends on the web app. Every page is a function of the public documents of `tracker.site.public`
and of the published record (the documents of the boards already out); no clock, no database.
Paths are relative to the site root (`sites/`), with `/` separators.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from importlib import resources
from typing import Any

from feedgen.feed import FeedGenerator
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from tracker.rules.periods import TZ, Period, Quarter, Review, Year, parse_window
from tracker.rules.snapshot import code_key
from tracker.services import labels
from tracker.services.cells import csv_text, file_text
from tracker.services.labels import FINDING_STATES
from tracker.services.text import render_markdown
from tracker.site import charts

LIGHT_WORDS = labels.LIGHTS
LIGHT_MARKS = {"red": "■", "amber": "▲", "green": "●", "done": "✓", "not_started": "○"}
REPORT_WORDS = labels.PUBLIC_REPORT_STATUS
ROLE_WORDS = labels.ASSIGNMENT_ROLES
PART_WORDS = {
    "on_time": "按时报送",
    "progress": "按计划推进",
    "findings": "问题按期整改",
    "quality": "质量评价",
    "red": "红灯扣分",
}
SAFE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,63}")

# Fixed column orders of the open data (CLI.md): a consumer may rely on them.
MEASURE_COLUMNS = (
    "plan",
    "period",
    "cutoff",
    "section",
    "code",
    "title",
    "lead",
    "light",
    "percent",
    "report",
    "deadline",
    "findings_total",
    "findings_open",
    "summary",
    "planned",
    "reconstructed",
)
UNIT_COLUMNS = (
    "plan",
    "period",
    "cutoff",
    "unit_id",
    "name",
    "short",
    "assignments",
    "on_time",
    "late",
    "missing",
    "not_due",
    "red",
    "amber",
    "green",
    "done",
    "not_started",
    "findings_total",
    "findings_open",
)
SCORE_COLUMNS = (
    "plan",
    "window",
    "cutoff",
    "rank",
    "unit_id",
    "name",
    "short",
    "score",
    "on_time",
    "progress",
    "findings",
    "quality",
    "red_penalty",
    "red",
)


class RenderError(ValueError):
    pass


def safe_name(text: str) -> str:
    """A measure code or id as a file name; anything that could leave its folder is refused."""
    text = str(text)
    if not SAFE_NAME.fullmatch(text) or ".." in text:
        raise RenderError(f"cannot use {text!r} in a file name")
    return text


# A plan's review windows are named by the plan (季调度, 半年点评); `name_reviews` records the names
# of the plan being published so that a key alone (dispatch-2024-05) reads as 2024年5月季调度.
REVIEW_NAMES: dict[str, str] = {}


def name_reviews(reviews: list[dict]) -> None:
    REVIEW_NAMES.update({r["code"]: r["name"] for r in reviews})


def window_label(key: str) -> str:
    window = parse_window(key)
    if isinstance(window, Period | Review):
        window = window.end if isinstance(window, Review) else window
        return f"{window.year}年{window.month}月"
    if isinstance(window, Quarter):
        return f"{window.year}年第{window.number}季度"
    return f"{window.year}年"


def window_title(key: str) -> str:
    window = parse_window(key)
    if isinstance(window, Review):
        return f"{window_label(key)}{REVIEW_NAMES.get(window.code, '评比')}"
    kind = {Period: "月调度", Quarter: "季通报", Year: "年度考核"}[type(window)]
    return f"{window_label(key)}{kind}"


def cn_date(text: str | None) -> str:
    if not text:
        return ""
    day = date.fromisoformat(text)
    return f"{day.year}年{day.month}月{day.day}日"


def percent_text(value) -> str:
    return "—" if value is None else f"{value}%"


def planned_text(value) -> str:
    """The planned percent as the bulletin's progress line prints it: 53.13%, 50%."""
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".") + "%"


def points_text(value) -> str:
    """Points as the score lines print them: +30.0, −2.14."""
    text = f"{abs(value):.2f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return ("\u2212" if value < 0 else "+") + text


def value_text(value) -> str:
    return "—" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tracker.site", "templates"),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        light=LIGHT_WORDS.get,
        mark=LIGHT_MARKS.get,
        report=REPORT_WORDS.get,
        role=lambda r: ROLE_WORDS.get(r, r),
        part=lambda p: PART_WORDS.get(p, p),
        cn_date=cn_date,
        finding_state=lambda s: FINDING_STATES.get(s, s),
        pct=percent_text,
        planned=planned_text,
        points=points_text,
        value=value_text,
        window_label=window_label,
        window_title=window_title,
        markdown=lambda text: Markup(render_markdown(text)),  # nosec B704 # nh3-sanitized in render_markdown
    )
    env.globals.update(
        stacked_lights=charts.stacked_lights,
        progress_bars=charts.progress_bars,
        score_bars=charts.score_bars,
        LIGHTS=charts.LIGHT_ORDER,
        LIGHT_FILL=charts.LIGHT_FILL,
    )
    return env


ENV = _environment()


def page(template: str, **context: Any) -> bytes:
    return ENV.get_template(template).render(**context).encode("utf-8")


def dump_json(document: Any) -> bytes:
    # Compact: Python's C encoder only runs without indentation, and a province's board is large.
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def dump_csv(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_text(row[c]) for c in columns])
    return buffer.getvalue().encode("utf-8")


# --- the published record -------------------------------------------------------------------------


@dataclass
class PlanRecord:
    """The public documents of every board of a plan that is out (or going out in this build)."""

    plan: dict[str, Any]
    months: dict[str, dict] = field(default_factory=dict)
    windows: dict[str, dict] = field(default_factory=dict)  # quarters and years
    audit_head: str | None = None  # the audit chain's SEQ:HASH as of this build, carried by feed and manifest

    def boards(self) -> list[str]:
        return sorted([*self.months, *self.windows], key=board_order)

    @property
    def latest_month(self) -> dict | None:
        return self.months[max(self.months)] if self.months else None


def window_order(window) -> tuple:
    """Boards in publishing order: by the last month covered; a month before the quarter and the
    year that end with it."""
    last = window.periods[-1]
    return (last.year, last.month, len(window.periods), str(window))


def board_order(key: str) -> tuple:
    return window_order(parse_window(key))


def cutoff_moment_of(document: dict) -> datetime:
    return datetime.combine(date.fromisoformat(document["cutoff"]), time(23, 59), TZ)


# --- one board's files ------------------------------------------------------------------------------


def month_files(doc: dict[str, Any]) -> dict[str, bytes]:
    """A monthly board's snapshot: page, drill-downs per measure and unit, board.json and two CSVs."""
    plan, period = safe_name(doc["plan"]), doc["period"]
    base = f"{plan}/{period}/"
    root = "../../"
    measures = sorted(doc["measures"], key=lambda m: code_key(m["code"]))
    by_measure: dict[str, list] = {}
    by_unit: dict[Any, list] = {}
    for a in doc["assignments"]:
        by_measure.setdefault(a["measure"], []).append(a)
        by_unit.setdefault(a["unit_id"], []).append(a)
    titles = {m["code"]: m["title"] for m in measures}
    files = {
        base + "index.html": page("month.html", doc=doc, root=root, groups=_section_groups(doc)),
        base + "board.json": dump_json(doc),
        base + "measures.csv": dump_csv(MEASURE_COLUMNS, _measure_rows(doc)),
        base + "units.csv": dump_csv(UNIT_COLUMNS, _unit_rows(doc)),
    }
    for m in measures:
        files[f"{base}measures/{safe_name(m['code'])}.html"] = page(
            "month_measure.html", doc=doc, m=m, rows=by_measure.get(m["code"], []), root="../../../"
        )
    for u in doc["units"]:
        if u["id"] is None:
            continue
        files[f"{base}units/{safe_name(u['id'])}.html"] = page(
            "month_unit.html", doc=doc, u=u, rows=by_unit.get(u["id"], []), titles=titles, root="../../../"
        )
    return files


def _section_groups(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Sections in code order, each with the measures directly under it (empty sections left out
    unless they head others), and its depth for the heading level."""
    parents = {s["code"]: s["parent"] for s in doc["sections"]}

    def depth(code):
        d, seen = 0, set()
        while parents.get(code) and code not in seen:
            seen.add(code)
            code, d = parents[code], d + 1
        return d

    direct: dict[str, list] = {}
    for m in doc["measures"]:
        direct.setdefault(m["section"], []).append(m)
    groups = []
    for s in doc["sections"]:
        items = sorted(direct.get(s["code"], []), key=lambda m: code_key(m["code"]))
        if items or any(p == s["code"] for p in parents.values()):
            groups.append({"section": s, "measures": items, "depth": min(depth(s["code"]), 2)})
    return groups


def _measure_rows(doc):
    for m in sorted(doc["measures"], key=lambda m: code_key(m["code"])):
        yield {
            "plan": doc["plan"],
            "period": doc["period"],
            "cutoff": doc["cutoff"],
            "section": m["section"],
            "code": m["code"],
            "title": m["title"],
            "lead": "、".join(m["lead"]),
            "light": m["light"],
            "percent": m["percent"],
            "planned": m["planned"],
            "reconstructed": "true" if m.get("reconstructed") else "false",
            "report": m["report"],
            "deadline": m["deadline"],
            "findings_total": m["findings"]["total"],
            "findings_open": m["findings"]["open"],
            "summary": m["summary"],
        }


def _unit_rows(doc):
    for u in doc["units"]:
        yield {
            "plan": doc["plan"],
            "period": doc["period"],
            "cutoff": doc["cutoff"],
            "unit_id": u["id"],
            "name": u["name"],
            "short": u["short"],
            **{k: u[k] for k in ("assignments", "on_time", "late", "missing", "not_due")},
            **u["lights"],
            "findings_total": u["findings"]["total"],
            "findings_open": u["findings"]["open"],
        }


def window_files(doc: dict[str, Any]) -> dict[str, bytes]:
    """A quarterly bulletin's (ranking.csv, bulletin.json) or a yearly assessment's (assessment.csv,
    assessment.json) snapshot, with its page."""
    plan, key = safe_name(doc["plan"]), doc["window"]
    base = f"{plan}/{key}/"
    quarter = doc["kind"] in ("quarter", "review")  # a review window's files are a quarter's
    rows = [
        {
            "plan": doc["plan"],
            "window": key,
            "cutoff": doc["cutoff"],
            "rank": r["rank"],
            "unit_id": r["unit_id"],
            "name": r["name"],
            "short": r["short"],
            "score": f"{r['score']:.2f}",
            "on_time": f"{r['parts']['on_time']:.2f}",
            "progress": f"{r['parts']['progress']:.2f}",
            "findings": f"{r['parts']['findings']:.2f}",
            "quality": f"{r['parts']['quality']:.2f}",
            "red_penalty": f"{r['parts']['red']:.2f}",
            "red": r["red"],
        }
        for r in doc["ranking"]
    ]
    return {
        base + "index.html": page("window.html", doc=doc, root="../../"),
        base + ("ranking.csv" if quarter else "assessment.csv"): dump_csv(SCORE_COLUMNS, rows),
        base + ("bulletin.json" if quarter else "assessment.json"): dump_json(doc),
    }


def board_files(doc: dict[str, Any]) -> dict[str, bytes]:
    return month_files(doc) if "period" in doc else window_files(doc)


def board_key(doc: dict[str, Any]) -> str:
    return doc["period"] if "period" in doc else doc["window"]


# --- the plan's pages (rebuilt from the record on every publication) -------------------------------


PLAN_PARTS = ("index", "measures", "units")


def plan_files(record: PlanRecord, parts: tuple[str, ...] = PLAN_PARTS) -> dict[str, bytes]:
    """The plan page, a page per measure and per unit over time, the data package and the feed
    (`parts` picks some of them, so that worker processes can share the work)."""
    plan = safe_name(record.plan["code"])
    latest = record.latest_month
    months = sorted(record.months)
    files = {}
    if "index" in parts:
        files[f"{plan}/index.html"] = page(
            "plan.html",
            plan=record.plan,
            latest=latest,
            months=months,
            windows=sorted(record.windows, key=board_order),
            groups=_section_groups(latest) if latest else [],
            root="../",
        )
        files[f"{plan}/datapackage.json"] = dump_json(datapackage(record))
        files[f"{plan}/feed.atom"] = feed(record)
    if "measures" in parts:
        files.update(_measure_pages(record, plan, months))
    if "units" in parts:
        files.update(_unit_pages(record, plan, months))
    return files


def _measure_pages(record: PlanRecord, plan: str, months: list[str]) -> dict[str, bytes]:
    files = {}
    measures: dict[str, dict] = {}
    for key in months:
        for m in record.months[key]["measures"]:
            measures.setdefault(m["code"], {"latest": m, "history": []})
            measures[m["code"]]["latest"] = m
            measures[m["code"]]["history"].append((key, m))
    for code, item in measures.items():
        files[f"{plan}/measures/{safe_name(code)}.html"] = page(
            "measure.html", plan=record.plan, code=code, item=item, root="../../"
        )
    return files


def _unit_pages(record: PlanRecord, plan: str, months: list[str]) -> dict[str, bytes]:
    files = {}
    units: dict[Any, dict] = {}
    for key in months:
        for u in record.months[key]["units"]:
            if u["id"] is None:
                continue
            units.setdefault(u["id"], {"latest": u, "history": [], "scores": []})
            units[u["id"]]["latest"] = u
            units[u["id"]]["history"].append((key, u))
    for key in sorted(record.windows, key=board_order):
        for r in record.windows[key]["ranking"]:
            if r["unit_id"] is None:
                continue
            units.setdefault(
                r["unit_id"],
                {"latest": {"name": r["name"], "short": r["short"]}, "history": [], "scores": []},
            )
            units[r["unit_id"]]["scores"].append((key, r))
    for unit_id, item in units.items():
        files[f"{plan}/units/{safe_name(unit_id)}.html"] = page(
            "unit.html", plan=record.plan, unit_id=unit_id, item=item, root="../../"
        )
    return files


CSV_SCHEMAS = {
    "measures": [
        ("plan", "string", "方案编号"),
        ("period", "string", "报送期 YYYY-MM"),
        ("cutoff", "date", "看板截止日(当日23:59,北京时间)"),
        ("section", "string", "所属部分编号"),
        ("code", "string", "措施编号"),
        ("title", "string", "措施名称"),
        ("lead", "string", "牵头单位(简称,多个以、分隔)"),
        ("light", "string", "红黄绿灯:red amber green done not_started"),
        ("percent", "integer", "牵头单位截至截止时最新报送的完成进度(%),未报送为空"),
        ("report", "string", "本期报送情况:on_time late missing not_due"),
        ("deadline", "date", "完成时限,长期坚持或按期重复为空"),
        ("findings_total", "integer", "截至截止时记录的问题数"),
        ("findings_open", "integer", "其中未销号的问题数"),
        ("summary", "string", "牵头单位公开的进展摘要"),
        (
            "planned",
            "number",
            "按完成时限均衡推算截止时应达的进度(%),与季通报、年考核的“按计划推进”所比的计划值相同;无完成时限为空",
        ),
        ("reconstructed", "boolean", "措施文字、责任单位或完成时限为根据公开摘要整理(非通知原文)时为 true"),
    ],
    "units": [
        ("plan", "string", "方案编号"),
        ("period", "string", "报送期 YYYY-MM"),
        ("cutoff", "date", "看板截止日"),
        ("unit_id", "integer", "单位编号(与 units/<id>.html 对应)"),
        ("name", "string", "单位全称"),
        ("short", "string", "单位简称"),
        ("assignments", "integer", "分工数(牵头、责任、配合)"),
        ("on_time", "integer", "本期按时报送数"),
        ("late", "integer", "本期迟报数"),
        ("missing", "integer", "本期缺报数"),
        ("not_due", "integer", "本期无需报送数"),
        ("red", "integer", "红灯数"),
        ("amber", "integer", "黄灯数"),
        ("green", "integer", "绿灯数"),
        ("done", "integer", "已办结数"),
        ("not_started", "integer", "未开始数"),
        ("findings_total", "integer", "截至截止时记录的问题数"),
        ("findings_open", "integer", "其中未销号的问题数"),
    ],
    "scores": [
        ("plan", "string", "方案编号"),
        ("window", "string", "季度 YYYYQn 或年度 YYYY"),
        ("cutoff", "date", "截止日"),
        ("rank", "integer", "名次"),
        ("unit_id", "integer", "单位编号"),
        ("name", "string", "单位全称"),
        ("short", "string", "单位简称"),
        ("score", "number", "得分"),
        ("on_time", "number", "按时报送得分(满分30)"),
        ("progress", "number", "按计划推进得分(满分40)"),
        ("findings", "number", "问题按期整改得分(满分20)"),
        ("quality", "number", "质量评价得分(满分10)"),
        ("red_penalty", "number", "红灯扣分(负数)"),
        ("red", "integer", "红灯数"),
    ],
}


def _resource(path: str, kind: str, title: str) -> dict[str, Any]:
    return {
        "name": path.removesuffix(".csv").replace("/", "-").lower(),
        "path": path,
        "title": title,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "header": True},
        "schema": {
            "fields": [
                {"name": name, "type": kind_, "description": text} for name, kind_, text in CSV_SCHEMAS[kind]
            ],
            "missingValues": [""],
        },
    }


def datapackage(record: PlanRecord) -> dict[str, Any]:
    """A Frictionless data package describing every CSV of the plan's published boards."""
    resources_ = []
    for key in record.boards():
        if key in record.months:
            label = window_title(key)
            resources_.append(_resource(f"{key}/measures.csv", "measures", f"{label} 措施"))
            resources_.append(_resource(f"{key}/units.csv", "units", f"{label} 单位"))
        else:
            name = "ranking.csv" if record.windows[key]["kind"] in ("quarter", "review") else "assessment.csv"
            resources_.append(_resource(f"{key}/{name}", "scores", f"{window_title(key)} 排名与得分"))
    return {
        "profile": "tabular-data-package",
        "name": record.plan["code"].lower(),
        "title": record.plan["title"],
        "description": "任务分工督查的公开数据:月调度看板、季通报排名与年度考核。字段说明见 ../fields.html。",
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}],
        "resources": resources_,
    }


def feed(record: PlanRecord) -> bytes:
    """One Atom entry per published board or bulletin; every time is a board's cut-off, never the clock."""
    plan = record.plan
    fg = FeedGenerator()
    fg.id(f"tag:tracker,{plan['start'][:4]}:{plan['code']}")
    fg.title(file_text(f"{plan['title']} · 督查看板"))
    fg.link(href="index.html", rel="alternate")
    fg.language("zh-CN")
    fg.generator("tracker")
    if record.audit_head:
        fg.subtitle(f"审计链 head {record.audit_head}(tracker audit verify --head 可据此核对)")
    keys = record.boards()
    docs = {**record.months, **record.windows}
    if keys:
        fg.updated(max(cutoff_moment_of(docs[k]) for k in keys))
    else:
        fg.updated(datetime.combine(date.fromisoformat(plan["start"]), time(0, 0), TZ))
    for key in keys:
        doc = docs[key]
        entry = fg.add_entry(order="append")
        entry.id(f"tag:tracker,{plan['start'][:4]}:{plan['code']}/{key}")
        entry.title(window_title(key))
        entry.link(href=f"{key}/index.html", rel="alternate")
        entry.updated(cutoff_moment_of(doc))
        entry.published(cutoff_moment_of(doc))
        entry.summary(file_text(_entry_summary(doc)))
    return fg.atom_str(pretty=True)


def _entry_summary(doc: dict[str, Any]) -> str:
    if "period" in doc:
        counts = {light: sum(1 for m in doc["measures"] if m["light"] == light) for light in LIGHT_WORDS}
        lights = "，".join(f"{LIGHT_WORDS[k]} {v}" for k, v in counts.items() if v)
        return f"{len(doc['measures'])} 项措施：{lights}。截止 {cn_date(doc['cutoff'])} 23:59。"
    top = doc["ranking"][:3]
    names = "、".join(r["short"] or r["name"] for r in top)
    return f"{len(doc['ranking'])} 个单位参与排名；前三名：{names}。截止 {cn_date(doc['cutoff'])}。"


# --- the site's root ---------------------------------------------------------------------------------


def root_files(plans: list[tuple[dict[str, Any], str | None, dict | None]]) -> dict[str, bytes]:
    """The index of every plan (latest board first), the stylesheet, the icon and the field guide.

    `plans` holds (plan document, key of its latest board, latest monthly board document or None).
    """
    ordered = sorted(
        plans, key=lambda p: (board_order(p[1]) if p[1] else (0, 0, 0, ""), p[0]["code"]), reverse=True
    )
    static = resources.files("tracker.site").joinpath("static")
    return {
        "index.html": page("index.html", plans=ordered, root=""),
        "site.css": static.joinpath("site.css").read_bytes(),
        "favicon.svg": static.joinpath("favicon.svg").read_bytes(),
        "fields.html": page(
            "fields.html", root="", schemas=CSV_SCHEMAS, lights=LIGHT_WORDS, reports=REPORT_WORDS
        ),
    }


def manifest(files: dict[str, str], audit_head: str | None = None) -> bytes:
    """`sha256sum -c` format: one "<hex>  <path>" line per file, in path order, after a comment line
    (which `sha256sum -c` skips) with the audit chain's head as of the build."""
    head = f"# audit-head {audit_head}\n" if audit_head else ""
    return (head + "".join(f"{digest}  {path}\n" for path, digest in sorted(files.items()))).encode("utf-8")
