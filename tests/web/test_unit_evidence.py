"""Evidence on the report form: checked by content, refused with a reason, downloaded as an attachment."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from werkzeug.test import EnvironBuilder

from tests.web.conftest import csrf_token, sign_in
from tests.web.test_unit_report import assignment_of, report_url
from tracker.store.models import Evidence, ReportRevision

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def may_2024(monkeypatch, database_url):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")


@pytest.fixture
def mine(people):
    return assignment_of("安康市乡村振兴局")


def upload(client, a, *files):
    data = {
        "percent": "40",
        "narrative": "见附件",
        "expected": "0",
        "save": "提交",
        "csrf_token": csrf_token(client, report_url(a)),
        "files": [(io.BytesIO(content), name) for name, content in files],
    }
    # Werkzeug's test client spools a large body to a temporary file it never closes: close it here.
    environ = EnvironBuilder(
        report_url(a), method="POST", data=data, content_type="multipart/form-data"
    ).get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()


def test_a_photo_and_a_pdf_are_stored_and_downloaded_as_attachments(client, signed_in, mine):
    signed_in("clerk")
    assert upload(client, mine, ("现场照片.png", PNG), ("会议纪要.pdf", PDF)).status_code == 302
    rows = {e.original_name: e for e in Evidence.select()}
    assert set(rows) == {"现场照片.png", "会议纪要.pdf"}
    assert rows["会议纪要.pdf"].sha256 == hashlib.sha256(PDF).hexdigest()
    page = client.get(report_url(mine)).get_data(as_text=True)
    assert "会议纪要.pdf" in page
    response = client.get(f"/unit/evidence/{rows['会议纪要.pdf'].id}")
    assert response.status_code == 200 and response.get_data() == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    response.close()


def zip_bomb_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/media/zeros.bin", b"\x00" * (80 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("报告.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "不是允许的文件类型"),
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "不是允许的文件类型"),
        (
            "通知.txt",
            b"<html><body><script>alert(document.cookie)</script></body></html>",
            "不是允许的文件类型",
        ),
        ("通知.pdf", b"<!doctype html><p>x</p>", "不是允许的文件类型"),
        ("材料.docx", None, "压缩炸弹"),
        ("大文件.pdf", PDF + b"0" * (10 * 1024 * 1024), "超过 10 MB"),
    ],
)
def test_a_disguised_bomb_or_oversize_upload_is_refused_and_nothing_is_saved(
    client, signed_in, mine, name, content, message
):
    signed_in("clerk")
    response = upload(client, mine, (name, zip_bomb_docx() if content is None else content))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert Evidence.select().count() == 0 and ReportRevision.select().count() == 0


def test_another_units_clerk_cannot_download_the_file(app, client, signed_in, mine):
    signed_in("clerk")
    upload(client, mine, ("现场照片.png", PNG))
    evidence = Evidence.get()
    other = app.test_client()
    sign_in(other, "other")
    assert other.get(f"/unit/evidence/{evidence.id}").status_code == 404
