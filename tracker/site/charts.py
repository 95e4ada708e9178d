"""Geometry of the inline SVG charts; the templates draw it (`macros.html`) next to an equivalent table.

Pure arithmetic on public documents: every number is rounded to one decimal so the SVG text is
the same on every machine.
"""

from __future__ import annotations

from typing import Any

LIGHT_ORDER = ("red", "amber", "green", "done", "not_started")
LIGHT_FILL = {
    "red": "#c62828",
    "amber": "#e0a100",
    "green": "#2e7d32",
    "done": "#1565c0",
    "not_started": "#9e9e9e",
}


def _r(value: float) -> float:
    return round(value, 1)


def stacked_lights(rows: list[dict[str, Any]], width: int = 480, bar: int = 20, label: int = 150) -> dict:
    """Horizontal bars, one per row ({"label", "lights": {light: count}}), each split by light."""
    gap = 10
    plot = width - label - 40
    out = []
    for index, row in enumerate(rows):
        total = sum(row["lights"].get(light, 0) for light in LIGHT_ORDER)
        x = float(label)
        segments = []
        for light in LIGHT_ORDER:
            count = row["lights"].get(light, 0)
            if not count:
                continue
            w = plot * count / total
            segments.append(
                {"x": _r(x), "w": _r(w), "light": light, "count": count, "fill": LIGHT_FILL[light]}
            )
            x += w
        out.append(
            {"label": row["label"], "y": index * (bar + gap) + 4, "segments": segments, "total": total}
        )
    return {
        "width": width,
        "height": max(1, len(rows)) * (bar + gap) + 4,
        "bar": bar,
        "label": label,
        "rows": out,
        "total_x": label + plot + 6,
    }


def progress_bars(points: list[tuple[str, int | None]], width: int = 480, height: int = 180) -> dict:
    """Vertical bars of a percent (0–100) per period; a period without a report has no bar."""
    left, bottom, top = 36, 24, 10
    plot_h = height - bottom - top
    n = max(1, len(points))
    step = (width - left - 8) / n
    bars = []
    for index, (label, percent) in enumerate(points):
        h = plot_h * (percent or 0) / 100
        bars.append(
            {
                "label": label,
                "percent": percent,
                "x": _r(left + index * step + step * 0.15),
                "w": _r(step * 0.7),
                "y": _r(top + plot_h - h),
                "h": _r(h),
                "cx": _r(left + index * step + step / 2),
            }
        )
    grid = [{"value": v, "y": _r(top + plot_h - plot_h * v / 100)} for v in (0, 50, 100)]
    return {"width": width, "height": height, "bars": bars, "grid": grid, "base": top + plot_h, "left": left}


def score_bars(ranking: list[dict[str, Any]], limit: int = 30, width: int = 480, bar: int = 18) -> dict:
    """Horizontal bars of the first `limit` scores of a ranking (the table beside it lists them all)."""
    label, gap = 130, 6
    rows = ranking[:limit]
    top = max([100.0] + [float(r["score"]) for r in rows])
    plot = width - label - 50
    out = []
    for index, row in enumerate(rows):
        score = float(row["score"])
        out.append(
            {
                "label": f"{row['rank']}. {row['short'] or row['name']}",
                "score": row["score"],
                "y": index * (bar + gap) + 4,
                "w": _r(plot * max(0.0, score) / top),
            }
        )
    return {
        "width": width,
        "height": max(1, len(rows)) * (bar + gap) + 4,
        "bar": bar,
        "label": label,
        "rows": out,
        "shown": len(rows),
        "total": len(ranking),
    }
