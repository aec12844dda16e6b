"""The bad-input corpus: broken and hostile workbooks, built when the tests run.

Nothing binary is committed: each case is a function that turns a valid base — the period's own
template filled with plausible values, as `test_bad_input_corpus.py` prepares it — into one bad
file. The expectation travels with the case: where the import must point (sheet, Excel row,
column letter, input code) and what its Russian message must say.

Low-level writers below build what openpyxl cannot: a zip whose part inflates to hundreds of
megabytes from a few hundred kilobytes (the same deflate segment repeated, no 400 MB string is
ever made), a legacy .xls container (Compound File Binary, as Excel 97–2003 writes it), cached
values of formulas. The password-protected file is a real one, encrypted by msoffcrypto-tool
the way Excel encrypts (ECMA-376 agile encryption; a dev dependency).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import openpyxl
from django.conf import settings

DATA = "Данные"
PERIOD = "Справочные значения"
MB = 1024 * 1024


@dataclass(frozen=True)
class Base:
    """The valid starting point: the period's template with values, and where things are."""

    workbook: bytes
    columns: dict[str, str]  # input code → column letter on «Данные»
    rows: dict[str, int]  # organisation code → Excel row on «Данные»
    period_label: str
    period_rows: dict[str, int]  # period input code → Excel row on «Справочные значения»

    def at(self, code: str, org: str = "A01") -> str:
        return f"{self.columns[code]}{self.rows[org]}"


@dataclass(frozen=True)
class Place:
    sheet: str
    row: int | None
    column: str
    code: str


@dataclass(frozen=True)
class Case:
    """One bad file. `places(base)` gives the issues the import must list (None: the file is
    refused as a whole, with one message); `says` are fragments of the messages."""

    name: str
    build: Callable[[Base], bytes]
    says: tuple[str, ...]
    places: Callable[[Base], list[Place]] | None = None
    upload_name: str = "данные.xlsx"
    kept: bool = True  # the import record keeps the file (not one over the size limit)


# --- editing a workbook ------------------------------------------------------------------------


def edit(data: bytes, cells=None, fn=None, sheet=DATA) -> bytes:
    """Set `cells` ({"D2": value}) on `sheet` and/or call `fn(workbook)`; the file as saved."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for ref, value in (cells or {}).items():
        book[sheet][ref] = value
    if fn:
        fn(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite_parts(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    """The zip with every part passed through `change(name, content)`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
    return out.getvalue()


def sheet_part(data: bytes, title: str) -> str:
    """The zip path of a sheet, found through xl/workbook.xml and its relationships."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    position = book.sheetnames.index(title) + 1
    book.close()
    return f"xl/worksheets/sheet{position}.xml"  # how openpyxl numbers them when it saves


def replace_cell_xml(data: bytes, ref: str, xml: str, sheet: str = DATA) -> bytes:
    """Swap the XML of cell `ref` (which must hold a value) for `xml`."""
    part = sheet_part(data, sheet)
    pattern = re.compile(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'.encode(), re.S)

    def change(name: str, content: bytes) -> bytes:
        if name != part:
            return content
        changed, count = pattern.subn(xml.encode(), content, count=1)
        assert count == 1, f"cell {ref} not found in {part}"
        return changed

    return rewrite_parts(data, change)


def add_rows_xml(data: bytes, xml: str, sheet: str = DATA) -> bytes:
    """`xml` (rows) added at the end of the sheet's data."""
    part = sheet_part(data, sheet)

    def change(name: str, content: bytes) -> bytes:
        return (
            content.replace(b"</sheetData>", xml.encode() + b"</sheetData>")
            if name == part
            else content
        )

    return rewrite_parts(data, change)


# --- low-level writers ---------------------------------------------------------------------------


def raw_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from pre-deflated parts: (name, raw deflate data, CRC-32, unpacked size)."""
    out = io.BytesIO()
    central = []
    deflate, version = 8, 20
    for name, packed, crc, size in entries:
        offset = out.tell()
        encoded = name.encode()
        sizes = (crc, len(packed), size, len(encoded), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, version, 0, deflate, 0, 0, *sizes))
        out.write(encoded + packed)
        record = (0x02014B50, version, version, 0, deflate, 0, 0, *sizes, 0, 0, 0, 0, offset)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", *record) + encoded)
    directory = b"".join(central)
    start = out.tell()
    out.write(directory)
    count = len(entries)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), start, 0))
    return out.getvalue()


def deflated(content: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(content) + packer.flush(), zlib.crc32(content), len(content)


def repeated_deflate(prefix: bytes, filler: bytes, times: int, suffix: bytes):
    """prefix + filler × times + suffix, deflated without ever building it: the filler is
    compressed once after a full flush (no back-references across it) and repeated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = packer.compress(prefix) + packer.flush(zlib.Z_FULL_FLUSH)
    segment = packer.compress(filler) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.compress(suffix) + packer.flush()
    crc = zlib.crc32(prefix)
    for _ in range(times):
        crc = zlib.crc32(filler, crc)
    crc = zlib.crc32(suffix, crc)
    size = len(prefix) + len(filler) * times + len(suffix)
    return head + segment * times + tail, crc, size


def bomb(base: Base, unpacked: int) -> bytes:
    """The base workbook whose «Данные» sheet carries `unpacked` bytes of blanks inside its
    sheetData: valid XML, valid zip (right sizes and CRC), a few hundred kilobytes packed."""
    source = zipfile.ZipFile(io.BytesIO(base.workbook))
    part = sheet_part(base.workbook, DATA)
    entries = []
    for info in source.infolist():
        content = source.read(info)
        if info.filename != part:
            entries.append((info.filename, *deflated(content)))
            continue
        cut = content.index(b"</sheetData>")
        filler = b" " * MB
        times = max(1, (unpacked - len(content)) // MB + 1)
        packed = repeated_deflate(content[:cut], filler, times, content[cut:])
        entries.append((info.filename, *packed))
    return raw_zip(entries)


def cfb_xls() -> bytes:
    """A minimal Excel 97–2003 file: a Compound File Binary container (MS-CFB, version 3) with
    one «Workbook» stream holding a BIFF8 BOF and EOF record."""
    sector, end, free, fat_mark, no_stream = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)
    workbook = (bof + struct.pack("<HH", 0x000A, 0)).ljust(4096, b"\0")  # ≥ mini-stream cutoff
    data_sectors = len(workbook) // sector  # sectors 2…9
    header = bytearray(sector)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    difat = [0] + [free] * 108
    struct.pack_into("<109I", header, 76, *difat)
    fat = [fat_mark, end] + [3 + i for i in range(data_sectors - 1)] + [end]
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        raw = bytearray(128)
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, no_stream, no_stream, child)
        struct.pack_into("<IQ", raw, 116, start, size)
        return bytes(raw)

    directory = (
        entry("Root Entry", 5, 1, end, 0)
        + entry("Workbook", 2, no_stream, 2, len(workbook))
        + entry("", 0, no_stream, 0, 0) * 2
    )
    return bytes(header) + struct.pack(f"<{sector // 4}I", *fat) + directory + workbook


def encrypted(data: bytes, password: str = "Пароль-2024") -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def scrambled_part(base: Base) -> bytes:
    """The zip intact, the packed bytes of the «Данные» sheet scrambled halfway through."""
    data = bytearray(base.workbook)
    info = zipfile.ZipFile(io.BytesIO(base.workbook)).getinfo(sheet_part(base.workbook, DATA))
    start = info.header_offset + 30 + len(info.filename.encode()) + info.compress_size // 2
    for pos in range(start, start + 64):
        data[pos] ^= 0x5A
    return bytes(data)


def huge(base: Base) -> bytes:
    """A genuine workbook followed by zeros up to one byte past the size limit."""
    limit = settings.WORKBOOK_MAX_MB * MB
    return base.workbook + bytes(limit + 1 - len(base.workbook))


def with_core_keywords(data: bytes, keywords: str) -> bytes:
    def change(name: str, content: bytes) -> bytes:
        if name != "docProps/core.xml":
            return content
        stamp = f"<cp:keywords>{keywords}</cp:keywords>".encode()
        return re.sub(rb"<cp:keywords>[^<]*</cp:keywords>", stamp, content)

    return rewrite_parts(data, change)


def hide_data_sheet(book) -> None:
    """«Данные» hidden behind a visible copy of it: what the official checks is not what the
    import would read once the copy and the hidden sheet differ."""
    decoy = book.copy_worksheet(book[DATA])
    decoy.title = "Данные (проверено)"
    book.move_sheet(decoy, offset=-(len(book.sheetnames) - 1))
    book[DATA].sheet_state = "hidden"
    book.active = 0


def merge_codes(book) -> None:
    sheet = book[DATA]
    sheet["A3"] = None
    sheet.merge_cells("A2:A3")


def empty_workbook(_base: Base) -> bytes:
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    return out.getvalue()


def docx_renamed(_base: Base) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


# --- the corpus ----------------------------------------------------------------------------------


def cell(code: str, org: str = "A01", sheet: str = DATA):
    """`places` for one issue at input `code` of organisation `org`."""
    return lambda base: [Place(sheet, base.rows[org], base.columns[code], code)]


def code_cell(org_row: str):
    return lambda base: [Place(DATA, base.rows[org_row], "A", "")]


def _formula_cached(base: Base) -> bytes:
    ref = base.at("teachers_total")
    return replace_cell_xml(base.workbook, ref, f'<c r="{ref}"><f>10-13</f><v>-3</v></c>')


CASES: tuple[Case, ...] = (
    Case(
        "wrong_columns",
        lambda b: edit(b.workbook, {"A1": "Код организации"}),
        ("На листе «Данные» не найден столбец «Код ОО»",),
    ),
    Case(
        "duplicate_column",
        lambda b: edit(
            b.workbook, {b.columns["honors"] + "1": "Число выпускников 9 (grad9_total)"}
        ),
        ("уже есть в столбце", "оставьте один столбец"),
        lambda b: [Place(DATA, 1, b.columns["honors"], "grad9_total")],
    ),
    Case(
        "missing_sheet",
        lambda b: edit(b.workbook, fn=lambda book: book.remove(book[DATA])),
        ("В книге нет листа «Данные»", "на первом листе «Справочные значения»"),
    ),
    Case(
        "text_in_number_cell",
        lambda b: edit(b.workbook, {b.at("grad9_total"): "тридцать два"}),
        ("Значение «тридцать два» не является числом.",),
        cell("grad9_total"),
    ),
    Case(
        "negative_count",
        lambda b: edit(b.workbook, {b.at("teachers_total", "B02"): -12}),
        ("Значение -12 вне допустимого диапазона: от 0 до 5000.",),
        cell("teachers_total", "B02"),
    ),
    Case(
        "share_over_100_percent",
        lambda b: edit(b.workbook, {b.at("vpr_share_2"): "150%"}),
        ("Значение 150 вне допустимого диапазона: от 0 до 100.",),
        cell("vpr_share_2"),
    ),
    Case(
        "fraction_in_integer_cell",
        lambda b: edit(b.workbook, {b.at("grad11_total"): 12.5}),
        ("Значение 12,5 должно быть целым числом.",),
        cell("grad11_total"),
    ),
    Case(
        "yes_no_field_with_2",
        lambda b: edit(b.workbook, {b.at("mgmt_education", "B02"): 2}),
        ("укажите 1 (да) или 0 (нет)",),
        cell("mgmt_education", "B02"),
    ),
    Case(
        "consistency_rule_broken",  # more certificates than graduates; within the field's range
        lambda b: edit(b.workbook, {b.at("grad9_certificate"): 1999}),
        ("grad9_certificate", "grad9_total"),
        cell("grad9_certificate"),
    ),
    Case(
        "duplicate_organisation_code",
        lambda b: edit(b.workbook, {f"A{b.rows['B02']}": "A01"}),
        ("Код ОО «A01» повторяется: эта организация уже есть в строке 2.",),
        code_cell("B02"),
    ),
    Case(
        "unknown_organisation_code",
        lambda b: edit(b.workbook, {f"A{b.rows['B02']}": "Z99"}),
        ("Организация с кодом «Z99» не найдена среди действующих организаций.",),
        code_cell("B02"),
    ),
    Case(
        "cyrillic_lookalike_in_code",
        lambda b: edit(b.workbook, {f"A{b.rows['A01']}": "А01"}),  # Cyrillic А
        ("«А01» не найдена", "«А»", "похоже, это организация с кодом A01"),
        code_cell("A01"),
    ),
    Case(
        "invisible_character_in_code",
        lambda b: edit(b.workbook, {f"A{b.rows['B02']}": "B\u00ad02"}),  # a soft hyphen
        ("невидимые символы (U+00AD)", "похоже, это организация с кодом B02"),
        code_cell("B02"),
    ),
    Case(
        "whitespace_only_code",
        lambda b: edit(b.workbook, {f"A{b.rows['B02']}": "\u00a0 \u2009"}),
        ("Не указан Код ОО, а в строке есть значения.",),
        code_cell("B02"),
    ),
    Case(
        "merged_code_cells",
        lambda b: edit(b.workbook, fn=merge_codes),
        ("Не указан Код ОО, а в строке есть значения.",),
        code_cell("B02"),
    ),
    Case(
        "formula_with_cached_value",
        _formula_cached,
        ("Значение -3 вне допустимого диапазона: от 0 до 5000.",),
        cell("teachers_total"),
    ),
    Case(
        "formula_without_cached_value",
        lambda b: edit(b.workbook, {b.at("grad9_total"): "=10+20"}),
        ("Лист «Данные», ячейка", "формула без вычисленного значения", "Excel"),
    ),
    Case(
        "hidden_data_sheet",
        lambda b: edit(b.workbook, fn=hide_data_sheet),
        ("Лист «Данные» скрыт, а портал читает именно его",),
    ),
    Case(
        "date_in_number_cell",
        lambda b: edit(b.workbook, {b.at("teachers_under_35"): datetime(2025, 3, 8)}),
        ("Значение «2025-03-08 00:00:00» не является числом.",),
        cell("teachers_under_35"),
    ),
    Case(
        "very_long_text",
        lambda b: edit(b.workbook, {b.at("dropouts"): "очень длинный текст " * 1600}),
        ("не является числом", "…»"),
        cell("dropouts"),
    ),
    Case(
        "broken_period_value",
        lambda b: edit(
            b.workbook, {f"C{b.period_rows['ege_80plus_region']}": "много"}, sheet=PERIOD
        ),
        ("Значение «много» не является числом.",),
        lambda b: [Place(PERIOD, b.period_rows["ege_80plus_region"], "C", "ege_80plus_region")],
    ),
    Case(
        "another_periods_template",
        lambda b: with_core_keywords(b.workbook, "period=2023/2024"),
        ("шаблон за период 2023/2024", "загружается в период 2024/2025"),
    ),
    Case("empty_file", lambda b: b"", ("Файл пустой.",)),
    Case(
        "empty_workbook",
        empty_workbook,
        ("Лист «Sheet» пуст: в файле нет данных.",),
    ),
    Case(
        "csv_renamed",
        lambda b: "Код ОО;grad9_total\nA01;30\n".encode("cp1251"),
        ("не является книгой Excel (.xlsx)", "текстовый файл (например, CSV)"),
    ),
    Case(
        "png_renamed",
        lambda b: PNG,
        ("не является книгой Excel (.xlsx)", "изображение PNG"),
    ),
    Case(
        "word_document_renamed",
        docx_renamed,
        ("не является книгой Excel (.xlsx)", "документ Word"),
    ),
    Case(
        "old_xls",
        lambda b: cfb_xls(),
        ("Excel 97–2003 (.xls)", "сохраните как «Книга Excel (*.xlsx)»"),
        upload_name="данные.xls",
    ),
    Case(
        "password_protected",
        lambda b: encrypted(b.workbook),
        ("защищён паролем", "снимите пароль"),
    ),
    Case(
        "truncated_zip",
        lambda b: b.workbook[: len(b.workbook) * 2 // 3],
        ("Файл повреждён или не является книгой Excel (.xlsx).",),
    ),
    Case(
        "scrambled_part",
        scrambled_part,
        ("Файл повреждён или не является книгой Excel (.xlsx).",),
    ),
    Case(
        "huge_file",
        huge,
        ("Файл больше", "МБ: разделите его на части"),
        kept=False,
    ),
    Case(
        "zip_bomb",
        lambda b: bomb(b, settings.WORKBOOK_MAX_UNPACKED_MB * MB * 3 // 2),
        ("В распакованном виде файл занял бы", "zip-бомб"),
    ),
    Case(
        "zip_bomb_under_the_size_limit",
        lambda b: bomb(b, settings.WORKBOOK_MAX_UNPACKED_MB * MB // 2),
        ("Часть «xl/worksheets/sheet1.xml» файла сжата в", "zip-бомбу"),
    ),
    Case(
        "one_cell_at_the_end_of_the_sheet",  # a few kilobytes, 17 billion cells once read
        lambda b: add_rows_xml(b.workbook, '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
        ("Лист «Данные» доходит до ячейки XFD1048576", "больше допустимых"),
    ),
)
