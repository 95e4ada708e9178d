"""Checks on an Office Open XML file (.docx, .xlsx) before any parser opens it.

A .docx or .xlsx is a zip of XML parts. We refuse, reading the central directory before inflating
anything: too many members, a member or a total that inflates past its limit, a compression ratio
past the limit for any member (however small) or for the archive as a whole, encrypted members.
Then we inflate at most `scan_budget` bytes and refuse active content: macros (VBA, also under
another name: any OLE compound file inside), embedded OLE objects and ActiveX, relationships to
anything outside the file other than hyperlinks (remote templates, linked frames, external
workbooks), DDE fields and DDE links, and any part that declares a DTD or entities (Office never
writes one; an entity is how XXE and "billion laughs" attacks start), whatever its name or encoding.

`check_office_zip` runs in a worker process with CPU and memory limits (`tracker.worker`);
`open_office_zip` runs that check and then opens the archive for the caller.
"""

from __future__ import annotations

import codecs
import io
import re
import threading
import zipfile
import zlib
from dataclasses import dataclass

from tracker.worker import WorkerLimitExceeded, run_limited

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MEDIA = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"\x01\x00\x00\x00",
    b"\xd7\xcd",
)
_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_SAFE_ENCODINGS = {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "ascii", "latin-1"}
_RELATIONSHIP = re.compile(r"<Relationship\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([A-Za-z:]+)\s*=\s*["']([^"']*)["']""")
_ACTIVE_RELATIONS = ("/oleObject", "/package", "/control", "/activeXControlBinary", "/vbaProject")
_INSTR = re.compile(r"<w:instrText\b[^>]*>([^<]*)<|\binstr\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
_DDE_FIELD = re.compile(r"\b(DDE|DDEAUTO|INCLUDETEXT|INCLUDEPICTURE|IMPORT|LINK)\b", re.IGNORECASE)
_DDE_FORMULA = re.compile(r"<f\b[^>]*>[^<]*\w\|[^<]*!", re.IGNORECASE)
_SLOTS = threading.BoundedSemaphore(2)
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
    max_ratio: float = 100.0  # for every member, and for the archive as a whole
    ratio_floor: int = 0  # members up to this size skip the per-member ratio; 0 = none skip
    scan_budget: int = 64 * 1024 * 1024  # bytes inflated to look for active content, then refused
    cpu_seconds: int = 4
    memory_bytes: int = 768 * 1024 * 1024
    timeout: float = 5.0


def _refuse_directory(infos: list[zipfile.ZipInfo], size: int, limits: ZipLimits) -> None:
    """Every check the central directory allows, before a single byte is inflated."""
    if len(infos) > limits.max_members:
        raise OfficeFileError(f"压缩包成员过多({len(infos)} 个,上限 {limits.max_members}),疑似压缩炸弹")
    total = packed = 0
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
        packed += info.compress_size
    if packed > size:
        raise OfficeFileError("文件损坏:压缩包目录与内容不符")
    if total > limits.max_total_uncompressed:
        raise OfficeFileError(
            f"解压后总大小 {total} 字节超过上限 {limits.max_total_uncompressed},疑似压缩炸弹"
        )
    if total > limits.max_ratio * max(packed, 1):
        raise OfficeFileError(f"压缩包整体压缩比异常({total}/{packed}),疑似压缩炸弹")


def _xml_text(name: str, part: bytes) -> str:
    """The part as text in the encoding an XML parser would use; exotic encodings are refused."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if part.startswith(bom):
            if "32" in encoding:
                break
            return part[len(bom) :].decode(encoding, errors="replace")
    head = part[:4]
    if b"\x00\x00" in head:  # UTF-32 without a byte order mark, or not text at all
        raise OfficeFileError(f"{name} 使用了不支持的字符编码,拒绝处理")
    if head[:1] == b"\x00" or head[1:2] == b"\x00":
        return part.decode("utf-16-be" if head[:1] == b"\x00" else "utf-16-le", errors="replace")
    declared = _DECLARED.match(part[:200])
    if declared:
        encoding = declared[1].decode().lower().replace("_", "-")
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise OfficeFileError(f"{name} 声明了未知的字符编码 {encoding},拒绝处理") from None
        if encoding not in {codecs.lookup(e).name for e in _SAFE_ENCODINGS}:
            raise OfficeFileError(f"{name} 使用了不支持的字符编码 {encoding},拒绝处理")
        return part.decode(encoding, errors="replace")
    if part[:4] == b"\x4c\x6f\xa7\x94":  # "<?xm" in EBCDIC
        raise OfficeFileError(f"{name} 使用了不支持的字符编码,拒绝处理")
    return part.decode("utf-8", errors="replace")


def _starts_like_xml(part: bytes) -> bool:
    """Whether a parser could take the part for XML, whatever its name: a byte order mark or `<`."""
    if part.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    return part[:64].replace(b"\x00", b"").lstrip().startswith(b"<")


def _refuse_active_content(name: str, text: str) -> None:
    lower = name.lower()
    if _DTD.search(text):
        raise OfficeFileError(f"{name} 含 DTD/实体声明(<!DOCTYPE>/<!ENTITY>),Office 文件不会有,拒绝处理")
    if lower.endswith(".rels"):
        for tag in _RELATIONSHIP.findall(text):
            attrs = {k.lower(): v for k, v in _ATTR.findall(tag)}
            kind = attrs.get("type", "")
            if kind.endswith(_ACTIVE_RELATIONS):
                raise OfficeFileError(
                    "文件含嵌入对象、控件或宏(OLE/ActiveX/VBA),不予接收,请另存为纯文档后上传"
                )
            if attrs.get("targetmode", "").lower() == "external" and not kind.endswith("/hyperlink"):
                raise OfficeFileError(
                    f"文件引用了外部资源({attrs.get('target', '')[:80]},如远程模板或外部链接),不予接收"
                )
    if lower == "[content_types].xml" and re.search(r"macroEnabled|vbaProject|oleObject|activeX", text, re.I):
        raise OfficeFileError("文件含宏或嵌入对象(启用宏的文档类型),不予接收,请另存为不含宏的 .docx/.xlsx")
    # Word splits one field code over several runs: the pieces are read joined, as Word reads them.
    fields = "".join(a or (" " + b + " ") for a, b in _INSTR.findall(text)) if "instr" in text else ""
    if fields and _DDE_FIELD.search(fields):
        raise OfficeFileError("文件含 DDE/外部引用域代码,打开时可能运行外部程序,不予接收")
    if "ddeLink" in text or "oleLink" in text or _DDE_FORMULA.search(text):
        raise OfficeFileError("文件含 DDE 链接或外部程序公式,打开时可能运行外部程序,不予接收")


def check_office_zip(data: bytes, limits: ZipLimits = ZipLimits()) -> str:
    """'docx' or 'xlsx' once every check has passed; else `OfficeFileError`. Runs in this process."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # zipfile raises many kinds on a damaged archive
        raise OfficeFileError(f"文件损坏,不是有效的 zip 压缩包(.docx/.xlsx 都是 zip):{exc}") from None
    _refuse_directory(infos, len(data), limits)
    names = {i.filename for i in infos}
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise OfficeFileError("文件含宏(VBA),不予接收,请另存为不含宏的 .docx/.xlsx")
    if any(re.search(r"(^|/)(embeddings|activex)/", name, re.I) for name in names):
        raise OfficeFileError("文件含嵌入对象或控件(OLE/ActiveX),不予接收,请另存为纯文档后上传")
    if "word/document.xml" in names:
        kind = "docx"
    elif "xl/workbook.xml" in names:
        kind = "xlsx"
    else:
        raise OfficeFileError("压缩包中没有 word/document.xml 或 xl/workbook.xml:不是 .docx 或 .xlsx 文件")
    budget = limits.scan_budget
    for info in infos:
        if info.is_dir():
            continue
        try:
            with archive.open(info) as fh:
                head = fh.read(16)
                if head.startswith(OLE_SIGNATURE):
                    raise OfficeFileError(
                        f"{info.filename} 是嵌入的 OLE 对象或宏(VBA),不予接收,请另存为纯文档后上传"
                    )
                if head.startswith(_MEDIA) and not info.filename.lower().endswith((".xml", ".rels")):
                    continue
                if info.file_size > budget:
                    raise OfficeFileError("文件内容过多,超过检查上限,请精简或拆分后上传")
                # Read one byte past the declared size: a member may inflate beyond what it declares.
                part = head + fh.read(info.file_size + 1)
        except OfficeFileError:
            raise
        except _READ_ERRORS as exc:
            raise OfficeFileError(f"{info.filename} 无法解压:{exc}") from None
        if len(part) > info.file_size:
            raise OfficeFileError(f"{info.filename} 解压后大于声明的大小,疑似压缩炸弹")
        budget -= len(part)
        if info.filename.lower().endswith((".xml", ".rels", ".vml")) or _starts_like_xml(part):
            _refuse_active_content(info.filename, _xml_text(info.filename, part))
        elif any(
            _DTD.search(part.decode(e, errors="replace")) for e in ("latin-1", "utf-16-le", "utf-16-be")
        ):
            raise OfficeFileError(f"{info.filename} 含 DTD/实体声明,Office 文件不会有,拒绝处理")
    archive.close()
    return kind


def office_zip_kind(data: bytes, limits: ZipLimits = ZipLimits()) -> str:
    """`check_office_zip` in a worker process under the limits' CPU, memory and time budget, after the
    central directory's checks here (they inflate nothing, so most bombs never cost a worker)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _refuse_directory(archive.infolist(), len(data), limits)
    except OfficeFileError:
        raise
    except Exception as exc:  # zipfile raises many kinds on a damaged archive
        raise OfficeFileError(f"文件损坏,不是有效的 zip 压缩包(.docx/.xlsx 都是 zip):{exc}") from None
    # At most two checks at once per process (the machine's cores); a third waits, then is refused.
    if not _SLOTS.acquire(timeout=limits.timeout):
        raise OfficeFileError("系统正忙于检查其他文件,请稍后再试")
    try:
        return run_limited(
            check_office_zip,
            data,
            limits,
            timeout=limits.timeout,
            cpu_seconds=limits.cpu_seconds,
            memory_bytes=limits.memory_bytes,
        )
    except WorkerLimitExceeded as exc:
        raise OfficeFileError(f"文件检查超出资源限制({exc}),疑似压缩炸弹,不予接收") from None
    finally:
        _SLOTS.release()


def open_office_zip(data: bytes, limits: ZipLimits = ZipLimits()) -> tuple[zipfile.ZipFile, str]:
    """The archive and 'docx' or 'xlsx', once every check has passed in a worker; else `OfficeFileError`."""
    kind = office_zip_kind(data, limits)
    return zipfile.ZipFile(io.BytesIO(data)), kind
