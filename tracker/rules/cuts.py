"""Rankings cut by level and by tag: the city ranks counties, a county ranks its towns, pilots are
ranked among pilots. Each cut keeps the overall order (same scores, same tie-breaks), renumbered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracker.rules.scores import UnitScore

KIND_LABELS = {
    "city": "市",
    "county": "区县",
    "town": "乡镇(街道)",
    "village": "村",
    "department": "部门",
    "enterprise": "企业",
    "group": "单位组",
    "other": "其他单位",
}


@dataclass(frozen=True)
class Cut:
    """One cut of a ranking: `by` is kind, parent or tag, `value` what it selects, `label` its title."""

    by: str
    value: str
    label: str
    scores: tuple[UnitScore, ...]


def cuts(ranked: Sequence[UnitScore]) -> list[Cut]:
    """Every cut with at least two units: by level (kind), by the unit above (parent), by tag."""
    out = []

    def add(by: str, value: str, label: str, members: list[UnitScore]) -> None:
        if len(members) >= 2:
            out.append(Cut(by, value, label, tuple(members)))

    for kind in KIND_LABELS:
        add("kind", kind, f"{KIND_LABELS[kind]}排名", [s for s in ranked if s.unit.kind == kind])
    for parent in sorted({s.unit.parent for s in ranked if s.unit.parent}):
        add("parent", parent, f"{parent}所辖单位排名", [s for s in ranked if s.unit.parent == parent])
    for tag in sorted({t for s in ranked for t in s.unit.tags}):
        add("tag", tag, f"{tag}排名", [s for s in ranked if tag in s.unit.tags])
    return out
