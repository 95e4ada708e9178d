"""Publishing: open data that validates, published boards that stay put, the command line, writes."""

from __future__ import annotations

import json

import pytest

from tests.site.conftest import BOARDS
from tracker.cli import cli
from tracker.services.publishing import publish, publish_due, set_schedule
from tracker.site.write import DuplicatePath, SiteWriter
from tracker.store.models import AuditEvent, Plan, Publication


def test_the_data_package_passes_the_frictionless_validator(sample, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    publish("sample-2024", BOARDS, tmp_path)
    package = tmp_path / "sample-2024" / "datapackage.json"
    report = frictionless.validate(str(package))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    described = {r["path"] for r in json.loads(package.read_text("utf-8"))["resources"]}
    on_disk = {p.relative_to(package.parent).as_posix() for p in package.parent.rglob("*.csv")}
    assert described == on_disk


def test_csv_files_are_utf8_without_bom_with_a_fixed_header(sample, tmp_path):
    publish("sample-2024", ["2024-05"], tmp_path)
    data = (tmp_path / "sample-2024/2024-05/measures.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8").splitlines()[0].startswith("plan,period,cutoff,section,code,title,lead,light")


def test_the_manifest_lists_every_file_of_the_plan_with_its_digest(sample, tmp_path):
    import hashlib

    publish("sample-2024", BOARDS, tmp_path)
    folder = tmp_path / "sample-2024"
    head, *lines = (folder / "SHA256SUMS").read_text("utf-8").splitlines()
    assert head.startswith("# audit-head ")  # a comment line, which `sha256sum -c` skips
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert set(listed) == files
    assert all(hashlib.sha256((folder / rel).read_bytes()).hexdigest() == d for rel, d in listed.items())


def test_a_published_board_is_kept_when_it_would_now_differ_unless_forced(sample, tmp_path):
    publish("sample-2024", ["2024-05"], tmp_path)
    page = tmp_path / "sample-2024/2024-05/index.html"
    before = page.read_bytes()
    Plan.update(title="示例县农村人居环境整治提升行动任务分工（更正）").execute()
    kept = publish("sample-2024", ["2024-05"], tmp_path)
    assert [b.status for b in kept.boards] == ["kept"] and kept.warnings
    assert page.read_bytes() == before
    digest = Publication.get().digest
    forced = publish("sample-2024", ["2024-05"], tmp_path, force=True)
    assert [b.status for b in forced.boards] == ["forced"]
    assert "（更正）" in page.read_text("utf-8")
    assert Publication.get().digest != digest
    assert AuditEvent.select().where(AuditEvent.action == "site.republish_forced").count() == 1


def test_only_changed_files_are_rewritten(sample, tmp_path):
    publish("sample-2024", ["2024-04", "2024-05"], tmp_path)
    board = tmp_path / "sample-2024/2024-04/index.html"
    stamp = board.stat().st_mtime_ns
    result = publish("sample-2024", ["2024-06"], tmp_path)
    assert board.stat().st_mtime_ns == stamp
    assert not any(rel.startswith("sample-2024/2024-04/") for rel in result.written)
    assert "sample-2024/2024-06/board.json" in result.written
    assert "sample-2024/index.html" in result.written  # the plan page lists the new month


def test_a_build_refuses_to_write_one_path_twice(tmp_path):
    writer = SiteWriter(tmp_path)
    writer.add("a/index.html", b"1")
    with pytest.raises(DuplicatePath):
        writer.add("a/index.html", b"2")
    with pytest.raises(ValueError):
        writer.add("../outside.html", b"3")


def test_the_feed_has_one_entry_per_board_timed_by_its_cut_off(sample, tmp_path):
    publish("sample-2024", BOARDS, tmp_path)
    feed = (tmp_path / "sample-2024/feed.atom").read_text("utf-8")
    assert feed.count("<entry>") == len(BOARDS)
    assert "<updated>2024-12-31T23:59:00+08:00</updated>" in feed
    assert "<updated>2024-05-31T23:59:00+08:00</updated>" in feed


def test_publish_due_publishes_each_passed_board_once(sample, tmp_path):
    from datetime import datetime

    from tracker.clock import TZ

    set_schedule("sample-2024", windows=["month", "quarter"])
    first = publish_due(datetime(2024, 7, 1, 0, 30, tzinfo=TZ), tmp_path)
    assert [b.key for r in first for b in r.boards] == ["2024-04", "2024-05", "2024-06", "2024Q2"]
    assert publish_due(datetime(2024, 7, 2, tzinfo=TZ), tmp_path) == []
    set_schedule("sample-2024", enabled=False)
    assert publish_due(datetime(2024, 9, 1, tzinfo=TZ), tmp_path) == []


def test_the_command_publishes_a_board_and_says_what_it_wrote(sample, runner, tmp_path):
    result = runner.invoke(
        cli, ["publish", "--plan", "sample-2024", "--period", "2024-05", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "2024-05: new" in result.output
    assert (tmp_path / "sample-2024/2024-05/board.json").is_file()
    assert (tmp_path / "index.html").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--plan", "nope", "--period", "2024-05"], "nope"),
        (["--plan", "sample-2024", "--period", "2024-13"], "2024-13"),
        (["--plan", "sample-2024", "--quarter", "2024Q5"], "2024Q5"),
        (["--plan", "sample-2024", "--period", "2023-05"], "实施期"),
        (["--plan", "sample-2024", "--period", "2024-05"], "截止时间"),
    ],
)
def test_the_command_refuses_an_unknown_plan_or_a_bad_period(
    sample, runner, tmp_path, args, message, monkeypatch
):
    if message == "截止时间":
        monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")
    out = tmp_path / "out"
    result = runner.invoke(cli, ["publish", *args, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert not out.exists()


def test_the_command_needs_exactly_one_board(sample, runner, tmp_path):
    result = runner.invoke(cli, ["publish", "--plan", "sample-2024", "--out", str(tmp_path)])
    assert result.exit_code == 2


def test_the_redactor_hides_only_private_titles_quoted_as_the_rules_quote_them():
    from datetime import date, datetime

    from tracker.rules.periods import TZ
    from tracker.rules.values import Finding
    from tracker.site.gather import FindingInfo
    from tracker.site.public import LeakError, Redactor

    opened = datetime(2024, 5, 1, 9, tzinfo=TZ)
    recorded = [
        Finding(i, "某镇", title, opened, date(2024, 5, 20))
        for i, title in ((1, "台账不全"), (2, "公开问题"))
    ]
    flags = {
        1: FindingInfo(1, False, False, "台账不全", "", "general"),
        2: FindingInfo(2, True, True, "公开问题", "", "general"),
    }
    redact = Redactor(flags, recorded)
    assert redact("问题整改逾期：台账不全（时限5月20日）") == "问题整改逾期：未公开问题（时限5月20日）"
    assert redact("整改「台账不全」；「公开问题」") == "整改「未公开问题」；「公开问题」"
    assert redact("问题整改逾期：公开问题（时限5月20日）") == "问题整改逾期：公开问题（时限5月20日）"
    assert redact("台账不全") == "台账不全"  # not quoted as a rule quotes a title: left to `check`
    redact.check({"a": ["问题整改逾期：未公开问题（时限5月20日）", "按计划推进"]})
    for leaked in ("台账不全", "市委组织部：问题整改逾期：台账不全（时限5月20日）", "「台账不全」"):
        with pytest.raises(LeakError):
            redact.check({"a": ["按计划推进", {"b": leaked}]})


def test_reconstructed_measures_are_marked_on_the_board_and_in_the_open_data(loaded, tmp_path):
    import csv

    from tracker.services.publishing import publish

    publish("ankang-2023", ["2023-06"], tmp_path / "sites")
    folder = tmp_path / "sites" / "ankang-2023" / "2023-06"
    text = (folder / "measures.csv").read_text("utf-8")
    rows = {r["code"]: r for r in csv.DictReader(text.splitlines())}
    assert rows["1.1.1"]["reconstructed"] == "true"  # Ankang's wording is ours, from the summary
    page = (folder / "index.html").read_text("utf-8")
    assert 'id="reconstructed"' in page and "并非通知原文" in page


def test_a_publication_reads_at_most_ten_statements_a_board(sample, tmp_path, monkeypatch):
    # Sections, measures, findings and commentary are read once for the whole build; the records of
    # the build go in one append to the audit chain.
    from tracker.store.db import db

    statements = []
    original = db.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return original(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", counting)
    result = publish("sample-2024", BOARDS, tmp_path)
    assert len(result.boards) == len(BOARDS)
    assert len(statements) <= 10 * len(BOARDS)
