"""No notice makes the converter crash: whatever the bytes, it returns a plan with its review list or
raises `ConversionError` naming the file and the reason (the CLI prints that as one Chinese line)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.cli import cli
from tracker.plans.convert import Conversion, ConversionError, convert_blocks, convert_bytes
from tracker.plans.convert.blocks import Cell, Paragraph, Table

HERE = Path(__file__).resolve().parent
NOTICES = sorted((HERE / "notices").iterdir())
REAL = sorted(p for p in (HERE / "real").glob("*/notice.*") if p.suffix in (".txt", ".docx", ".xlsx"))

# Pieces real notices are made of, so random text hits the parser's branches rather than plain noise.
PIECES = [
    "一、", "（二）", "(3)", "1.", "1、", "１．", "1﹒", "①", "第一条", "一是", "附件", "\n", "。", "，", "；", "、",
    "牵头单位：", "责任单位:", "配合单位：", "主责单位：", "协同责任单位：", "责任领导：", "完成时限：", "（牵头）",
    "市发改委", "市财政局", "各县（市、区）", "区发改局（区金融办）", "等部门", "按职责分工负责", "牵头，", "配合",
    "负责", "列第一位的为牵头单位", "2024年6月底前", "年底前", "全年", "上半年", "三季度末", "持续推进", "每季度",
    "长期坚持", "5月底前完成", "〔", "〕", "【", "】", "（", "）", "(", ")", "：", " ", "\t", "推进项目建设",
    "关于印发", "的通知", "2023年3月1日", "〔2024〕1号", "序号", "工作任务", "具体措施", "完成时间",
]  # fmt: skip
ROLES = [
    "序号",
    "重点任务",
    "具体措施",
    "牵头单位",
    "责任单位",
    "配合单位",
    "完成时限",
    "责任领导",
    "备注",
    "",
]


def ok_or_refused(fn, *args) -> None:
    try:
        result = fn(*args)
    except ConversionError as exc:
        assert exc.problems and all(p.reason for p in exc.problems)
        return
    assert isinstance(result, Conversion)
    result.summary()  # the review line always renders


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=120))
def test_any_text_made_of_notice_pieces_converts_or_is_refused_plainly(pieces):
    ok_or_refused(convert_bytes, "".join(pieces).encode("utf-8"), "notice.txt")


cells = st.one_of(st.sampled_from(PIECES + ROLES), st.text(max_size=8))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.tuples(cells, st.booleans(), st.booleans()), min_size=0, max_size=7),
        min_size=0,
        max_size=9,
    ),
    st.lists(st.sampled_from(PIECES), max_size=8),
)
def test_any_table_with_merged_cells_converts_or_is_refused_plainly(grid, before):
    rows = [[Cell(t, merged_above=a and r > 0, merged_left=left and c > 0) for c, (t, a, left) in enumerate(row)]
            for r, row in enumerate(grid)]  # fmt: skip
    blocks = [Paragraph(p, f"第{i + 1}段") for i, p in enumerate(before)] + [Table(rows, "表1")]
    ok_or_refused(convert_blocks, blocks, "notice.docx", "Word")


def damaged(data: bytes, rng: random.Random) -> list[bytes]:
    """The file truncated, its lines shuffled, and with random bytes written over it."""
    out = [data[: rng.randrange(len(data) + 1)] for _ in range(3)]
    lines = data.split(b"\n")
    rng.shuffle(lines)
    out.append(b"\n".join(lines))
    for _ in range(3):
        noisy = bytearray(data)
        for _ in range(max(1, len(noisy) // 200)):
            noisy[rng.randrange(len(noisy))] = rng.randrange(256)
        out.append(bytes(noisy))
    return out


@pytest.mark.parametrize(
    "path", NOTICES + REAL, ids=lambda p: p.parent.name if p.parent.name != "notices" else p.name
)
def test_every_notice_truncated_shuffled_or_with_random_bytes_converts_or_is_refused_plainly(path):
    rng = random.Random(path.name)
    for data in damaged(path.read_bytes(), rng):
        ok_or_refused(convert_bytes, data, path.name)


def test_the_cli_refuses_a_damaged_notice_in_one_chinese_line_without_a_traceback(tmp_path):
    from click.testing import CliRunner

    broken = tmp_path / "通知.docx"
    broken.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    result = CliRunner().invoke(cli, ["convert", str(broken)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"无法转换 {broken}:")
