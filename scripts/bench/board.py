"""Benchmark: the monthly board and the yearly assessment of a synthetic province, against their limit.

    .venv/bin/python scripts/bench/board.py [--quick] [--no-postgres] [--rebuild]

Builds (once, then reuses) SQLite provinces of 1,000 units, 300 measures, 2,100 assignments and
36 months with 1, 4 and 14 revisions a report (~73k, ~290k and ~1.01M revisions; synthetic.py), and a
PostgreSQL copy of the largest. For each it prints, side by side in one run (medians of 3 interleaved
repeats): tracker's board (store → rules, `boards.monthly_board`), the limit (one SQL statement over a
latest-revision-per-report table, limits/board.py) and their ratio; the same for the yearly
assessment (limit: the same statement over the year's months). Writes its entries to
bench-results.json (`board`, `assessment`, `board_postgresql`, `assessment_postgresql`, `board_<n>k`).
Aims (issue 17): a board in < 50 ms on both databases, flat with history; an assessment in < 300 ms.
Figures are printed, never asserted: these machines are shared and noisy.

    .venv/bin/python scripts/bench/board.py --levels [--rebuild]

builds a three-level province instead (1 city, 10 counties, 150 towns, 2,000 villages; each measure
split down to villages, scripts/bench/levels.py) and prints its board with roll-up against the same
board read flat (roll-up switched off), as a ratio: the cost of the levels.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
import synthetic  # noqa: E402
from limits import board as limit  # noqa: E402

from tracker.rules.periods import Period, Year  # noqa: E402
from tracker.services import boards  # noqa: E402
from tracker.store.db import db, init_database  # noqa: E402
from tracker.store.migrations import upgrade  # noqa: E402

SIZES = {14: "1m", 4: "300k", 1: "100k"}  # revisions a report → the label of the size
PERIOD, YEAR = Period(2023, 6), Year(2023)
BOARD_AIM_MS, ASSESSMENT_AIM_MS = 50, 300


def province(per_report: int, rebuild: bool = False) -> Path:
    path = Path(f"/tmp/tracker-bench-board-r{per_report}.db")
    if rebuild or not path.exists():
        print(f"building the synthetic province in {path} …", flush=True)
        started = time.perf_counter()
        counts = synthetic.build(path, synthetic.Shape(towns_per_measure=6, revisions_per_report=per_report))
        print(f"  {counts} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def raw_connection(url: str):
    if url.startswith("sqlite"):
        return sqlite3.connect(url.removeprefix("sqlite:///")), False
    conn = benchlib.pg_admin(url)
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("SET jit = off")  # as the app's connections
    return conn, True


def side_by_side(label: str, url: str, repeats: int, assessment: bool = True) -> list[dict]:
    """Board (and assessment) against the limit on one database; the entries for the results file."""
    conn, postgres = raw_connection(url)
    limit.prepare(conn, postgres)
    init_database(url)
    upgrade()  # a province cached by an earlier version gets today's schema (and fills what it adds)
    plan = boards.plan_by_code(synthetic.PLAN)
    revisions = db.execute_sql("SELECT COUNT(*) FROM report_revision").fetchone()[0]
    with benchlib.Queries() as q:
        boards.monthly_board(plan, PERIOD)
    months = [str(PERIOD.prev()), str(PERIOD)]
    t = benchlib.interleaved(
        {
            "product": lambda: boards.monthly_board(plan, PERIOD),
            "limit": lambda: limit.board_rows(conn, postgres, plan.id, months),
        },
        repeats,
    )
    out = [
        benchlib.entry(
            f"board{label}",
            t["product"] * 1000,
            t["limit"] * 1000,
            "ms",
            None,
            revisions,
            queries=q.count,
            aim_text=f"< {BOARD_AIM_MS} ms, flat with history",
        )
    ]
    out[0]["aim"] = round(BOARD_AIM_MS / out[0]["limit"], 2)
    if assessment:
        year = [str(YEAR.periods[0].prev()), *map(str, YEAR.periods)]
        with benchlib.Queries() as q:
            boards.assessment(plan, YEAR)
        t = benchlib.interleaved(
            {
                "product": lambda: boards.assessment(plan, YEAR),
                "limit": lambda: limit.board_rows(conn, postgres, plan.id, year),
            },
            repeats,
        )
        e = benchlib.entry(
            f"assessment{label}",
            t["product"] * 1000,
            t["limit"] * 1000,
            "ms",
            None,
            revisions,
            queries=q.count,
            aim_text=f"< {ASSESSMENT_AIM_MS} ms",
        )
        e["aim"] = round(ASSESSMENT_AIM_MS / e["limit"], 2)
        out.append(e)
    db.close_all()
    conn.close()
    for e in out:
        benchlib.show(e)
    return out


def run(quick: bool = False, postgres: bool = True, rebuild: bool = False) -> list[dict]:
    repeats = 1 if quick else 3
    entries = []
    print(f"board and assessment: tracker against the limit (medians of {repeats})", flush=True)
    big = province(14, rebuild)
    entries += side_by_side("", f"sqlite:///{big}", repeats)
    if postgres and benchlib.pg_answers():
        url = benchlib.postgres_copy(big, "tracker_bench_board_r14")
        entries += side_by_side("_postgresql", url, repeats)
    else:
        print("  PostgreSQL: skipped (no server answers)")
    print("scaling with history (SQLite; the same plan, more revisions a report)", flush=True)
    for per_report, size in SIZES.items():
        if per_report == 14:
            continue
        entries += side_by_side(f"_{size}", f"sqlite:///{province(per_report, rebuild)}", repeats, False)
    benchlib.save(entries)
    return entries


def levels_main(path: Path, rebuild: bool, repeat: int) -> None:
    import levels

    from tracker.store.models import Indicator

    if rebuild or not path.exists():
        print(f"building the three-level province in {path} …")
        start = time.perf_counter()
        counts = levels.build(path)
        print(f"  {counts} in {time.perf_counter() - start:.0f} s")
    init_database(f"sqlite:///{path}")
    plan = boards.plan_by_code(levels.PLAN)
    sizes = db.execute_sql(
        "SELECT (SELECT COUNT(*) FROM unit), (SELECT COUNT(*) FROM assignment),"
        " (SELECT COUNT(*) FROM assignment WHERE parent_id IS NOT NULL), (SELECT COUNT(*) FROM report_revision)"
    ).fetchone()
    print("units {}, assignments {} (of which split children {}), revisions {}".format(*sizes))
    period = Period(2024, 6)
    rolled, board = timed(lambda: boards.monthly_board(plan, period), repeat)
    value = board[0].measures[0].indicators[0].value
    with db.atomic() as txn:  # the same board read flat: roll-up off, then put back
        Indicator.update(rollup="none").execute()
        flat, _ = timed(lambda: boards.monthly_board(plan, period), repeat)
        txn.rollback()
    print(
        f"monthly board {period} with roll-up   {rolled * 1000:8.1f} ms   (measure 1.1 rolled up to {value})"
    )
    print(
        f"same board read flat (no roll-up) {flat * 1000:8.1f} ms   roll-up/flat ratio {rolled / flat:.2f}×"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat instead of three")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=5, help="(--levels) repeats")
    parser.add_argument("--db", type=Path, default=None, help="(--levels) the province file")
    parser.add_argument("--levels", action="store_true", help="the three-level province (roll-up cost)")
    args = parser.parse_args()
    if args.levels:
        levels_main(args.db or Path("/tmp/tracker-bench-levels.db"), args.rebuild, args.repeat)
        return
    run(args.quick, not args.no_postgres, args.rebuild)


if __name__ == "__main__":
    main()
