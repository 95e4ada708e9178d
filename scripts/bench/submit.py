"""Benchmark: clerks posting monthly reports to the app under waitress, on SQLite and PostgreSQL.

    .venv/bin/python scripts/bench/submit.py [--quick] [--postgres URL] [--no-postgres | --no-sqlite] [--seconds 10]

For each database (a SQLite file in a temporary folder; and a fresh PostgreSQL database made next to
`--postgres URL`, by default postgresql://postgres@127.0.0.1:5432/test when it answers, dropped at
the end) it loads the shipped plans, adds 32 clerks (单位填报员) of 32 units of xunyi-2024 with the
real argon2id hasher, and starts `tracker serve --no-scheduler` on a free port of 127.0.0.1 with
TRACKER_NOW fixed, pinned to one core when the machine has more. Each client is a thread with one
keep-alive http.client connection: it signs in once, fetches its report form once (CSRF token and
version), then loops posting a new revision of its own assignment's 2024-05 report, bumping the
version after each 302; it cycles over its unit's assignments. A client keeps the cookie it had when it loaded the form, as a browser that
follows the redirect ends up with (the flash is read and gone), so the cookie does not grow.

Side by side in one run, on the same core (medians of 3 interleaved repeats): 8 clients posting to
tracker and 8 clients posting to the limit, a minimal Flask app under the same server (signed cookie,
one session lookup, one INSERT, a redirect: limits/submit_app.py), with requests/s, p95 and the
server's CPU per request; the ratio is tracker's cost over the limit's. Then (not with --quick) 32
clients, and 8 clients again while `tracker publish` writes boards of the same plan in another process.
Each run is bounded by ≤ 4,000 requests or `--seconds`, whichever comes first. Writes
`submit_sqlite` and `submit_postgresql` to bench-results.json.
Figures are printed, never asserted: these machines are shared and noisy.
Aims (issues 8 and 17), on one core: ≤ 3× the limit, ≥ 600 req/s and p95 ≤ 50 ms at 8 clients on
SQLite (≥ 330 req/s on PostgreSQL), 0 errors at 32.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402

from tracker.store.db import db, init_database  # noqa: E402

HOST = "127.0.0.1"
NOW = "2024-05-20T10:00:00+08:00"
PLAN = "xunyi-2024"
PERIOD = "2024-05"
PUBLISH_WINDOWS = ["--period", "2024-04"], ["--quarter", "2024Q1"]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
CLIENTS = (8, 32)
MAX_REQUESTS = 4_000
PASSWORD = "bench-password-2024"
NARRATIVE = (
    "本月围绕年度目标推进各项工作:\n\n- 完成项目现场核查 3 次,整改问题 5 个;\n"
    "- 召开专题推进会 1 次,明确责任分工;\n- 资金拨付进度 **{percent}%**,按计划推进。"
)
AIMS = {8: "aim ≥ 600 req/s, p95 ≤ 50 ms", 32: "aim 0 errors"}


# ---------------------------------------------------------------- the database


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def pg_admin(url: str):
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(
        dbname=parts.path.lstrip("/") or "postgres",
        user=parts.username,
        password=parts.password,
        host=parts.hostname or HOST,
        port=parts.port or 5432,
        connect_timeout=3,
    )
    conn.autocommit = True
    return conn


def pg_answers(url: str) -> bool:
    try:
        pg_admin(url).close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        return False


@dataclass
class Client:
    username: str
    assignments: list[int]  # all of its unit's assignments in the plan: no other client writes them
    cookie: str = ""
    forms: dict[int, dict[str, str]] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)


def prepare(url: str, count: int) -> list[Client]:
    """Schema, the shipped plans, and one clerk per client, each of a unit of its own."""
    from tracker.plans.load import load_plans
    from tracker.services.users import add_user
    from tracker.store.migrations import upgrade
    from tracker.store.models import Assignment, Measure, Plan, Unit

    database = init_database(url)
    upgrade()
    load_plans(sorted((ROOT / "measures").glob("*.yaml")))
    plan = Plan.get(Plan.code == PLAN)
    rows = (
        Assignment.select(Assignment.id, Unit.id, Unit.name)
        .join(Measure)
        .switch(Assignment)
        .join(Unit)
        .where(Measure.plan == plan, Assignment.archived_at.is_null())
        .order_by(Unit.id, Assignment.id)
        .tuples()
    )
    by_unit: dict[int, tuple[str, list[int]]] = {}
    for assignment_id, unit_id, unit_name in rows:
        by_unit.setdefault(unit_id, (unit_name, []))[1].append(assignment_id)
    # A unit per client, so a client never shares an assignment (no StaleRevision between clients); it
    # cycles over its unit's assignments, so each report gets a few revisions rather than hundreds.
    clients = []
    for name, ids in list(by_unit.values())[:count]:
        username = f"bench{len(clients):02d}"
        add_user(username, "reporter", name, password=PASSWORD, must_change=False, actor="bench")
        clients.append(Client(username, ids))
    database.close_all()
    return clients


# ---------------------------------------------------------------- HTTP


class FormFields(HTMLParser):
    """The named inputs and textareas of the page's form with `action` (the report form)."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields, self.textarea = action, False, {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("action") or "") in ("", self.action)
        elif self.inside and tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields[a["name"]] = a.get("value") or ""
        elif self.inside and tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self.fields[self.textarea] = ""

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False


class Session:
    """One keep-alive connection with a cookie jar of one cookie."""

    def __init__(self, port: int, cookie: str = ""):
        self.port, self.cookie = port, cookie
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)

    def request(self, method: str, path: str, body: dict | None = None, keep_cookie: bool = True):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        if keep_cookie:
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("tracker_session="):
                    self.cookie = value.split(";", 1)[0]
        return response.status, response.getheader("Location"), payload

    def close(self):
        self.conn.close()


def report_path(assignment_id: int) -> str:
    return f"/unit/assignments/{assignment_id}/reports/{PERIOD}"


def sign_in(port: int, client: Client) -> None:
    s = Session(port)
    status, _, page = s.request("GET", "/login")
    fields = FormFields("/login")
    fields.feed(page.decode())
    status, location, _ = s.request(
        "POST", "/login", {**fields.fields, "username": client.username, "password": PASSWORD}
    )
    if status != 302:
        raise RuntimeError(f"{client.username}: sign-in answered {status}")
    client.cookie = s.cookie
    s.close()


def load_form(s: Session, client: Client, assignment_id: int) -> None:
    path = report_path(assignment_id)
    status, _, page = s.request("GET", path)
    if status != 200:
        raise RuntimeError(f"{client.username}: the report form {path} answered {status}")
    fields = FormFields(path)
    fields.feed(page.decode())
    client.forms[assignment_id] = fields.fields
    client.versions[assignment_id] = int(fields.fields.get("expected") or 0)
    client.cookie = s.cookie


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    seconds: float = 0.0
    cpu: float | None = None  # the server's CPU seconds from the start line to the last answer


def run_clients(port: int, clients: list[Client], seconds: float, pid: int | None = None) -> Result:
    result, lock = Result(), threading.Lock()
    budget = [MAX_REQUESTS]
    deadline = [0.0]
    began = [0.0]

    cpu_began = [0.0]

    def go():  # run by the last thread to reach the start line, before any of them is released
        cpu_began[0] = cpu_seconds(pid) if pid else 0.0  # after the form GETs: only POSTs are counted
        began[0] = time.perf_counter()
        deadline[0] = began[0] + seconds

    start_line = threading.Barrier(len(clients), action=go)

    def take() -> bool:
        with lock:
            if budget[0] <= 0 or time.perf_counter() >= deadline[0]:
                return False
            budget[0] -= 1
            return True

    def work(client: Client):
        s = Session(port, client.cookie)
        latencies, statuses, errors = [], Counter(), 0
        try:
            for assignment_id in client.assignments:
                load_form(s, client, assignment_id)
        except (OSError, RuntimeError, http.client.HTTPException) as exc:
            print(f"  {exc}", flush=True)
            client.assignments = []
            errors += 1
        start_line.wait()
        turn = 0
        while client.assignments and take():
            assignment_id = client.assignments[turn % len(client.assignments)]
            turn += 1
            version = client.versions[assignment_id]
            percent = min(100, 10 + version * 5)
            body = {
                **client.forms[assignment_id],
                "percent": str(percent),
                "narrative": NARRATIVE.format(percent=percent),
                "expected": str(version),
                "save": "提交",
            }
            path = report_path(assignment_id)
            began = time.perf_counter()
            try:
                status, location, _ = s.request("POST", path, body, keep_cookie=False)
            except (OSError, http.client.HTTPException):
                statuses["exception"] += 1
                errors += 1
                s.close()
                s = Session(port, client.cookie)
                continue
            latencies.append(time.perf_counter() - began)
            statuses[status] += 1
            if status == 302 and location and location.endswith(path):
                client.versions[assignment_id] = version + 1
            else:
                errors += 1
                if status == 409:  # someone else saved: take the latest version, as a person would
                    load_form(s, client, assignment_id)
        s.close()
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
    if pid:
        result.cpu = cpu_seconds(pid) - cpu_began[0]
    return result


def run_limit_clients(port: int, clients: list[Client], seconds: float, pid: int | None = None) -> Result:
    """The same loop against the limit app: sign in once, then POST the same body until the budget ends."""
    result, lock = Result(), threading.Lock()
    budget, deadline, began = [MAX_REQUESTS], [0.0], [0.0]

    cpu_began = [0.0]

    def go():
        cpu_began[0] = cpu_seconds(pid) if pid else 0.0
        began[0] = time.perf_counter()
        deadline[0] = began[0] + seconds

    start_line = threading.Barrier(len(clients), action=go)

    def take() -> bool:
        with lock:
            if budget[0] <= 0 or time.perf_counter() >= deadline[0]:
                return False
            budget[0] -= 1
            return True

    def work(client: Client):
        s = Session(port)
        s.request("GET", f"/login?user={client.username}")
        latencies, statuses = [], Counter()
        start_line.wait()
        turn = 0
        while take():
            assignment_id = client.assignments[turn % len(client.assignments)]
            turn += 1
            percent = min(100, 10 + turn)
            body = {"percent": str(percent), "narrative": NARRATIVE.format(percent=percent), "save": "提交"}
            t0 = time.perf_counter()
            status, _, _ = s.request("POST", f"/r/{assignment_id}", body, keep_cookie=False)
            latencies.append(time.perf_counter() - t0)
            statuses[status] += 1
        s.close()
        with lock:
            result.latencies.extend(latencies)
            result.statuses.update(statuses)
            result.errors += sum(v for k, v in statuses.items() if k != 302)

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    result.seconds = time.perf_counter() - began[0]
    if pid:
        result.cpu = cpu_seconds(pid) - cpu_began[0]
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(run, pid: int) -> tuple[Result, float]:
    """A run and the server's CPU milliseconds per POST during it (from the start line, so the
    clients' form GETs before it are not counted)."""
    before = cpu_seconds(pid)
    r = run()
    cpu = r.cpu if r.cpu is not None else cpu_seconds(pid) - before
    return r, cpu * 1000 / max(1, len(r.latencies))


def p95(r: Result) -> float:
    if len(r.latencies) < 2:
        return r.latencies[0] * 1000 if r.latencies else float("nan")
    return statistics.quantiles(r.latencies, n=100)[94] * 1000


def report(label: str, r: Result, aim: str) -> None:
    n = len(r.latencies)
    if n:
        q = statistics.quantiles(r.latencies, n=100) if n > 1 else [r.latencies[0]] * 99
        p50, p95 = q[49] * 1000, q[94] * 1000
    else:
        p50 = p95 = float("nan")
    statuses = ", ".join(f"{k}×{v}" for k, v in sorted(r.statuses.items(), key=str))
    print(
        f"  {label:<28} {n / r.seconds:7.0f} req/s   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   "
        f"errors {r.errors:<4} ({n} POSTs in {r.seconds:.1f} s: {statuses})   [{aim}]",
        flush=True,
    )


# ---------------------------------------------------------------- processes


def affinity() -> tuple[set[int] | None, set[int] | None]:
    """One core for the server and the rest for clients and publishing, when there are two or more."""
    try:
        cores = sorted(os.sched_getaffinity(0))
    except AttributeError:
        return None, None
    if len(cores) < 2:
        return None, None
    return {cores[0]}, set(cores[1:])


def start_server(
    env: dict, port: int, cores: set[int] | None, log: Path, command: list[str] | None = None
) -> subprocess.Popen:
    out = log.open("wb")
    proc = subprocess.Popen(
        command
        or [
            sys.executable,
            "-m",
            "tracker.cli",
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--no-scheduler",
        ],
        env=env,
        cwd=env["TRACKER_INSTANCE"],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    if cores:
        os.sched_setaffinity(proc.pid, cores)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer on {HOST}:{port} within 30 s")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class Publisher(threading.Thread):
    """`tracker publish` of the plan's boards, one after another in a subprocess, until told to stop
    (bounded: at most 50 runs)."""

    def __init__(self, env: dict, cores: set[int] | None):
        super().__init__(daemon=True)
        self.env, self.cores = env, cores
        self.stopping = threading.Event()
        self.times: list[float] = []
        self.failures: list[str] = []
        self.proc: subprocess.Popen | None = None

    def run(self):
        for i in range(50):
            if self.stopping.is_set():
                return
            window = PUBLISH_WINDOWS[i % len(PUBLISH_WINDOWS)]
            began = time.perf_counter()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tracker.cli", "publish", "--plan", PLAN, *window, "--force"],
                env=self.env,
                cwd=self.env["TRACKER_INSTANCE"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            if self.cores:
                os.sched_setaffinity(self.proc.pid, self.cores)
            out, err = self.proc.communicate(timeout=300)
            if self.proc.returncode == 0:
                self.times.append(time.perf_counter() - began)
            else:
                self.failures.append((err or out).decode(errors="replace").strip()[-300:])

    def stop(self):
        self.stopping.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.wait(300)
        self.join(310)


# ---------------------------------------------------------------- one database


def bench(label: str, url: str, folder: Path, seconds: float, cores, repeats: int, quick: bool) -> dict:
    server_cores, other_cores = cores
    print(f"\n{label}: {url}", flush=True)
    began = time.perf_counter()
    clients = prepare(url, CLIENTS[0] if quick else max(CLIENTS))  # --quick: no 32-client run
    print(f"  prepared plans and {len(clients)} clerks in {time.perf_counter() - began:.1f} s", flush=True)
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_NOW": NOW,
        "TRACKER_INSTANCE": str(folder / "instance"),
        "TRACKER_SITES_DIR": str(folder / "sites"),
        "PYTHONPATH": str(ROOT),
    }
    Path(env["TRACKER_INSTANCE"]).mkdir(parents=True, exist_ok=True)
    port, limit_port = free_port(), free_port()
    server = publisher = limit_server = None
    try:
        server = start_server(env, port, server_cores, folder / "server.log")
        limit_server = start_server(
            env,
            limit_port,
            server_cores,
            folder / "limit.log",
            [
                sys.executable,
                str(ROOT / "scripts/bench/limits/submit_app.py"),
                "--url",
                url,
                "--port",
                str(limit_port),
            ],
        )
        began = time.perf_counter()
        for client in clients:
            sign_in(port, client)
        print(f"  {len(clients)} sign-ins (real argon2id) in {time.perf_counter() - began:.1f} s", flush=True)
        product_runs, limit_runs = [], []
        for _ in range(repeats):  # interleaved: tracker, limit, tracker, limit, …
            product_runs.append(
                measured(lambda: run_clients(port, clients[:8], seconds, server.pid), server.pid)
            )
            limit_runs.append(
                measured(
                    lambda: run_limit_clients(limit_port, clients[:8], seconds, limit_server.pid),
                    limit_server.pid,
                )
            )
        for name, runs in (("tracker, 8 clients", product_runs), ("limit, 8 clients", limit_runs)):
            middle = sorted(runs, key=lambda rc: len(rc[0].latencies) / rc[0].seconds)[len(runs) // 2]
            report(name, middle[0], f"{middle[1]:.2f} ms CPU a request")

        def rate(runs):
            return statistics.median(len(r.latencies) / r.seconds for r, _ in runs)

        entry = benchlib.entry(
            f"submit_{label.lower()}",
            rate(product_runs),
            rate(limit_runs),
            "req/s",
            3.0,
            0,
            p95_ms=round(statistics.median(p95(r) for r, _ in product_runs), 1),
            limit_p95_ms=round(statistics.median(p95(r) for r, _ in limit_runs), 1),
            cpu_ms=round(statistics.median(c for _, c in product_runs), 2),
            limit_cpu_ms=round(statistics.median(c for _, c in limit_runs), 2),
            errors=sum(r.errors for r, _ in product_runs),
            aim_text="≤ 3× the limit; ≥ 600 req/s, p95 ≤ 50 ms (SQLite), ≥ 330 req/s (PostgreSQL)",
        )
        init_database(url)
        entry["revisions"] = db.execute_sql("SELECT COUNT(*) FROM report_revision").fetchone()[0]
        db.close_all()
        benchlib.show(entry)
        if quick:
            return entry
        report(f"{CLIENTS[1]} clients", run_clients(port, clients[: CLIENTS[1]], seconds), AIMS[CLIENTS[1]])
        publisher = Publisher(env, other_cores)
        publisher.start()
        time.sleep(1.0)  # let the first publish get past its start-up into the database work
        r = run_clients(port, clients[:8], seconds)
        publisher.stop()
        report("8 clients + tracker publish", r, AIMS[8])
        if publisher.times:
            print(
                f"  {'':28} publishes during the run: {len(publisher.times)}, "
                f"median {statistics.median(publisher.times):.1f} s each (process start included)"
            )
        for failure in publisher.failures[:2]:
            print(f"  publish failed: {failure}")
        return entry
    finally:
        if publisher is not None:
            publisher.stopping.set()
            stop(publisher.proc)
        stop(server)
        stop(limit_server)


def run(
    quick: bool = False,
    postgres: bool = True,
    seconds: float | None = None,
    base: str | None = None,
    sqlite: bool = True,
) -> list[dict]:
    seconds = seconds or (3.0 if quick else 5.0)
    repeats = 1 if quick else 3
    cores = affinity()
    print(
        f"report POSTs: server on {'core ' + ','.join(map(str, sorted(cores[0]))) if cores[0] else 'all cores'}, "
        f"clients and publishing on {'cores ' + ','.join(map(str, sorted(cores[1]))) if cores[1] else 'the same'}; "
        f"each run ≤ {MAX_REQUESTS} requests or {seconds:g} s; reports of {PLAN} for {PERIOD}; "
        f"medians of {repeats}",
        flush=True,
    )
    folder = Path(tempfile.mkdtemp(prefix="tracker-bench-submit-"))
    entries = []
    try:
        if sqlite:
            entries.append(
                bench(
                    "SQLite",
                    f"sqlite:///{folder}/sqlite/tracker.db",
                    folder / "sqlite",
                    seconds,
                    cores,
                    repeats,
                    quick,
                )
            )
        base = None if not postgres else (base or (DEFAULT_PG if pg_answers(DEFAULT_PG) else None))
        if base is None:
            print("\nPostgreSQL: skipped (give --postgres URL)")
        else:
            name = f"tracker_bench_submit_{uuid.uuid4().hex[:8]}"
            admin = pg_admin(base)
            try:
                with admin.cursor() as cur:
                    cur.execute(f'CREATE DATABASE "{name}"')
                url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
                entries.append(bench("PostgreSQL", url, folder / "postgres", seconds, cores, repeats, quick))
            finally:
                if db.obj is not None and hasattr(db.obj, "close_all"):
                    db.close_all()
                with admin.cursor() as cur:
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    benchlib.save(entries)
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", metavar="URL", help=f"a PostgreSQL server to make a database on ({DEFAULT_PG})"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--quick", action="store_true", help="one repeat of 3 s, side by side only")
    parser.add_argument("--seconds", type=float, default=None, help="at most this long per run (default 5)")
    args = parser.parse_args()
    run(args.quick, not args.no_postgres, args.seconds, args.postgres, not args.no_sqlite)


if __name__ == "__main__":
    main()
