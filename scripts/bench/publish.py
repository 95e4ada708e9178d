"""Benchmark `tracker publish` of a synthetic province against its limit, on SQLite and PostgreSQL.

    .venv/bin/python scripts/bench/publish.py [--quick] [--no-postgres] [--rebuild]

A whole quarter goes out in one build: its three monthly boards and the quarterly bulletin, with the
plan's pages (~5,000 files), from a province of 1,000 units, 300 measures, ~9,900 assignments and
~1.03M revisions (synthetic.py; made once in /tmp, copied once into PostgreSQL). Side by side in one
run (medians of 3 interleaved repeats, each into a fresh folder): the full build (gather → public →
render → compared, atomic writes → manifest → publication records) and the limit, a bare loop
rendering the same templates from the same prebuilt documents with plain writes (limits/publish.py),
in files/s, and their ratio. Also: SQL statements per board, the build with 2 worker processes
(speed-up over one), and a republish of one month after 50 changed reports.
Aims (issue 17): ratio ≤ 1.3, ≤ 10 queries per board, 2 workers ≥ 1.7× one.
Figures are printed, never asserted: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import benchlib  # noqa: E402
import synthetic  # noqa: E402
from limits.publish import bare_loop  # noqa: E402

from tracker.site import gather, public  # noqa: E402
from tracker.store.db import db, init_database  # noqa: E402

WINDOWS = ["2024-10", "2024-11", "2024-12", "2024Q4"]
PROVINCE = Path("/tmp/tracker-bench-publish.db")


def province(rebuild: bool = False) -> Path:
    if rebuild or not PROVINCE.exists():
        print(f"building the synthetic province in {PROVINCE} …", flush=True)
        started = time.perf_counter()
        counts = synthetic.build(PROVINCE, echo=lambda line: print(line))
        print(f"  {counts['revisions']:,} report revisions in {time.perf_counter() - started:.1f} s")
    return PROVINCE


def side_by_side(label: str, url: str, repeats: int, extras: bool) -> list[dict]:
    from tracker.services import publishing
    from tracker.store.models import Publication

    init_database(url)
    plan = publishing.plan_by_code(synthetic.PLAN)
    revisions = db.execute_sql("SELECT COUNT(*) FROM report_revision").fetchone()[0]
    work = Path(tempfile.mkdtemp(prefix="tracker-bench-publish-"))
    runs = {"n": 0}

    def fresh(name: str) -> Path:
        runs["n"] += 1
        folder = work / f"{name}{runs['n']}"
        return folder

    def product(workers: int = 1):
        Publication.delete().execute()  # the same work each time: every board new
        return publishing.publish(synthetic.PLAN, WINDOWS, fresh("site"), actor="bench", workers=workers)

    documents = [
        public.month_document(g) if "period" in g.__dataclass_fields__ else public.window_document(g)
        for g in (gather.gather(plan, publishing.window_of(w)) for w in WINDOWS)
    ]
    try:
        counted = {}

        def first_counted():  # the first timed build also counts its statements
            if counted:
                return product()
            with benchlib.Queries() as q:
                counted["files"] = product().files
            counted["queries"] = q.count

        def limit():
            n = bare_loop(documents, fresh("bare"))
            counted.setdefault("bare", n)

        t = benchlib.interleaved({"product": first_counted, "limit": limit}, repeats)
        files, bare_files = counted["files"], counted["bare"]
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        e = benchlib.entry(
            f"publish{label}",
            files / t["product"],
            bare_files / t["limit"],
            "files/s",
            1.3,
            revisions,
            files=files,
            seconds=round(t["product"], 2),
            queries=counted["queries"],
            queries_per_board=round(counted["queries"] / len(WINDOWS), 1),
        )
        if extras:
            two = benchlib.interleaved({"two": lambda: product(2)}, 1)["two"]
            e["two_workers_speedup"] = round(t["product"] / two, 2)
            # A republish of December after 50 of its reports were corrected before the cut-off.
            site = fresh("site")
            Publication.delete().execute()
            publishing.publish(synthetic.PLAN, WINDOWS, site, actor="bench")
            db.execute_sql(
                "UPDATE report_revision SET percent = percent + 1 WHERE id IN ("
                " SELECT rr.id FROM report_revision rr JOIN report r ON r.id = rr.report_id"
                " WHERE r.period = '2024-12' AND rr.percent < 100 ORDER BY rr.id LIMIT 50)"
            )
            started = time.perf_counter()
            again = publishing.publish(synthetic.PLAN, ["2024-12"], site, actor="bench", force=True)
            e["republish_month_s"] = round(time.perf_counter() - started, 2)
            e["republish_written"] = len(again.written)
            db.execute_sql(
                "UPDATE report_revision SET percent = percent - 1 WHERE id IN ("
                " SELECT rr.id FROM report_revision rr JOIN report r ON r.id = rr.report_id"
                " WHERE r.period = '2024-12' AND rr.percent <= 100 ORDER BY rr.id LIMIT 50)"
            )
            e["peak_mb"] = round(peak_mb)
    finally:
        Publication.delete().execute()
        db.close_all()
        shutil.rmtree(work, ignore_errors=True)
    benchlib.show(e)
    print(
        f"  {'':22} {files:,} files in {e['seconds']:.2f} s; {e['queries']} queries "
        f"({e['queries_per_board']} per board; aim ≤ 10)"
        + (
            f"; 2 workers {e['two_workers_speedup']:.2f}× one (aim ≥ 1.7); republish of a month "
            f"{e['republish_month_s']:.2f} s, {e['republish_written']} files rewritten"
            if extras
            else ""
        ),
        flush=True,
    )
    return [e]


def run(quick: bool = False, postgres: bool = True, rebuild: bool = False) -> list[dict]:
    repeats = 1 if quick else 3
    print(f"publish {' '.join(WINDOWS)}: tracker against the bare loop (medians of {repeats})", flush=True)
    path = province(rebuild)
    entries = side_by_side("", f"sqlite:///{path}", repeats, not quick)
    if postgres and not quick and benchlib.pg_answers():
        url = benchlib.postgres_copy(path, "tracker_bench_publish")
        entries += side_by_side("_postgresql", url, repeats, False)
    else:
        print("  PostgreSQL: skipped" + (" (--quick)" if quick else ""))
    benchlib.save(entries)
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, SQLite extras skipped")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    run(args.quick, not args.no_postgres, args.rebuild)


if __name__ == "__main__":
    main()
