"""The report POST's limit: a minimal Flask app under the same server (waitress, 8 threads) that does
what any save must: read the signed session cookie, look the session up, INSERT one row, redirect.

    python scripts/bench/limits/submit_app.py --url DATABASE_URL --port PORT

GET /login?user=NAME makes a session row and sets the cookie; POST /r/<assignment_id> saves the form's
`narrative` and `percent` as one row and answers 302. Tables `bench_session` and `bench_post` are
made in the given database (SQLite file or PostgreSQL) if missing.
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
import threading
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Flask, abort, redirect, request, session

local = threading.local()


def connect(url: str):
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=10, isolation_level=None)
        conn.execute("PRAGMA journal_mode=wal")
        conn.execute("PRAGMA synchronous=normal")
        return conn, "?"
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(
        dbname=parts.path.lstrip("/"), user=parts.username, host=parts.hostname, port=parts.port or 5432
    )
    conn.autocommit = True
    return conn, "%s"


def make_app(url: str) -> Flask:
    app = Flask(__name__)
    app.secret_key = secrets.token_bytes(32)
    app.config["SESSION_COOKIE_NAME"] = "tracker_session"  # the name the bench clients keep
    conn, _ = connect(url)
    serial = "INTEGER PRIMARY KEY" if url.startswith("sqlite") else "SERIAL PRIMARY KEY"
    cur = conn.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS bench_session (id TEXT PRIMARY KEY, username TEXT NOT NULL)")
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS bench_post (id {serial}, username TEXT, assignment_id INTEGER,"
        " percent INTEGER, narrative TEXT, at TEXT)"
    )
    conn.close()

    def db():
        if not hasattr(local, "conn"):
            local.conn, local.mark = connect(url)
        return local.conn, local.mark

    @app.get("/login")
    def login():
        conn, mark = db()
        sid = secrets.token_urlsafe(24)
        conn.cursor().execute(
            f"INSERT INTO bench_session (id, username) VALUES ({mark}, {mark})", (sid, request.args["user"])
        )
        session["sid"] = sid
        return "ok"

    @app.post("/r/<int:assignment_id>")
    def save(assignment_id: int):
        conn, mark = db()
        cur = conn.cursor()
        cur.execute(f"SELECT username FROM bench_session WHERE id = {mark}", (session.get("sid"),))
        row = cur.fetchone()
        if row is None:
            abort(403)
        cur.execute(
            f"INSERT INTO bench_post (username, assignment_id, percent, narrative, at)"
            f" VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
            (
                row[0],
                assignment_id,
                int(request.form.get("percent", 0)),
                request.form.get("narrative", ""),
                datetime.now(UTC).isoformat(),
            ),
        )
        return redirect(f"/r/{assignment_id}")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    from waitress import serve

    serve(make_app(args.url), host="127.0.0.1", port=args.port, threads=args.threads, _quiet=True)


if __name__ == "__main__":
    main()
