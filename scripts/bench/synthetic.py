"""A synthetic province for benchmarks: one plan with 1,000 units, 300 measures, 36 months and about a
million report revisions, written straight into tracker's real schema with sqlite3 `executemany`.

Shared by the benchmarks (`publish.py`, and a board benchmark). Deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tracker.clock import TZ
from tracker.store.db import init_database
from tracker.store.migrations import upgrade

PLAN = "province-2022"
START, END = date(2022, 1, 1), date(2024, 12, 31)


@dataclass(frozen=True)
class Shape:
    departments: int = 40
    towns: int = 960
    sections: int = 10
    measures_per_section: int = 30
    towns_per_measure: int = 32
    months: int = 36
    revisions_per_report: int = 3
    seed: int = 20240601

    @property
    def units(self) -> int:
        return self.departments + self.towns


def moment(day: date, hour: int, minute: int = 0) -> str:
    """A local moment as the store keeps it: naive UTC text."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
    return local.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def months(count: int) -> list[tuple[int, int]]:
    out, year, month = [], START.year, START.month
    for _ in range(count):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def build(path: Path, shape: Shape = Shape(), echo=print) -> dict[str, int]:
    """Create `path` (a new SQLite file) with tracker's schema and the synthetic province in it."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    database = init_database(f"sqlite:///{path}")
    upgrade()
    database.close_all()
    rnd = random.Random(shape.seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA synchronous=off")
    loaded = moment(date(2021, 12, 20), 9)
    cur = con.cursor()
    units = [
        (f"省直部门{i:03d}", f"部门{i:03d}", "[]", "department", 0, loaded, "[]")
        for i in range(shape.departments)
    ]
    units += [
        (f"示例省第{i:04d}镇", f"第{i:04d}镇", "[]", "town", 0, loaded, "[]") for i in range(shape.towns)
    ]
    cur.executemany(
        "INSERT INTO unit (name, short, aliases, kind, reconstructed, created_at, tags) VALUES (?,?,?,?,?,?,?)",
        units,
    )
    cur.execute(
        "INSERT INTO plan (code, title, issuer, doc_number, issued, start, end, cadence, due_day, signoff,"
        " holiday_shift, amber_days, phases, targets, loaded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            PLAN,
            "示例省乡村振兴重点任务分工(基准测试)",
            "示例省人民政府办公厅",
            "示政办〔2022〕1号",
            "2021-12-15",
            START.isoformat(),
            END.isoformat(),
            "monthly",
            25,
            0,
            0,
            30,
            "[]",
            "[]",
            loaded,
        ),
    )
    plan_id = cur.lastrowid
    user = ("bench", "基准", "reporter", None, None, "x", 0, 1, None, loaded)
    cur.execute(
        "INSERT INTO user (username, display_name, role, unit_id, email, password_hash, must_change_password,"
        " active, password_changed_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        user,
    )
    author = cur.lastrowid
    measures, assignments, indicators = [], [], []
    town_ids = list(range(shape.departments + 1, shape.units + 1))
    for s in range(1, shape.sections + 1):
        cur.execute(
            "INSERT INTO section (plan_id, code, title, position, reconstructed) VALUES (?,?,?,?,0)",
            (plan_id, str(s), f"第{s}项重点行动", s),
        )
        section_id = cur.lastrowid
        for m in range(1, shape.measures_per_section + 1):
            code = f"{s}.{m}"
            kind = rnd.random()
            deadline = None if kind < 0.2 else date(2023 + (kind > 0.6), rnd.randint(1, 12), 28)
            cur.execute(
                "INSERT INTO measure (plan_id, section_id, code, title, text, printed_units, deadline,"
                " deadline_text, recurring, public, reconstructed, position, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,0,?,?)",
                (
                    plan_id,
                    section_id,
                    code,
                    f"重点任务{code}",
                    f"重点任务{code}的全文。",
                    "{}",
                    deadline and deadline.isoformat(),
                    deadline and f"{deadline.year}年{deadline.month}月底前",
                    "monthly" if kind < 0.1 else None,
                    1,
                    m,
                    loaded,
                ),
            )
            measure_id = cur.lastrowid
            measures.append(measure_id)
            lead = rnd.randint(1, shape.departments)
            assignments.append((measure_id, lead, "lead", f"部门{lead - 1:03d}", 0, loaded, "{}"))
            for pos, town in enumerate(rnd.sample(town_ids, shape.towns_per_measure), start=1):
                assignments.append((measure_id, town, "responsible", f"town{town}", pos, loaded, "{}"))
            if m % 3 == 0:
                indicators.append((measure_id, "完成数", "完成数", "个", 1000.0, 0.0, 1, 0, "none", "{}"))
    cur.executemany(
        "INSERT INTO assignment (measure_id, unit_id, role, printed_name, position, created_at, shares)"
        " VALUES (?,?,?,?,?,?,?)",
        assignments,
    )
    cur.executemany(
        "INSERT INTO indicator (measure_id, code, name, unit, target, baseline, cumulative, position, rollup,"
        " shares) VALUES (?,?,?,?,?,?,?,?,?,?)",
        indicators,
    )
    for (indicator_id,) in cur.execute("SELECT id FROM indicator").fetchall():
        con.executemany(
            "INSERT INTO milestone (indicator_id, date, value) VALUES (?,?,?)",
            [(indicator_id, "2022-12-31", 300.0), (indicator_id, "2023-12-31", 700.0)],
        )
    con.commit()
    echo(f"  units {shape.units}, measures {len(measures)}, assignments {len(assignments)}")

    assignment_ids = [row[0] for row in cur.execute("SELECT id FROM assignment ORDER BY id")]
    with_indicator = {
        row[0]
        for row in cur.execute(
            "SELECT a.id FROM assignment a JOIN indicator i ON i.measure_id = a.measure_id"
        )
    }
    periods = months(shape.months)
    report_id = 0
    reports, revisions = [], []
    total = 0
    for a in assignment_ids:
        percent = 0
        for index, (year, month) in enumerate(periods):
            roll = rnd.random()
            if roll < 0.04:
                continue  # missing
            report_id += 1
            day = 28 if roll < 0.12 else rnd.randint(5, 25)  # late or on time
            first = date(year, month, day)
            reports.append((report_id, a, f"{year:04d}-{month:02d}", moment(first, 9)))
            percent = min(100, percent + rnd.randint(0, 6))
            for number in range(1, shape.revisions_per_report + 1):
                values = json.dumps({"完成数": 30 * index + number}) if a in with_indicator else "{}"
                revisions.append(
                    (
                        report_id,
                        number,
                        author,
                        moment(first, 9 + number),
                        percent,
                        0,
                        "进展",
                        "",
                        "",
                        "本月按计划推进",
                        values,
                        "{}",
                        "import",
                    )
                )
        if len(revisions) > 200_000:
            total += _flush(con, reports, revisions)
    total += _flush(con, reports, revisions)
    findings = []
    for i in range(2000):
        a = rnd.choice(assignments)
        opened = date(2022, 1, 1) + timedelta(days=rnd.randint(0, 1000))
        findings.append(
            (
                plan_id,
                a[1],
                a[0],
                f"问题{i}",
                "详情",
                "general",
                int(rnd.random() < 0.3),
                0,
                (opened + timedelta(days=30)).isoformat(),
                "open",
                author,
                moment(opened, 10),
            )
        )
    con.executemany(
        "INSERT INTO finding (plan_id, unit_id, measure_id, title, detail, severity, public, detail_public,"
        " rectify_by, state, created_by_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        findings,
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return {
        "units": shape.units,
        "measures": len(measures),
        "assignments": len(assignments),
        "revisions": total,
    }


def _flush(con, reports, revisions) -> int:
    con.executemany("INSERT INTO report (id, assignment_id, period, created_at) VALUES (?,?,?,?)", reports)
    con.executemany(
        "INSERT INTO report_revision (report_id, number, author_id, recorded_at, percent, complete, narrative,"
        " problems, next_steps, public_summary, indicator_values, indicator_notes, source)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        revisions,
    )
    con.commit()
    count = len(revisions)
    reports.clear()
    revisions.clear()
    return count
