"""The board's limit: the facts a monthly board needs, read by one SQL statement from a table that
holds, per report, its first submission time and its latest revision (what a maintained ledger holds).

The table is made once per database (outside any timing) from the revisions themselves.
"""

from __future__ import annotations

LATEST = "bench_latest"

CREATE = f"""
CREATE TABLE {LATEST} AS
SELECT r.assignment_id, r.period, f.first_at, rr.recorded_at, rr.percent, rr.complete, rr.indicator_values
FROM report r
JOIN (SELECT report_id, MIN(recorded_at) AS first_at, MAX(number) AS last FROM report_revision
      GROUP BY report_id) f ON f.report_id = r.id
JOIN report_revision rr ON rr.report_id = r.id AND rr.number = f.last
"""

QUERY = f"""
SELECT l.assignment_id, l.period, l.first_at, l.recorded_at, l.percent, l.complete, l.indicator_values
FROM {LATEST} l JOIN assignment a ON a.id = l.assignment_id JOIN measure m ON m.id = a.measure_id
WHERE m.plan_id = {{p}} AND l.period IN ({{periods}})
"""


def prepare(conn, postgres: bool) -> None:
    """Make the latest-revision table once (a raw DB-API connection, SQLite or PostgreSQL)."""
    cur = conn.cursor()
    try:
        cur.execute(f"SELECT 1 FROM {LATEST} LIMIT 1")
        cur.fetchall()
        return
    except Exception:  # noqa: BLE001 - not made yet
        conn.rollback()
    cur.execute(CREATE)
    cur.execute(f"CREATE UNIQUE INDEX {LATEST}_key ON {LATEST} (period, assignment_id)")
    cur.execute(f"ANALYZE {LATEST}" if postgres else "ANALYZE")
    conn.commit()


def board_rows(conn, postgres: bool, plan_id: int, periods: list[str]) -> list[tuple]:
    """One statement: every report of the plan's assignments in `periods`, as plain tuples."""
    mark = "%s" if postgres else "?"
    sql = QUERY.format(p=mark, periods=", ".join([mark] * len(periods)))
    cur = conn.cursor()
    cur.execute(sql, (plan_id, *periods))
    return cur.fetchall()
