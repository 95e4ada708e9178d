"""Checks on an Office Open XML file (.docx, .xlsx) before any parser opens it.

A .docx or .xlsx is a zip of XML parts. We refuse an archive with too many members, a member or a
total that inflates past its limit or by an abnormal ratio (zip bombs), an encrypted member, macros,
and any part that declares a DTD or entities (Office never writes one; an entity is how XXE and
"billion laughs" attacks start). Used by the notice converter and by evidence uploads alike.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DTD16 = [
    s.encode(enc)
    for s in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity")
    for enc in ("utf-16-le", "utf-16-be")
]
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    ValueError,
    EOFError,
    NotImplementedError,
    RuntimeError,
)


class OfficeFileError(ValueError):
    """An Office file refused before parsing; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 1000
    max_total_uncompressed: int = 120 * 1024 * 1024
    max_member_uncompressed: int = 60 * 1024 * 1024
    max_ratio: float = 200.0  # per member, for members larger than ratio_floor
    ratio_floor: int = 1024 * 1024


def open_office_zip(data: bytes, limits: ZipLimits = ZipLimits()) -> tuple[zipfile.ZipFile, str]:
    """The archive and 'docx' or 'xlsx', once every check has passed; else `OfficeFileError`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # zipfile raises many kinds on a damaged archive
        raise OfficeFileError(f"文件损坏,不是有效的 zip 压缩包(.docx/.xlsx 都是 zip):{exc}") from None
    if len(infos) > limits.max_members:
        raise OfficeFileError(f"压缩包成员过多({len(infos)} 个,上限 {limits.max_members}),疑似压缩炸弹")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise OfficeFileError("文件已加密,请使用未加密的文件")
        if info.file_size > limits.max_member_uncompressed:
            raise OfficeFileError(f"{info.filename} 解压后 {info.file_size} 字节,超过上限,疑似压缩炸弹")
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise OfficeFileError(
                f"{info.filename} 压缩比异常({info.file_size}/{info.compress_size}),疑似压缩炸弹"
            )
        total += info.file_size
    if total > limits.max_total_uncompressed:
        raise OfficeFileError(
            f"解压后总大小 {total} 字节超过上限 {limits.max_total_uncompressed},疑似压缩炸弹"
        )
    names = {i.filename for i in infos}
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise OfficeFileError("文件含宏(VBA),不予接收,请另存为不含宏的 .docx/.xlsx")
    if "word/document.xml" in names:
        kind = "docx"
    elif "xl/workbook.xml" in names:
        kind = "xlsx"
    else:
        raise OfficeFileError("压缩包中没有 word/document.xml 或 xl/workbook.xml:不是 .docx 或 .xlsx 文件")
    for info in infos:
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with archive.open(info) as fh:
                # Read one byte past the limit: a member may inflate beyond the size it declares.
                part = fh.read(limits.max_member_uncompressed + 1)
        except _READ_ERRORS as exc:
            raise OfficeFileError(f"{info.filename} 无法解压:{exc}") from None
        if len(part) > limits.max_member_uncompressed:
            raise OfficeFileError(f"{info.filename} 解压后异常巨大,疑似压缩炸弹")
        if _DTD.search(part) or any(marker in part for marker in _DTD16):
            raise OfficeFileError(
                f"{info.filename} 含 DTD/实体声明(<!DOCTYPE>/<!ENTITY>),Office 文件不会有,拒绝处理"
            )
    return archive, kind
