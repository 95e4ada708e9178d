"""The admin's backup page: a backup made now, downloaded through the served form, restores whole."""

from __future__ import annotations

import io
import json
import re
import zipfile

from tests.web.conftest import sign_in
from tracker.store.models import AuditEvent


def served_form(page: str, label: str) -> tuple[str, dict]:
    """The action and hidden fields of the form whose button says `label`, as the page serves it."""
    for form in re.findall(r"<form.*?</form>", page, re.S):
        if label in form:
            action = re.search(r'action="([^"]+)"', form).group(1)
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
            return action, fields
    raise AssertionError(f"no form with {label!r}")


def test_an_admin_downloads_a_backup_that_lists_every_table_and_the_audit_head(
    client, people, tmp_path, monkeypatch
):
    monkeypatch.setenv("TRACKER_BACKUP_DIR", str(tmp_path / "nightly"))
    (tmp_path / "nightly").mkdir()
    (tmp_path / "nightly" / "tracker-20241119-020000.zip").write_bytes(b"x" * 2048)
    assert sign_in(client, "admin").status_code == 302
    assert 'href="/admin/backups"' in client.get("/admin/").get_data(as_text=True)
    page = client.get("/admin/backups").get_data(as_text=True)
    assert "每晚 02:00" in page and "tracker-20241119-020000.zip" in page
    action, fields = served_form(page, "立即备份并下载")
    answer = client.post(action, data=fields)
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=tracker-")
    assert answer.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(answer.get_data())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert archive.read("tables/user.jsonl").count(b"\n") == len(people)
    answer.close()
    logged = AuditEvent.select().where(AuditEvent.action == "backup.download").get()
    assert logged.actor == "admin"
    assert manifest["audit_head"]["seq"] == logged.seq - 1


def test_a_clerk_cannot_open_the_backup_page(client, people):
    assert sign_in(client, "clerk").status_code == 302
    assert client.get("/admin/backups").status_code == 403
