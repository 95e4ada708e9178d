"""Benchmark: the JSON API against the web pages it mirrors, under waitress, on SQLite and PostgreSQL.

    .venv/bin/python scripts/bench/api.py [--postgres URL] [--no-postgres] [--seconds 5] [--clients 8]

Set-up as scripts/bench/submit.py (shipped plans, a clerk per unit of xunyi-2024, `tracker serve
--no-scheduler` pinned to one core, TRACKER_NOW fixed); each clerk also gets an API token. Four runs,
each bounded by ≤ 4,000 requests or `--seconds`, each client a thread with one keep-alive connection:

  API read     GET /api/v1/assignments?plan=…        (the unit's assignments, light, status, due)
  web read     GET /unit/                            (the unit's home page: the same facts as HTML)
  API post     POST /api/v1/assignments/{id}/reports (a new revision, JSON, expected_revision)
  web post     POST the report form                  (a new revision, as submit.py does)

Figures are printed (req/s, p50, p95), never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import submit  # noqa: E402  (the web form's bench: set-up, server, clients)

HOST, PLAN, PERIOD, MAX_REQUESTS = submit.HOST, submit.PLAN, submit.PERIOD, submit.MAX_REQUESTS


def tokens_for(url: str, clients: list[submit.Client]) -> dict[str, str]:
    from tracker.services import tokens
    from tracker.store.db import init_database
    from tracker.store.models import User

    database = init_database(url)
    made = {
        c.username: tokens.add("bench", User.get(User.username == c.username), "bench").secret
        for c in clients
    }
    database.close_all()
    return made


def run(port: int, clients, seconds: float, step) -> submit.Result:
    """Each client calls `step(conn, client, turn) -> status` in a loop; the answers are timed."""
    result, lock = submit.Result(), threading.Lock()
    budget, began = [MAX_REQUESTS], [0.0]
    start_line = threading.Barrier(len(clients), action=lambda: began.__setitem__(0, time.perf_counter()))

    def take() -> bool:
        with lock:
            if budget[0] <= 0 or time.perf_counter() >= began[0] + seconds:
                return False
            budget[0] -= 1
            return True

    def work(client):
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        latencies, statuses, errors, turn = [], Counter(), 0, 0
        start_line.wait()
        while take():
            t0 = time.perf_counter()
            try:
                status = step(conn, client, turn)
            except (OSError, http.client.HTTPException):
                statuses["exception"] += 1
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                continue
            latencies.append(time.perf_counter() - t0)
            statuses[status] += 1
            errors += status >= 400
            turn += 1
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.statuses.update(statuses)
            result.errors += errors

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    result.seconds = time.perf_counter() - began[0]
    return result


def _ask(conn, method: str, path: str, headers: dict, body: bytes | None = None) -> int:
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def bench(label: str, url: str, folder: Path, seconds: float, count: int, cores) -> None:
    server_cores, _ = cores
    print(f"\n{label}: {url}", flush=True)
    clients = submit.prepare(url, count)
    secrets = tokens_for(url, clients)
    instance = folder / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text("API_RATE_LIMIT = 10**9\n")  # measure the work, not the limiter
    env = {
        **submit.os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_NOW": submit.NOW,
        "TRACKER_INSTANCE": str(instance),
        "TRACKER_SITES_DIR": str(folder / "sites"),
        "PYTHONPATH": str(submit.ROOT),
    }
    port = submit.free_port()
    server = None
    try:
        server = submit.start_server(env, port, server_cores, folder / "server.log")
        for client in clients:
            submit.sign_in(port, client)
        versions: dict[int, int] = {}

        def api_read(conn, client, turn):
            headers = {"Authorization": f"Bearer {secrets[client.username]}"}
            return _ask(conn, "GET", f"/api/v1/assignments?plan={PLAN}&limit=200", headers)

        def web_read(conn, client, turn):
            return _ask(conn, "GET", "/unit/", {"Cookie": client.cookie})

        def api_post(conn, client, turn):
            assignment = client.assignments[turn % len(client.assignments)]
            version = versions.get(assignment, 0)
            if not version:  # what the client last saw: ask once
                conn.request(
                    "GET",
                    f"/api/v1/assignments/{assignment}/reports?period={PERIOD}&limit=1",
                    headers={"Authorization": f"Bearer {secrets[client.username]}"},
                )
                items = json.loads(conn.getresponse().read())["items"]
                version = items[0]["number"] if items else 0
            body = json.dumps(
                {
                    "period": PERIOD,
                    "percent": min(100, 10 + version),
                    "narrative": "按月推进",
                    "expected_revision": version,
                }
            ).encode()
            headers = {
                "Authorization": f"Bearer {secrets[client.username]}",
                "Content-Type": "application/json",
            }
            status = _ask(conn, "POST", f"/api/v1/assignments/{assignment}/reports", headers, body)
            versions[assignment] = version + 1 if status == 201 else 0
            return status

        n = len(clients)
        submit.report(
            f"API read   ({n} clients)", run(port, clients, seconds, api_read), "GET /api/v1/assignments"
        )
        submit.report(f"web read   ({n} clients)", run(port, clients, seconds, web_read), "GET /unit/")
        submit.report(
            f"API post   ({n} clients)", run(port, clients, seconds, api_post), "POST …/reports JSON"
        )
        submit.report(
            f"web post   ({n} clients)", submit.run_clients(port, clients, seconds), "POST the form"
        )
    finally:
        submit.stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help=f"a PostgreSQL server ({submit.DEFAULT_PG})")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--seconds", type=float, default=5.0, help="at most this long per run (default 5)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    args = parser.parse_args()
    cores = submit.affinity()
    folder = Path(tempfile.mkdtemp(prefix="tracker-bench-api-"))
    try:
        bench(
            "SQLite",
            f"sqlite:///{folder}/sqlite/tracker.db",
            folder / "sqlite",
            args.seconds,
            args.clients,
            cores,
        )
        base = (
            None
            if args.no_postgres
            else (args.postgres or (submit.DEFAULT_PG if submit.pg_answers(submit.DEFAULT_PG) else None))
        )
        if base is None:
            print("\nPostgreSQL: skipped (give --postgres URL)")
            return
        name = f"tracker_bench_api_{uuid.uuid4().hex[:8]}"
        admin = submit.pg_admin(base)
        try:
            with admin.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
            url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
            bench("PostgreSQL", url, folder / "postgres", args.seconds, args.clients, cores)
        finally:
            from tracker.store.db import db

            if db.obj is not None and hasattr(db.obj, "close_all"):
                db.close_all()
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
