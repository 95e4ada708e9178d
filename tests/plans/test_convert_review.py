"""`tracker convert` never crashes and is never silent: the plan is written with a review list and a
summary line on stderr (exit 0), or one Chinese line names the file and why it was refused (exit 1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tracker.cli import cli
from tracker.plans.convert import convert

GROUPED = [
    ("p", "2024年政府工作报告重点工作任务分解表"),
    (
        "table",
        [
            ["序号", "工作任务", "责任领导", "牵头单位", "责任单位", "完成时限"],
            ["（一）王明副市长牵头重点工作", None, None, None, None, None],
            ["1", "推进老旧小区改造120个", "王明", "市住建局", "市发改委、市财政局", "全年"],
            ["2", "新建保障性租赁住房1000套", "王明", "市住建局", "各区政府", "年底前"],
            ["（二）李华副市长牵头重点工作", None, None, None, None, None],
            ["3", "建成高标准农田5万亩", "李华", "", "市农业农村局、市水务局", "三季度末"],
            ["4", "完善农村供水保障", "李华", "市水务局", "", "某个时候"],
        ],
        [(1, 0, 1, 5), (4, 0, 4, 5)],
    ),
]


def flat(sections):
    for s in sections:
        yield from s.get("measures", [])
        yield from flat(s.get("sections", []))


def test_group_rows_naming_a_leader_who_leads_them_are_groups_not_a_second_header(make_docx):
    result = convert(make_docx(GROUPED))
    titles = [s["title"] for s in result.plan["sections"]]
    assert titles == ["王明副市长牵头重点工作", "李华副市长牵头重点工作"]
    measures = {m["title"]: m for m in flat(result.plan["sections"])}
    first = measures["推进老旧小区改造120个"]
    assert first["lead"] == ["市住建局"] and first["responsible"] == ["市发改委", "市财政局"]
    assert first["leaders"] == ["王明"]  # a person, never a unit
    assert all("王明" not in m["lead"] + m["responsible"] for m in measures.values())


def test_the_summary_counts_measures_without_a_lead_and_deadlines_it_cannot_read(make_docx):
    result = convert(make_docx(GROUPED))
    assert result.summary() == "4 项措施：2 项完整，1 项缺牵头单位，1 项时限无法识别"
    review = "\n".join(str(p) for p in result.review())
    assert "表1 第6行" in review and "未标明牵头单位" in review
    assert "表1 第7行 F列" in review and "某个时候" in review


def test_the_cli_writes_the_plan_and_prints_the_review_and_the_summary_on_stderr(make_docx, tmp_path):
    notice = make_docx(GROUPED)
    out = tmp_path / "plan.yaml"
    result = CliRunner().invoke(cli, ["convert", str(notice), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "王明副市长牵头重点工作" in out.read_text(encoding="utf-8")
    assert "请核对 表1 第6行" in result.output
    assert "4 项措施：2 项完整，1 项缺牵头单位，1 项时限无法识别" in result.output


def test_without_libreoffice_a_doc_notice_is_refused_naming_the_debian_package(tmp_path):
    doc = tmp_path / "通知.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    empty = tmp_path / "bin"
    empty.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "convert", str(doc)],
        env={**os.environ, "PATH": str(empty)},
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 1
    assert (
        run.stderr.strip()
        == f"无法转换 {doc}:读取 .doc 文件需要 LibreOffice:请安装 Debian 软件包 libreoffice-writer-nogui"
    )
    assert run.stdout == ""
