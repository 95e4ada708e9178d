"""Read a printed 完成时限 into a date and a recurrence, the way a clerk would read it.

Pure functions over strings: the plan's year is a parameter, never the clock.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

RECURRING_VALUES = ("monthly", "quarterly", "half-yearly", "yearly")

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


class DeadlineError(ValueError):
    """A deadline phrase that cannot be read; the message says why."""


@dataclass(frozen=True)
class Deadline:
    """What a printed deadline means: a date (or None) and a recurrence (or None)."""

    date: date | None
    recurring: str | None


def cn_number(text: str) -> int | None:
    """`二十五` → 25, `十` → 10, `二〇二四` → 2024 (digit by digit), `12` → 12; None if not a number."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(unicodedata.normalize("NFKC", text))
    if "十" not in text and "百" not in text:
        if all(c in _CN_DIGITS for c in text):
            return int("".join(str(_CN_DIGITS[c]) for c in text))
        return None
    total, current = 0, 0
    for c in text:
        if c in _CN_DIGITS:
            current = _CN_DIGITS[c]
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        elif c == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


_CN_NUM = "〇○零一二两三四五六七八九十"


def _arabic(text: str) -> str:
    """Chinese numerals before 年/月/日/号/季度 become digits, so one set of patterns reads both."""

    def year(m: re.Match) -> str:
        return str(cn_number(m.group(1))) + "年"

    text = re.sub(rf"([{_CN_NUM}]{{4}})年", year, text)

    def small(m: re.Match) -> str:
        n = cn_number(m.group(1))
        return (str(n) if n is not None else m.group(1)) + m.group(2)

    # 一季度 keeps its own pattern below; only month and day words are converted here
    return re.sub(rf"(?<![每第])([{_CN_NUM}]{{1,3}})(月|日|号)", small, text)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _safe(year: int, month: int, day: int | None) -> date | None:
    if not (1 <= month <= 12) or not (1900 <= year <= 2200):
        return None
    if day is None:
        return _month_end(year, month)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day)


_ONGOING = re.compile(
    r"长期|持续|常态|常年|经常|动态|随时|及时|适时|尽快|立即|即时|马上|逐步|视情|根据|按照?.{0,8}要求|按时|按期|"
    r"按计划|按进度|分阶段|阶段性|待定|另行|贯穿|全程|始终|同步|滚动|定期|不定期|已完成|完成即|每次"
)
_YEAR_LONG = re.compile(r"(年内|全年|今年|本年度?|年度内)(持续|长期|常态化?)\S{0,6}")
_RECURRING = [
    (
        re.compile(r"每(个|一个|两个|2个|三个|3个)?月|按月|逐月|月度|一月一|每周|按周|每旬|每日|每天|逐日"),
        "monthly",
    ),
    (re.compile(r"每(个)?季度?|按季度?|逐季|季度(调度|通报|报送)|一季一"), "quarterly"),
    (re.compile(r"每半年|半年一|每学期|按学期|学期"), "half-yearly"),
    (re.compile(r"每年|每一年|按年|逐年|一年一|年度(考核|评估|总结|报告)"), "yearly"),
]
# A recurring phrase owns the month/day that follow it: 每年6月底前 is yearly, not 6 June of this year.
_RECURRING_TAIL = re.compile(
    r"[一1](个)?[月季年周][一1][报次]|(每(个)?月|每(个)?季度?|每半年|每年度?|每学期)"
    r"(年底|年末|末|初|底|第?\d{1,2}(个)?(月|周|日|号)|\d{1,2}月(\d{1,2}[日号]|底|末|上旬|中旬|下旬)?|[上中下]旬)*(前|之前|以前)?"
)
_QUARTER_END = {1: 3, 2: 6, 3: 9, 4: 12}


def parse_deadline(text: str, year: int | None = None) -> Deadline:
    """Read a printed 完成时限.

    A date or month gives that day or the month's last day (`2025年6月底前` → 2025-06-30); a year alone
    or `年底` gives 31 December; a month or `年底` without a year takes `year`, the plan's year. When a
    phrase names several dates the latest wins (the work is done when its last part is), and a date
    followed by 起/开始 is a start, not a deadline. `每月`/`每季度`/`每半年`/`每年` (and `每学期`, read as
    half-yearly; `每周`/`每日`, read as monthly, the finest cadence reported) set `recurring`;
    `长期坚持`, `持续推进` and the like mean no date. Anything else raises `DeadlineError`.
    """
    raw = text
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"\s+", "", text)
    if not text:
        raise DeadlineError("完成时限为空")
    recurring = None
    for pattern, value in _RECURRING:
        if pattern.search(text):
            recurring = value
            break
    if _YEAR_LONG.fullmatch(text):
        return Deadline(None, None)  # `年内持续推进`: work that goes on all year, with no day it is done
    text = _arabic(text)
    text = text.replace("—", "-").replace("–", "-").replace("~", "-").replace("～", "-")
    if recurring:
        text = _RECURRING_TAIL.sub("#", text)

    dates: list[date] = []
    needs_year = False
    last_year = year
    pos = 0
    tokens = re.compile(
        r"(?P<ymd>(?P<y1>\d{4})(年|[-/.])(?P<m1>\d{1,2})(月|[-/.])(?P<d1>\d{1,2})[日号]?)"
        r"|(?P<ym>(?P<y2>\d{4})(年|[-/.])(?P<m2>\d{1,2})(?!\d)月?(?P<part2>上旬|中旬|下旬|底|末|份|中)?)"
        r"|(?P<yq>(?P<y3>\d{4})年(第)?(?P<q3>[1-4一二三四])季度?(末|底)?)"
        r"|(?P<yh>(?P<y4>\d{4})年(度)?(?P<h4>上半年|下半年|年中|年底|年末|底|末|内|前|全年)?)"
        r"|(?P<md>(?<!\d)(?P<m5>\d{1,2})月(?P<d5>\d{1,2})[日号])"
        r"|(?P<m>(?<![\d#])(?P<m6>\d{1,2})月(?P<part6>上旬|中旬|下旬|底|末|份|中)?)"
        r"|(?P<q>(第)?(?P<q7>[1-4一二三四])季度(末|底)?)"
        r"|(?P<rel>(?P<next>明年|次年|下一?年)(?P<r8>上半年|下半年|年中|底|末|内|全年)?"
        r"|(?P<r9>上半年|下半年|年中|年底|年末|年内|当年|本年度?|今年|全年|年度内))"
    )
    for m in tokens.finditer(text):
        if m.start() < pos:
            continue
        pos = m.end()
        follows = text[m.end() : m.end() + 3]
        is_start = bool(re.match(r"(起|开始|始|以来)", follows))
        found: date | None = None
        if m.group("ymd"):
            y = int(m.group("y1"))
            found = _safe(y, int(m.group("m1")), int(m.group("d1")))
            last_year = y
        elif m.group("ym"):
            y = int(m.group("y2"))
            found = _part(y, int(m.group("m2")), m.group("part2"))
            last_year = y
        elif m.group("yq"):
            y = int(m.group("y3"))
            q = cn_number(m.group("q3")) or int(m.group("q3"))
            found = _month_end(y, _QUARTER_END[q])
            last_year = y
        elif m.group("yh"):
            y = int(m.group("y4"))
            h = m.group("h4")
            found = _month_end(y, 6) if h in ("上半年", "年中") else _safe(y, 12, 31)
            last_year = y
        elif m.group("md") or m.group("m") or m.group("q") or m.group("rel"):
            base = last_year
            if m.group("rel") and m.group("next"):
                base = base + 1 if base else None
            if base is None:
                needs_year = True
                continue
            if m.group("md"):
                found = _safe(base, int(m.group("m5")), int(m.group("d5")))
            elif m.group("m"):
                found = _part(base, int(m.group("m6")), m.group("part6"))
            elif m.group("q"):
                q = cn_number(m.group("q7")) or int(m.group("q7"))
                found = _month_end(base, _QUARTER_END[q])
            else:
                r = m.group("r8") or m.group("r9")
                found = _month_end(base, 6) if r in ("上半年", "年中") else date(base, 12, 31)
        if found is None:
            raise DeadlineError(f"完成时限中的日期不存在: {raw.strip()!r}")
        if not is_start:
            dates.append(found)

    if dates:
        return Deadline(max(dates), recurring)
    if needs_year:
        raise DeadlineError(f"完成时限 {raw.strip()!r} 没有年份,而通知中找不到方案年份")
    if recurring:
        return Deadline(None, recurring)
    if _ONGOING.search(text):
        return Deadline(None, None)
    raise DeadlineError(f"无法识别的完成时限: {raw.strip()!r}")


def _part(year: int, month: int, part: str | None) -> date | None:
    if part == "上旬":
        return _safe(year, month, 10)
    if part in ("中旬", "中"):
        return _safe(year, month, 20)
    return _safe(year, month, None)
