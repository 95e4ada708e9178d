"""A three-level province for the board benchmark: 1 city, 10 counties, 150 towns and 2,000 villages.

Each measure is led by a city department and carried by the counties with shares of a `sum`
indicator; every county's assignment is split to its 15 towns and every town's to its villages
(分解), so a board rolls values up three levels. Loaded through the real plan loader, the splits and
reports written straight through the models. Deterministic.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path

from ruamel.yaml import YAML

from tracker.clock import TZ
from tracker.plans.load import load_plans
from tracker.store.db import db, init_database
from tracker.store.migrations import upgrade
from tracker.store.models import Assignment, Measure, Report, ReportRevision, Unit

PLAN = "levels-2024"
COUNTIES, TOWNS_PER_COUNTY, VILLAGES = 10, 15, 2000
MEASURES, MONTHS = 4, 6
INDICATOR = "完成户数"


def _plan(path: Path) -> None:
    units = [
        {"name": "示例市", "kind": "city"},
        {"name": "示例市农业农村局", "kind": "department", "parent": "示例市"},
    ]
    counties = [f"示例市第{c:02d}县" for c in range(COUNTIES)]
    units += [{"name": n, "kind": "county", "parent": "示例市"} for n in counties]
    units.append({"name": "各县", "kind": "group", "members": counties})
    towns = []
    for county in counties:
        for t in range(TOWNS_PER_COUNTY):
            towns.append(f"{county}第{t:02d}镇")
            units.append({"name": towns[-1], "kind": "town", "parent": county})
    for v in range(VILLAGES):
        units.append(
            {
                "name": f"{towns[v % len(towns)]}第{v:04d}村",
                "kind": "village",
                "parent": towns[v % len(towns)],
            }
        )
    share = {n: 100 for n in counties}
    measures = [
        {
            "code": f"1.{m + 1}",
            "title": f"重点任务{m + 1}",
            "lead": ["示例市农业农村局"],
            "responsible": ["各县"],
            "deadline": date(2024, 12, 31),
            "indicators": [
                {
                    "name": INDICATOR,
                    "unit": "户",
                    "target": 100 * COUNTIES,
                    "rollup": "sum",
                    "shares": dict(share),  # a fresh mapping each time: no YAML anchors
                    "milestones": [{"date": date(2024, 6, 15), "value": 50 * COUNTIES}],
                }
            ],
        }
        for m in range(MEASURES)
    ]
    doc = {
        "plan": {
            "code": PLAN,
            "title": "示例市三级督办(基准测试)",
            "start": date(2024, 1, 1),
            "end": date(2024, 12, 31),
        },
        "units": units,
        "sections": [{"code": "1", "title": "重点任务", "measures": measures}],
    }
    with open(path, "w", encoding="utf-8") as fh:
        YAML(typ="safe").dump(doc, fh)


def build(path: Path, echo=print) -> dict[str, int]:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    init_database(f"sqlite:///{path}")
    upgrade()
    plan_file = path.with_suffix(".yaml")
    _plan(plan_file)
    load_plans([plan_file])
    rnd = random.Random(20240601)
    below: dict[int, list[Unit]] = {}
    for unit in Unit.select():
        below.setdefault(unit.parent_id, []).append(unit)
    loaded = datetime(2024, 1, 2, 9, tzinfo=TZ)
    with db.atomic():
        for measure in Measure.select():
            todo = list(
                Assignment.select().where(Assignment.measure == measure, Assignment.role == "responsible")
            )
            while todo:  # county → towns → villages, each child a share of its parent's
                parent = todo.pop()
                kids = below.get(parent.unit_id, [])
                whole = (parent.shares or {}).get(INDICATOR, 100)
                rows = [
                    {
                        "measure": measure.id,
                        "unit": kid.id,
                        "role": "responsible",
                        "printed_name": kid.name,
                        "position": i,
                        "created_at": loaded,
                        "parent": parent.id,
                        "shares": {INDICATOR: round(whole / len(kids), 2)},
                    }
                    for i, kid in enumerate(kids)
                ]
                if rows:
                    Assignment.insert_many(rows).execute()
                    todo += list(Assignment.select().where(Assignment.parent == parent.id))
        assignments = list(Assignment.select())
        for month in range(1, MONTHS + 1):
            period = f"2024-{month:02d}"
            at = datetime(2024, month, 20, 10, tzinfo=TZ).astimezone(UTC)
            Report.insert_many(
                [{"assignment": a.id, "period": period, "created_at": at} for a in assignments]
            ).execute()
            ids = {r.assignment_id: r.id for r in Report.select().where(Report.period == period)}
            revisions = [
                {
                    "report": ids[a.id],
                    "number": 1,
                    "recorded_at": at,
                    "percent": min(100, month * 15),
                    "indicator_values": {INDICATOR: rnd.randint(0, 10) * month},
                    "source": "import",
                }
                for a in assignments
            ]
            for i in range(0, len(revisions), 2000):
                ReportRevision.insert_many(revisions[i : i + 2000]).execute()
    return {
        "units": Unit.select().count(),
        "assignments": len(assignments),
        "revisions": ReportRevision.select().count(),
    }
