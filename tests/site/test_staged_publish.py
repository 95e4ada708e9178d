"""A publication is staged, then switched in with renames: a full disk or a crash never leaves the public
site half-replaced, SHA256SUMS always describes the files beside it, and no temporary file stays."""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from tracker.services.publishing import publish
from tracker.site import write
from tracker.store.models import Plan


def consistent(folder: Path) -> bool:
    """Every file of a plan's folder is listed in its SHA256SUMS with its digest, and nothing else is."""
    lines = (folder / "SHA256SUMS").read_text("utf-8").splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines if not line.startswith("#"))
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    return set(listed) == files and all(
        hashlib.sha256((folder / rel).read_bytes()).hexdigest() == digest for rel, digest in listed.items()
    )


def leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.name.startswith(write.STAGING) or write.TEMP_MARK in p.name]


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_full_disk_mid_publish_leaves_the_published_site_as_it_was(sample, database_url, tmp_path):
    site = tmp_path / "site"
    publish("sample-2024", ["2024-04", "2024-05"], site)
    before = snapshot(site)
    Plan.update(title="示例县农村人居环境整治提升行动任务分工（更正）").execute()
    biggest = max(len(data) for data in before.values())

    def small_disk():  # every file the child writes stops at half the biggest page: a disk filling up
        resource.setrlimit(resource.RLIMIT_FSIZE, (biggest // 2, biggest // 2))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    command = [sys.executable, "-m", "tracker.cli", "publish", "--plan", "sample-2024", "--period", "2024-05"]
    result = subprocess.run(
        [*command, "--out", str(site), "--force"],
        env={**os.environ, "TRACKER_DATABASE_URL": database_url},
        preexec_fn=small_disk,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "已发布的站点保持原样" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(site) == before  # not one file replaced
    assert consistent(site / "sample-2024") and leftovers(site) == []

    forced = publish("sample-2024", ["2024-05"], site, force=True)
    assert [b.status for b in forced.boards] == ["forced"]
    assert "（更正）" in (site / "sample-2024/2024-05/index.html").read_text("utf-8")
    assert consistent(site / "sample-2024") and leftovers(site) == []


def test_a_switch_cut_short_by_a_crash_is_rolled_forward_by_the_next_publish(sample, tmp_path, monkeypatch):
    site = tmp_path / "site"
    publish("sample-2024", ["2024-04"], site)
    Plan.update(title="示例县农村人居环境整治提升行动任务分工（更正）").execute()
    real_replace, moved = os.replace, []

    def crash_after_three(source, target):
        if len(moved) == 3:
            raise KeyboardInterrupt("the process dies here")  # like a kill: nothing after runs
        moved.append(target)
        real_replace(source, target)

    monkeypatch.setattr(write.os, "replace", crash_after_three)
    with contextlib.suppress(KeyboardInterrupt):
        publish("sample-2024", ["2024-04"], site, force=True)
    monkeypatch.setattr(write.os, "replace", real_replace)
    assert len(moved) == 3 and [p.name for p in site.glob(write.STAGING + "*")]  # the journal is there
    done = write.recover(site)
    assert done and "完成了中断的发布切换" in done[0]
    assert consistent(site / "sample-2024") and leftovers(site) == []
    assert "（更正）" in (site / "sample-2024/2024-04/index.html").read_text("utf-8")


def test_an_unfinished_staging_folder_and_stray_temporary_files_are_removed(sample, tmp_path):
    site = tmp_path / "site"
    publish("sample-2024", ["2024-04"], site)
    (site / f"{write.STAGING}999-dead/sample-2024").mkdir(parents=True)
    (site / f"{write.STAGING}999-dead/sample-2024/index.html").write_text("half", "utf-8")
    (site / "sample-2024" / f".index.html{write.TEMP_MARK}999").write_text("half", "utf-8")
    publish("sample-2024", ["2024-05"], site)
    assert leftovers(site) == [] and consistent(site / "sample-2024")


def test_a_publication_notes_the_audit_head_it_was_made_under(sample, tmp_path):
    from tracker.store import audit
    from tracker.store.models import AuditEvent

    head = audit.head()
    publish("sample-2024", ["2024-04"], tmp_path / "site")
    event = AuditEvent.select().where(AuditEvent.action == "site.publish").get()
    assert event.after["audit_head"] == {"seq": head[0], "hash": head[1]}
