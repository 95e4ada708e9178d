"""Plan metadata where the notice prints it: title, issuer, 文号, date of issue, period."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from .blocks import Paragraph
from .deadlines import _arabic, _safe
from .text import Outline

TITLE_SUFFIX = re.compile(
    r"(方案|通知|意见|措施|分工|清单|计划|要点|办法|细则|安排|表|任务|规划|决定|纲要|台账|责任书|通报|举措|行动)$"
)
_TRAILING_NOTE = re.compile(r"[(（〔【][^()（）]*(\d{4}|试行|征求意见稿|草案|送审稿)[^()（）]*[)）〕】]$")
_WRAPPER = re.compile(r"关于印发\s*[《<]?(?P<inner>.+?)[》>]?\s*的通知$")
_DATE = r"(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})\s*日?"
_DATE_LINE = re.compile(rf"^{_DATE}$")
_LABELLED_DATE = re.compile(
    rf"(?P<label>成文日期|发文日期|印发日期|发布日期|发布时间|公开日期|公布日期|生成日期)\s*[:：|]?\s*{_DATE}"
)
DOC_NUMBER = re.compile(
    r"^(?P<prefix>[\u4e00-\u9fff]{1,16}?)\s*[〔\[【(（［{]\s*(?P<year>\d{4})\s*[〕\]】)）］}]\s*第?\s*(?P<n>\d{1,5})\s*号$"
)
_LABELLED_DOC = re.compile(r"(文号|发文字号|字号)\s*[:：|]\s*(?P<value>[^|\s]+(\s*\d+\s*号)?)")
_LABELLED_ISSUER = re.compile(r"(发布机构|发文机关|发文单位|发布单位|制发机关)\s*[:：|]\s*(?P<value>[^|\s]+)")
_PERIOD_TITLE = re.compile(r"(\d{4})\s*(?:年)?\s*[-—–~～至到]\s*(\d{4})\s*年?")
_PERIOD_TEXT = re.compile(
    r"(?:从|自|于)?(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?(?:开始|起)[^。]{0,10}?(?:至|到)\s*(?:(\d{4})年)?(\d{1,2})月(底|末|(\d{1,2})日)?"
)


@dataclass
class Metadata:
    title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    issued: date | None = None
    start: date | None = None
    end: date | None = None

    @property
    def year(self) -> int | None:
        """The plan's year, for dates printed without one: the year of issue, else of the 文号."""
        if self.issued:
            return self.issued.year
        if self.doc_number:
            m = re.search(r"〔(\d{4})〕", self.doc_number)
            if m:
                return int(m.group(1))
        if self.title:
            years = set(re.findall(r"(20\d{2})年", self.title))
            if len(years) == 1:
                return int(years.pop())
        return None


def normalize_doc_number(text: str) -> str | None:
    """`资政办发[2024] 12号` → `资政办发〔2024〕12号`; None if it is not a 文号."""
    t = unicodedata.normalize("NFKC", text).strip()
    t = t.replace("〔", "[").replace("〕", "]")
    m = DOC_NUMBER.match(re.sub(r"\s+", "", t))
    if not m:
        return None
    return f"{m.group('prefix')}〔{m.group('year')}〕{int(m.group('n'))}号"


def _date(text: str) -> date | None:
    m = re.search(_DATE, _arabic(unicodedata.normalize("NFKC", text)))
    if not m:
        return None
    return _safe(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _is_date_line(text: str) -> bool:
    t = re.sub(r"\s+", "", _arabic(unicodedata.normalize("NFKC", text)))
    return bool(_DATE_LINE.match(t))


def _title_core(text: str) -> str:
    return _TRAILING_NOTE.sub("", text.strip()).strip()


_ANNEX = re.compile(r"^附\s*件\s*[0-9０-９一二三四五六七八九十]*\s*[:：]?\s*")


def _candidate(p: Paragraph) -> bool:
    t = _ANNEX.sub("", p.text.strip())
    if not (4 <= len(t) <= 120) or "|" in t or _is_date_line(t):
        return False
    if t[-1] in "。；;：:，,":
        return False
    if re.search(r"[:：]", t) and not _WRAPPER.search(t):
        return False
    return bool(re.search(r"[\u4e00-\u9fff]", t))


def _titles(lines: list[Paragraph]) -> list[str]:
    """Title-like lines, with a title broken over two or three lines joined back."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _candidate(lines[i]):
            i += 1
            continue
        text = _ANNEX.sub("", lines[i].text.strip())
        j = i
        while (
            not TITLE_SUFFIX.search(_title_core(text))
            and j + 1 < len(lines)
            and j - i < 2
            and _candidate(lines[j + 1])
            and len(lines[j + 1].text.strip()) <= 40
            and not _is_issuer_like(lines[j + 1].text)
        ):
            j += 1
            text += _ANNEX.sub("", lines[j].text.strip())
        if TITLE_SUFFIX.search(_title_core(text)):
            out.append(text)
            i = j + 1
        else:
            i += 1
    return out


_ISSUER_END = re.compile(r"(委员会|领导小组|办公室|人民政府|政府|委|局|厅|部|办|组|会|中心|指挥部|机关)$")


def _is_issuer_like(text: str) -> bool:
    t = text.strip()
    return 2 <= len(t) <= 40 and bool(_ISSUER_END.search(t)) and not re.search(r"[，,。:：|]", t)


def read_metadata(outline: Outline, stem: str = "") -> Metadata:
    meta = Metadata()
    titles = _titles(outline.preamble)
    wrapper = next((t for t in titles if _WRAPPER.search(t)), None)
    own = [t for t in titles if not _WRAPPER.search(t)]
    annex = _titles(outline.annex_titles)
    if own:
        meta.title = own[0]
    elif wrapper:
        meta.title = _WRAPPER.search(wrapper).group("inner").strip("《》<> ")
    elif annex:
        meta.title = annex[0]
    elif outline.preamble:
        meta.title = next((p.text for p in outline.preamble if _candidate(p)), None)
    if not meta.title:
        meta.title = stem or None

    lines = outline.lines
    for i, p in enumerate(lines):
        if not _is_date_line(p.text):
            continue
        before: list[str] = []
        for q in reversed(lines[max(0, i - 3) : i]):
            if _is_issuer_like(q.text) and not TITLE_SUFFIX.search(q.text.strip()):
                before.insert(0, q.text.strip())
            else:
                break
        if before:
            meta.issuer = " ".join(before)
            meta.issued = _date(p.text)
            break
    texts = [p.text for p in outline.preamble] + [p.text for p in lines[:80]]
    if meta.issued is None:
        for label in ("成文日期", "发文日期", "印发日期", "发布日期", "发布时间", "公开日期", "公布日期"):
            found = [m for t in texts for m in _LABELLED_DATE.finditer(unicodedata.normalize("NFKC", t))]
            found = [m for m in found if m.group("label") == label]
            if found:
                m = found[0]
                meta.issued = _safe(int(m.group(2)), int(m.group(3)), int(m.group(4)))
                break
    if meta.issued is None:
        lone = next((p for p in lines if _is_date_line(p.text)), None)
        meta.issued = _date(lone.text) if lone else None
    if meta.issuer is None and wrapper:
        prefix = wrapper.split("关于印发")[0].strip()
        meta.issuer = prefix or None
    if meta.issuer is None:
        for t in texts:
            m = _LABELLED_ISSUER.search(t)
            if m:
                meta.issuer = m.group("value").strip()
                break

    for t in texts:
        m = _LABELLED_DOC.search(t)
        value = normalize_doc_number(m.group("value")) if m else None
        if value is None and len(t) <= 40:
            value = normalize_doc_number(t)
        if value:
            meta.doc_number = value
            break

    _period(meta, [p.text for p in lines])
    return meta


def _period(meta: Metadata, texts: list[str]) -> None:
    """The plan's period when printed: `(2024—2026年)` in the title, or `从2024年3月开始至12月底结束`."""
    if meta.title:
        m = _PERIOD_TITLE.search(meta.title)
        if m and int(m.group(1)) <= int(m.group(2)):
            meta.start, meta.end = date(int(m.group(1)), 1, 1), date(int(m.group(2)), 12, 31)
            return
    for t in texts:
        m = _PERIOD_TEXT.search(unicodedata.normalize("NFKC", t))
        if m:
            y1, m1 = int(m.group(1)), int(m.group(2))
            y2 = int(m.group(4)) if m.group(4) else y1
            start = _safe(y1, m1, int(m.group(3)) if m.group(3) else 1)
            end = _safe(y2, int(m.group(5)), int(m.group(7)) if m.group(7) else None)
            if start and end and start <= end:
                meta.start, meta.end = start, end
                return
