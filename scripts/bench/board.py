"""Benchmark: one monthly board and one yearly assessment of a synthetic province, store → rules.

    .venv/bin/python scripts/bench/board.py [--db PATH] [--rebuild] [--repeat N]

Builds (once, then reuses) a SQLite province of 1,000 units, 300 measures, ~2,100 assignments,
36 months and about a million report revisions (scripts/bench/synthetic.py), then prints for the
board and the assessment: the time end to end, the part spent gathering facts, the number of SQL
queries, and, in the same run, the same SQL replayed through raw sqlite3, as a ratio (the ORM's
overhead). Figures are printed, never asserted: these machines are shared and noisy.
Aims (issue 4): a board in < 50 ms, ≤ 10 queries whatever the size, ORM overhead ≤ 1.5×.

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

import synthetic  # noqa: E402

from tracker.rules.periods import Period, Year  # noqa: E402
from tracker.services import boards, facts  # noqa: E402
from tracker.store.db import db, init_database  # noqa: E402

SHAPE = synthetic.Shape(towns_per_measure=6, revisions_per_report=14)


class Recorder:
    """Counts and keeps every statement peewee sends, with its parameters, for a raw replay."""

    def __init__(self):
        self.statements: list[tuple[str, tuple]] = []
        self.original = db.obj.execute_sql

    def __enter__(self):
        def recording(sql, params=None, *args, **kwargs):
            self.statements.append((sql, tuple(params or ())))
            return self.original(sql, params, *args, **kwargs)

        db.obj.execute_sql = recording
        return self

    def __exit__(self, *exc):
        db.obj.execute_sql = self.original


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def raw_replay(path: Path, statements, repeat: int) -> float:
    con = sqlite3.connect(path)
    con.execute("PRAGMA query_only=1")

    def run():
        for sql, params in statements:
            con.execute(sql, params).fetchall()

    seconds, _ = timed(run, repeat)
    con.close()
    return seconds


def measure(label: str, path: Path, full, gather, repeat: int) -> None:
    with Recorder() as rec:
        full()
    queries = list(rec.statements)
    with Recorder() as rec:
        gather()
    gather_statements = list(rec.statements)
    total, _ = timed(full, repeat)
    gathering, _ = timed(gather, repeat)
    raw = raw_replay(path, gather_statements, repeat)
    print(f"{label}")
    print(f"  end to end (store → rules) {total * 1000:8.1f} ms   queries {len(queries)}")
    print(
        f"  of which gathering facts    {gathering * 1000:8.1f} ms   rules {max(0.0, total - gathering) * 1000:.1f} ms"
    )
    print(f"  same SQL via raw sqlite3    {raw * 1000:8.1f} ms   ORM/raw ratio {gathering / raw:.2f}×")


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
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--levels", action="store_true", help="the three-level province (roll-up cost)")
    args = parser.parse_args()
    if args.levels:
        levels_main(args.db or Path("/tmp/tracker-bench-levels.db"), args.rebuild, args.repeat)
        return
    args.db = args.db or Path("/tmp/tracker-bench-board.db")
    if args.rebuild or not args.db.exists():
        print(f"building the synthetic province in {args.db} …")
        start = time.perf_counter()
        counts = synthetic.build(args.db, SHAPE)
        print(f"  {counts} in {time.perf_counter() - start:.0f} s")
    init_database(f"sqlite:///{args.db}")
    plan = boards.plan_by_code(synthetic.PLAN)
    sizes = db.execute_sql(
        "SELECT (SELECT COUNT(*) FROM unit), (SELECT COUNT(*) FROM measure), (SELECT COUNT(*) FROM assignment),"
        " (SELECT COUNT(*) FROM report_revision), (SELECT COUNT(*) FROM finding)"
    ).fetchone()
    print("units {}, measures {}, assignments {}, revisions {}, findings {}".format(*sizes))

    period = Period(2023, 6)
    moment = boards.board_moment(plan, period)
    measure(
        f"monthly board {period}",
        args.db,
        lambda: boards.monthly_board(plan, period),
        lambda: facts.gather(plan, moment, periods=(period.prev(), period)),
        args.repeat,
    )
    year = Year(2023)
    year_moment = boards.board_moment(plan, year.periods[-1])
    measure(
        f"yearly assessment {year}",
        args.db,
        lambda: boards.assessment(plan, year),
        lambda: facts.gather(plan, year_moment, periods=(year.periods[0].prev(), *year.periods)),
        max(1, args.repeat // 2),
    )


if __name__ == "__main__":
    main()
