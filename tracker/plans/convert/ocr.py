"""Scanned notices (.png, .jpg, scanned .pdf) read by Tesseract OCR (chi_sim), line by line with confidence.

Pages of a PDF are rendered by pdftoppm (poppler-utils). Tesseract's TSV output gives each word a
confidence; a line holding a word under `LOW_CONFIDENCE` is remembered so the measures read from it are
marked for review. Unit names are corrected afterwards (`fix_units`), never invented.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .blocks import Paragraph
from .safety import fail

LOW_CONFIDENCE = 60.0
TIME_LIMIT = 60  # seconds per page
MAX_PAGES = 50
_CJK = "\u3400-\u9fff\uff00-\uffef\u3000-\u303f"
_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+(?=[\d(（])|(?<=[\d)）])\s+(?=[{_CJK}])")


@dataclass
class OcrResult:
    paragraphs: list[Paragraph] = field(default_factory=list)
    low: set[str] = field(default_factory=set)  # locations of lines read with low confidence


def _need(binary: str, package: str, name: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise fail(name, f"识别扫描件需要 {binary}:请安装 Debian 软件包 {package}")
    return path


def ocr_image(data: bytes, name: str, page: int = 1, result: OcrResult | None = None) -> OcrResult:
    """OCR one page image (PNG/JPEG bytes)."""
    tesseract = _need("tesseract", "tesseract-ocr tesseract-ocr-chi-sim", name)
    result = result or OcrResult()
    with tempfile.TemporaryDirectory(prefix="tracker-ocr-") as tmp:
        img = Path(tmp) / "page.img"
        img.write_bytes(data)
        try:
            done = subprocess.run(
                [tesseract, str(img), "stdout", "-l", "chi_sim", "--psm", "6", "tsv"],
                capture_output=True,
                timeout=TIME_LIMIT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise fail(name, f"第{page}页文字识别超过 {TIME_LIMIT} 秒未完成") from None
        err = done.stderr.decode("utf-8", "replace")
        if done.returncode != 0:
            if "chi_sim" in err:
                raise fail(name, "缺少中文识别模型:请安装 Debian 软件包 tesseract-ocr-chi-sim")
            raise fail(name, f"第{page}页图片无法识别(不是图片或已损坏)")
    _read_tsv(done.stdout.decode("utf-8", "replace"), page, result)
    return result


def ocr_pdf(data: bytes, name: str) -> OcrResult:
    """OCR every page of a scanned PDF, rendered at 300 dpi by pdftoppm."""
    pdftoppm = _need("pdftoppm", "poppler-utils", name)
    result = OcrResult()
    with tempfile.TemporaryDirectory(prefix="tracker-scan-") as tmp:
        src = Path(tmp) / "scan.pdf"
        src.write_bytes(data)
        try:
            subprocess.run(
                [
                    pdftoppm,
                    "-r",
                    "300",
                    "-gray",
                    "-png",
                    "-l",
                    str(MAX_PAGES),
                    str(src),
                    str(Path(tmp) / "p"),
                ],
                capture_output=True,
                timeout=TIME_LIMIT * 2,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise fail(name, "PDF 页面渲染超时,文件可能损坏") from None
        pages = sorted(Path(tmp).glob("p-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        if not pages:
            raise fail(name, "PDF 没有可识别的页面(文件损坏或加密)")
        for number, png in enumerate(pages, start=1):
            ocr_image(png.read_bytes(), name, number, result)
    return result


def _read_tsv(tsv: str, page: int, result: OcrResult) -> None:
    lines: dict[tuple[int, int, int], list[tuple[str, float]]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        try:
            conf = float(row.get("conf") or 0)
        except ValueError:
            conf = 0.0
        lines.setdefault(key, []).append((text, conf))
    for n, key in enumerate(sorted(lines), start=1):
        words = lines[key]
        text = _GAP.sub("", " ".join(w for w, _ in words)).strip()
        if not text:
            continue
        location = f"第{page}页 第{n}行"
        result.paragraphs.append(Paragraph(text, location))
        if min(c for _, c in words) < LOW_CONFIDENCE:
            result.low.add(location)


def fix_units(plan: dict, known: list[str]) -> list[tuple[str, str, str]]:
    """Correct OCR misreadings of unit names in place: a name seen once that lies within a small edit
    distance of a name the notice prints more often, or of a stored unit, becomes that name.
    Returns (measure code, read, corrected). A name with no close match is left as read."""
    from rapidfuzz.distance import Levenshtein

    measures = list(_measures(plan.get("sections", [])))
    counts: dict[str, int] = {}
    for m in measures:
        for role in ("lead", "responsible", "supporting"):
            for n in m.get(role) or []:
                counts[n] = counts.get(n, 0) + 1
    stored = set(known)
    trusted = stored | {n for n, c in counts.items() if c >= 2}
    changes: list[tuple[str, str, str]] = []
    for m in measures:
        for role in ("lead", "responsible", "supporting"):
            names = m.get(role) or []
            for i, name in enumerate(names):
                if name in trusted:
                    continue
                best, best_d = None, None
                for cand in trusted:
                    limit = 1 if len(cand) <= 5 else 2
                    d = Levenshtein.distance(name, cand, score_cutoff=limit)
                    if d <= limit and (
                        best_d is None
                        or d < best_d
                        or (d == best_d and counts.get(cand, 0) > counts.get(best, 0))
                    ):
                        best, best_d = cand, d
                if best is not None and best not in names:
                    names[i] = best
                    changes.append((str(m.get("code")), name, best))
    return changes


def _measures(sections):
    for s in sections:
        yield from s.get("measures", [])
        yield from _measures(s.get("sections", []))
