"""Security checks a reviewer reruns before a release; prints their figures.

    .venv/bin/python scripts/security/run.py

1. forged chain: six audited changes in a fresh SQLite database, then the pen test's rewrite (an event
   changed, one deleted, every later hash recomputed, with plain SHA-256 and with a key of the
   intruder's own) and a truncated tail against a noted head: `tracker audit verify` must exit 1.
2. upload bombs: each crafted Office file (and a body over the size limit) is posted by four unit
   clerks at once as evidence with a report save to a waitress server set up as `tracker serve`
   does, while an inspector's browser asks for the office overview every 50 ms: each must be refused
   within 2 s and nothing stored, the inspector's p95 < 1 s.
3. the authorization matrix and the fuzzed posts: their pytest files, with the pass counts; 200
   generated posts per POST route of the app and of the JSON API (tests/security/test_fuzzed_posts.py),
   none 5xx. Script payloads typed through every form as served, and stored in every writable field,
   every page of the app and of the published site viewed in Chromium: none runs
   (tests/security/test_xss_in_browser.py).
4. bandit (0 medium or high findings) and pip-audit: `scripts/security/static`.
"""

from __future__ import annotations

import http.cookiejar
import io
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TRACKER_AUDIT_KEY", "security-check-key")
UPLOADERS = [("clerk", "own"), ("spare_a", "own"), ("other", "other"), ("spare_b", "other")]
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
    from tests.security.forgery import change_and_delete, rewrite_from, truncate_from
    from tracker.services.users import add_user
    from tracker.store import audit
    from tracker.store.db import db, init_database
    from tracker.store.migrations import upgrade

    caught = cases = 0
    env = {**os.environ, "TRACKER_INSTANCE": str(workdir / "instance")}
    for case, key in (("sha256", None), ("own key", b"intruder"), ("truncated", None)):
        url = f"sqlite:///{workdir}/{case.replace(' ', '-')}.db"
        init_database(url)
        upgrade()
        for i in range(6):
            add_user(f"inspector{i}", "inspector", password="a long enough password", actor="admin")
        noted = audit.head_text()
        if case == "truncated":
            truncate_from(5)
        else:
            rewrite_from(3, change_and_delete, key)
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


class Browser:
    """A person at a browser, over real HTTP: cookies kept, forms posted with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")

    def post(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
    ) -> tuple[int, str]:
        boundary = secrets.token_hex(16)
        body = io.BytesIO()
        for name, value in fields.items():
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        for name, (filename, data) in (files or {}).items():
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n".encode()
            )
            body.write(data + b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
        request = urllib.request.Request(
            self.base + path,
            data=body.getvalue(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")
        except (ConnectionError, urllib.error.URLError) as exc:  # a body over waitress' limit: cut off
            return 0, f"connection closed by the server ({exc})"

    def token(self, path: str) -> tuple[str, str]:
        status, page = self.get(path)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1), page

    def sign_in(self, username: str, password: str) -> None:
        token, _ = self.token("/login")
        status, _ = self.post("/login", {"csrf_token": token, "username": username, "password": password})
        assert status == 302, f"{username} could not sign in ({status})"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp

    http_error_303 = http_error_302


def check_bombs(workdir: Path) -> tuple[list[float], list[float], int]:
    """Each bomb posted as evidence with a report save by four unit clerks at once, through a waitress
    server set up as `tracker serve` sets it up, while an inspector's browser asks for the office
    overview every 50 ms. Returns (seconds until each bomb's refusal, the inspector's latencies, bombs
    stored)."""
    import peewee as pw
    from waitress import wasyncore
    from waitress.server import create_server

    from tests.web.world import NOW, PASSWORD, build_world
    from tracker.store.db import init_database
    from tracker.store.migrations import upgrade
    from tracker.store.models import Evidence
    from tracker.web import create_app
    from tracker.web.serving import server_options

    os.environ["TRACKER_NOW"] = NOW
    url = f"sqlite:///{workdir}/served.db"
    init_database(url)
    upgrade()
    world = build_world(workdir / "uploads", workdir)
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "x", "UPLOAD_DIR": str(workdir / "uploads"),
         "SITES_DIR": str(workdir / "sites")}
    )  # fmt: skip
    sockets: dict = {}
    # 8 threads, as `tracker serve` runs
    server = create_server(app, map=sockets, host="127.0.0.1", port=0, threads=8, **server_options(app))
    stop = threading.Event()
    threading.Thread(
        target=lambda: [wasyncore.loop(timeout=0.05, map=sockets, count=1) for _ in iter(stop.is_set, True)],
        daemon=True,
    ).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    latencies: list[float] = []
    inspector = Browser(base)
    inspector.sign_in("inspector", PASSWORD)
    evidence_before = Evidence.select(pw.fn.MAX(Evidence.id)).scalar() or 0

    def second_client():
        while not stop.is_set():
            started = time.perf_counter()
            status, _ = inspector.get("/office/")
            assert status == 200, status
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)

    client = threading.Thread(target=second_client, daemon=True)
    client.start()
    every = {**bombs(), "a 25 MB body (over the server's limit)": os.urandom(25 << 20)}
    refused_in: list[float] = []
    lock = threading.Lock()

    def uploader(username: str, side) -> None:
        """One unit clerk posting every bomb in turn with a report save, as served."""
        clerk = Browser(base)
        clerk.sign_in(username, PASSWORD)
        form = f"/unit/assignments/{side.assignment.id}/reports/{world.period}"
        for name, data in every.items():
            token, page = clerk.token(form)
            expected = re.search(r'name="expected"[^>]*value="([^"]*)"', page).group(1)
            started = time.perf_counter()
            status, answer = clerk.post(
                form,
                {"csrf_token": token, "expected": expected, "percent": "50", "save": "提交"},
                {"files": (f"{name}.docx", data)},
            )
            took = time.perf_counter() - started
            message = re.search(r'class="(?:flash )?error"[^>]*>([^<]+)', answer)
            with lock:
                refused_in.append(took)
                if username == UPLOADERS[0][0]:
                    verdict = message.group(1) if message else answer[:70]
                    print(
                        f"  bomb {name!r} ({len(data) // 1024} KB): {took:.2f} s, {status} — {verdict[:70]}"
                    )

    # four clerks of two units at once, each posting every bomb: the pen test's 8 saves in parallel
    threads = [
        threading.Thread(target=uploader, args=(name, world.side(side)), daemon=True)
        for name, side in UPLOADERS
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored_names = [e.original_name for e in Evidence.select().where(Evidence.id > evidence_before)]
    accepted = len(stored_names)
    time.sleep(0.5)
    stop.set()
    client.join(timeout=10)
    server.close()
    return refused_in, latencies, accepted


def run_pytest(paths: list[str], *options: str, **env: str) -> tuple[str, str, float]:
    """(pytest's closing line, its whole output, seconds taken)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, *paths],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    lines = result.stdout.strip().splitlines() or ["?"]
    return lines[-1], result.stdout, time.perf_counter() - started


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("1. forged audit chains")
        caught, cases = check_forged_chain(work)
        print("2. upload bombs posted to a waitress server while a second client browses")
        refused_in, latencies, accepted = check_bombs(work)
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) >= 2 else float("nan")
    print("3. authorization matrix, generated posts, XSS in Chromium (pytest)")
    from tests.security.test_fuzzed_posts import API_POSTS, POSTS

    matrix, _, _ = run_pytest(["tests/web/test_access_matrix.py"])
    fuzz, _, _ = run_pytest(["tests/security/test_no_5xx.py"])
    generated, out, fuzz_seconds = run_pytest(
        ["tests/security/test_fuzzed_posts.py"], TRACKER_FUZZ_EXAMPLES=str(FUZZ_EXAMPLES)
    )
    answered_5xx = sum(int(n) for n in re.findall(r"(\d+) of \d+ posts to \S+ answered 5xx", out))
    routes = len(POSTS) + len(API_POSTS)
    print(f"  access matrix: {matrix}")
    print(f"  fuzzed posts (the pen test's cases): {fuzz}")
    print(f"  generated posts: {generated}")
    xss, out, _ = run_pytest(["tests/security/test_xss_in_browser.py"], "-s", TRACKER_REQUIRE_BROWSER="1")
    xss_figures = [line.strip(". ") for line in out.splitlines() if "page views" in line]
    print(f"  XSS payloads, every page in Chromium: {xss}")
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
    print(
        f"generated posts:            {routes} POST routes ({len(POSTS)} web, {len(API_POSTS)} API) x "
        f"{FUZZ_EXAMPLES} = {routes * FUZZ_EXAMPLES} inputs, {answered_5xx} answered 5xx, {fuzz_seconds:.0f} s"
    )
    for line in xss_figures:
        print(f"XSS {line}")
    for line in figures:
        print(line)
    ok = caught == cases and accepted == 0 and max(refused_in) < 2 and p95 < 1 and static.returncode == 0
    ok = ok and answered_5xx == 0 and len(xss_figures) == 2
    ok = ok and all(
        "passed" in r and "failed" not in r and "error" not in r for r in (matrix, fuzz, generated, xss)
    )
    print("RESULT:", "pass" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
