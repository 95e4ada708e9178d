"""Limits checked before any parser sees a file: size, zip bombs, XML entity declarations, file type.

A .docx or .xlsx is a zip of XML parts. Before python-docx or openpyxl opens one we check the archive's
member count, total uncompressed size and compression ratios, and refuse any part that declares a DTD
or entities (Office never writes one; an entity is how XXE and "billion laughs" attacks start).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from .problems import ConversionError, Problem


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * 1024 * 1024
    max_text_bytes: int = 5 * 1024 * 1024
    max_members: int = 1000
    max_total_uncompressed: int = 120 * 1024 * 1024
    max_member_uncompressed: int = 60 * 1024 * 1024
    max_ratio: float = 200.0  # per member, for members over ratio_floor bytes
    ratio_floor: int = 1024 * 1024
    max_rows: int = 5000
    max_cols: int = 60


LIMITS = Limits()
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DTD16 = [
    s.encode(enc)
    for s in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity")
    for enc in ("utf-16-le", "utf-16-be")
]


def fail(where: str, reason: str) -> ConversionError:
    return ConversionError([Problem(where, reason)])


def sniff(data: bytes) -> str:
    """'zip', 'ole' (old .doc/.xls), 'pdf', 'rtf' or 'text', by content."""
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:5] == b"{\\rtf":
        return "rtf"
    return "text"


def open_zip(data: bytes, name: str, limits: Limits = LIMITS) -> tuple[zipfile.ZipFile, str]:
    """Open an Office zip after the bomb checks; returns the archive and 'docx' or 'xlsx'."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # zipfile raises many kinds on a damaged archive
        raise fail(name, f"文件损坏,不是有效的 zip 压缩包(.docx/.xlsx 都是 zip): {exc}") from None
    if len(infos) > limits.max_members:
        raise fail(name, f"压缩包成员过多({len(infos)} 个,上限 {limits.max_members}),拒绝处理")
    total = 0
    for info in infos:
        if info.file_size > limits.max_member_uncompressed:
            raise fail(name, f"{info.filename} 解压后 {info.file_size} 字节,超过上限,疑似压缩炸弹")
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise fail(
                name, f"{info.filename} 压缩比异常({info.file_size}/{info.compress_size}),疑似压缩炸弹"
            )
        total += info.file_size
    if total > limits.max_total_uncompressed:
        raise fail(name, f"解压后总大小 {total} 字节超过上限 {limits.max_total_uncompressed},疑似压缩炸弹")
    names = {i.filename for i in infos}
    if "word/document.xml" in names:
        kind = "docx"
    elif "xl/workbook.xml" in names:
        kind = "xlsx"
    else:
        raise fail(name, "压缩包中没有 word/document.xml 或 xl/workbook.xml:不是 .docx 或 .xlsx 文件")
    for info in infos:
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with archive.open(info) as fh:
                head = fh.read(info.file_size + 1)
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ) as exc:
            raise fail(name, f"{info.filename} 无法解压: {exc}") from None
        if _DTD.search(head) or any(p in head for p in _DTD16):
            raise fail(
                name, f"{info.filename} 含 DTD/实体声明(<!DOCTYPE>/<!ENTITY>),Office 文件不会有,拒绝处理"
            )
    return archive, kind
