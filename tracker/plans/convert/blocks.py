"""The common input of the parser: a notice as a stream of paragraphs and tables, each with a location.

Readers (`textfile`, `docx`, `xlsx`) produce blocks; `text` and `tables` read them. Locations are what
a clerk looks for: "第12行", "第3段", "表1 第3行 C列", "Sheet1!C5".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    text: str
    location: str


@dataclass
class Cell:
    text: str
    merged_above: bool = False  # continues a cell merged down from the row above
    merged_left: bool = False  # continues a cell merged across from the column to the left
    vspan: int = 1  # rows covered by the merge this cell starts (1 if none)


@dataclass
class Table:
    rows: list[list[Cell]]
    name: str  # "表1" or the sheet name
    locate: Callable[[int, int], str] = field(
        repr=False, default=lambda r, c: f"第{r + 1}行 {col_letter(c)}列"
    )

    def location(self, row: int, col: int) -> str:
        return self.locate(row, col)


def col_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


Block = Paragraph | Table
