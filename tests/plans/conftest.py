"""Builders for the converter tests: Word and Excel notices made in the test with python-docx and openpyxl."""

from __future__ import annotations

from pathlib import Path

import pytest


def build_docx(path: Path, blocks: list) -> Path:
    """blocks: ("p", text) or ("table", rows, merges) with merges as (row0, col0, row1, col1) ranges."""
    from docx import Document

    doc = Document()
    for block in blocks:
        if block[0] == "p":
            doc.add_paragraph(block[1])
            continue
        rows, merges = block[1], block[2] if len(block) > 2 else []
        width = max(len(r) for r in rows)
        table = doc.add_table(rows=len(rows), cols=width)
        covered = set()
        for r0, c0, r1, c1 in merges:
            top = table.cell(r0, c0)
            top.merge(table.cell(r1, c1))
            covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - {(r0, c0)}
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                if (r, c) not in covered and text is not None:
                    cell = table.cell(r, c)
                    lines = str(text).split("\n")
                    cell.paragraphs[0].text = lines[0]
                    for line in lines[1:]:
                        cell.add_paragraph(line)
    doc.save(path)
    return path


def build_xlsx(path: Path, rows: list, merges: list | None = None, sheets: list | None = None) -> Path:
    """rows of cell values on the first sheet; merges as (row0, col0, row1, col1), 0-based."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "任务分工"
    for before in sheets or []:
        extra = book.create_sheet(before[0], 0)
        for row in before[1]:
            extra.append(row)
    for row in rows:
        ws.append(list(row))
    for r0, c0, r1, c1 in merges or []:
        ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    book.save(path)
    return path


@pytest.fixture
def make_docx(tmp_path):
    counter = iter(range(1000))

    def make(blocks: list, name: str | None = None) -> Path:
        return build_docx(tmp_path / (name or f"notice{next(counter)}.docx"), blocks)

    return make


@pytest.fixture
def make_xlsx(tmp_path):
    counter = iter(range(1000))

    def make(
        rows: list, merges: list | None = None, name: str | None = None, sheets: list | None = None
    ) -> Path:
        return build_xlsx(tmp_path / (name or f"notice{next(counter)}.xlsx"), rows, merges, sheets)

    return make


@pytest.fixture(scope="session")
def builders():
    """(build_docx, build_xlsx) for fixtures of wider scope than a test."""
    return build_docx, build_xlsx
