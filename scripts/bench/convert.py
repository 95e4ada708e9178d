"""Score `tracker convert` on the evaluation set of real notices (tests/plans/real/) and time it.

    .venv/bin/python scripts/bench/convert.py [-v] [CODE ...]

A measure is fully right when the converter found it (a measure whose wording holds the expectation's
key phrase), its lead and its other units (responsible and supporting, in any order) are the expected
ones, and its deadline is (the date, or none, or the expected cadence). Prints the score per notice,
per format and in total, and the time per page (PDF pages as printed; other files one page per 800
characters of text, what an A4 page of Chinese holds).
"""

from __future__ import annotations

import json
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "plans" / "real"
CADENCE = {"Q": "quarterly", "M": "monthly", "Y": "yearly", "H": "half-yearly"}


def norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


# A name that lists levels (`各县、市、区政府`) is one name; the expectations write it as printed.
LEVELS = re.compile(
    r"各(?:[区县市乡镇](?:\([区县市乡镇]\))?、)+[区县市乡镇](?:\([区县市乡镇]\))?(?:人民)?(?:政府|管委会)"
)


def names(text: str) -> set[str]:
    text = LEVELS.sub(lambda m: m.group(0).replace("、", "\0"), unicodedata.normalize("NFKC", text))
    return {norm(n).replace("\0", "、") for n in re.split(r"、(?![^()]*\))", text) if n.strip()}


@dataclass
class Score:
    code: str
    fmt: str
    expected: int
    right: int = 0
    pages: float = 1.0
    seconds: float = 0.0
    wrong: list[str] = field(default_factory=list)
    error: str | None = None
    held_out: bool = (
        False  # written after the converter was last changed for the set, never used to change it
    )


def measures(sections):
    for s in sections:
        yield from s.get("measures", [])
        yield from measures(s.get("sections", []))


def check(measure: dict, want: dict) -> list[str]:
    """What differs between a converted measure and its expectation (empty when fully right)."""
    diff = []
    lead = {norm(n) for n in measure.get("lead") or []}
    others = {norm(n) for n in (measure.get("responsible") or []) + (measure.get("supporting") or [])}
    if lead != names(want["lead"]):
        diff.append(f"lead {sorted(lead)} ≠ {sorted(names(want['lead']))}")
    if others != names(want["others"]):
        diff.append(f"others {sorted(others)} ≠ {sorted(names(want['others']))}")
    deadline = want["deadline"]
    got = measure.get("deadline")
    got = got.isoformat() if hasattr(got, "isoformat") else got
    if deadline in CADENCE:
        if got is not None or measure.get("recurring") != CADENCE[deadline]:
            diff.append(f"deadline {got}/{measure.get('recurring')} ≠ {CADENCE[deadline]}")
    elif (got or "") != deadline:
        diff.append(f"deadline {got} ≠ {deadline or None}")
    return diff


def score(folder: Path, known_units: tuple[str, ...] = ()) -> Score:
    from tracker.plans.convert import ConversionError, convert_bytes

    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    notice = next(folder.glob("notice.*"))
    out = Score(
        expected["code"],
        expected["format"],
        len(expected["measures"]),
        held_out=expected.get("held_out", False),
    )
    data = notice.read_bytes()
    start = time.perf_counter()
    try:
        result = convert_bytes(data, notice.name, known_units=known_units)
    except ConversionError as exc:
        out.seconds = time.perf_counter() - start
        out.error = str(exc)
        out.wrong = [f"{m['key']}: 未转换" for m in expected["measures"]]
        return out
    out.seconds = time.perf_counter() - start
    out.pages = pages(notice, result)
    found = list(measures(result.plan.get("sections", [])))
    used: set[int] = set()
    for want in expected["measures"]:
        key = norm(want["key"])
        hit = next(
            (i for i, m in enumerate(found) if i not in used and key in norm(m["title"] + m.get("text", ""))),
            None,
        )
        if hit is None:
            out.wrong.append(f"{want['key']}: 没有找到这项措施")
            continue
        used.add(hit)
        diff = check(found[hit], want)
        if diff:
            out.wrong.append(f"{want['key']}: " + "; ".join(diff))
        else:
            out.right += 1
    return out


def pages(notice: Path, result) -> float:
    if notice.suffix == ".pdf":
        import pdfplumber

        with pdfplumber.open(notice) as pdf:
            return float(len(pdf.pages))
    if notice.suffix in (".png", ".jpg", ".jpeg"):
        return 1.0
    chars = 0
    for block in result.reading.blocks if result.reading else []:
        if hasattr(block, "rows"):
            chars += sum(len(c.text) for row in block.rows for c in row if not c.merged_left)
        else:
            chars += len(block.text)
    return max(1.0, round(chars / 800, 1))


def run(codes: list[str] | None = None) -> list[Score]:
    folders = sorted(p for p in REAL.iterdir() if (p / "expected.json").is_file())
    return [score(f) for f in folders if not codes or f.name in codes]


def main(argv: list[str]) -> None:
    verbose = "-v" in argv
    codes = [a for a in argv if not a.startswith("-")]
    scores = run(codes)
    print(f"{'notice':<18}{'format':<11}{'right':>7}{'s/page':>9}")
    for s in scores:
        print(
            f"{s.code + ('*' if s.held_out else ''):<18}{s.fmt:<11}{s.right:>3}/{s.expected:<3}{s.seconds / s.pages:>9.2f}"
        )
        if verbose or s.error:
            for w in ([s.error] if s.error else []) + s.wrong:
                print(f"    {w}")
    print()
    by_format: dict[str, list[Score]] = {}
    for s in scores:
        by_format.setdefault(s.fmt, []).append(s)
    for fmt, group in sorted(by_format.items()):
        right, total = sum(s.right for s in group), sum(s.expected for s in group)
        per_page = sum(s.seconds for s in group) / sum(s.pages for s in group)
        print(
            f"{fmt:<11}{len(group):>3} notices {right:>4}/{total:<4} {100 * right / total:5.1f}%  {per_page:6.2f} s/page"
        )
    held = [s for s in scores if s.held_out]
    if held:
        right, total = sum(s.right for s in held), sum(s.expected for s in held)
        print(f"held out   {len(held):>3} notices {right:>4}/{total:<4} {100 * right / total:5.1f}%")
    right, total = sum(s.right for s in scores), sum(s.expected for s in scores)
    places = len({s.code.rsplit("-", 1)[0] for s in scores})
    print(
        f"total      {len(scores):>3} notices {right:>4}/{total:<4} {100 * right / max(total, 1):5.1f}%  ({places} places)"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1:])
