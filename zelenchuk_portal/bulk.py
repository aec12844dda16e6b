"""Loading many rows at once, without building a model instance per row.

A district's import is a few thousand values; a region's or the country's is millions. The ORM's
`bulk_create` spends most of its time preparing each field of each instance, so the big writes
(monitoring values, their history, a period's scores) pass plain tuples here instead: PostgreSQL
takes them through COPY, other databases through one prepared INSERT run with executemany.
Rows must already hold database-ready values (ids, not objects; JSON as text).
"""

import csv
import io
from collections.abc import Iterable, Sequence

from django.db import connection

BATCH = 20_000
NULL = r"\N"  # COPY's NULL marker; written unquoted, so an empty string stays an empty string


def bulk_insert(
    model, columns: Sequence[str], rows: Iterable[Sequence], *, text: bool = False
) -> int:
    """Insert rows (tuples in the order of `columns`, which are database column names)."""
    return bulk_load(model._meta.db_table, columns, rows, text=text)


def bulk_load(
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    *,
    blank_is_null: bool = False,
    text: bool = False,
) -> int:
    """Insert rows into a table (also a temporary one) a batch at a time; returns their number.

    `blank_is_null`: the caller does not tell None from "" (both may arrive as NULL), which lets
    PostgreSQL's COPY take the rows as the csv module writes them, without a pass per row to
    mark the NULLs — a third of the cost of loading a region's import.
    `text`: the rows carry long strings full of quotes and commas (JSON documents), which COPY's
    text format takes with a little escaping where CSV would quote every one of them.
    """
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg2's own cursor, for copy_expert
            if text:
                batch = []
                for row in rows:
                    batch.append("\t".join([_text_value(v) for v in row]))
                    count += 1
                    if len(batch) == BATCH:
                        _copy_text(raw, table, quoted, batch)
                        batch = []
                _copy_text(raw, table, quoted, batch)
                return count
            null = "" if blank_is_null else NULL
            batch = []
            for row in rows:
                batch.append(row if blank_is_null else [NULL if v is None else v for v in row])
                count += 1
                if len(batch) == BATCH:
                    _copy(raw, table, quoted, batch, null)
                    batch = []
            _copy(raw, table, quoted, batch, null)
        else:
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"
            batch = []
            for row in rows:
                batch.append(tuple(row))
                count += 1
                if len(batch) == BATCH:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
    return count


def _copy(raw_cursor, table: str, columns: str, rows: list, null: str) -> None:
    if not rows:
        return
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)  # the csv module quotes as COPY expects
    buffer.seek(0)
    raw_cursor.copy_expert(
        f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '{null}')", buffer
    )


def _text_value(value) -> str:
    """A value in COPY's text format: backslash, tab and line breaks escaped, None as \\N."""
    if value is None:
        return NULL
    if isinstance(value, str):
        if "\\" in value:
            value = value.replace("\\", "\\\\")
        if "\t" in value or "\n" in value or "\r" in value:
            value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    return str(value)


def _copy_text(raw_cursor, table: str, columns: str, lines: list[str]) -> None:
    if not lines:
        return
    buffer = io.StringIO("\n".join(lines) + "\n")
    raw_cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


def copy_out(queryset) -> io.StringIO | None:
    """A values_list queryset's rows as CSV text, through PostgreSQL's COPY (None elsewhere).

    Reading a region's values row by row through the cursor costs more than the scoring itself;
    COPY streams them as text that pandas parses in C.
    """
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.query.sql_with_params()
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params).decode()
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buffer)
    buffer.seek(0)
    return buffer
