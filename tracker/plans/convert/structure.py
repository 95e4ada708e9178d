"""Turn an outline into plan sections and measures, with codes, units and deadlines.

The rules are the ones a clerk applies to a printed notice; each is a named function whose docstring
states it, so it can be checked against a notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .deadlines import DeadlineError, parse_deadline
from .problems import Problem
from .text import SENTENCE_END, Node, Outline

# Headings that frame the plan rather than assign work.
NON_MEASURE = {
    "总体要求", "指导思想", "基本原则", "工作原则", "总体思路", "工作思路", "目标任务", "工作目标", "主要目标",
    "总体目标", "发展目标", "目标要求", "具体目标", "实施步骤", "工作步骤", "步骤安排", "进度安排", "时间安排",
    "实施安排", "方法步骤", "工作要求", "保障措施", "组织保障", "工作保障", "保障机制", "组织实施", "有关要求",
    "相关要求", "其他要求", "其他事项", "附则", "适用范围", "实施范围", "组织领导", "工作机制", "职责分工",
    "背景", "基本情况", "工作背景", "编制依据", "政策依据", "总则", "监督考核", "考核评估", "督导考核",
    "督查考核", "实施期限", "工作措施和要求", "总体安排", "主要原则", "基本要求", "时间步骤", "工作程序",
}  # fmt: skip
# Wrapper headings whose (一)… children are the groups the notice counts.
GENERIC = re.compile(
    r"^(主要|重点|具体|核心|工作|实施|行动)?(工作)?(任务|重点|工作|措施|举措|内容|行动|领域)"
    r"((和|及|与)?(措施|举措|分工|清单|责任分工|安排)|分解)?$"
)


def _plain(title: str) -> str:
    return re.sub(r"[\s。.：:、，,；;！!“”\"']", "", title)


def is_framing(title: str) -> bool:
    """A heading such as 总体要求, 工作要求, 保障措施 (or 指导思想和基本原则) frames the plan: not a measure."""
    parts = [p for p in re.split(r"和|与|及|、|暨", _plain(title)) if p]
    return bool(parts) and all(p in NON_MEASURE for p in parts)


def is_generic(title: str) -> bool:
    """A heading such as 工作任务, 重点任务, 工作重点, 主要措施 names the task list itself."""
    return bool(GENERIC.match(_plain(title)))


def first_sentence(text: str) -> tuple[str, bool]:
    """The item's first sentence and whether more text follows it."""
    text = text.strip()
    for i, ch in enumerate(text):
        if ch in SENTENCE_END or ch == "\n":
            return text[:i].strip(), bool(text[i + 1 :].strip(" 。"))
    return text.rstrip("。.!！?？").strip(), False


def short_title(head: str, more_text: bool = False) -> str:
    """An item's short title: its first sentence (`1. 加强政策业务培训。深入…` → 加强政策业务培训).

    A lead-in ending in a colon (`加强组织领导:各地要…`) stops at the colon; a single sentence with
    nothing after it (a table cell) stops at its first comma, its first clause.
    """
    sentence, more = first_sentence(head)
    m = re.search(r"[:：]", sentence)
    if m and 2 <= m.start() <= 20 and sentence[m.end() :].strip():
        return sentence[: m.start()].strip()
    if not more and not more_text:
        m = re.search(r"[,，]", sentence)
        if m and m.start() >= 4:
            return sentence[: m.start()].strip()
    return sentence


def node_title(node: Node) -> str:
    return short_title(node.head, bool(node.lines or node.children))


def skipped(node: Node) -> bool:
    """Framing headings are left out, unless the notice assigns units or a deadline under them."""
    if node.kind != "text":
        return False
    return is_framing(node_title(node)) and not node.subtree_has_clause() and not _has_table(node)


def _has_table(node: Node) -> bool:
    return any(c.kind != "text" or _has_table(c) for c in node.children)


def _kids(node: Node) -> list[Node]:
    return [c for c in node.children if not skipped(c)]


def is_measure(node: Node) -> bool:
    """Which numbered entries are measures.

    A table row is a measure and a key task a group. A numbered entry with nothing numbered under it
    is a measure. One that carries its own assignment clause is a measure (what is numbered under it
    is part of its text). One under which two or more entries carry clauses is a group of measures.
    A heading line on its own (`(一)持续巩固拓展脱贫攻坚成果`) with entries under it is a group (a
    clause on it is inherited by its entries); an item with text on its own line (`(一)加强组织领导。
    市乡村…`) is a measure whose sub-points are part of its text, unless they have entries of their
    own. A single clause after an arabic-numbered item's last sub-point belongs to the item.
    """
    if node.kind == "row":
        return True
    if node.kind == "group":
        return False
    kids = _kids(node)
    if not kids:
        return True
    if any(c.kind != "text" or _has_table(c) for c in kids):
        return False
    with_clause = [c for c in kids if c.subtree_has_clause()]
    if len(with_clause) >= 2:
        return False
    chinese = node.style in ("chapter", "cn", "pcn")
    if node.has_units:
        return not (node.is_heading and chinese)
    if with_clause:
        # one clause after the last sub-point closes the item, not a group of one
        last = kids[-1]
        return with_clause[0] is last and not chinese and not last.children
    if node.is_heading:
        return False
    return not all(c.children for c in kids)


@dataclass
class Built:
    sections: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    measures: int = 0
    deadlines: list = field(default_factory=list)
    # measure code → what a reviewer must check: no_lead, no_units, bad_deadline, prose_deadline
    flags: dict[str, list[str]] = field(default_factory=dict)
    locations: dict[str, list[str]] = field(default_factory=dict)  # measure code → where it was read


class SectionBuilder:
    """Build the `sections` of a plan from an outline; `year` reads dates printed without a year."""

    def __init__(self, outline: Outline, year: int | None, fallback_title: str):
        self.outline = outline
        self.year = year
        self.fallback_title = fallback_title
        self.out = Built()
        self.assigns_units = _any_units(outline.root)
        # a notice that assigns units but prints no deadline anywhere: dates in the wording are read
        self.prose_deadlines = self.assigns_units and not _any_deadline(outline.root)
        if self.year is None:
            self.year = fallback_year(outline.root)

    def build(self) -> Built:
        root = self.outline.root
        if _has_rows(root):
            _prune_clauseless_text(root)
        top = self._top_level(_kids(root))
        code = 0
        run: list[Node] = []
        for node in top + [None]:
            if node is not None and is_measure(node):
                run.append(node)
                continue
            if run:
                code += 1
                synthetic = Node("", None, None, self.fallback_title, run[0].location, children=run)
                self._add_section(synthetic, str(code), None, self.out.sections)
                run = []
            if node is not None:
                code += 1
                self._add_section(node, str(code), None, self.out.sections)
        self.out.sections = [s for s in self.out.sections if _count(s)]
        if not self.out.measures:
            self.out.problems.append(Problem("", "没有找到任何措施(编号条目或任务表格)"))
        return self.out

    def _top_level(self, nodes: list[Node]) -> list[Node]:
        """Unwrap the wrapper heading (二、工作任务) whose children are the groups: they become top level.

        A top-level heading is a wrapper when everything under it is a group and its title names the
        task list (工作任务, 重点任务, 工作重点, 主要措施 …) or it is the only top-level heading with groups.
        An item printed among such a wrapper's groups becomes a section of its own.
        """
        with_groups = [
            n for n in nodes if not is_measure(n) and _kids(n) and not any(is_measure(k) for k in _kids(n))
        ]
        out: list[Node] = []
        for n in nodes:
            kids = _kids(n)
            groups = [k for k in kids if not is_measure(k)]
            if n in with_groups and n.kind == "text" and (is_generic(node_title(n)) or len(with_groups) == 1):
                out.extend(kids)
            elif n.kind == "text" and is_generic(node_title(n)) and len(groups) >= 2 and not is_measure(n):
                # groups with a stray item among them: the groups still lead, the item keeps the wrapper's title
                for k in kids:
                    if is_measure(k):
                        out.append(Node(n.label, n.style, n.number, n.head, k.location, children=[k]))
                    else:
                        out.append(k)
            else:
                out.append(n)
        return out

    def _add_section(self, node: Node, code: str, inherited: Node | None, into: list) -> None:
        section: dict[str, Any] = {"code": code, "title": node_title(node) or self.fallback_title}
        heir = node if node.has_clause else inherited
        kids = _kids(node)
        measures = [k for k in kids if is_measure(k)]
        groups = [k for k in kids if not is_measure(k)]
        m_codes = self._codes(code, measures, "措施")
        g_codes = self._codes(code, groups, "分组")
        subsections: list[dict[str, Any]] = []
        for g, c in zip(groups, g_codes, strict=True):
            self._add_section(g, c, heir, subsections)
        section["measures"] = [self._measure(m, c, heir) for m, c in zip(measures, m_codes, strict=True)]
        if subsections:
            section["sections"] = [s for s in subsections if _count(s)]
        into.append(section)

    def _codes(self, parent: str, nodes: list[Node], what: str) -> list[str]:
        """Code = parent's code + "." + printed number; by position when numbers are missing or repeat."""
        numbers = [n.number for n in nodes]
        if all(numbers) and len(set(numbers)) == len(numbers):
            return [f"{parent}.{n}" for n in numbers]
        if any(numbers) and len(nodes) > 1:
            self.out.warnings.append(
                Problem(nodes[0].location, f"{what}编号缺失或重复,按出现顺序编为 {parent}.1 …")
            )
        return [f"{parent}.{i}" for i in range(1, len(nodes) + 1)]

    def _measure(self, node: Node, code: str, inherited: Node | None) -> dict[str, Any]:
        self.out.measures += 1
        text_parts = [node.head, *node.lines]
        assignment = node.assignment
        clause_loc, deadline_loc = node.clause_location, node.deadline_location
        for d in _descendants(node):
            text_parts.append(" ".join(p for p in (d.label + d.head, *d.lines) if p))
            if d.assignment and not (assignment and assignment.any_units()) and d.assignment.any_units():
                if assignment is None:
                    from .units import Assignment

                    assignment = Assignment()
                assignment.merge(d.assignment)
                clause_loc = clause_loc or d.clause_location
                deadline_loc = deadline_loc or d.deadline_location
        lead: list[str] = []
        responsible: list[str] = []
        supporting: list[str] = []
        group_lead = inherited.assignment.lead if inherited is not None and inherited.assignment else []
        if assignment and assignment.any_units() and group_lead and not assignment.lead:
            # the group's 总牵头单位 leads; the measure's own units answer to it
            own = assignment.roles(False)
            lead = list(group_lead)
            responsible = [n for n in own[0] + own[1] if n not in lead]
            supporting = [n for n in own[2] if n not in lead + responsible]
        elif assignment and assignment.any_units():
            lead, responsible, supporting = assignment.roles(self.outline.first_is_lead)
        elif inherited is not None and inherited.assignment and inherited.assignment.any_units():
            lead, responsible, supporting = inherited.assignment.roles(self.outline.first_is_lead)
        deadline_text = assignment.deadline_text if assignment else None
        if not deadline_text and inherited is not None and inherited.assignment:
            deadline_text = inherited.assignment.deadline_text
            deadline_loc = inherited.deadline_location
        deadline = recurring = None
        if deadline_text:
            try:
                d = parse_deadline(deadline_text, self.year)
                deadline, recurring = d.date, d.recurring
                if deadline:
                    self.out.deadlines.append(deadline)
            except DeadlineError as exc:
                self.out.problems.append(Problem(deadline_loc or node.location, f"措施 {code}: {exc}"))
                self._flag(code, "bad_deadline")
        title = node_title(node)
        self.out.locations[code] = [x for x in (node.location, clause_loc, deadline_loc) if x]
        if not deadline_text and self.prose_deadlines:
            found = prose_deadline(" ".join(p for p in text_parts if p))
            if found:
                try:
                    d = parse_deadline(found, self.year)
                    deadline_text, deadline, recurring = found, d.date, d.recurring
                    self._flag(code, "prose_deadline")
                    self.out.warnings.append(
                        Problem(
                            node.location, f"措施 {code}「{title}」没有时限栏,时限「{found}」取自正文,请核对"
                        )
                    )
                except DeadlineError:
                    pass
        if not (lead or responsible or supporting):
            self._flag(code, "no_lead")
            if self.assigns_units:
                self.out.warnings.append(
                    Problem(node.location, f"措施 {code}「{title}」未列明牵头或责任单位,留空待审核")
                )
        elif not lead:
            self._flag(code, "no_lead")
            self.out.warnings.append(
                Problem(
                    clause_loc or node.location,
                    f"措施 {code}「{title}」未标明牵头单位(责任单位 {'、'.join(responsible + supporting)}),请指定",
                )
            )
        leaders = list(assignment.leaders) if assignment else []
        if not leaders and inherited is not None and inherited.assignment:
            leaders = list(inherited.assignment.leaders)
        extra = {"leaders": leaders} if leaders else {}
        return {
            "code": code,
            "title": title,
            "text": "\n".join(p.strip() for p in text_parts if p and p.strip()),
            "lead": lead,
            "responsible": responsible,
            "supporting": supporting,
            "deadline": deadline,
            "deadline_text": deadline_text,
            "recurring": recurring,
            **extra,
        }

    def _flag(self, code: str, what: str) -> None:
        self.out.flags.setdefault(code, [])
        if what not in self.out.flags[code]:
            self.out.flags[code].append(what)


# `5月底前完成…`, `2024年6月30日前`: a deadline printed inside the measure's wording.
_PROSE_DEADLINE = re.compile(
    r"(?:(?:19|20)\d{2}年)?(?:\d{1,2}月(?:底|末|中旬|上旬|\d{1,2}日)?|上半年|下半年|[一二三四]季度末?)前"
    r"|(?:(?:19|20)\d{2}年|本年|年)(?:底|末)(?:前|(?=完成|建成))|年内(?=完成|建成|实现)"
    r"|每(?:月|季度|半年|年)(?=[^,，。;；]{0,12}(?:开展|报送|召开|调度|通报|检查|公开|发布|更新|督查|评估))"
)
_PROSE_TARGET = re.compile(r"(?:到|至)(?:19|20)\d{2}年(?!\d{1,2}月|底|末)")
# `5月底完成`: a month followed by 完成 reads like 5月底前
_PROSE_DONE = re.compile(r"(?:(?:19|20)\d{2}年)?\d{1,2}月(?:底|末)(?=完成|建成)")


def prose_deadline(text: str) -> str | None:
    """The one deadline printed in a measure's wording (`力争5月底前完成`), or None when there is
    none or several (which one governs is the reviewer's call)."""
    found = list(dict.fromkeys(m.group(0) for p in (_PROSE_DEADLINE, _PROSE_DONE) for m in p.finditer(text)))
    if _PROSE_TARGET.search(text):
        return None  # `到2025年,建成…`: a target year beside it; which one is the deadline is for a person
    return found[0] if len(found) == 1 else None


def fallback_year(root: Node) -> int | None:
    """With no date of issue, 文号 or title year, `年底前` takes the earliest year the deadlines print."""
    years = []
    for node in _descendants(root):
        if node.assignment and node.assignment.deadline_text:
            years += [
                int(y)
                for y in re.findall(r"(?<!\d)((?:19|20|21)\d{2})(?=年|[-/.])", node.assignment.deadline_text)
            ]
    return min(years) if years else None


def _descendants(node: Node):
    for c in node.children:
        yield c
        yield from _descendants(c)


def _any_units(node: Node) -> bool:
    return node.has_units or any(_any_units(c) for c in node.children)


def _any_deadline(node: Node) -> bool:
    return bool(node.assignment and node.assignment.deadline_text) or any(
        _any_deadline(c) for c in node.children
    )


def _has_rows(node: Node) -> bool:
    return any(c.kind == "row" or _has_rows(c) for c in node.children)


def _prune_clauseless_text(node: Node) -> None:
    """When the notice has a task table, numbered prose without clauses is the cover letter, not tasks."""
    node.children = [c for c in node.children if c.kind != "text" or _has_rows(c) or c.subtree_has_clause()]
    for c in node.children:
        if c.kind == "text":
            _prune_clauseless_text(c)


def _count(section: dict[str, Any]) -> int:
    return len(section.get("measures", [])) + sum(_count(s) for s in section.get("sections", []))
