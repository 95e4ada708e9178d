"""Read the outline of a notice from its blocks: numbered headings and items, their text, their clauses.

Numbering levels are not fixed: a style met for the first time nests under the current item, a style
already open closes everything below it (so `一、` › `(一)` › `1.` › `(1)` and `(一)` › `1.` both work).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .blocks import Block, Paragraph, Table
from .deadlines import cn_number
from .units import _LABEL_ROLE, CLOSE, FIRST_IS_LEAD, LABEL_RE, OPEN, Assignment, parse_clause

# Same-length translation: full-width digits and brackets read like half-width ones.
_FW = str.maketrans("０１２３４５６７８９（）．，：﹒﹐", "0123456789().,:.,")
_CN = "一二三四五六七八九十"
NUMBERING = [
    ("chapter", re.compile(rf"^第([{_CN}]{{1,3}})(部分|章|篇)\s*[、.,:\s]?\s*")),
    ("article", re.compile(rf"^第([{_CN}]{{1,3}}|\d{{1,3}})条\s*[、.,:\s]?\s*")),
    ("cn", re.compile(rf"^([{_CN}]{{1,3}})\s*[、.,]\s*")),
    ("pcn", re.compile(rf"^\(\s*([{_CN}]{{1,3}})\s*\)\s*[、.]?\s*")),
    ("num", re.compile(r"^(\d{1,3})\s*[.、](?!\d)\s*")),
    ("pnum", re.compile(r"^\(\s*(\d{1,3})\s*\)\s*[、.]?\s*")),
    ("rnum", re.compile(r"^(\d{1,3})\s*\)\s*")),
    ("circled", re.compile(r"^([①-⑳])\s*")),
    ("shi", re.compile(rf"^([{_CN}]{{1,3}})是(?=[^,，、。;；:：]{{2}})")),  # 一是、二是 …
]
JUNK = re.compile(
    r"^(扫一扫|分享[:：]?$|【\s*纠\s*错|【\s*(加入收藏|打印|关闭|字体)|打印本页|关闭窗口|字号[:：]|【?字体[:：]|"
    r"责任编辑|浏览次数|点击数|相关链接|上一篇|下一篇|返回顶部|当前位置|首页\s*[>›])"
)
ANNEX = re.compile(r"^附\s*件\s*[0-9０-９一二三四五六七八九十]*\s*[:：]?")
SENTENCE_END = "。！？；;!?"
# 【牵头单位】X【责任单位】Y: a label in brackets reads like `牵头单位:`
BRACKETED_LABEL = re.compile(
    r"[【〔\[［]\s*(" + "|".join(sorted(_LABEL_ROLE, key=len, reverse=True)) + r")\s*[】〕\]］]\s*[:：]?\s*"
)


@dataclass
class Node:
    """A numbered heading, a numbered item, a table's key task or a table row."""

    label: str
    style: str | None
    number: int | None
    head: str
    location: str
    kind: str = "text"  # text | group (a table's key task) | row (a table row)
    lines: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    assignment: Assignment | None = None
    clause_location: str | None = None
    deadline_location: str | None = None
    annex: bool = False

    def attach(self, a: Assignment, location: str) -> None:
        if self.assignment is None:
            self.assignment = Assignment()
        if a.any_units() and not self.clause_location:
            self.clause_location = location
        if a.deadline_text and not self.assignment.deadline_text:
            self.deadline_location = location
        self.assignment.merge(a)

    @property
    def has_units(self) -> bool:
        return bool(self.assignment and self.assignment.any_units())

    @property
    def has_clause(self) -> bool:
        return bool(self.assignment and (self.assignment.any_units() or self.assignment.deadline_text))

    def subtree_has_clause(self) -> bool:
        return self.has_clause or any(c.subtree_has_clause() for c in self.children)

    @property
    def is_heading(self) -> bool:
        """A title line on its own (`(一)持续巩固拓展脱贫攻坚成果`), not an item with text after it."""
        if self.kind == "group":
            return True
        if self.kind == "row":
            return False
        head = self.head.rstrip()
        if not head or len(head) > 60:
            return not head
        body = head.rstrip("。.!！")
        return not any(ch in body for ch in SENTENCE_END + ":：\n")


def match_numbering(line: str) -> tuple[str, int, str, str] | None:
    """(style, number, printed label, rest) for a numbered line, else None."""
    norm = line.translate(_FW)
    for style, pattern in NUMBERING:
        m = pattern.match(norm)
        if not m:
            continue
        token = m.group(1)
        number = ord(token) - ord("①") + 1 if style == "circled" else cn_number(token)
        if number is None or number == 0:
            continue
        rest = line[m.end() :].strip()
        if not rest:
            continue
        # "1.5万亩" or "2024.3" are numbers in a sentence, not item labels
        if style == "num" and re.match(r"^\d", rest):
            continue
        # `一是摸清底数;二是分类施策`: points run on in one line are the text of the item above
        if style == "shi" and re.search(rf"[;；。,，]\s*[{_CN}]{{1,3}}是", rest):
            continue
        return style, number, line[: m.end()].strip(), rest
    return None


def extract_clauses(text: str) -> tuple[str, list[Assignment]]:
    """Take assignment clauses out of a line: bracketed anywhere when labelled (`〔牵头单位:…〕`),
    bracketed at the end when unlabelled (`(市发改委牵头,市财政局配合)`), or a labelled tail
    (`…。责任单位:X(牵头)、Y`). Returns the remaining text and the clauses found."""
    found: list[Assignment] = []
    out: list[str] = []
    text = BRACKETED_LABEL.sub(lambda m: " " + m.group(1) + ":", text)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in OPEN:
            end = _close(text, i)
            if end is not None:
                inner = text[i + 1 : end]
                at_end = not text[end + 1 :].strip(" 。.;；,，")
                if LABEL_RE.match(inner.strip()) or at_end:
                    a = parse_clause(inner)
                    if a is not None and (a.any_units() or a.deadline_text):
                        found.append(a)
                        i = end + 1
                        continue
        out.append(ch)
        i += 1
    rest = "".join(out)
    for m in LABEL_RE.finditer(rest):
        before = rest[: m.start()]
        if before and before[-1] not in SENTENCE_END + CLOSE + ",，、 \t\u3000":
            continue
        a = parse_clause(rest[m.start() :])
        if a is not None and (a.any_units() or a.deadline_text):
            found.append(a)
            rest = before
        break
    return rest.strip(), found


def _open_clause(text: str) -> bool:
    """A labelled clause whose bracket is not closed on this line."""
    for m in LABEL_RE.finditer(text):
        opener = m.start() - 1
        while opener >= 0 and text[opener] in " \u3000":
            opener -= 1
        if opener >= 0 and text[opener] in OPEN and _close(text, opener) is None:
            return True
    return False


def _close(text: str, start: int) -> int | None:
    depth = 0
    for j in range(start, len(text)):
        if text[j] in OPEN:
            depth += 1
        elif text[j] in CLOSE:
            depth -= 1
            if depth == 0:
                return j
    return None


@dataclass
class Outline:
    """What the parser read: the tree, the lines before the body, and notes about conventions."""

    root: Node
    preamble: list[Paragraph]
    lines: list[Paragraph]  # every paragraph line, for metadata found after the body (signatures)
    annex_titles: list[Paragraph]
    first_is_lead: bool = False
    tables: int = 0
    orphans: list[Paragraph] = field(default_factory=list)


class OutlineReader:
    """Feed blocks in document order; `finish()` returns the `Outline`."""

    def __init__(self) -> None:
        self.root = Node("", None, None, "", "")
        self.stack: list[Node] = [self.root]
        self.outline = Outline(self.root, [], [], [])
        self.body_started = False
        self.in_annex = False
        self.measures_before_annex = False
        self.pending: tuple[str, str, int] | None = None

    def feed(self, block: Block) -> None:
        if isinstance(block, Table):
            if self.pending:
                line, location, _ = self.pending
                self.pending = None
                self._read(line, location)
            self._table(block)
        else:
            for line in block.text.split("\n"):
                self._line(line.strip(), block.location)

    def _line(self, line: str, location: str) -> None:
        if not line or JUNK.match(line):
            return
        if self.pending:
            # a clause broken over lines (text copied from a web page) is read as one line
            first, where, count = self.pending
            line, location = first + line, where
            self.pending = None
            if _open_clause(line) and count < 3:
                self.pending = (line, location, count + 1)
                return
        elif _open_clause(line):
            self.pending = (line, location, 1)
            return
        self._read(line, location)

    def _read(self, line: str, location: str) -> None:
        para = Paragraph(line, location)
        self.outline.lines.append(para)
        if FIRST_IS_LEAD.search(line) and len(line) < 80:
            self.outline.first_is_lead = True
            if re.match(r"^(注|备注|说明)", line):
                return
        if ANNEX.match(line) and len(line) <= 80:
            self.in_annex = True
            self.measures_before_annex = self.measures_before_annex or self._has_items()
            self.stack = [self.root]
            rest = ANNEX.sub("", line).strip()
            if rest:
                self.outline.annex_titles.append(Paragraph(rest, location))
            return
        numbered = match_numbering(line)
        if numbered:
            style, number, label, rest = numbered
            head, clauses = extract_clauses(rest)
            self._open(Node(label, style, number, head, location, annex=self.in_annex))
            for a in clauses:
                self.stack[-1].attach(a, location)
            self.body_started = True
            return
        text, clauses = extract_clauses(line)
        current = self.stack[-1]
        if current is self.root:
            if clauses:
                self.outline.orphans.append(para)
            elif self.in_annex and not self._root_has_annex_items():
                self.outline.annex_titles.append(para)
            elif not self.body_started:
                self.outline.preamble.append(para)
            return
        if text:
            current.lines.append(text)
        for a in clauses:
            current.attach(a, location)

    def _open(self, node: Node) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].style == node.style:
                del self.stack[depth:]
                break
        self.stack[-1].children.append(node)
        self.stack.append(node)

    def _table(self, table: Table) -> None:
        from .tables import read_table

        read = read_table(table)
        if read is None:
            # not a task table: its rows are lines (a header block of 文号, 发布机构 …)
            for r, row in enumerate(table.rows):
                cells = [c.text.strip() for c in row if c.text.strip() and not c.merged_left]
                if cells:
                    self._line(" | ".join(cells), table.location(r, 0))
            return
        self.outline.tables += 1
        if read.first_is_lead:
            self.outline.first_is_lead = True
        for para in read.title_rows:
            if not self.body_started and not self.in_annex:
                self.outline.preamble.append(para)
            else:
                self.outline.annex_titles.append(para)
            self.outline.lines.append(para)
        parent = self.stack[-1]
        for node in read.nodes:
            node.annex = self.in_annex
            parent.children.append(node)
        self.body_started = True

    def _has_items(self) -> bool:
        return any(not c.annex for c in self.root.children)

    def _root_has_annex_items(self) -> bool:
        return any(c.annex for c in self.root.children)

    def finish(self) -> Outline:
        if self.pending:
            line, location, _ = self.pending
            self.pending = None
            self._read(line, location)
        if self.measures_before_annex:
            # The annex of a notice whose body holds the tasks is a reference table: drop it, unless
            # it is a task table (assignments by column), which is the division of work itself.
            self.root.children = [c for c in self.root.children if not c.annex or c.kind in ("group", "row")]
        return self.outline


def read_outline(blocks: list[Block]) -> Outline:
    reader = OutlineReader()
    for block in blocks:
        reader.feed(block)
    return reader.finish()
