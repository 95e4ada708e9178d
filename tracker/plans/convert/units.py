"""Split printed unit lists and read assignment clauses (牵头单位/责任单位/配合单位/完成时限).

Names are kept as printed apart from width and spacing; resolving aliases is `tracker load`'s job.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

OPEN = "(（〔【[［｛{〈《"
CLOSE = ")）〕】]］｝}〉》"

# Longest labels first, so 牵头单位 wins over 牵头.
_LABELS = {
    "lead": "总牵头单位|牵头责任单位|责任牵头单位|主要责任单位|牵头单位|牵头部门|主责单位|主责部门|主办单位|主办|牵头",
    "responsible": "具体责任单位|责任单位|责任部门|责任主体|承办单位|实施单位|落实单位|负责单位|完成单位",
    "supporting": "协同责任单位|协同配合单位|配合责任单位|参与责任单位|配合单位|配合部门|协办单位|协助单位|参与单位|"
    "协同单位|协作单位|支持单位|协办|配合",
    "deadline": "完成时限要求|完成时限|完成时间|完成期限|整改时限|时间节点|时限要求|办结时限|截止时间|截止日期|完成日期|"
    "时间要求|时限",
    "clause": "部门分工|责任分工|任务分工|分工",
    "people": "责任领导|牵头领导|分管领导|联系领导|包抓领导|责任区领导|项目责任人|责任人|联系人",
}
_LABEL_ROLE = {name: role for role, names in _LABELS.items() for name in names.split("|")}
LABEL_RE = re.compile(r"(?P<label>" + "|".join(sorted(_LABEL_ROLE, key=len, reverse=True)) + r")\s*[:：]\s*")
_NOTE = re.compile(
    r"[（(〔\[]\s*(按职责|按照职责|根据职责|分别|各自|按分工|职责分工)[^()（）]{0,10}[）)〕\]]$"
)
_MARKER = re.compile(r"[（(〔【\[]\s*(牵头|配合|协办|参与|协助|负责|责任)(单位|部门)?\s*[）)〕】\]]$")
_SUFFIX_ROLE = re.compile(r"(?<=..)(牵头|配合|协办|参与|协助)$")
_ETC = re.compile(r"(?<=..)等(\d+个|[一二三四五六七八九十]+个)?(相关|有关)?(部门|单位|机构)?$")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"

# "排在第一位的为牵头单位": the notice's own rule that the first listed unit leads.
FIRST_IS_LEAD = re.compile(
    r"((排名|排在|排|列|位居|居|名列)(第一位?|第1位?|首位|第一个|第一家|最前)|第一位|第1位|首位|第一个单位|第一家单位)"
    r"[^。;；]{0,10}(为|是|系)?[^。;；]{0,6}牵头"
    r"|牵头单位[^。;；]{0,6}(排在?|列|位)(第一位?|第1位|首位|最前)"
)


@dataclass
class Assignment:
    """Units by role plus a printed deadline, as one clause or table row states them."""

    lead: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    supporting: list[str] = field(default_factory=list)
    unmarked: list[str] = field(default_factory=list)  # listed under 责任单位 with no 牵头 marker
    deadline_text: str | None = None
    leaders: list[str] = field(default_factory=list)  # people (责任领导, 分管领导), never units
    collective: bool = False  # `各地各部门按职责分工负责`: every unit answers, none leads

    def any_units(self) -> bool:
        return bool(self.lead or self.responsible or self.supporting or self.unmarked)

    def merge(self, other: Assignment) -> None:
        self.lead += other.lead
        self.responsible += other.responsible
        self.supporting += other.supporting
        self.unmarked += other.unmarked
        self.leaders += [n for n in other.leaders if n not in self.leaders]
        self.collective = self.collective or other.collective
        if other.deadline_text and not self.deadline_text:
            self.deadline_text = other.deadline_text

    def roles(self, first_is_lead: bool = False) -> tuple[list[str], list[str], list[str]]:
        """(lead, responsible, supporting) with the printed conventions applied.

        Units marked (牵头) or listed under 牵头单位 lead. Units listed under 责任单位 with no marker
        are responsible; when no unit leads, a single listed unit is the lead, and so is the first one
        if the notice says the first listed unit leads. A unit keeps only its highest role.
        """
        lead = list(self.lead)
        responsible = list(self.responsible)
        unmarked = list(self.unmarked)
        if not lead and unmarked and (len(unmarked) == 1 or first_is_lead):
            lead, unmarked = unmarked[:1], unmarked[1:]
        responsible = unmarked + responsible
        if not lead and len(responsible) == 1 and not self.unmarked and not self.collective:
            lead, responsible = responsible, []
        return _dedupe(lead, []), _dedupe(responsible, lead), _dedupe(self.supporting, lead + responsible)


def _dedupe(names: list[str], taken: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        if n and n not in out and n not in taken:
            out.append(n)
    return out


def normalize_unit(name: str) -> str:
    """Width and spacing only: `各乡镇（街道）` → `各乡镇(街道)`, `市 发改委` → `市发改委`."""
    name = unicodedata.normalize("NFKC", name)
    name = re.sub(rf"(?<=[{_CJK}()])\s+|\s+(?=[{_CJK}()])", "", name)
    name = re.sub(r"\s+", " ", name)
    return name.strip(" \t\r\n,，、;；:：。.·")


def split_top(text: str, seps: str) -> list[str]:
    """Split on any of `seps` outside brackets, so `各县(市、区)` stays one name."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE and depth:
            depth -= 1
        if depth == 0 and ch in seps:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _split_spaces(text: str) -> list[str]:
    """Whitespace between two CJK names separates them; inside Latin words it does not."""
    out: list[str] = []
    carry = ""
    for piece in re.split(rf"(?<=[{_CJK})）])[ \t\u3000]+(?=[{_CJK}(（])", text):
        # a one-character piece is a name broken by a stray space (`市 发改委`), not a name
        if len(piece.strip()) <= 1:
            carry += piece.strip()
            continue
        out.append(carry + piece)
        carry = ""
    if carry:
        out.append(carry)
    return out


# `各地各部门按职责分工负责`, `国家发展改革委等按职责分工负责`: who answers, not a name.
_DUTY = re.compile(
    r"(等)?(按照?|根据|依据)?(各自|部门)?(职责|职能)(分工)?(负责|落实|抓好落实)?$|等?(分别|分工|各自)负责$"
)
# Suffixes that are words of the clause, not of the name (`配合落实`).
_TRAIL = re.compile(r"(?<=..)(配合落实|抓好落实|负责落实|组织实施|具体实施|共同推进|落实)$")


def _wrapped(lines: list[str]) -> list[str]:
    """A cell's lines, with a name broken over two lines by the cell width joined again
    (`县发改局、县` / `自然资源局`, `县经济开发区` / `管委会`)."""
    out: list[str] = []
    for line in lines:
        piece = line.strip()
        if (
            out
            and piece
            and (
                piece[0] in "(（"
                and _close_at_end(piece)
                or not _looks_like_unit(
                    unicodedata.normalize("NFKC", out[-1]).split("、")[-1].strip() or "、"
                )
                and not out[-1].rstrip().endswith(("、", ",", "，", ";", "；"))
                or re.fullmatch(
                    r"(管委会|委员会|办公室|人民政府|政府|管理局|服务中心|中心|分局|支行|公司)", piece
                )
            )
        ):
            out[-1] = out[-1].rstrip() + piece
        else:
            out.append(line)
    return out


def _close_at_end(piece: str) -> bool:
    """A line that is one bracketed note (`(市长江新城规划办)`): it annotates the name above it."""
    depth = 0
    for i, ch in enumerate(piece):
        depth += ch in OPEN
        depth -= ch in CLOSE
        if depth == 0:
            return i == len(piece) - 1
    return False


# `各县、市、区政府`, `各区、县(市)政府(管委会)`: one name listing levels, its 、 is not a separator.
_LEVELS = re.compile(
    r"各(?:[区县市乡镇](?:[(（][区县市乡镇][)）])?、)+[区县市乡镇](?:[(（][区县市乡镇][)）])?"
    r"(?:人民)?(?:政府|党委|党委和政府|管委会)(?:[(（][^)）]{1,8}[)）])?"
)
_KEEP = "\ue000"  # stands for a 、 inside such a name while the list is split


def split_units(text: str) -> list[tuple[str, str | None]]:
    """Printed unit list → [(name, role marker or None)], separators 、,，;；/ and new lines."""
    out: list[tuple[str, str | None]] = []
    text = "\n".join(_wrapped(text.split("\n")))
    text = _LEVELS.sub(lambda m: m.group(0).replace("、", _KEEP), text)
    parts: list[str] = []
    for part in split_top(text, "、,，;；/\n\r"):
        # `市级各有关部门及各县市区政府`: 及/和 joins two units when both sides read as one
        halves = (
            re.split(r"(?<=[^\s])(?:及|和|以及)(?=[^\s])", part, maxsplit=1) if "(" not in part else [part]
        )
        if len(halves) == 2 and all(_looks_like_unit(_DUTY.sub("", h).strip()) for h in halves):
            parts += halves
        else:
            parts.append(part)
    for part in parts:
        for piece in split_top(part, "\u3000\t"):
            for name in _split_spaces(piece.strip()):
                name = name.strip().strip(",，、;；。.:：")
                if not name:
                    continue
                role = None
                name = _NOTE.sub("", name).strip()
                m = _MARKER.search(name)
                if m:
                    role = {"牵头": "lead", "负责": "lead", "责任": "lead"}.get(m.group(1), "supporting")
                    name = name[: m.start()]
                else:
                    m = _SUFFIX_ROLE.search(name)
                    if m:
                        role = "lead" if m.group(1) == "牵头" else "supporting"
                        name = name[: m.start()]
                name = re.sub(r"^(由|请)", "", name.strip())
                name = _DUTY.sub("", name).strip() or name
                name = _TRAIL.sub("", name)
                name = _ETC.sub("", name)
                name = normalize_unit(name).replace(_KEEP, "、")
                if name and not re.fullmatch(r"[\W_\d]*", name) and name not in ("无", "/", "—"):
                    out.append((name, role))
    return out


def units_for(role: str, text: str) -> Assignment:
    """Units printed under one role label (or one table column) as an `Assignment`."""
    a = Assignment()
    for name, marker in split_units(text):
        if role == "lead":
            a.lead.append(name)
        elif role == "supporting" or marker == "supporting":
            a.supporting.append(name)
        elif marker == "lead":
            a.lead.append(name)
        elif role == "responsible":
            a.unmarked.append(name)
        else:
            a.unmarked.append(name)
    return a


def has_label(text: str) -> bool:
    return bool(LABEL_RE.search(text))


def parse_clause(text: str) -> Assignment | None:
    """A labelled clause (`牵头单位:X;责任单位:Y、Z;完成时限:…`) → Assignment; None if not one.

    Text before the first label makes it not a clause. A segment without a label after a unit role
    is read as a deadline when it looks like one, else as more units of the same role.
    """
    text = text.strip()
    matches = list(LABEL_RE.finditer(text))
    if not matches or text[: matches[0].start()].strip(" ,，;；、。"):
        return _unlabelled(text)
    a = Assignment()
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end() : end].strip(" ,，;；。.\n")
        role = _LABEL_ROLE[m.group("label")]
        if not value:
            continue
        if role == "people":
            a.leaders += [n for n, _ in split_units(value)]
            continue
        if role == "clause":
            verbs = _unlabelled(value)
            if verbs is not None:
                a.merge(verbs)
            continue
        if role == "deadline":
            a.deadline_text = value
            continue
        if role in ("lead", "responsible", "supporting"):
            for piece in split_top(value, ";；,，"):
                # `…,6月底完成` or `;长期坚持`: a deadline printed at the end of a unit list
                if looks_like_deadline(piece) and not _looks_like_unit(piece.strip()) and not a.deadline_text:
                    a.deadline_text = piece.strip()
                    continue
                a.merge(units_for(role, piece))
    return a


_DEADLINE_HINT = re.compile(
    r"\d{4}年|\d{1,2}月|年底|年内|年末|上半年|下半年|长期|持续|每月|每季|每年|每半年|前完成"
)


def looks_like_deadline(text: str) -> bool:
    text = text.strip()
    return bool(_DEADLINE_HINT.search(text)) and len(text) <= 30


# `市发改委牵头,市财政局、市自然资源局配合` and `市民政局负责`.
_VERB = re.compile(r"^(?P<units>.+?)(?P<verb>牵头|负责|配合|参与|协助|协办)(落实|实施)?$")


def _unlabelled(text: str) -> Assignment | None:
    parts = [p.strip() for p in split_top(text, ",，;；") if p.strip(" 。")]
    if not parts or len(text) > 200:
        return None
    a = Assignment()
    for part in parts:
        part = part.strip(" 。")
        m = _VERB.match(part)
        if m and _DUTY.search(part) and not part.startswith(("按", "根据")):
            # `各地各部门按职责分工负责`, `国家发展改革委等按职责分工负责`: responsible, no lead
            units = _DUTY.sub("", part).strip()
            if units and all(_looks_like_unit(n) for n, _ in split_units(units)):
                a.merge(units_for("responsible", units) if a.lead or a.responsible else _responsible(units))
                continue
        if m and all(_looks_like_unit(n) for n, _ in split_units(m.group("units"))):
            verb = m.group("verb")
            role = {"牵头": "lead", "负责": "responsible"}.get(verb, "supporting")
            a.merge(units_for(role, m.group("units")))
        elif looks_like_deadline(part) and not a.deadline_text and a.any_units():
            a.deadline_text = part
        else:
            return None
    return a if a.any_units() else None


def _responsible(units: str) -> Assignment:
    """Units that answer by their duties with no lead named: all responsible, none leads."""
    return Assignment(responsible=[n for n, _ in split_units(units)], collective=True)


_UNIT_END = re.compile(
    r"(局|委|办|部|厅|院|所|站|会|队|中心|公司|集团|政府|街道|乡镇|镇|乡|村|县|区|市|室|处|科|组|团|联|社|行|校|馆|"
    r"单位|部门|机构|企业|银行|分公司|支行|办事处|管委会|工作组|小组|成员单位|\))$"
)


def _looks_like_unit(name: str) -> bool:
    return 2 <= len(name) <= 30 and bool(_UNIT_END.search(name)) and "。" not in name
