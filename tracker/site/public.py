"""What the public may read: the one place that turns gathered records into published documents.

The published site shows plan structure, lights, percentages, indicator values, summaries marked
public, and counts of findings (DOMAIN.md, "Public vs internal"). This module builds the public
documents (`board.json`, `bulletin.json`, `assessment.json`) from gathered records, and every page
and data file of the site is rendered from these documents alone, so nothing can reach the site
without passing through here. The rule, field by field:

- shown: the plan as printed (title, issuer, 文号, dates, sections, measure codes, titles and
  deadlines), unit names and ids (units are offices, not people), every light and report status with
  its reasons, percentages, indicator values against targets and milestones, scores line by line,
  and counts of findings (total, open, overdue, closed);
- a report's `public_summary`: only the lead's latest revision up to the cut-off, and only when the
  measure is public (`Measure.public`); a finding's title only when `Finding.public`, its detail only
  when `Finding.detail_public`; elsewhere (a light's reasons, a score line) a non-public finding is
  named "未公开问题";
- the office's commentary on a board (`Bulletin.commentary`): it is written for publication;
- never: people (names, usernames, emails, who recorded or returned anything), a report's narrative,
  problems and next steps, indicator notes, return reasons, evidence files, inspection notes,
  quality-rating notes, rectification lists.

Pure: plain values in, plain JSON-able values out; no database, no files, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from tracker.rules.cuts import cuts
from tracker.rules.lights import Rag
from tracker.rules.periods import Quarter, Review, end_of_day, local_date, phase_note
from tracker.rules.scores import Part
from tracker.rules.snapshot import AssignmentRow, board_json, code_key
from tracker.rules.values import Finding
from tracker.site.gather import FindingInfo, MonthGathered, PlanInfo, WindowGathered

HIDDEN_FINDING = "未公开问题"
ROLE_ORDER = {"lead": 0, "responsible": 1, "supporting": 2}
LIGHTS = tuple(rag.value for rag in Rag)


class LeakError(RuntimeError):
    """A private text reached a public document; the build stops before writing anything."""


def number(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number: an int when whole, else a float (exactly as printed)."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def plan_document(plan: PlanInfo) -> dict[str, Any]:
    return {
        "code": plan.code,
        "title": plan.title,
        "issuer": plan.issuer,
        "doc_number": plan.doc_number,
        "issued": plan.issued.isoformat() if plan.issued else None,
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        # Only plans that name phases carry them, so other plans' files stay as they were.
        **({"phases": [dict(p) for p in plan.phases]} if plan.phases else {}),
    }


class Redactor:
    """Names non-public findings "未公开问题" wherever a rule's sentence quotes their titles.

    The rules quote a title as 「title」 or as ：title（; a text that quotes no private title this way
    is returned as it is, so each text costs a look at its few quote marks, not a scan per title.
    """

    def __init__(self, findings: dict[int, FindingInfo], recorded: Iterable[Finding]):
        titles = {f.title for f in recorded if f.id not in findings or not findings[f.id].public}
        titles |= {f.title for f in findings.values() if not f.public}
        titles -= {f.title for f in findings.values() if f.public}  # the same words, published on purpose
        self.titles = sorted((t for t in titles if t), key=lambda t: (-len(t), t))
        self.title_set = frozenset(self.titles)
        self.details = sorted(
            {f.detail for f in findings.values() if f.detail and not (f.public and f.detail_public)}
        )
        self._done: dict[str, str] = {}

    def quotes_private(self, text: str) -> bool:
        """Whether `text` quotes a private title as the rules quote titles (「title」 or ：title（)."""
        return any(quoted in self.title_set for quoted in _quoted(text))

    def __call__(self, text: str) -> str:
        done = self._done.get(text)
        if done is None:
            done = self._done[text] = self._redact(text) if self.quotes_private(text) else text
        return done

    def _redact(self, text: str) -> str:
        for title in self.titles:
            if title in text:
                text = text.replace(f"：{title}（", f"：{HIDDEN_FINDING}（")
                text = text.replace(f"「{title}」", f"「{HIDDEN_FINDING}」")
        return text

    def check(self, document: dict[str, Any]) -> None:
        """Refuse a document that still quotes a private title or detail (a guard, not the rule):
        a text equal to a private title or quoting one as the rules quote titles, or holding a
        private detail of some length."""
        details = [d for d in self.details if len(d) >= 8]
        seen: set[str] = set()
        for text in _strings(document):
            if text in seen:  # the same words say the same thing wherever they stand
                continue
            seen.add(text)
            if text in self.title_set or any(d in text for d in details):
                raise LeakError(f"a private finding text would be published: {text[:20]!r}…")
            if self.quotes_private(text):
                title = next(t for t in self.titles if f"「{t}」" in text or f"：{t}（" in text)
                raise LeakError(f"a private finding title would be published: {title[:20]!r}…")


def _quoted(text: str):
    """Every part of `text` between a 「 and a later 」, and between a ： and a later （."""
    for left, right in (("「", "」"), ("：", "（")):
        start = text.find(left)
        while start != -1:
            end = text.find(right, start + 1)
            while end != -1:
                yield text[start + 1 : end]
                end = text.find(right, end + 1)
            start = text.find(left, start + 1)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _finding_counts(findings: Iterable[Finding], as_of: datetime) -> dict[str, int]:
    items = list({f.id: f for f in findings}.values())
    open_ = [f for f in items if f.is_open(as_of)]
    return {
        "total": len(items),
        "open": len(open_),
        "overdue": sum(1 for f in open_ if as_of > end_of_day(f.deadline)),
        "closed": len(items) - len(open_),
    }


def _public_findings(findings: Iterable[Finding], flags: dict[int, FindingInfo], as_of: datetime) -> list:
    shown = []
    for f in sorted({f.id: f for f in findings}.values(), key=lambda f: (f.deadline, f.id)):
        info = flags.get(f.id)
        if info is None or not info.public:
            continue
        shown.append(
            {
                "title": info.title,
                "detail": info.detail if info.detail_public else "",
                "severity": info.severity,
                "deadline": f.deadline.isoformat(),
                "state": "open" if f.is_open(as_of) else "closed",
                "unit": f.unit,
            }
        )
    return shown


def month_document(g: MonthGathered) -> dict[str, Any]:
    """The public `board.json` of a monthly board: CLI.md's fields, plus public ones only.

    Each assignment's light, percent, report status and indicator values are the board's own
    (`snapshot.Board.assignments`), read once when the board was made, never worked out again here.
    """
    facts, as_of = g.facts, g.as_of
    rows = g.board.assignments
    unit_findings = [f for f in (x.as_of(as_of) for x in facts.unit_findings) if f is not None]
    recorded = [f for row in rows for f in row.facts.findings] + unit_findings
    redact = Redactor(g.findings, recorded)
    unit_ids = facts.unit_ids

    doc = board_json(g.board, g.plan.code)
    by_measure: dict[str, list[AssignmentRow]] = {}
    assignments = []
    for row in rows:
        by_measure.setdefault(row.measure, []).append(row)
        assignments.append(
            {
                "measure": row.measure,
                "unit_id": unit_ids.get(row.unit),
                "unit": row.unit,
                "short": row.short,
                "role": row.role.value,
                "light": row.light.value,
                "reasons": [redact(r) for r in row.reasons],
                "percent": row.percent,
                "report": row.report.value,
                "report_reason": redact(row.report_reason),
                "indicators": [{"name": i.name, "value": number(i.value)} for i in row.indicators],
            }
        )
    assignments.sort(key=lambda a: (code_key(a["measure"]), ROLE_ORDER.get(a["role"], 9), a["unit"]))

    for row in doc["measures"]:
        code = row["code"]
        info = g.measures.get(code)
        items = by_measure.get(code, [])
        row["reasons"] = [redact(r) for r in row["reasons"]]
        row["report_reasons"] = [redact(r) for r in row["report_reasons"]]
        row["section"] = info.section if info else ""
        row["deadline"] = info.deadline.isoformat() if info and info.deadline else None
        row["deadline_text"] = info.deadline_text if info else ""
        row["reconstructed"] = bool(info and info.reconstructed)
        leads = [item for item in items if item.role.value == "lead"] or items
        summaries = []
        if info is not None and info.public:
            for item in leads:
                text = g.summaries.get(item.id, "").strip()
                if text:
                    summaries.append(f"{item.facts.unit.label}：{text}" if len(leads) > 1 else text)
        row["summary"] = "\n".join(summaries)
        row["indicators"] = _indicators(leads[0] if leads else None, as_of)
        findings = [f for item in items for f in item.facts.findings]
        row["findings"] = _finding_counts(findings, as_of)
        row["public_findings"] = _public_findings(findings, g.findings, as_of)
        row["assignments"] = len(items)

    by_unit: dict[str, list[Finding]] = {}
    for f in (*(f for row in rows for f in row.facts.findings), *unit_findings):
        by_unit.setdefault(f.unit, []).append(f)
    for row in doc["units"]:
        row["id"] = unit_ids.get(row["name"])
        row["findings"] = _finding_counts(by_unit.get(row["name"], ()), as_of)

    doc["plan_info"] = plan_document(g.plan)
    doc["sections"] = _sections(g, doc["measures"])
    doc["assignments"] = assignments
    doc["findings"] = _finding_counts(recorded, as_of)
    doc["commentary"] = g.commentary
    if g.plan.phases:
        doc["phase"] = phase_note(list(g.plan.phases), local_date(g.board.cutoff))
    redact.check(doc)
    return doc


def _indicators(lead: AssignmentRow | None, as_of: datetime) -> list[dict[str, Any]]:
    if lead is None:
        return []
    out = []
    for spec, reading in zip(lead.facts.indicators, lead.indicators, strict=True):
        passed = [m for m in spec.milestones if end_of_day(m.date) < as_of]
        upcoming = [m for m in spec.milestones if end_of_day(m.date) >= as_of]
        out.append(
            {
                "name": spec.name,
                "unit": spec.unit or "",
                "target": number(spec.target),
                "value": number(reading.value),
                "milestone": _milestone(passed[-1]) if passed else None,
                "next_milestone": _milestone(upcoming[0]) if upcoming else None,
                "behind": reading.behind is not None,
            }
        )
    return out


def _milestone(milestone) -> dict[str, Any]:
    out = {"date": milestone.date.isoformat(), "value": number(milestone.value)}
    if milestone.derived:  # linear from the end target, not printed in the notice: shown as （推算）
        out["derived"] = True
    return out


def _sections(g: MonthGathered, measures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, int]] = {s.code: dict.fromkeys(LIGHTS, 0) for s in g.sections}
    parents = {s.code: s.parent for s in g.sections}
    for row in measures:
        code = row["section"]
        seen = set()
        while code and code in counts and code not in seen:  # a measure counts in every enclosing section
            counts[code][row["light"]] += 1
            seen.add(code)
            code = parents.get(code)
    return [
        {"code": s.code, "title": s.title, "parent": s.parent, "lights": counts[s.code]}
        for s in sorted(g.sections, key=lambda s: code_key(s.code))
    ]


def window_document(g: WindowGathered) -> dict[str, Any]:
    """The public `bulletin.json` (quarter) or `assessment.json` (year): the ranking explained."""
    result = g.assessment
    facts = result.facts
    recorded = [f for item in facts.assignments for f in item.findings] + list(facts.unit_findings)
    redact = Redactor(g.findings, recorded)
    ranking = []
    for position, score in enumerate(result.scores, start=1):
        parts = {part.value: Decimal(0) for part in Part}
        for line in score.lines:
            parts[line.part.value] += line.points
        ranking.append(
            {
                "rank": position,
                "unit_id": facts.unit_ids.get(score.unit.name),
                "name": score.unit.name,
                "short": score.unit.short,
                "kind": score.unit.kind or None,
                "parent": score.unit.parent,
                "tags": list(score.unit.tags),
                "score": number(score.score),
                "red": score.red,
                "parts": {name: number(points) for name, points in parts.items()},
                "lines": [
                    {"part": line.part.value, "points": number(line.points), "text": redact(line.text)}
                    for line in score.lines
                ],
            }
        )
    doc = {
        "plan": g.plan.code,
        "plan_info": plan_document(g.plan),
        "window": str(g.window),
        "kind": "review"
        if isinstance(g.window, Review)
        else "quarter"
        if isinstance(g.window, Quarter)
        else "year",
        "cutoff": local_date(result.as_of).isoformat(),
        "periods": [str(p) for p in g.window.periods],
        "ranking": ranking,
        # The same ranking cut by level and by tag (the city ranks counties, pilots among pilots).
        "cuts": [
            {
                "by": cut.by,
                "value": cut.value,
                "label": cut.label,
                "ranking": [
                    {"rank": i, "name": s.unit.name, "short": s.unit.short, "score": number(s.score)}
                    for i, s in enumerate(cut.scores, start=1)
                ],
            }
            for cut in cuts(result.scores)
        ],
        "commentary": g.commentary,
        "weights": {k: number(v) for k, v in vars(facts.rules.weights).items()},
    }
    if isinstance(g.window, Review):
        doc["review"] = {
            "code": g.window.code,
            "name": g.window.name,
            "first_day": g.window.first_day.isoformat(),
        }
    redact.check(doc)
    return doc
