"""Benchmark `tracker publish` on a synthetic province (see synthetic.py) and print the figures.

A whole quarter goes out in one build: its three monthly boards and the quarterly bulletin, with the
plan's pages (≥ 4,000 pages). In the same run a bare loop renders the same templates from the same
prebuilt documents and writes the same files with plain writes; the ratio of the two is the cost of
gathering, deciding what is public, comparing and writing atomically. Then the same build with 2
worker processes, and a republish after 50 changed reports. Figures are printed, never asserted.

    python scripts/bench/publish.py [--db PATH] [--keep]
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

import synthetic  # noqa: E402

from tracker.site import gather, public, render  # noqa: E402
from tracker.store.db import db, init_database  # noqa: E402

WINDOWS = ["2024-10", "2024-11", "2024-12", "2024Q4"]


class QueryCounter:
    def __init__(self):
        self.count = 0
        self.original = db.obj.execute_sql

    def __enter__(self):
        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return self.original(sql, params, *args, **kwargs)

        db.obj.execute_sql = counting
        return self

    def __exit__(self, *exc):
        db.obj.execute_sql = self.original


def bare_loop(documents, out: Path) -> int:
    """Render the same pages from the same documents and write them with plain writes."""
    record = render.PlanRecord(documents[0]["plan_info"])
    files = {}
    for doc in documents:
        files.update(render.board_files(doc))
        (record.months if "period" in doc else record.windows)[render.board_key(doc)] = doc
    files.update(render.plan_files(record))
    files.update(render.root_files([(record.plan, record.boards()[-1], record.latest_month)]))
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="reuse (or make) this SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    path = args.db or work / "province.db"
    from tracker.services import publishing

    if not path.exists():
        print("building the synthetic province …")
        started = time.perf_counter()
        counts = synthetic.build(path, echo=lambda line: print(line))
        print(f"  {counts['revisions']:,} report revisions in {time.perf_counter() - started:.1f} s")
    init_database(f"sqlite:///{path}")
    plan = publishing.plan_by_code(synthetic.PLAN)

    # The full build: gather → public → render → atomic, compared writes → manifest → Publication.
    with QueryCounter() as queries:
        started = time.perf_counter()
        result = publishing.publish(synthetic.PLAN, WINDOWS, work / "sites", actor="bench")
        full = time.perf_counter() - started
    pages = result.files
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # The bare loop over the same prebuilt documents.
    documents = [
        public.month_document(g) if "period" in g.__dataclass_fields__ else public.window_document(g)
        for g in (gather.gather(plan, publishing.window_of(w)) for w in WINDOWS)
    ]
    started = time.perf_counter()
    bare_pages = bare_loop(documents, work / "bare")
    bare = time.perf_counter() - started

    # Two worker processes (a fresh folder and fresh publication records, so the work is the same).
    from tracker.store.models import Publication

    Publication.delete().execute()
    started = time.perf_counter()
    publishing.publish(synthetic.PLAN, WINDOWS, work / "sites2", actor="bench", workers=2)
    two = time.perf_counter() - started

    # A republish of December after 50 of its reports were corrected before the cut-off.
    db.execute_sql(
        "UPDATE report_revision SET percent = MIN(100, percent + 7) WHERE id IN ("
        " SELECT rr.id FROM report_revision rr JOIN report r ON r.id = rr.report_id"
        " WHERE r.period = '2024-12' ORDER BY rr.id LIMIT 50)"
    )
    started = time.perf_counter()
    again = publishing.publish(synthetic.PLAN, ["2024-12"], work / "sites", actor="bench", force=True)
    republish = time.perf_counter() - started

    print(f"\npublish {' '.join(WINDOWS)} of {synthetic.PLAN}: {pages:,} files")
    print(f"  full build        {full:7.2f} s   {pages / full:7.0f} pages/s")
    print(f"  bare loop         {bare:7.2f} s   {bare_pages / bare:7.0f} pages/s ({bare_pages:,} files)")
    print(f"  ratio             {full / bare:7.2f} x   (aim <= 1.3)")
    print(
        f"  SQL queries       {queries.count:7d}     ({queries.count / len(WINDOWS):.1f} per board; aim <= 10)"
    )
    print(
        f"  2 processes       {two:7.2f} s   {pages / two:7.0f} pages/s  speed-up {full / two:.2f}x (aim >= 1000)"
    )
    print(
        f"  republish 2024-12 {republish:7.2f} s   {len(again.written)} files rewritten of {again.files:,}"
        f"  ({republish / full:.2f} of a full build; aim <= 0.5)"
    )
    print(f"  peak memory       {peak_mb:7.0f} MB  (max RSS after the full build; aim <= 500)")
    if args.keep:
        print(f"work folder: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
