"""Old and WPS office files (.doc, .wps, .xls, .et, .rtf) become .docx/.xlsx through LibreOffice.

LibreOffice runs headless in a temporary folder with its own profile (so two conversions never share
one) and a time limit; what it writes is then read like any uploaded .docx or .xlsx.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .safety import fail

TIME_LIMIT = 120  # seconds; a notice converts in a few
SPREADSHEETS = (".xls", ".et", ".ett", ".xlt")
PACKAGES = {"docx": "libreoffice-writer-nogui", "xlsx": "libreoffice-calc-nogui"}


def target_for(data: bytes, name: str) -> str:
    """'xlsx' for a spreadsheet, else 'docx': by extension, else by the OLE stream names inside."""
    ext = Path(name).suffix.lower()
    if ext in SPREADSHEETS:
        return "xlsx"
    if ext in (".doc", ".wps", ".wpt", ".dot", ".rtf"):
        return "docx"
    head = data[:65536]
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head[:4096]:
        return "xlsx"
    return "docx"


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_ooxml(data: bytes, name: str, target: str) -> bytes:
    """The file converted by LibreOffice to `target` ('docx' or 'xlsx'); ConversionError on failure."""
    ext = Path(name).suffix.lower() or ".doc"
    binary = soffice()
    if binary is None:
        raise fail(name, f"读取 {ext} 文件需要 LibreOffice:请安装 Debian 软件包 {PACKAGES[target]}")
    with tempfile.TemporaryDirectory(prefix="tracker-lo-") as tmp:
        src = Path(tmp) / f"notice{ext if ext.isascii() else '.doc'}"
        src.write_bytes(data)
        profile = Path(tmp) / "profile"
        filters = {"docx": "docx:MS Word 2007 XML", "xlsx": "xlsx:Calc MS Excel 2007 XML"}
        cmd = [
            binary,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            filters[target],
            "--outdir",
            tmp,
            str(src),
        ]
        env = {**os.environ, "HOME": tmp}
        try:
            subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, timeout=TIME_LIMIT, check=False)
        except subprocess.TimeoutExpired:
            raise fail(name, f"LibreOffice 转换超过 {TIME_LIMIT} 秒未完成,文件可能损坏") from None
        except OSError as exc:
            raise fail(name, f"无法启动 LibreOffice:{exc.strerror or exc}") from None
        out = src.with_suffix(f".{target}")
        if not out.is_file() or out.stat().st_size == 0:
            raise fail(name, f"LibreOffice 无法打开该 {ext} 文件(文件损坏或不是 Office 文档)")
        return out.read_bytes()
