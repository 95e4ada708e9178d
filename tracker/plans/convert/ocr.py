"""Scanned notices (.png, .jpg, scanned .pdf) read by Tesseract OCR (chi_sim), line by line with confidence.

Pages of a PDF are rendered by pdftoppm (poppler-utils). Tesseract's TSV output gives each word a
confidence; a line holding a word under `LOW_CONFIDENCE` is remembered so the measures read from it are
marked for review. Unit names are corrected afterwards (`fix_units`), never invented.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .blocks import Paragraph
from .safety import fail

LOW_CONFIDENCE = 60.0
DPI = 200  # enough for 四号 type; 300 doubles the time for no gain in what is read
TIME_LIMIT = 60  # seconds per page
MAX_PAGES = 50
_CJK = "\u3400-\u9fff\uff00-\uffef\u3000-\u303f"
_BARE_NUMBER = re.compile(r"^(\d{1,2})\s*(?=[\u4e00-\u9fff])(?![年月日号万亿个项件名户所家条座公里%])")
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
                env={**os.environ, "OMP_THREAD_LIMIT": "1"},  # threads fight over a busy machine's cores
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
    """OCR every page of a scanned PDF. A scanner stores one image per page: those images are taken
    as they are (pdfimages); other PDFs are rendered by pdftoppm at `DPI`."""
    pdftoppm = _need("pdftoppm", "poppler-utils", name)
    result = OcrResult()
    with tempfile.TemporaryDirectory(prefix="tracker-scan-") as tmp:
        src = Path(tmp) / "scan.pdf"
        src.write_bytes(data)
        pages = _page_images(src, Path(tmp), name)
        if pages is None:
            try:
                subprocess.run(
                    [
                        pdftoppm,
                        "-r",
                        str(DPI),
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


def _page_images(src: Path, tmp: Path, name: str) -> list[Path] | None:
    """The scanned image of each page, when every page holds exactly one; else None."""
    pdfimages = shutil.which("pdfimages")
    if pdfimages is None:
        return None
    try:
        listing = subprocess.run(
            [pdfimages, "-list", "-l", str(MAX_PAGES), str(src)],
            capture_output=True,
            timeout=TIME_LIMIT,
            check=False,
        )
        rows = [line.split() for line in listing.stdout.decode("ascii", "replace").splitlines()[2:]]
        pages = [r[0] for r in rows if r and r[0].isdigit()]
        if not pages or len(pages) != len(set(pages)):
            return None
        out = tmp / "img"
        subprocess.run(
            [pdfimages, "-png", "-l", str(MAX_PAGES), str(src), str(out)],
            capture_output=True,
            timeout=TIME_LIMIT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    found = sorted(tmp.glob("img-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    return found if len(found) == len(pages) else None


def _read_tsv(tsv: str, page: int, result: OcrResult) -> None:
    """Words → lines. A line that runs to the right margin and is followed by one that starts no new
    item was wrapped by the page width: the two are one line of the notice."""
    from .text import match_numbering

    lines: dict[tuple[int, int, int], list[tuple[str, float, int, int]]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        try:
            conf = float(row.get("conf") or 0)
            left, width = int(row["left"]), int(row["width"])
        except (ValueError, KeyError):
            conf, left, width = 0.0, 0, 0
        lines.setdefault(key, []).append((text, conf, left, left + width))
    read = []
    for key in sorted(lines):
        words = lines[key]
        text = _GAP.sub("", " ".join(w[0] for w in words)).strip()
        if text:
            height = max(1, (words[-1][3] - words[0][2]) // max(1, len(text)))  # about one character wide
            read.append([text, min(w[1] for w in words), words[-1][3], height])
    right = max((r[2] for r in read), default=0)
    joined: list[list] = []
    for text, conf, end, char in read:
        # a digit read without its full stop (`3推进…`) still numbers the item
        text = _BARE_NUMBER.sub(r"\1.", text)
        previous = joined[-1] if joined else None
        if (
            previous
            and previous[2] >= right - 4 * previous[3]
            and previous[0][-1] not in "。;；!！?？"
            and not match_numbering(text)
        ):
            joined[-1][0] += text
            joined[-1][1] = min(joined[-1][1], conf)
            joined[-1][2] = end
            continue
        joined.append([text, conf, end, char])
    for n, (text, conf, _, _) in enumerate(joined, start=1):
        location = f"第{page}页 第{n}行"
        result.paragraphs.append(Paragraph(text, location))
        if conf < LOW_CONFIDENCE:
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
