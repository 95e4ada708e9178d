"""What the converter could not read, placed so a clerk can find it in the notice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One unreadable thing: `location` is "第12行", "表1 第3行 C列" or "Sheet1!C5"; `reason` says why."""

    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}" if self.location else self.reason


class ConversionError(ValueError):
    """The notice cannot be converted as it is; `.problems` lists every reason.

    `.plan` holds what could be read (or None when nothing could), so a reviewer can still see it.
    """

    def __init__(self, problems: list[Problem], plan: dict[str, Any] | None = None):
        self.problems = list(problems)
        self.plan = plan
        super().__init__("\n".join(str(p) for p in self.problems) or "无法转换")
