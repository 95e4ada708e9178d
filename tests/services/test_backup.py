"""`tracker backup` and `tracker restore`: online, consistent, with evidence, into SQLite or PostgreSQL.

The source is this test's database (SQLite, or PostgreSQL under TRACKER_TEST_DATABASE_URL); each
backup is restored into an empty SQLite file and an empty PostgreSQL database, and every table must
hold the same rows, the audit chain must verify at the manifest's head, and every evidence file
must match its SHA-256.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2
import pytest

from tests.services.conftest import assignment_of
from tracker.cli import cli
from tracker.clock import TZ
from tracker.services import backup as backup_service
from tracker.services.evidence import check_upload
from tracker.services.reports import ReportInput, save_revision
from tracker.store import audit, models
from tracker.store.db import db, init_database

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


def dump() -> dict[str, list[dict]]:
    """Every row of every table, as plain values, in key order (the schema's own history aside)."""
    return {
        m._meta.table_name: list(backup_service._rows(m))
        for m in backup_service._tables()
        if m is not models.SchemaVersion
    }


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    monkeypatch.setenv("TRACKER_INSTANCE", str(folder))
    return folder


@pytest.fixture
def county(scopes, at, instance):
    """The shipped plans with a month of reports, evidence among them, and their audit events."""
    at("2024-05-20T10:00")
    uploads = instance / "uploads"
    for i, (unit, measure) in enumerate(
        [("安康市乡村振兴局", "2.2.2"), ("安康市乡村振兴局", "1.1.1"), ("安康市汉滨区", "2.2.2")]
    ):
        who = "clerk" if unit == "安康市乡村振兴局" else "other"
        files = [check_upload(f"现场{i}.png", PNG + bytes([i])), check_upload(f"说明{i}.pdf", PDF)]
        save_revision(
            scopes[who],
            assignment_of(unit, measure).id,
            "2024-05",
            ReportInput(percent=30 + i, narrative=f"第{i}项：已完成“管网”改造，投资 1.5 万元"),
            files,
            expected_revision_number=0,
            upload_dir=uploads,
        )
    return uploads


@pytest.fixture
def targets(postgres, tmp_path):
    """An empty SQLite file and an empty PostgreSQL database to restore into."""
    made = {"sqlite": f"sqlite:///{tmp_path}/restored.db"}
    dropped = []
    if postgres is not None:
        name = postgres.fresh(None)
        made["postgresql"] = postgres.url(name)
        dropped.append(lambda: postgres.drop(name))
    else:
        try:
            admin = psycopg2.connect(PG_DEFAULT, connect_timeout=3)
        except psycopg2.OperationalError:
            admin = None
        if admin is not None:
            admin.autocommit = True
            name = f"tracker_restore_{uuid.uuid4().hex[:8]}"
            with admin.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
            made["postgresql"] = PG_DEFAULT.rsplit("/", 1)[0] + f"/{name}"

            def drop():
                with admin.cursor() as cur:
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.close()

            dropped.append(drop)
    yield made
    if db.obj is not None and hasattr(db.obj, "close_all"):
        db.close_all()
    for drop in dropped:
        drop()


def restore_into(runner, monkeypatch, url: str, folder: Path, backup_file: Path, *extra: str):
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    monkeypatch.setenv("TRACKER_INSTANCE", str(folder))
    result = runner.invoke(cli, ["restore", str(backup_file), *extra])
    init_database(url)
    return result


def test_a_backup_restores_into_sqlite_and_postgresql_with_the_same_rows(
    runner, county, database_url, targets, tmp_path, monkeypatch
):
    if "postgresql" not in targets:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432 to restore into")
    file = tmp_path / "backup.zip"
    result = runner.invoke(cli, ["backup", str(file)])
    assert result.exit_code == 0, result.output
    init_database(database_url)
    source, head = dump(), audit.head()
    assert f"head: #{head[0]} {head[1]}" in result.output
    manifest = backup_service.read_manifest(file)
    assert manifest["audit_head"] == {"seq": head[0], "hash": head[1]}
    assert len(manifest["evidence"]) == 6 and manifest["missing_evidence"] == []
    assert manifest["tables"]["report_revision"]["rows"] == 3

    for kind, url in targets.items():
        folder = tmp_path / f"restored-{kind}"
        result = restore_into(runner, monkeypatch, url, folder, file)
        assert result.exit_code == 0, result.output
        assert "佐证材料与 SHA-256 一致" in result.output
        assert dump() == source, f"rows differ after restoring into {kind}"
        assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
        assert audit.head() == head
        for row in models.Evidence.select():
            assert (folder / "uploads" / row.stored_name).is_file()
        assert backup_service.verify_evidence(folder / "uploads") == []
        # The restored database takes new rows: PostgreSQL's id sequences moved past the restored ids.
        models.Setting.create(key="restored", value=kind)
        unit = models.Unit.create(name=f"新单位{kind}", created_at=datetime.now(TZ))
        assert unit.id > max(r["id"] for r in source["unit"])


def test_a_backup_taken_while_clerks_save_keeps_every_acknowledged_report(
    runner, county, database_url, scopes, tmp_path, monkeypatch
):
    target = assignment_of("安康市乡村振兴局", "2.2.2")
    acknowledged: list[tuple[float, int]] = []  # (when acknowledged, revision number)
    stop = threading.Event()
    clock = threading.Lock()
    ticks = [0.0]

    def clerk():
        number = 1
        while not stop.is_set():
            saved = save_revision(
                scopes["clerk"],
                target.id,
                "2024-05",
                ReportInput(percent=min(100, 30 + number)),
                [],
                expected_revision_number=number,
            )
            number = saved.revision.number
            with clock:
                acknowledged.append((ticks[0], number))
        db.close()

    writer = threading.Thread(target=clerk)
    writer.start()
    try:
        while len(acknowledged) < 5:
            threading.Event().wait(0.01)
        with clock:
            ticks[0] = 1.0  # saves acknowledged from here on may or may not be in the backup
            before = [n for _, n in acknowledged]
        file = tmp_path / "online.zip"
        backup_service.backup(file)  # the service itself: the CLI would reopen the database under the clerk
    finally:
        stop.set()
        writer.join()
    manifest = backup_service.read_manifest(file)
    restored = restore_into(runner, monkeypatch, f"sqlite:///{tmp_path}/online.db", tmp_path / "online", file)
    assert restored.exit_code == 0, restored.output
    numbers = {
        r.number
        for r in models.ReportRevision.select()
        .join(models.Report)
        .where(models.Report.assignment == target.id)
    }
    assert set(before) <= numbers  # every save acknowledged before the backup is in it
    assert numbers == set(range(1, max(numbers) + 1))  # and the snapshot has no holes
    assert audit.head() == (manifest["audit_head"]["seq"], manifest["audit_head"]["hash"])
    assert audit.verify().ok


def test_restore_refuses_a_database_with_data_unless_forced(
    runner, county, database_url, tmp_path, monkeypatch
):
    file = tmp_path / "backup.zip"
    assert runner.invoke(cli, ["backup", str(file)]).exit_code == 0
    init_database(database_url)
    models.Setting.create(key="after-backup", value="kept")
    before = dump()
    result = restore_into(runner, monkeypatch, database_url, tmp_path / "elsewhere", file)
    assert result.exit_code == 1
    assert "拒绝恢复:数据库已有数据" in result.output and "--force" in result.output
    assert dump() == before  # nothing changed
    result = restore_into(runner, monkeypatch, database_url, tmp_path / "elsewhere", file, "--force")
    assert result.exit_code == 0, result.output
    assert models.Setting.get_or_none(models.Setting.key == "after-backup") is None


def test_a_damaged_backup_is_refused_before_anything_is_written(
    runner, county, database_url, tmp_path, monkeypatch
):
    file = tmp_path / "backup.zip"
    assert runner.invoke(cli, ["backup", str(file)]).exit_code == 0
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(file) as src, zipfile.ZipFile(damaged, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "tables/report_revision.jsonl":
                data = data.replace("第1项".encode(), "第9项".encode())
            out.writestr(item, data)
    target = f"sqlite:///{tmp_path}/damaged.db"
    result = restore_into(runner, monkeypatch, target, tmp_path / "damaged", damaged)
    assert result.exit_code == 1
    assert "备份已损坏:表 report_revision 的 SHA-256 与清单不符" in result.output
    assert models.Plan.select().count() == 0 and not list((tmp_path / "damaged").rglob("*.*"))


def test_a_backup_lists_evidence_missing_on_disk(runner, county, tmp_path):
    lost = next(county.iterdir())
    lost.unlink()
    file = tmp_path / "backup.zip"
    result = runner.invoke(cli, ["backup", str(file)])
    assert result.exit_code == 0
    assert "1 个佐证材料文件在磁盘上找不到" in result.output
    assert backup_service.read_manifest(file)["missing_evidence"] == [lost.name]


def test_the_nightly_backup_keeps_the_newest(county, tmp_path):
    folder = tmp_path / "nightly"
    start = datetime(2024, 5, 20, 2, 0, tzinfo=TZ)
    for day in range(4):
        path, removed = backup_service.nightly(folder, keep=2, moment=start + timedelta(days=day))
        assert path.is_file()
    assert sorted(p.name for p in folder.iterdir()) == [
        "tracker-20240522-020000.zip",
        "tracker-20240523-020000.zip",
    ]
    manifest = json.loads(zipfile.ZipFile(folder / "tracker-20240523-020000.zip").read("manifest.json"))
    assert manifest["tables"]["evidence"]["rows"] == 6
    assert os.stat(folder / "tracker-20240523-020000.zip").st_size > 0


def test_the_scheduler_takes_the_nightly_backup_into_the_folder_it_is_given(county, tmp_path, monkeypatch):
    from tracker.scheduler import Scheduler

    assert Scheduler(owner="night").run_backup() is None  # not configured: nothing written
    monkeypatch.setenv("TRACKER_BACKUP_DIR", str(tmp_path / "nightly"))
    monkeypatch.setenv("TRACKER_BACKUP_KEEP", "1")
    path = Scheduler(owner="night").run_backup()
    assert path is not None and path.parent == tmp_path / "nightly"
    assert backup_service.read_manifest(path)["tables"]["evidence"]["rows"] == 6
