"""The published site of a small plan, compared byte for byte with a committed golden copy.

Regenerate the copy after a deliberate change of the pages or data files, then review its diff:

    TRACKER_UPDATE_GOLDEN=1 pytest tests/site
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.site.conftest import BOARDS, GOLDEN, MARK, add_later_data
from tracker.services.publishing import publish
from tracker.site.write import walk


def tree(folder: Path) -> dict[str, bytes]:
    return {rel: (folder / rel).read_bytes() for rel in walk(folder)}


def build(out: Path):
    return publish("sample-2024", BOARDS, out)


def test_a_build_rendered_by_two_worker_processes_is_the_golden_copy(sample, tmp_path):
    # Each board is rendered in a worker process while the next one is gathered.
    publish("sample-2024", BOARDS, tmp_path / "sites", workers=2)
    built, golden = tree(tmp_path / "sites"), tree(GOLDEN)
    assert sorted(built) == sorted(golden)
    assert [rel for rel in built if built[rel] != golden[rel]] == []


def test_the_sample_build_matches_the_golden_copy_byte_for_byte(sample, tmp_path):
    result = build(tmp_path / "sites")
    assert not result.warnings
    built = tree(tmp_path / "sites")
    if os.environ.get("TRACKER_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(tmp_path / "sites", GOLDEN)
    golden = tree(GOLDEN)
    assert sorted(built) == sorted(golden), "files differ; TRACKER_UPDATE_GOLDEN=1 pytest tests/site"
    changed = [rel for rel in built if built[rel] != golden[rel]]
    assert not changed, f"bytes differ in {changed[:5]}; TRACKER_UPDATE_GOLDEN=1 pytest tests/site"


def test_publishing_again_after_later_reports_and_findings_changes_no_byte(sample, tmp_path):
    out = tmp_path / "sites"
    build(out)
    before = tree(out)
    add_later_data(sample)
    again = build(out)
    assert not again.written and not again.warnings
    assert {b.status for b in again.boards} == {"same"}
    # Into an empty folder too: the same boards come out of the database, not from the old files.
    build(tmp_path / "fresh")
    assert tree(tmp_path / "fresh") == before


def test_no_private_field_reaches_any_published_file(sample, tmp_path):
    build(tmp_path / "sites")
    add_later_data(sample)
    build(tmp_path / "sites")
    leaks = {}
    for rel, data in tree(tmp_path / "sites").items():
        text = data.decode("utf-8")
        for needle in (MARK, "secret-marker", "张三", "督查员", "@example.org"):
            if needle.lower() in text.lower():
                start = text.lower().index(needle.lower())
                leaks[rel] = text[max(0, start - 40) : start + 60]
    assert not leaks, leaks


def test_the_private_finding_is_counted_but_not_named(sample, tmp_path):
    build(tmp_path / "sites")
    board = json.loads((tmp_path / "sites/sample-2024/2024-06/board.json").read_text("utf-8"))
    toilets = next(m for m in board["measures"] if m["code"] == "1.1")
    assert toilets["findings"] == {"closed": 0, "open": 1, "overdue": 1, "total": 1}
    assert toilets["public_findings"] == []
    town = next(a for a in board["assignments"] if a["measure"] == "1.1" and a["short"] == "东城镇")
    assert town["light"] == "red" and any("未公开问题" in r for r in town["reasons"])
    cleaning = next(m for m in board["measures"] if m["code"] == "2.1")
    assert [(f["title"], f["detail"], f["state"]) for f in cleaning["public_findings"]] == [
        ("垃圾清运不及时", "", "closed")
    ]


def test_the_board_holds_the_contract_fields_of_cli_md(sample, tmp_path):
    build(tmp_path / "sites")
    board = json.loads((tmp_path / "sites/sample-2024/2024-05/board.json").read_text("utf-8"))
    assert (board["plan"], board["period"], board["cutoff"]) == ("sample-2024", "2024-05", "2024-05-31")
    lead = next(m for m in board["measures"] if m["code"] == "1.1")
    assert {"code", "title", "lead", "light", "percent", "report"} <= set(lead)
    assert (lead["lead"], lead["percent"], lead["report"]) == (["县农业农村局"], 35, "late")
    assert lead["indicators"][0]["behind"] is True
    hidden = next(m for m in board["measures"] if m["code"] == "2.2")
    assert hidden["summary"] == "" and lead["summary"] == "已改建140座"
    unit = next(u for u in board["units"] if u["short"] == "县住建局")
    assert {"name", "short", "assignments", "on_time", "late", "missing", "lights"} <= set(unit)
    assert (unit["on_time"], unit["missing"]) == (1, 1)
    assert set(unit["lights"]) == {"red", "amber", "green", "done", "not_started"}


def test_the_commentary_is_rendered_and_sanitized(sample, tmp_path):
    build(tmp_path / "sites")
    page = (tmp_path / "sites/sample-2024/2024Q2/index.html").read_text("utf-8")
    assert "<strong>落后于节点</strong>" in page and "<script" not in page
    assert 'href="https://example.org/notice"' in page
