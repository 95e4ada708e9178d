"""Make the evaluation set: every notice of notices_*.py in the format it circulated in, and its
hand-written expectation, under tests/plans/real/<code>/ (notice.<ext>, expected.json).

    .venv/bin/python tests/plans/real/make.py          # needs LibreOffice, pdftoppm and Pillow

Word and Excel files are built with python-docx and openpyxl (real tables, merged cells); .doc/.wps and
.xls/.et are those files saved by LibreOffice as binary Office files; .pdf is the .docx exported by
LibreOffice; scans are the text rendered to PDF by LibreOffice, rasterised by pdftoppm at 150 dpi
(slightly rotated and noisy), and saved as PNG or as an image-only PDF.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from notices_a import TEXT, Notice  # noqa: E402
from notices_b import TABLES  # noqa: E402
from notices_c import MORE  # noqa: E402
from notices_d import HELD_OUT  # noqa: E402

NOTICES: list[Notice] = TEXT + TABLES + MORE + HELD_OUT
EXT = {"txt": "txt", "docx-text": "docx", "docx": "docx", "xlsx": "xlsx", "doc": "doc", "xls": "xls",
       "et": "et", "wps": "wps", "pdf": "pdf", "scan-png": "png", "scan-pdf": "pdf"}  # fmt: skip


def docx(path: Path, n: Notice) -> None:
    from docx import Document

    doc = Document()
    for line in n.text.strip("\n").split("\n") if n.text else n.before:
        doc.add_paragraph(line)
    if n.rows:
        width = max(len(r) for r in n.rows)
        table = doc.add_table(rows=len(n.rows), cols=width)
        table.style = "Table Grid"
        covered = set()
        for r0, c0, r1, c1 in n.merges:
            table.cell(r0, c0).merge(table.cell(r1, c1))
            covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - {(r0, c0)}
        for r, row in enumerate(n.rows):
            for c, value in enumerate(row):
                if (r, c) in covered or value is None:
                    continue
                lines = str(value).split("\n")
                cell = table.cell(r, c)
                cell.paragraphs[0].text = lines[0]
                for line in lines[1:]:
                    cell.add_paragraph(line)
        for line in n.after or [""]:  # Word ends a document with a paragraph, never with a table
            doc.add_paragraph(line)
    doc.save(path)


def xlsx(path: Path, n: Notice) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    book = Workbook()
    ws = book.active
    ws.title = "任务分解"
    for row in n.rows:
        ws.append(list(row))
    for r0, c0, r1, c1 in n.merges:
        ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    book.save(path)


def soffice(src: Path, target: str, out_dir: Path) -> Path:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target,
             "--outdir", str(out_dir), str(src)],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    return out_dir / f"{src.stem}.{target.split(':')[0]}"


def scan_images(text_docx: Path, tmp: Path, seed: str) -> list[Path]:
    from PIL import Image, ImageFilter

    pdf = soffice(text_docx, "pdf", tmp)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(pdf), str(tmp / "page")], check=True)
    rng = random.Random(seed)
    pages = []
    for png in sorted(tmp.glob("page-*.png")):
        img = Image.open(png).convert("L")
        img = img.rotate(rng.uniform(-0.6, 0.6), expand=False, fillcolor=255)
        px = img.load()
        w, h = img.size
        for _ in range(w * h // 400):  # specks of dust
            px[rng.randrange(w), rng.randrange(h)] = rng.randrange(120, 200)
        img = img.filter(ImageFilter.GaussianBlur(0.4))
        img.save(png)
        pages.append(png)
    return pages


def build(n: Notice, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("notice.*"):
        old.unlink()
    target = folder / f"notice.{EXT[n.fmt]}"
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        if n.fmt == "txt":
            target.write_text(n.text.strip("\n") + "\n", encoding="utf-8")
        elif n.fmt in ("docx", "docx-text"):
            docx(target, n)
        elif n.fmt == "xlsx":
            xlsx(target, n)
        elif n.fmt in ("doc", "wps", "pdf"):
            docx(tmp / "notice.docx", n)
            made = soffice(
                tmp / "notice.docx",
                {"doc": "doc:MS Word 97", "wps": "doc:MS Word 97", "pdf": "pdf"}[n.fmt],
                tmp,
            )
            shutil.copy(made, target)
        elif n.fmt in ("xls", "et"):
            xlsx(tmp / "notice.xlsx", n)
            shutil.copy(soffice(tmp / "notice.xlsx", "xls:MS Excel 97", tmp), target)
        elif n.fmt in ("scan-png", "scan-pdf"):
            docx(tmp / "notice.docx", n)
            pages = scan_images(tmp / "notice.docx", tmp, n.code)
            from PIL import Image

            if n.fmt == "scan-png":
                shutil.copy(pages[0], target)
            else:
                images = [Image.open(p).convert("RGB") for p in pages]
                images[0].save(target, save_all=True, append_images=images[1:], resolution=150)
    expected = {
        "code": n.code, "place": n.place, "year": n.year, "source": n.source, "format": n.fmt, "note": n.note,
        "held_out": n in HELD_OUT,
        "measures": [{"key": e.key, "lead": e.lead, "others": e.others, "deadline": e.deadline} for e in n.expect],
    }  # fmt: skip
    (folder / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return target


def main() -> None:
    only = set(sys.argv[1:])
    for n in NOTICES:
        if only and n.code not in only:
            continue
        path = build(n, HERE / n.code)
        print(f"{path.relative_to(HERE)}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
