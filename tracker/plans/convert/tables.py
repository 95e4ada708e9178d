"""Task tables (序号 / 重点任务 / 具体措施 / 牵头单位 / 责任单位 / 完成时限) as outline nodes.

The header row is the first row naming a task column and a unit or deadline column; rows above it are
title rows. A key-task column (merged down, or left blank under its first row) groups the rows below.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .blocks import Cell, Paragraph, Table
from .deadlines import cn_number
from .text import Node, match_numbering
from .units import FIRST_IS_LEAD, Assignment, has_label, parse_clause, split_units, units_for

MAX_HEADER_SCAN = 15
_MEASURE_PREF = re.compile(
    r"具体措施|工作措施|具体任务|任务内容|工作内容|措施内容|主要措施|具体内容|具体工作|落实措施|推进措施|实施内容|"
    r"工作举措|具体举措|举措|措施"
)


def header_role(text: str) -> str | None:
    """What a header cell names: seq, lead, responsible, supporting, deadline, task, or None."""
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if not t or len(t) > 20:
        return None
    if re.fullmatch(r"(序号|编号|序|号|No\.?|NO\.?|#)", t):
        return "seq"
    if re.search(r"领导|责任人|联系人|联络员", t):
        return "people"
    if "牵头" in t:
        return "lead"
    if re.search(r"配合|协办|协助|参与|协同|协作|支持单位", t):
        return "supporting"
    if re.search(r"时限|时间|期限|日期|截止|节点|进度", t):
        return "deadline"
    if re.search(r"单位|部门|责任主体|主体", t):
        return "responsible"
    if re.search(r"备注|说明", t):
        return "notes"
    if re.search(r"指标|目标值|预期目标|工作目标|成效|成果|标准", t) and not re.search(r"任务|措施", t):
        return "target"
    if re.search(r"任务|措施|内容|事项|举措|工作|项目|要点|领域|方面|类别|板块|行动|分类|名称", t):
        return "task"
    return None


@dataclass
class TableRead:
    nodes: list[Node]
    title_rows: list[Paragraph] = field(default_factory=list)
    first_is_lead: bool = False


@dataclass
class _Columns:
    seq: int | None
    groups: list[int]
    measure: int
    lead: list[int]
    responsible: list[int]
    supporting: list[int]
    deadline: list[int]
    people: list[int] = field(default_factory=list)

    def unit_cols(self) -> list[int]:
        return self.lead + self.responsible + self.supporting + self.deadline


def _roles(row: list[Cell]) -> list[str | None]:
    return [header_role(c.text) for c in row]


def _is_header(roles: list[str | None]) -> bool:
    return "task" in roles and any(r in roles for r in ("lead", "responsible", "supporting", "deadline"))


def read_table(table: Table) -> TableRead | None:
    """A task table → nodes; None if the table has no header naming a task and a unit or deadline."""
    rows = table.rows
    header = next((i for i, row in enumerate(rows[:MAX_HEADER_SCAN]) if _is_header(_roles(row))), None)
    if header is None:
        return None
    roles = _roles(rows[header])
    start = header + 1
    # A two-row header: 责任单位 spanning 牵头单位 | 配合单位 below it.
    if start < len(rows):
        sub = _roles(rows[start])
        named = [r for r, c in zip(sub, rows[start], strict=False) if c.text.strip() and not c.merged_left]
        if (
            len(set(_distinct(rows[start]))) >= 2
            and named
            and all(named)
            and sum(r in ("lead", "responsible", "supporting", "deadline") for r in named) >= 2
        ):
            roles = [s or r for r, s in zip(roles, sub, strict=False)]
            start += 1
    if "task" not in roles:
        return None  # a second header row took the task column: not a table we can read by columns
    cols = _columns(roles, [c.text for c in rows[header]])
    out = TableRead([], [])
    for r in range(header):
        texts = _distinct(rows[r])
        if texts:
            out.title_rows.append(Paragraph(" ".join(texts), table.location(r, 0)))
    _rows(table, rows, start, cols, out)
    return out


def _columns(roles: list[str | None], names: list[str]) -> _Columns:
    tasks = [i for i, r in enumerate(roles) if r == "task"]
    preferred = [i for i in tasks if _MEASURE_PREF.search(names[i])]
    # the measure column is the one named like 具体措施, else the last task column; the ones left of it group
    measure = preferred[-1] if preferred else tasks[-1]
    return _Columns(
        seq=next((i for i, r in enumerate(roles) if r == "seq"), None),
        groups=[i for i in tasks if i < measure],
        measure=measure,
        lead=[i for i, r in enumerate(roles) if r == "lead"],
        responsible=[i for i, r in enumerate(roles) if r == "responsible"],
        supporting=[i for i, r in enumerate(roles) if r == "supporting"],
        deadline=[i for i, r in enumerate(roles) if r == "deadline"],
        people=[i for i, r in enumerate(roles) if r == "people"],
    )


def _distinct(row: list[Cell]) -> list[str]:
    out: list[str] = []
    for c in row:
        t = c.text.strip()
        if t and t not in out:
            out.append(t)
    return out


def _cell(row: list[Cell], i: int | None) -> Cell:
    if i is None or i >= len(row):
        return Cell("")
    return row[i]


def _seq_number(text: str) -> int | None:
    t = unicodedata.normalize("NFKC", text).strip().strip("、.()（）")
    if not t:
        return None
    t = t.split(".")[-1] if re.fullmatch(r"\d+(\.\d+)+", t) else t
    return cn_number(t)


def _rows(table: Table, rows: list[list[Cell]], start: int, cols: _Columns, out: TableRead) -> None:
    header_texts = [c.text.strip() for c in rows[start - 1]]
    row_group: Node | None = None
    current: list[tuple[str, Node] | None] = [None] * len(cols.groups)
    last_values: list[str] = [""] * len(cols.groups)
    for r in range(start, len(rows)):
        row = rows[r]
        texts = _distinct(row)
        if not texts:
            continue
        if [c.text.strip() for c in row] == header_texts:
            continue  # header repeated after a page break
        first = texts[0]
        if re.match(r"^(注|备注|说明)\s*[:：]?", first):
            if FIRST_IS_LEAD.search(" ".join(texts)):
                out.first_is_lead = True
            continue
        if re.match(r"^(合\s*计|小\s*计|总\s*计)$", first):
            continue
        measure_cell = _cell(row, cols.measure)
        unit_texts = [_cell(row, i).text.strip() for i in cols.unit_cols()]
        seq_text = _cell(row, cols.seq).text.strip()
        if _is_group_row(row, texts, measure_cell, unit_texts, seq_text):
            title = next((t for t in texts if t != seq_text), texts[0])
            row_group = _group(title, seq_text, table.location(r, cols.measure))
            out.nodes.append(row_group)
            current = [None] * len(cols.groups)
            last_values = [""] * len(cols.groups)
            continue
        parent_children = row_group.children if row_group else out.nodes
        for level, g in enumerate(cols.groups):
            cell = _cell(row, g)
            value = cell.text.strip() or last_values[level]
            if not value:
                continue
            if (
                current[level] is None
                or value != last_values[level]
                or (cell.text.strip() and not cell.merged_above and current[level][0] != value)
            ):
                node = _group(value, "", table.location(r, g))
                parent_children.append(node)
                current[level] = (value, node)
                current[level + 1 :] = [None] * (len(cols.groups) - level - 1)
                last_values[level + 1 :] = [""] * (len(cols.groups) - level - 1)
            last_values[level] = value
            parent_children = current[level][1].children
        text = measure_cell.text.strip()
        if not text or measure_cell.merged_above:
            continue
        parent_children.append(_row_node(table, row, r, cols, text))


def _is_group_row(row: list[Cell], texts: list[str], measure: Cell, unit_texts: list[str], seq: str) -> bool:
    if len(texts) == 1:
        spans = sum(1 for c in row if c.text.strip() == texts[0])
        if spans >= 2 and not measure.merged_above:
            return True
        if not measure.text.strip() and not any(unit_texts) and texts[0] != seq:
            return False  # a key task with no measure under it yet: its own group column handles it
    return bool(
        seq and re.fullmatch(r"[(（]?[一二三四五六七八九十]{1,3}[)）]?[、.]?", seq) and not any(unit_texts)
    )


def _group(text: str, seq: str, location: str) -> Node:
    numbered = match_numbering(text)
    if numbered:
        style, number, label, rest = numbered
        return Node(label, style, number, rest, location, kind="group")
    number = _seq_number(seq) if seq else None
    return Node(seq, None, number, text, location, kind="group")


def _row_node(table: Table, row: list[Cell], r: int, cols: _Columns, text: str) -> Node:
    seq_cell = _cell(row, cols.seq)
    number = None if (seq_cell.merged_above or seq_cell.vspan > 1) else _seq_number(seq_cell.text)
    label = seq_cell.text.strip()
    numbered = match_numbering(text)
    if numbered:
        _, inner_number, inner_label, rest = numbered
        text = rest
        if number is None and not label:
            number, label = inner_number, inner_label
    node = Node(label, None, number, text, table.location(r, cols.measure), kind="row")
    for role, indexes in (
        ("lead", cols.lead),
        ("responsible", cols.responsible),
        ("supporting", cols.supporting),
    ):
        for i in indexes:
            cell_text = _cell(row, i).text.strip()
            if not cell_text:
                continue
            a = parse_clause(cell_text) if has_label(cell_text) else None
            node.attach(a or units_for(role, cell_text), table.location(r, i))
    for i in cols.people:
        cell_text = _cell(row, i).text.strip()
        if cell_text:
            node.attach(Assignment(leaders=[n for n, _ in split_units(cell_text)]), table.location(r, i))
    for i in cols.deadline:
        cell_text = _cell(row, i).text.strip()
        if cell_text:
            node.attach(Assignment(deadline_text=cell_text), table.location(r, i))
            break
    return node
