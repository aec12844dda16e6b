"""Uploaded files: what may be stored, and how it is handed back.

Evidence and agreements are checked by their content (not by the name a browser reports), kept
under random storage names, and served only through views that check access first — never from
a public media URL.

Uploaded Excel workbooks (the monitoring import) pass :func:`check_workbook` before anything
parses them: a size limit, the format by the first bytes, and the zip container inspected from
its central directory — entry count, total unpacked size, compression ratio — and the cell grid
each sheet would occupy once read, so that neither a «zip bomb» nor a tiny sheet with one cell
at XFD1048576 can exhaust the server's memory. docs/security-files.md lists the limits.
"""

import io
import mimetypes
import re
import unicodedata
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from html import unescape
from posixpath import join, normpath

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_EVIDENCE_BYTES = 15 * 1024 * 1024


@dataclass(frozen=True)
class Kind:
    label: str
    extension: str


PDF = Kind("PDF", "pdf")
PNG = Kind("PNG", "png")
JPEG = Kind("JPEG", "jpg")
DOCX = Kind("Word (DOCX)", "docx")
XLSX = Kind("Excel (XLSX)", "xlsx")
ODT = Kind("OpenDocument", "odt")
EVIDENCE_KINDS = (PDF, PNG, JPEG, DOCX, XLSX, ODT)


def sniff(head: bytes, upload) -> Kind | None:
    """The kind of a file by its first bytes (and, for zip containers, by what they hold)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            upload.seek(0)
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        finally:
            upload.seek(0)
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
        if "content.xml" in names and "mimetype" in names:
            return ODT
    return None


def check_upload(upload, kinds=EVIDENCE_KINDS, max_bytes=MAX_EVIDENCE_BYTES) -> Kind:
    """Raise a Russian ValidationError unless the file is small enough and of an allowed kind."""
    if upload.size == 0:
        raise ValidationError(_("The file «%s» is empty.") % upload.name)
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file «%(name)s» is larger than %(limit)s MB.")
            % {"name": upload.name, "limit": max_bytes // (1024 * 1024)}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head, upload)
    if kind not in kinds:
        allowed = ", ".join(k.label for k in kinds)
        raise ValidationError(
            _("The file «%(name)s» is not of an allowed type (%(allowed)s).")
            % {"name": upload.name, "allowed": allowed}
        )
    return kind


def random_name(kind: Kind) -> str:
    """A storage name that says nothing about the file: the person's name is only ever shown."""
    return f"{uuid.uuid4().hex}.{kind.extension}"


def safe_name(name: str, kind: Kind | None = None) -> str:
    """A display name with no path, control characters or surprises; Cyrillic is kept."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"[^\w\s.\-()«»№]+", "_", stem, flags=re.UNICODE)
    # Line breaks and tabs would end up in a Content-Disposition header: one space each.
    stem = " ".join(stem.split()).strip(" ._") or "file"
    extension = kind.extension if kind else (name.rsplit(".", 1)[-1] if "." in name else "")
    extension = re.sub(r"\W+", "", extension)[:10]
    return f"{stem[:120]}.{extension}" if extension else stem[:120]


def serve(field_file, display_name: str) -> FileResponse:
    """Send a stored file as a download under its safe display name."""
    content_type = mimetypes.guess_type(display_name)[0] or "application/octet-stream"
    response = FileResponse(
        field_file.open("rb"), as_attachment=True, filename=display_name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Uploaded Excel workbooks ------------------------------------------------------------------

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # CFB: .xls, or an encrypted (password) .xlsx
ZIP_MAGIC = b"PK\x03\x04"
# An encrypted OOXML file is a CFB container holding a stream of this name (MS-OFFCRYPTO).
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
# Apache POI's defaults (ZipSecureFile), tried on Excel's own files for years: an ordinary
# workbook has a few dozen parts and its XML packs 5–20 times; a part packed more than 100 times
# is what zip bombs are made of. Parts under 1 MiB unpacked are too small to matter.
WORKBOOK_MAX_PARTS = 1000
WORKBOOK_MAX_RATIO = 100
WORKBOOK_RATIO_FLOOR = 1024 * 1024
_MB = 1024 * 1024
_HEAD_BYTES = 4096


@dataclass(frozen=True)
class WorkbookLimits:
    """What an uploaded workbook may be: settings WORKBOOK_MAX_MB, WORKBOOK_MAX_UNPACKED_MB and
    WORKBOOK_MAX_CELLS (see settings.py)."""

    max_bytes: int
    max_unpacked_bytes: int
    max_cells: int

    @classmethod
    def from_settings(cls) -> "WorkbookLimits":
        return cls(
            max_bytes=settings.WORKBOOK_MAX_MB * _MB,
            max_unpacked_bytes=settings.WORKBOOK_MAX_UNPACKED_MB * _MB,
            max_cells=settings.WORKBOOK_MAX_CELLS,
        )


def _reject(message: str, code: str):
    raise ValidationError(message, code=code)


def read_bounded(upload, max_bytes: int | None = None) -> bytes:
    """An upload's bytes — at most one more than the workbook limit.

    Enough for :func:`check_workbook_size` to refuse a huge file with its usual message, without
    ever holding all of it in memory (Django has already spooled it to a temporary file).
    """
    limit = WorkbookLimits.from_settings().max_bytes if max_bytes is None else max_bytes
    upload.seek(0)
    return upload.read(limit + 1)


def check_workbook_size(size: int, limits: WorkbookLimits | None = None) -> None:
    """Refuse an empty file or one over the size limit (ValidationError, code `empty` or
    `too_large`)."""
    limits = limits or WorkbookLimits.from_settings()
    if size == 0:
        _reject(
            _("The file is empty. Choose a filled-in workbook (.xlsx) and upload it again."),
            "empty",
        )
    if size > limits.max_bytes:
        _reject(
            _(
                "The file is larger than %(limit)s MB: split it into parts or delete the sheets "
                "you do not need."
            )
            % {"limit": limits.max_bytes // _MB},
            "too_large",
        )


def check_workbook(upload, limits: WorkbookLimits | None = None) -> None:
    """Check that an upload is an .xlsx workbook that is safe to read; raise ValidationError.

    `upload` is bytes or a binary file (an UploadedFile). Nothing is unpacked beyond the zip's
    central directory and the worksheets' XML, each bounded by the limits checked before it is
    read. Error codes: `empty`, `too_large`, `encrypted`, `old_format`, `not_xlsx`, `damaged`,
    `too_big_unpacked`, `formula_without_value` — the caller may add advice for some.
    """
    limits = limits or WorkbookLimits.from_settings()
    stream = io.BytesIO(upload) if isinstance(upload, bytes | bytearray | memoryview) else upload
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    head = stream.read(_HEAD_BYTES)
    stream.seek(0)
    # A file of nothing but blanks and line breaks is empty too.
    check_workbook_size(0 if size <= _HEAD_BYTES and not head.strip() else size, limits)
    if head.startswith(OLE_MAGIC):
        # Within the size limit: looking through all of it for the stream's name is affordable.
        if _ENCRYPTED_STREAM in stream.read():
            _reject(_password_message(), "encrypted")
        _reject(
            _(
                "The file is saved in the old Excel 97–2003 format (.xls) or is "
                "password-protected. Open it in Excel, remove the password if there is one, save "
                "it as «Excel Workbook (*.xlsx)» and upload it again."
            ),
            "old_format",
        )
    if not head.startswith(ZIP_MAGIC):
        _reject(_not_xlsx_message(_kind_of(head)), "not_xlsx")
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            _check_archive(archive, limits)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
    ) as error:
        # A truncated or mangled archive, a bad CRC, a compression method nobody writes .xlsx with.
        raise ValidationError(_damaged_message(), code="damaged") from error
    finally:
        stream.seek(0)


def _password_message() -> str:
    return _(
        "The file is password-protected (encrypted): the portal cannot read it. Open it in Excel, "
        "remove the password (File → Info → Protect Workbook → Encrypt with Password → clear the "
        "password), save it as «Excel Workbook (*.xlsx)» and upload it again."
    )


def _damaged_message() -> str:
    return _("The file is damaged or is not an Excel workbook (.xlsx).")


def _not_xlsx_message(kind: str) -> str:
    return _(
        "The file is not an Excel workbook (.xlsx): it looks like %(kind)s with a changed "
        "extension."
    ) % {"kind": kind}


def _kind_of(head: bytes) -> str:
    """What a file that is not a zip archive seems to be, for the message."""
    if head.startswith(b"%PDF"):
        return _("a PDF document")
    if head.startswith(b"\x89PNG"):
        return _("a PNG image")
    if head.startswith(b"\xff\xd8\xff"):
        return _("a JPEG image")
    if b"\x00" in head:
        return _("a file of another format")
    return _("a text file (for example, CSV)")


def _check_archive(archive: zipfile.ZipFile, limits: WorkbookLimits) -> None:
    parts = archive.infolist()
    if len(parts) > WORKBOOK_MAX_PARTS:
        _reject(
            _(
                "The file has too many parts (%(count)s, at most %(limit)s): it is not an ordinary "
                "workbook. Save it in Excel as «Excel Workbook (*.xlsx)» and upload it again."
            )
            % {"count": len(parts), "limit": WORKBOOK_MAX_PARTS},
            "too_big_unpacked",
        )
    names = {part.filename for part in parts}
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            _reject(_not_xlsx_message(_("a Word document")), "not_xlsx")
        if "mimetype" in names and "content.xml" in names:
            _reject(_not_xlsx_message(_("an OpenDocument file")), "not_xlsx")
        if "xl/workbook.bin" in names:
            _reject(_not_xlsx_message(_("a binary Excel workbook (.xlsb)")), "not_xlsx")
        _reject(_damaged_message(), "damaged")
    if any(part.flag_bits & 0x1 for part in parts):  # zip-level encryption of a part
        _reject(_password_message(), "encrypted")
    # The central directory's sizes are what the readers trust: Python's zipfile and calamine
    # both stop (with an error) at the declared size, so a part cannot unpack to more.
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_unpacked_bytes:
        _reject(
            _(
                "Unpacked, the file would take %(size)s MB, more than the %(limit)s MB allowed (a "
                "protection against «zip bombs»). Delete the sheets, formatting and empty rows you "
                "do not need, or split the data into several files."
            )
            % {"size": -(-unpacked // _MB), "limit": limits.max_unpacked_bytes // _MB},
            "too_big_unpacked",
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > WORKBOOK_RATIO_FLOOR and ratio > WORKBOOK_MAX_RATIO:
            _reject(
                _(
                    "Part «%(part)s» of the file is packed %(ratio)s times, far more than an "
                    "ordinary workbook (at most %(limit)s times): the file looks like a «zip bomb» "
                    "and is not read. Copy the data into a new workbook and upload that."
                )
                % {"part": part.filename, "ratio": int(ratio), "limit": WORKBOOK_MAX_RATIO},
                "too_big_unpacked",
            )
    sheets = _sheet_names(archive)
    for part in parts:
        if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
            sheet = sheets.get(part.filename, part.filename)
            _check_sheet_xml(archive.read(part), sheet, limits)


# Parts read whole to map sheet files to names; an ordinary one is a few kilobytes.
_SMALL_PART = 4 * _MB
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')


def _attributes(tag: bytes) -> dict[str, str]:
    return {
        key.decode("ascii", "replace").rsplit(":", 1)[-1] if key != b"r:id" else "r:id": unescape(
            value.decode("utf-8", "replace")
        )
        for key, value in _ATTRIBUTE.findall(tag)
    }


def _small_part(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return b""
    return archive.read(info) if info.file_size <= _SMALL_PART else b""


def workbook_sheets(archive: zipfile.ZipFile) -> list[dict[str, str]]:
    """The sheets of an .xlsx as listed in xl/workbook.xml: their attributes (`name`, `state`,
    `r:id`…) and `part`, the worksheet's path in the archive ("" when it cannot be found)."""
    targets = {}
    for tag in _REL_TAG.findall(_small_part(archive, "xl/_rels/workbook.xml.rels")):
        rel = _attributes(tag)
        target = rel.get("Target", "")
        targets[rel.get("Id", "")] = (
            target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
        )
    sheets = []
    for tag in _SHEET_TAG.findall(_small_part(archive, "xl/workbook.xml")):
        sheet = _attributes(tag)
        sheet["part"] = targets.get(sheet.get("r:id", sheet.get("id", "")), "")
        sheets.append(sheet)
    return sheets


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    return {s["part"]: s.get("name", s["part"]) for s in workbook_sheets(archive) if s["part"]}


# --- the cell grid of a worksheet --------------------------------------------------------------
# calamine (the reader pandas uses here) turns a sheet into a dense rectangle from A1 to its last
# cell: one cell at ZZ200000 costs 140 million cells and gigabytes of memory, from a file of a
# few kilobytes. So the extent is measured on the XML first. Every writer seen (Excel,
# LibreOffice, openpyxl, the portal) starts a cell with `<c r="…"`: the fast path reads those
# references with numpy (a pure-Python pass over 2.4 million cells would take seconds) and
# checks that every cell has one; anything else takes the slow path, which follows the reader's
# own rules for cells and rows without a reference.

_SCAN_CHUNK = 8 * _MB
_REF_WINDOW = 14  # `<c r="` is followed by at most 4 letters, 9 digits and the closing quote
_TAG_END = np.zeros(256, dtype=bool)  # what may follow a tag's name: `<c `, `<c>`, `<c/>`…
_TAG_END[[ord(c) for c in " >/\n\r\t"]] = True
_CELL_OPEN = np.frombuffer(b'<c r="', dtype=np.uint8)
_SLOW_TOKENS = re.compile(rb"<row\b([^>]*)>|<c\b([^>]*?)/?>")
_R_ATTRIBUTE = re.compile(rb'\sr="([A-Z]{0,4})0*([0-9]{0,9})"')
_FORMULA_WITHOUT_VALUE = re.compile(
    rb'<c r="([A-Z]{1,4}[0-9]{1,9})"[^>]*>\s*<f\b(?:[^>]*/>|[^>]*>[^<]*</f>)\s*'
    rb"(?:</c>|<is>|<v\s*/>|<v>\s*</v>)"  # no value, or an empty one (openpyxl writes `<v />`)
)


def column_number(letters: bytes | str) -> int:
    """A1-style column letters as a number: A → 1, Z → 26, AA → 27."""
    number = 0
    for char in letters.encode() if isinstance(letters, str) else letters:
        number = number * 26 + (char - 64)
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def _chunks(xml: bytes):
    """The XML in pieces cut just before a `<`: no tag is split, memory stays bounded."""
    start = 0
    while start < len(xml):
        end = min(start + _SCAN_CHUNK, len(xml))
        if end < len(xml):
            cut = xml.rfind(b"<", start + 1, end)
            end = cut if cut > start else end
        yield xml[start:end]
        start = end


def _scan_chunk(chunk: bytes) -> tuple[int, int, bool] | None:
    """(last row, last column, has formulas) of the cells in `chunk`; None when a cell does not
    start with a plain `<c r="A1"` reference (then the slow path decides)."""
    data = np.frombuffer(chunk + b"\0" * (_REF_WINDOW + 8), dtype=np.uint8)
    size = len(chunk)
    opens = (data[:size] == ord("<")) & _TAG_END[data[2 : size + 2]]
    formulas = bool((opens & (data[1 : size + 1] == ord("f"))).any())
    cells = np.flatnonzero(opens & (data[1 : size + 1] == ord("c")))
    if not len(cells):
        return 0, 0, formulas
    for offset, byte in enumerate(_CELL_OPEN):
        if (data[cells + offset] != byte).any():
            return None
    window = data[cells[:, None] + (len(_CELL_OPEN) + np.arange(_REF_WINDOW, dtype=np.intp))]
    upper = (window >= ord("A")) & (window <= ord("Z"))
    digit = (window >= ord("0")) & (window <= ord("9"))
    letters = np.argmin(upper, axis=1)  # the first symbol that is not a letter
    after_letters = np.arange(_REF_WINDOW) >= letters[:, None]
    numbers = np.argmin(np.where(after_letters, digit, True), axis=1) - letters
    quote = window[np.arange(len(cells)), letters + numbers]
    if ((letters < 1) | (letters > 4) | (numbers < 1) | (numbers > 9) | (quote != ord('"'))).any():
        return None
    # Only the largest reference counts: among the ones with the most letters (digits), the
    # largest is the one whose letters (digits) compare largest, read as a number.
    longest = int(letters.max())
    chosen = window[letters == longest, :longest].astype(np.int64) - ord("A") + 1
    columns = int((chosen @ 26 ** np.arange(longest - 1, -1, -1)).max())
    widest = int(numbers.max())
    picked = np.flatnonzero(numbers == widest)
    digits = window[picked[:, None], letters[picked, None] + np.arange(widest)]
    rows = int(((digits.astype(np.int64) - ord("0")) @ 10 ** np.arange(widest - 1, -1, -1)).max())
    return rows, columns, formulas


def sheet_extent(xml: bytes) -> tuple[int, int, bool]:
    """(last row, last column, has formulas) of the rectangle a reader builds for a sheet."""
    rows = columns = 0
    formulas = False
    for chunk in _chunks(xml):
        found = _scan_chunk(chunk)
        if found is None:
            return (*_slow_extent(xml), b"<f" in xml)
        rows, columns, formulas = max(rows, found[0]), max(columns, found[1]), formulas or found[2]
    return rows, columns, formulas


def _slow_extent(xml: bytes) -> tuple[int, int]:
    """The reader's rules for cells without a leading `r`: a row without `r` follows the
    previous one, a cell without `r` the previous cell of its row."""
    row = rows = columns = column = 0
    for match in _SLOW_TOKENS.finditer(xml):
        row_attributes, cell_attributes = match.group(1), match.group(2)
        if row_attributes is not None:
            found = _R_ATTRIBUTE.search(b" " + row_attributes)
            row = int(found.group(2)) if found and found.group(2) else row + 1
            column = 0
            rows = max(rows, row)
            continue
        found = _R_ATTRIBUTE.search(b" " + cell_attributes)
        if found and found.group(1):
            column = column_number(found.group(1))
            if found.group(2):
                rows = max(rows, int(found.group(2)))
        else:
            column += 1
        columns = max(columns, column)
    return max(rows, row), columns


def _check_sheet_xml(xml: bytes, sheet: str, limits: WorkbookLimits) -> None:
    rows, columns, formulas = sheet_extent(xml)
    if rows * columns > limits.max_cells:
        _reject(
            _(
                "Sheet «%(sheet)s» reaches cell %(cell)s (rows: %(rows)s, columns: %(columns)s), "
                "more than the %(limit)s cells allowed. Delete the empty rows and columns beyond "
                "the table (select them and choose «Delete») and upload the file again."
            )
            % {
                "sheet": sheet,
                "rows": f"{rows:,}".replace(",", "\u00a0"),
                "columns": f"{columns:,}".replace(",", "\u00a0"),
                "cell": f"{column_letters(columns)}{rows}",
                "limit": f"{limits.max_cells:,}".replace(",", "\u00a0"),
            },
            "too_big_unpacked",
        )
    if formulas:
        cells = [ref.decode() for ref in _FORMULA_WITHOUT_VALUE.findall(xml)[:6]]
        if cells:
            shown = ", ".join(cells[:5]) + ("…" if len(cells) > 5 else "")
            _reject(
                ngettext(
                    "Sheet «%(sheet)s», cell %(cells)s: a formula without a computed value (the "
                    "file was saved by a program that does not calculate formulas). Open the file "
                    "in Excel or LibreOffice Calc, save it and upload it again.",
                    "Sheet «%(sheet)s», cells %(cells)s: formulas without computed values (the "
                    "file was saved by a program that does not calculate formulas). Open the file "
                    "in Excel or LibreOffice Calc, save it and upload it again.",
                    len(cells),
                )
                % {"sheet": sheet, "cells": shown},
                "formula_without_value",
            )
