"""Hardening: size and zip-bomb limits, no XML entities, clear errors for corrupt or mistyped files, fuzzing."""

import contextlib
import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.plans.convert import ConversionError, convert_bytes, convert_path, convert_text
from tracker.plans.convert.docx import docx_blocks
from tracker.plans.convert.safety import Limits

XXE = b'<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


@pytest.fixture(scope="module")
def docx_bytes(tmp_path_factory, builders):
    build_docx = builders[0]
    path = tmp_path_factory.mktemp("d") / "n.docx"
    blocks = [
        ("p", "某市2024年工作方案"),
        ("p", "一、重点任务"),
        ("p", "1.建设农田。新建5万亩。〔牵头单位:市农业农村局;责任单位:市财政局;完成时限:2024年底前〕"),
        ("table", [["序号", "重点任务", "具体措施", "牵头单位"], ["1", "产业", "培育企业", "市商务局"]]),
    ]
    return build_docx(path, blocks).read_bytes()


@pytest.fixture(scope="module")
def xlsx_bytes(tmp_path_factory, builders):
    build_xlsx = builders[1]
    path = tmp_path_factory.mktemp("x") / "n.xlsx"
    rows = [
        ["某市任务分工表"],
        ["序号", "重点任务", "具体措施", "牵头单位", "完成时限"],
        [1, "产业", "建设农田", "市农业农村局", "2024年底前"],
    ]
    return build_xlsx(path, rows, [(0, 0, 0, 4)]).read_bytes()


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name in set(replace) - set(src.namelist()):
            dst.writestr(name, replace[name])
    return out.getvalue()


def test_a_highly_compressed_member_is_refused_as_a_zip_bomb(docx_bytes):
    bomb = rezip(docx_bytes, {"word/media/big.xml": b"\0" * (3 * 1024 * 1024)})
    with pytest.raises(ConversionError, match="压缩"):
        convert_bytes(bomb, "n.docx")


def test_the_total_uncompressed_size_and_member_count_are_limited(docx_bytes):
    with pytest.raises(ConversionError, match="总大小"):
        convert_bytes(docx_bytes, "n.docx", Limits(max_total_uncompressed=10_000))
    many = rezip(docx_bytes, {f"customXml/item{i}.bin": b"x" for i in range(30)})
    with pytest.raises(ConversionError, match="成员过多"):
        convert_bytes(many, "n.docx", Limits(max_members=20))


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 2048)
    from tracker.plans.convert import convert

    with pytest.raises(ConversionError, match="超过上限"):
        convert(path, Limits(max_file_bytes=1024))


def test_a_word_file_that_declares_an_external_entity_is_refused(docx_bytes):
    doc = zipfile.ZipFile(io.BytesIO(docx_bytes)).read("word/document.xml")
    body = doc.split(b"?>", 1)[1].replace("建设农田".encode(), b"&xxe;", 1)
    evil = rezip(docx_bytes, {"word/document.xml": XXE + body})
    with pytest.raises(ConversionError, match="DTD"):
        convert_bytes(evil, "n.docx")
    # and python-docx itself, without our check, does not resolve it
    try:
        blocks = docx_blocks(evil, "n.docx")
    except ConversionError:
        return
    assert "root:" not in "".join(getattr(b, "text", "") for b in blocks)


def test_an_excel_file_that_declares_an_entity_is_refused(xlsx_bytes):
    sheet = zipfile.ZipFile(io.BytesIO(xlsx_bytes)).read("xl/worksheets/sheet1.xml")
    evil = rezip(
        xlsx_bytes,
        {"xl/worksheets/sheet1.xml": XXE.replace(b"w:document", b"worksheet") + sheet.split(b"?>", 1)[-1]},
    )
    with pytest.raises(ConversionError, match="DTD"):
        convert_bytes(evil, "n.xlsx")


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"just some bytes", "n.docx", "不是 Office"),
        (b"PK\x03\x04broken zip", "n.docx", "损坏"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "n.doc", "无法打开该 .doc"),
        (b"%PDF-1.7 ...", "n.pdf", "PDF"),
        (b"\x00\x01\x02\x03" * 40, "n.txt", "不是文本"),
    ],
)
def test_a_corrupt_or_wrong_type_file_is_a_clear_conversion_error(data, name, reason):
    with pytest.raises(ConversionError, match=reason):
        convert_bytes(data, name)


def test_a_docx_must_hold_word_document_xml_and_not_a_workbook(docx_bytes, xlsx_bytes):
    with pytest.raises(ConversionError, match="内容却是 .xlsx"):
        convert_bytes(xlsx_bytes, "n.docx")
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ConversionError, match="word/document.xml"):
        convert_bytes(empty.getvalue(), "n.docx")


def test_a_truncated_word_file_is_a_conversion_error(docx_bytes, tmp_path):
    path = tmp_path / "cut.docx"
    path.write_bytes(docx_bytes[: len(docx_bytes) // 2])
    with pytest.raises(ConversionError):
        convert_path(path)


def test_a_missing_file_is_a_conversion_error(tmp_path):
    with pytest.raises(ConversionError, match="无法读取"):
        convert_path(tmp_path / "nope.docx")


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LINES = st.sampled_from(
    ["一、重点任务", "（一）产业", "1.建设农田。", "(1)新建", "〔牵头单位:市农业局;责任单位:市财政局〕", "完成时限:2024年底前",
     "责任单位:市发改委(牵头)、市财政局", "附件", "2024年3月1日", "| 序号 | 具体措施 | 牵头单位 |", "某市方案", "(", "〔", "）"]
)  # fmt: skip


@FUZZ
@given(st.lists(st.one_of(LINES, st.text(max_size=30)), max_size=25))
def test_random_text_gives_a_plan_or_a_conversion_error(lines):
    try:
        result = convert_text("\n".join(lines))
    except ConversionError:
        return
    assert "sections" in result.plan


class Sample(bytes):
    """Bytes with a short repr, so hypothesis reports stay readable."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes>"


@pytest.fixture(scope="module")
def samples(docx_bytes, xlsx_bytes):
    return Sample(docx_bytes), Sample(xlsx_bytes)


def mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    buf = bytearray(data)
    for pos, value in edits:
        buf[pos % len(buf)] = value
    return bytes(buf[:cut] if cut else buf)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
    st.one_of(st.none(), st.integers(1, 20000)),
    st.booleans(),
)
def test_mutated_office_files_give_a_plan_or_a_conversion_error(samples, edits, cut, word):
    data = mutate(samples[0] if word else samples[1], edits, cut)
    with contextlib.suppress(ConversionError):
        convert_bytes(data, "n.docx" if word else "n.xlsx")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_mutated_xml_inside_an_office_file_gives_a_plan_or_a_conversion_error(samples, data):
    docx_bytes = samples[0]
    doc = zipfile.ZipFile(io.BytesIO(docx_bytes)).read("word/document.xml")
    pos = data.draw(st.integers(0, len(doc) - 1))
    junk = data.draw(st.binary(max_size=12))
    broken = rezip(docx_bytes, {"word/document.xml": doc[:pos] + junk + doc[pos + len(junk) :]})
    with contextlib.suppress(ConversionError):
        convert_bytes(broken, "n.docx")
