"""What the benchmarks share: interleaved medians, query counting, a PostgreSQL copy of a SQLite
province, and the `bench-results.json` entries (product, limit, ratio, aim).

Figures are printed and written, never asserted: these machines are shared and noisy.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tracker.store.db import db, init_database  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
RESULTS = ROOT / "bench-results.json"
RATES = ("files/s", "req/s")  # higher is better: the cost is the inverse


def interleaved(runs: dict[str, Callable[[], object]], repeats: int = 3) -> dict[str, float]:
    """Median seconds of each callable, run in turn (a, b, a, b, …) so drift hits both alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(t) for name, t in times.items()}


class Queries:
    """Counts the statements peewee sends while open (the app's own connection, no mock)."""

    def __init__(self):
        self.statements: list[tuple[str, tuple]] = []

    def __enter__(self):
        self.original = db.obj.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.statements.append((sql, tuple(params or ())))
            return self.original(sql, params, *args, **kwargs)

        db.obj.execute_sql = counting
        return self

    def __exit__(self, *exc):
        db.obj.execute_sql = self.original

    @property
    def count(self) -> int:
        return len(self.statements)


def entry(
    path: str,
    product: float,
    limit: float | None,
    unit: str,
    aim: float | None,
    revisions: int,
    **extra,
) -> dict:
    """One measured path: ratio is the product's cost over the limit's (lower is better)."""
    ratio = (limit / product if unit in RATES else product / limit) if limit else None
    return {
        "path": path,
        "product": round(product, 2),
        "limit": None if limit is None else round(limit, 2),
        "unit": unit,
        "ratio": None if ratio is None else round(ratio, 2),
        "aim": aim,
        "revisions": revisions,
        **extra,
    }


def show(e: dict) -> None:
    limit = "—" if e["limit"] is None else f"{e['limit']:,.1f}"
    ratio = "—" if e["ratio"] is None else f"{e['ratio']:.2f}×"
    aim = "" if e["aim"] is None else f"(aim ≤ {e['aim']}×)"
    print(
        f"  {e['path']:<22} product {e['product']:>9,.1f} {e['unit']:<7} limit {limit:>9} "
        f"ratio {ratio:>7} {aim}   revisions {e['revisions']:,}",
        flush=True,
    )


def save(entries: list[dict], path: Path = RESULTS) -> None:
    """Merge `entries` into the results file (one object per path, the newest wins)."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        old = {}
    for e in entries:
        old[e["path"]] = {k: v for k, v in e.items() if k != "path"}
    path.write_text(json.dumps(old, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------- PostgreSQL


def pg_admin(url: str = DEFAULT_PG):
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(
        dbname=parts.path.lstrip("/") or "postgres",
        user=parts.username,
        password=parts.password,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        connect_timeout=3,
    )
    conn.autocommit = True
    return conn


def pg_answers(url: str = DEFAULT_PG) -> bool:
    try:
        pg_admin(url).close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        return False


def pg_url(name: str, base: str = DEFAULT_PG) -> str:
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def revisions_in(url: str) -> int:
    init_database(url)
    try:
        return db.execute_sql("SELECT COUNT(*) FROM report_revision").fetchone()[0]
    except Exception:  # noqa: BLE001 - no schema yet
        return -1
    finally:
        db.close_all()


def postgres_copy(sqlite_path: Path, name: str, base: str = DEFAULT_PG, echo=print) -> str:
    """A PostgreSQL database `name` holding the same rows as the SQLite province (made once, then
    reused while it holds as many revisions); tracker's own schema, rows copied table by table."""
    from tracker.store.migrations import upgrade

    src = sqlite3.connect(sqlite_path)
    wanted = src.execute("SELECT COUNT(*) FROM report_revision").fetchone()[0]
    url = pg_url(name, base)
    admin = pg_admin(base)
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        exists = cur.fetchone() is not None
    if exists and revisions_in(url) == wanted:
        admin.close()
        return url
    started = time.perf_counter()
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    init_database(url)
    upgrade()
    db.close_all()
    conn = pg_admin(url)
    conn.autocommit = False
    tables = ["unit", "plan", "user", "section", "measure", "assignment", "indicator", "milestone"]
    tables += ["report", "report_revision", "finding"]
    with conn.cursor() as cur:
        for table in tables:
            cur.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s",
                (table,),
            )
            types = dict(cur.fetchall())
            columns = [c[1] for c in src.execute(f'PRAGMA table_info("{table}")') if c[1] in types]
            booleans = [i for i, c in enumerate(columns) if types[c] == "boolean"]
            rows = src.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{table}"')
            buffer = _copy_text(rows, booleans)
            cur.copy_expert(
                f'COPY "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) FROM STDIN', buffer
            )
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                f' COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    conn.close()
    echo(f"  copied {wanted:,} revisions into PostgreSQL {name} in {time.perf_counter() - started:.0f} s")
    return url


def _copy_text(rows, booleans):
    import io

    def field(value, boolean):
        if value is None:
            return "\\N"
        if boolean:
            return "t" if value else "f"
        return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    out = io.StringIO()
    for row in rows:
        out.write("\t".join(field(v, i in booleans) for i, v in enumerate(row)))
        out.write("\n")
    out.seek(0)
    return out
