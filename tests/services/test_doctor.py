"""Evidence files take their names only after their rows commit, and `tracker doctor` checks the
database, every evidence file and the audit chain, removing the files a crash or a full disk left."""

from __future__ import annotations

import os
import time

import pytest

from tests.services.conftest import assignment_of
from tracker.cli import cli
from tracker.services import doctor
from tracker.services import evidence as evidence_service
from tracker.services.evidence import check_upload
from tracker.services.reports import ReportInput, save_revision
from tracker.store.db import write_transaction
from tracker.store.models import Evidence, ReportRevision

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20


@pytest.fixture
def uploads(tmp_path, monkeypatch):
    folder = tmp_path / "instance" / "uploads"
    monkeypatch.setenv("TRACKER_INSTANCE", str(tmp_path / "instance"))
    return folder


def save(scopes, uploads, number=0):
    return save_revision(
        scopes["clerk"],
        assignment_of("安康市乡村振兴局", "2.2.2").id,
        "2024-05",
        ReportInput(percent=30),
        [check_upload("现场.png", PNG)],
        expected_revision_number=number,
        upload_dir=uploads,
    )


def age(path, hours=2):
    stamp = time.time() - hours * 3600
    os.utime(path, (stamp, stamp))


def test_a_saved_file_has_its_final_name_and_no_temporary_file_stays(scopes, at, uploads):
    at("2024-05-20T10:00")
    save(scopes, uploads)
    row = Evidence.get()
    assert sorted(p.name for p in uploads.iterdir()) == [row.stored_name]


def test_a_process_dying_before_the_commit_leaves_a_temporary_file_that_doctor_removes(
    scopes, at, uploads, runner
):
    at("2024-05-20T10:00")
    revision = save(scopes, uploads).revision
    # The process dies between the file write and the commit: no handler runs to clean up.
    with pytest.raises(KeyboardInterrupt), write_transaction():
        evidence_service.store(
            uploads, check_upload("说明.png", PNG + b"1"), revision, revision.report.assignment.unit_id, 1
        )
        raise KeyboardInterrupt
    assert Evidence.select().count() == 1
    left = [p for p in uploads.iterdir() if p.name.endswith(evidence_service.PARTIAL)]
    assert len(left) == 1  # never under a name that looks like a stored file
    report = doctor.run(uploads, now=time.time())  # too young: it may be a save in progress
    assert left[0].exists() and "暂不处理" in "\n".join(report.lines)
    age(left[0])
    result = runner.invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "删除了 1 个没有记录的佐证材料文件" in result.output and "审计链完整" in result.output
    assert sorted(p.name for p in uploads.iterdir()) == [Evidence.get().stored_name]


def test_a_file_whose_row_committed_before_the_rename_is_moved_into_place(scopes, at, uploads, runner):
    at("2024-05-20T10:00")
    save(scopes, uploads)
    row = Evidence.get()
    final = uploads / row.stored_name
    os.replace(final, evidence_service.partial_path(final))  # the crash came after the commit
    result = runner.invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "已移到位" in result.output and final.read_bytes() == PNG


def test_doctor_names_a_changed_or_missing_evidence_file_and_exits_1(scopes, at, uploads, runner):
    at("2024-05-20T10:00")
    save(scopes, uploads)
    save(scopes, uploads, number=1)
    first, second = Evidence.select().order_by(Evidence.id)
    (uploads / first.stored_name).write_bytes(PNG + b"changed")
    (uploads / second.stored_name).unlink()
    result = runner.invoke(cli, ["doctor"])
    assert result.exit_code == 1
    assert f"佐证材料 #{first.id}(现场.png)的内容与登记的 SHA-256 不符" in result.output
    assert f"佐证材料 #{second.id}(现场.png)的文件缺失" in result.output
    assert ReportRevision.select().count() == 2
