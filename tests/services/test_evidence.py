"""Evidence uploads: checked by content, zip bombs refused, stored under random names, served in scope."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from docx import Document
from openpyxl import Workbook

from tests.services.conftest import assignment_of
from tracker.services.evidence import MAX_BYTES, EvidenceError, check_upload, open_evidence
from tracker.services.reports import ReportInput, save_revision
from tracker.services.scoping import OutOfScope
from tracker.store.models import AuditEvent, Evidence, ReportRevision

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20


def docx_bytes(text="整改情况说明") -> bytes:
    doc = Document()
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    book = Workbook()
    book.active["A1"] = "台账"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


OFFICE_PARTS = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("材料.pdf", PDF, "application/pdf"),
        ("现场.png", PNG, "image/png"),
        ("现场.JPG", JPEG, "image/jpeg"),
        (
            "说明.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("台账.xlsx", xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("说明.txt", "五月份工作小结\n".encode(), "text/plain; charset=utf-8"),
    ],
)
def test_each_allowed_kind_is_recognised_by_its_content(name, data, kind):
    checked = check_upload(name, data)
    assert checked.kind.content_type == kind
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("报告.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100),  # a Windows program
        ("报告.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100),
        ("报告.pdf", b"<html><script>alert(1)</script></html>"),
        ("报告.txt", b"<!DOCTYPE html><html><body onload=alert(1)>"),
        ("报告.txt", b"  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("报告.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 50),
        ("报告.txt", b"\x00\x01binary"),
    ],
)
def test_a_renamed_program_or_web_page_is_refused_by_its_content(name, data):
    with pytest.raises(EvidenceError):
        check_upload(name, data)


def test_a_name_that_disagrees_with_the_content_is_refused():
    with pytest.raises(EvidenceError, match="扩展名不符"):
        check_upload("照片.pdf", PNG)


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(EvidenceError, match="超过 10 MB"):
        check_upload("大文件.pdf", PDF + b"0" * MAX_BYTES)


def test_an_empty_file_is_refused():
    with pytest.raises(EvidenceError, match="空文件"):
        check_upload("空.pdf", b"")


def test_a_zip_bomb_disguised_as_a_word_file_is_refused():
    bomb = zip_bytes({**OFFICE_PARTS, "word/media/big.bin": b"\x00" * (60 * 1024 * 1024)})
    assert len(bomb) < MAX_BYTES
    with pytest.raises(EvidenceError, match="压缩炸弹"):
        check_upload("炸弹.docx", bomb)


def test_a_word_file_with_too_many_parts_is_refused():
    many = zip_bytes({**OFFICE_PARTS, **{f"word/p{i}.xml": b"<a/>" for i in range(1001)}})
    with pytest.raises(EvidenceError, match="过多"):
        check_upload("很多.docx", many)


def test_a_word_file_with_a_ratio_bomb_under_the_size_limits_is_refused():
    ratio = zip_bytes({**OFFICE_PARTS, "word/media/x.bin": b"A" * (5 * 1024 * 1024)})
    with pytest.raises(EvidenceError, match="压缩炸弹"):
        check_upload("比例.docx", ratio)


def test_an_office_file_with_macros_or_entities_is_refused():
    with pytest.raises(EvidenceError, match="宏"):
        check_upload("宏.docx", zip_bytes({**OFFICE_PARTS, "word/vbaProject.bin": b"x"}))
    entity = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><w:document>&a;</w:document>'
    with pytest.raises(EvidenceError, match="实体"):
        check_upload("实体.docx", zip_bytes({**OFFICE_PARTS, "word/document.xml": entity}))


def test_a_plain_zip_is_not_an_office_file():
    with pytest.raises(EvidenceError):
        check_upload("材料.docx", zip_bytes({"a.txt": b"hello"}))


def test_an_uploaded_name_keeps_no_folders_or_control_characters():
    assert check_upload("../../etc/报告\x00.pdf", PDF).original_name == "报告.pdf"
    assert check_upload("C:\\Users\\x\\说明.txt", b"ok").original_name == "说明.txt"


def test_a_stored_file_gets_a_random_name_and_is_served_only_in_scope(scopes, people, at, tmp_path):
    at("2024-05-20T10:00")
    mine = assignment_of("安康市乡村振兴局", "2.2.2")
    uploads = tmp_path / "uploads"
    checked = check_upload("现场照片.png", PNG)
    save_revision(
        scopes["clerk"],
        mine.id,
        "2024-05",
        ReportInput(percent=30),
        [checked],
        expected_revision_number=0,
        upload_dir=uploads,
    )
    row = Evidence.get()
    assert row.original_name == "现场照片.png" and row.stored_name != "现场照片.png"
    assert (uploads / row.stored_name).read_bytes() == PNG
    assert row.sha256 == hashlib.sha256(PNG).hexdigest() and row.size == len(PNG)
    assert row.revision.number == 1 and row.unit_id == mine.unit_id
    for name in ("clerk", "boss", "inspector", "leader", "admin"):
        assert open_evidence(scopes[name], row.id, uploads).path == uploads / row.stored_name
    with pytest.raises(OutOfScope):
        open_evidence(scopes["other"], row.id, uploads)
    with pytest.raises(OutOfScope):
        open_evidence(scopes["clerk"], row.id + 1000, uploads)
    assert AuditEvent.select().where(AuditEvent.action == "evidence.upload").count() == 1


def test_files_of_a_save_that_fails_are_removed(scopes, people, at, tmp_path):
    at("2024-05-20T10:00")
    mine = assignment_of("安康市乡村振兴局", "2.2.2")
    uploads = tmp_path / "uploads"
    save_revision(scopes["clerk"], mine.id, "2024-05", ReportInput(percent=30), expected_revision_number=0)
    from tracker.services.reports import StaleRevision

    with pytest.raises(StaleRevision):
        save_revision(
            scopes["boss"],
            mine.id,
            "2024-05",
            ReportInput(percent=35),
            [check_upload("a.pdf", PDF)],
            expected_revision_number=0,
            upload_dir=uploads,
        )
    assert Evidence.select().count() == 0 and ReportRevision.select().count() == 1
    assert not uploads.exists() or list(uploads.iterdir()) == []
