"""Uploaded files: what may be stored, and how it is handed back.

Evidence and agreements are checked by their content (not by the name a browser reports), kept
under random storage names, and served only through views that check access first — never from
a public media URL.
"""

import mimetypes
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _

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


def safe_name(name: str, kind: Kind | None = None) -> str:
    """A display name with no path, control characters or surprises; Cyrillic is kept."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"[^\w\s.\-()«»№]+", "_", stem, flags=re.UNICODE).strip(" ._") or "file"
    extension = kind.extension if kind else (name.rsplit(".", 1)[-1] if "." in name else "")
    return f"{stem[:120]}.{extension}" if extension else stem[:120]


def serve(field_file, display_name: str) -> FileResponse:
    """Send a stored file as a download under its safe display name."""
    content_type = mimetypes.guess_type(display_name)[0] or "application/octet-stream"
    response = FileResponse(
        field_file.open("rb"), as_attachment=True, filename=display_name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
