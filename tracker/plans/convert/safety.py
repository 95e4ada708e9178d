"""Limits checked before any parser sees a file: size, zip bombs, XML entity declarations, file type.

A .docx or .xlsx is a zip of XML parts. Before python-docx or openpyxl opens one we check the archive's
member count, total uncompressed size and compression ratios, and refuse any part that declares a DTD
or entities (Office never writes one; an entity is how XXE and "billion laughs" attacks start).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from tracker.ooxml import OfficeFileError, ZipLimits, open_office_zip

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


def fail(where: str, reason: str) -> ConversionError:
    return ConversionError([Problem(where, reason)])


def sniff(data: bytes) -> str:
    """'zip', 'ole' (old .doc/.xls/.wps/.et), 'pdf', 'rtf', 'image' (PNG, JPEG) or 'text', by content."""
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:5] == b"{\\rtf":
        return "rtf"
    if data[:8] == b"\x89PNG\r\n\x1a\n" or data[:3] == b"\xff\xd8\xff":
        return "image"
    return "text"


def open_zip(data: bytes, name: str, limits: Limits = LIMITS) -> tuple[zipfile.ZipFile, str]:
    """Open an Office zip after the bomb, macro and entity checks; returns the archive and its kind."""
    zip_limits = ZipLimits(
        max_members=limits.max_members,
        max_total_uncompressed=limits.max_total_uncompressed,
        max_member_uncompressed=limits.max_member_uncompressed,
        max_ratio=limits.max_ratio,
        ratio_floor=limits.ratio_floor,
    )
    try:
        return open_office_zip(data, zip_limits)
    except OfficeFileError as exc:
        raise fail(name, str(exc)) from None
