"""PDF documents: a Django template (extending ``pdf/base.html``) rendered by WeasyPrint.

Nothing is fetched from the network while a PDF is made: the URL fetcher serves only files from
the project's static folders (the source folders in development, ``STATIC_ROOT`` after
``collectstatic``) and ``data:`` URLs, and refuses every other address. The fonts come from
``static/fonts`` so the PDF looks the same on every machine, whatever fonts it has installed.

WeasyPrint is imported when the first PDF is made, not when Django starts: pages that never make
a PDF do not pay for loading Pango.
"""

from __future__ import annotations

import contextlib
import mimetypes
import re
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

# Documents are laid out as if served from this address; `{% static %}` URLs ("/static/…")
# resolve against it and the fetcher maps them back to files. `.invalid` never resolves (RFC 6761),
# so even a fetcher bug could not reach a real host.
PDF_BASE_URL = "https://zelenchuk-portal.invalid/"
_PDF_HOST = urlsplit(PDF_BASE_URL).hostname

_CONTENT_TYPES = {
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".css": "text/css",
}


class RefusedURL(ValueError):
    """The PDF asked for something outside the static folders (WeasyPrint logs and skips it)."""


def _static_prefix() -> str:
    path = urlsplit(settings.STATIC_URL).path
    return "/" + path.strip("/") + "/"


def _static_roots() -> list[Path]:
    roots = [Path(settings.STATIC_ROOT)] if getattr(settings, "STATIC_ROOT", None) else []
    for entry in getattr(settings, "STATICFILES_DIRS", ()):
        roots.append(Path(entry[1] if isinstance(entry, list | tuple) else entry))
    return [root.resolve() for root in roots]


def find_static_file(relative: str) -> Path | None:
    """The file behind a static path such as ``fonts/LiberationSans-Regular.ttf``, or None.

    Looks where ``{% static %}`` would: the staticfiles finders (project and app folders) and,
    for the hashed names of a collected deployment, ``STATIC_ROOT``. Never leaves those folders.
    """
    from django.contrib.staticfiles import finders

    parts = PurePosixPath(relative).parts
    if not relative or relative.startswith("/") or ".." in parts or "\\" in relative:
        return None
    allowed = _static_roots()
    candidates = []
    try:
        found = finders.find(relative)
    except Exception:  # SuspiciousFileOperation and the like: treat as not found
        found = None
    if found:
        candidates.append(Path(found))
        # Files that app finders find (django.contrib.admin…) are allowed too.
        allowed.append(Path(found).resolve().parent)
    if getattr(settings, "STATIC_ROOT", None):
        candidates.append(Path(settings.STATIC_ROOT) / relative)
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_file() and any(resolved.is_relative_to(root) for root in allowed):
            return resolved
    return None


def _weasyprint():
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    return weasyprint, URLFetcher, URLFetcherResponse


def make_url_fetcher(*, request=None):
    """A WeasyPrint URL fetcher that serves static files and ``data:`` URLs, nothing else.

    Accepted: ``https://zelenchuk-portal.invalid/static/…`` (what relative and root-relative
    URLs in the template resolve to), the same path on the request's own host (for templates
    that build absolute URLs), ``file:`` URLs inside the static folders and ``data:`` URLs.
    Everything else raises :class:`RefusedURL` before any connection is attempted.
    """
    _, URLFetcher, URLFetcherResponse = _weasyprint()
    hosts = {_PDF_HOST}
    static_host = urlsplit(settings.STATIC_URL).hostname
    if static_host:  # STATIC_URL on another host: its files are still read from disk here
        hosts.add(static_host.lower())
    if request is not None:
        # A host outside ALLOWED_HOSTS (DisallowedHost) is simply not trusted.
        with contextlib.suppress(Exception):
            hosts.add(request.get_host().split(":")[0].lower())

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)  # decoded in memory, no I/O
            if scheme in ("http", "https") and (parts.hostname or "").lower() in hosts:
                prefix = _static_prefix()
                path = unquote(parts.path)
                if path.startswith(prefix):
                    return self._serve(url, path[len(prefix) :])
            elif scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                for root in _static_roots():
                    if path.is_relative_to(root):
                        return self._serve(url, path.relative_to(root).as_posix())
            raise RefusedURL(f"Not a static file of the portal, not fetched: {url[:200]}")

        def _serve(self, url, relative):
            found = find_static_file(relative)
            if found is None:
                raise RefusedURL(f"No such static file: {relative[:200]}")
            content_type = (
                _CONTENT_TYPES.get(found.suffix.lower())
                or mimetypes.guess_type(found.name)[0]
                or "application/octet-stream"
            )
            return URLFetcherResponse(
                url, found.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticOnlyFetcher()


def render_pdf_from_string(html: str, *, request=None, base_url: str = PDF_BASE_URL) -> bytes:
    """Finished HTML → PDF bytes, with the static-only URL fetcher."""
    weasyprint, _, _ = _weasyprint()
    document = weasyprint.HTML(
        string=html, base_url=base_url, url_fetcher=make_url_fetcher(request=request)
    )
    return document.write_pdf()


def render_pdf(template_name: str, context: dict, *, request=None) -> bytes:
    """Render a template that ``{% extends "pdf/base.html" %}`` and return the PDF bytes.

    With a `request` the template gets the usual context processors (user, messages…).
    """
    html = render_to_string(template_name, context, request=request)
    return render_pdf_from_string(html, request=request)


# --- responses -----------------------------------------------------------------------------------

_TRANSLIT = {
    **dict(zip("абвгдеёзийклмнопрстуфыэ", "abvgdeeziyklmnoprstufye", strict=True)),
    **{"ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ю": "yu", "я": "ya"},
    **{"ъ": "", "ь": ""},
}
_RFC5987_SAFE = "!#$&+-.^_`|~"


def _clean_filename(filename: str) -> str:
    name = unicodedata.normalize("NFC", str(filename)).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # no controls
    return name.replace('"', "'").strip() or "document"


def _ascii_filename(name: str) -> str:
    out = []
    for char in name:
        lower = char.lower()
        if lower in _TRANSLIT:
            latin = _TRANSLIT[lower]
            out.append(latin.capitalize() if char != lower else latin)
        elif char.isascii() and (char.isalnum() or char in " ._-()"):
            out.append(char)
        else:
            out.append("_")
    return re.sub(r"_+", "_", "".join(out)).strip(" _") or "document"


def content_disposition(filename: str, *, attachment: bool) -> str:
    """A Content-Disposition value with an ASCII ``filename`` and the RFC 5987 ``filename*``.

    Old clients read the transliterated ``filename`` («Otchet_2024.pdf»), current browsers the
    UTF-8 ``filename*`` («Отчёт 2024.pdf»).
    """
    name = _clean_filename(filename)
    fallback = _ascii_filename(name)
    value = f'{"attachment" if attachment else "inline"}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe=_RFC5987_SAFE)}"
    return value


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """The PDF shown in the browser (inline), saved under `filename` (Cyrillic kept)."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(filename, attachment=False)
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    return response
