"""Benchmark: the pure rules of the monthly board and the yearly assessment, without the store.

    .venv/bin/python scripts/bench/rules.py [--db PATH] [--repeat N] [--profile N]

Gathers the facts of the synthetic province once (as `boards.monthly_board` and `boards.assessment`
do), then times only the rule part: `snapshot.board` for 2023-06 and `scores.assess` for 2023, each
run on a fresh copy of the facts, interleaved, and prints the medians of `--repeat` runs, wall time
and the process's CPU time (steadier on a shared machine). With `--profile N` it also prints the top
N functions of one run of each by own time and by cumulative time. Figures are printed, never
asserted. The province is the one `board.py` builds (1,000 units, 2,100 assignments).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pickle
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

from tracker.rules import scores, snapshot  # noqa: E402
from tracker.rules.periods import Period, Year  # noqa: E402
from tracker.services import boards, facts  # noqa: E402
from tracker.store.db import init_database  # noqa: E402

PERIOD, YEAR = Period(2023, 6), Year(2023)


def gathered(plan) -> tuple:
    """The facts a board of PERIOD and an assessment of YEAR read, gathered as the services do."""
    board_facts = facts.gather(plan, boards.board_moment(plan, PERIOD), periods=(PERIOD.prev(), PERIOD))
    as_of = boards.board_moment(plan, YEAR.periods[-1])
    year_facts = facts.gather(plan, as_of, periods=(YEAR.periods[0].prev(), *YEAR.periods))
    quarters = sorted({str(p.quarter) for p in YEAR.periods})
    ratings = facts.quality_ratings(plan, quarters, as_of)
    return board_facts, year_facts, ratings, as_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/tracker-bench-board-r14.db"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions of one run")
    args = parser.parse_args()

    init_database(f"sqlite:///{args.db}")
    plan = boards.plan_by_code(synthetic.PLAN)
    start = time.perf_counter()
    board_facts, year_facts, ratings, as_of = gathered(plan)
    print(
        f"gathered {len(board_facts.assignments)} assignments (board) and {len(year_facts.assignments)}"
        f" (year) in {time.perf_counter() - start:.1f} s"
    )
    # Each run reads a fresh copy of the facts, as a board does after its own gather: nothing a
    # previous run worked out and kept on them counts.
    frozen = {"board": pickle.dumps(board_facts), "assessment": pickle.dumps(year_facts)}
    del board_facts, year_facts

    def board(facts):
        return lambda: snapshot.board(facts.assignments, PERIOD, facts.rules)

    def assessment(facts):
        return lambda: scores.assess(
            facts.assignments, YEAR, facts.rules, ratings, facts.unit_findings, as_of
        )

    runs = {"board": board, "assessment": assessment}
    labels = {"board": f"board {PERIOD}", "assessment": f"assessment {YEAR}"}
    times: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):  # interleaved, so that a noisy moment hits both alike
        for name, make in runs.items():
            run = make(pickle.loads(frozen[name]))
            gc.collect()
            started, started_cpu = time.perf_counter(), time.process_time()
            run()
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - started_cpu)
            del run
    for name, measured in times.items():
        listed = ", ".join(f"{t * 1000:.0f}" for t in measured)
        print(
            f"{labels[name]:20} rules {statistics.median(measured) * 1000:7.1f} ms wall"
            f" ({listed}), CPU {statistics.median(cpu[name]) * 1000:7.1f} ms (medians of {args.repeat})"
        )
    for name, make in runs.items() if args.profile else ():
        run = make(pickle.loads(frozen[name]))
        profile = cProfile.Profile()
        profile.runcall(run)
        for order in ("tottime", "cumulative"):
            print(f"\n--- {labels[name]}: top {args.profile} by {order} ---")
            pstats.Stats(profile).strip_dirs().sort_stats(order).print_stats(args.profile)


if __name__ == "__main__":
    main()
