"""PDF documents: Cyrillic text and charts come out, nothing is fetched from the network."""

import shutil
import socket
import subprocess
from urllib.parse import unquote

import pytest
from django.template import Context, Template

from zelenchuk_portal import pdf
from zelenchuk_portal.charts import Bar, ReferenceLine, bar_chart
from zelenchuk_portal.pdf import (
    PDF_BASE_URL,
    RefusedURL,
    content_disposition,
    find_static_file,
    make_url_fetcher,
    pdf_response,
    render_pdf,
    render_pdf_from_string,
)

DOCUMENT = """{% extends "pdf/base.html" %}
{% block title %}Аналитическая справка{% endblock %}
{% block letterhead %}<div class="letterhead"><span class="org">Управление образования
Зеленчукского района</span></div>{% endblock %}
{% block content %}
<h1 class="doc-title">Справка о результатах мониторинга</h1>
<p>Съешь же ещё этих мягких французских булок, да выпей чаю.</p>
<div class="chart">{{ chart }}</div>
{% if rows %}<table class="grid"><thead><tr><th>Организация</th><th class="num">Индекс</th></tr>
</thead><tbody>{% for row in rows %}<tr><td>{{ row }}</td><td class="num">50,0</td></tr>
{% endfor %}</tbody></table>{% endif %}
{% if external %}<img src="http://example.com/x.png"><link rel="stylesheet"
href="https://cdn.example.com/x.css">{% endif %}
<div class="signature"><span>Начальник управления</span><span>И. И. Иванов</span></div>
{% endblock %}"""


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def html(**context):
    chart = bar_chart(
        [Bar("МКОУ «СОШ № 1»", 62.5, "optimal"), Bar("МКОУ «Гимназия № 2»", 48.0, "critical")],
        title="Индекс эффективности",
        unit="%",
        reference_lines=[ReferenceLine(55.0, "Медиана")],
    )
    return Template(DOCUMENT).render(Context({"chart": chart, **context}))


def pdf_text(data: bytes, tmp_path, *pages: str) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    args = ["pdftotext", "-layout", *pages, str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def test_pdf_has_cyrillic_text_chart_and_page_numbers(tmp_path, no_network):
    data = render_pdf_from_string(html())
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    assert "Справка о результатах мониторинга" in text
    assert "Съешь же ещё этих мягких французских булок" in text
    assert "Управление образования" in text
    # The chart's text is drawn as text, not as a picture.
    assert "Индекс эффективности" in text
    assert "62,5" in text and "Медиана" in text and "оптимальный" in text
    assert "стр. 1 из 1" in text


def test_pdf_loads_and_embeds_the_shipped_fonts(tmp_path, monkeypatch):
    asked = []
    real = pdf.find_static_file

    def recording(relative):
        asked.append(relative)
        return real(relative)

    monkeypatch.setattr(pdf, "find_static_file", recording)
    data = render_pdf_from_string(html())
    assert {
        "fonts/LiberationSerif-Regular.ttf",
        "fonts/LiberationSerif-Bold.ttf",
        "fonts/LiberationSans-Regular.ttf",
        "fonts/LiberationSans-Bold.ttf",
    } <= set(asked)
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts (poppler-utils) is not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True)
    names = fonts.stdout.replace("-", "")
    assert "LiberationSerif" in names  # body text
    assert "LiberationSans" in names  # chart and table


def test_long_tables_repeat_their_header_on_every_page(tmp_path):
    rows = [f"Организация № {i}" for i in range(1, 121)]
    data = render_pdf_from_string(html(rows=rows))
    last_page = pdf_text(data, tmp_path, "-f", "3", "-l", "3")
    assert "Организация" in last_page and "Индекс" in last_page
    assert "Организация № 120" in pdf_text(data, tmp_path)
    assert "из 3" in last_page or "из 4" in last_page


def test_external_resources_are_skipped_without_network(no_network):
    data = render_pdf_from_string(html(external=True))
    assert data.startswith(b"%PDF")


def test_render_pdf_takes_a_template_name(settings, tmp_path):
    (tmp_path / "report.html").write_text(DOCUMENT, encoding="utf-8")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    data = render_pdf("report.html", {"chart": "", "rows": ["Школа"]})
    assert data.startswith(b"%PDF")
    assert "Школа" in pdf_text(data, tmp_path)


# --- the URL fetcher -----------------------------------------------------------------------------


def test_fetcher_refuses_the_network(no_network):
    fetcher = make_url_fetcher()
    for url in (
        "http://example.com/x.png",
        "https://cdn.example.com/static/fonts/LiberationSans-Regular.ttf",
        "ftp://example.com/x",
        "//example.com/x.png",
    ):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


@pytest.mark.parametrize(
    "url",
    [
        f"{PDF_BASE_URL}static/../zelenchuk_portal/settings.py",
        f"{PDF_BASE_URL}static/%2e%2e/zelenchuk_portal/settings.py",
        f"{PDF_BASE_URL}static/fonts/../../manage.py",
        f"{PDF_BASE_URL}media/x.pdf",
        "file:///etc/passwd",
        f"{PDF_BASE_URL}static/fonts/no-such-font.ttf",
    ],
)
def test_fetcher_refuses_anything_outside_the_static_folders(url):
    with pytest.raises(RefusedURL):
        make_url_fetcher().fetch(url)


def test_fetcher_serves_static_files_and_data_urls():
    fetcher = make_url_fetcher()
    font = fetcher.fetch(f"{PDF_BASE_URL}static/fonts/LiberationSerif-Regular.ttf")
    assert font.read(4) == b"\x00\x01\x00\x00"  # a TrueType file
    assert font.content_type == "font/ttf"
    font.close()
    data = fetcher.fetch("data:text/plain;base64,0J/RgNC40LLQtdGC")
    assert data.read().decode() == "Привет"
    data.close()


def test_fetcher_trusts_the_requests_own_host(rf):
    request = rf.get("/", HTTP_HOST="localhost")
    fetcher = make_url_fetcher(request=request)
    response = fetcher.fetch("http://localhost/static/fonts/LiberationSans-Bold.ttf")
    assert response.read(4) == b"\x00\x01\x00\x00"
    response.close()
    with pytest.raises(RefusedURL):
        make_url_fetcher().fetch("http://localhost/static/fonts/LiberationSans-Bold.ttf")


def test_find_static_file():
    assert find_static_file("fonts/LiberationSans-Regular.ttf").name == "LiberationSans-Regular.ttf"
    assert find_static_file("fonts/LICENSE-Liberation-OFL.txt") is not None
    assert find_static_file("../manage.py") is None
    assert find_static_file("/etc/passwd") is None


# --- responses -----------------------------------------------------------------------------------


def test_pdf_response_is_inline_with_a_cyrillic_filename():
    response = pdf_response(b"%PDF-1.7 test", "Справка «СОШ № 1» 2024.pdf")
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline; ")
    assert 'filename="Spravka' in disposition and disposition.isascii()
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "Справка «СОШ № 1» 2024.pdf"
    assert response["Content-Length"] == str(len(b"%PDF-1.7 test"))


def test_content_disposition_cleans_names():
    assert content_disposition("report.pdf", attachment=True) == 'attachment; filename="report.pdf"'
    value = content_disposition('../../etc/"x"\r\n.pdf', attachment=False)
    assert "\r" not in value and "\n" not in value and "/" not in value.split("filename")[1]
    assert content_disposition("Отчёт.pdf", attachment=True).startswith(
        "attachment; filename=\"Otchet.pdf\"; filename*=UTF-8''"
    )
