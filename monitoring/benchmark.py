"""The portal's heavy work on a synthetic district, measured next to the naive way (`naive.py`).

`manage.py benchmark --orgs N --periods P` runs `run_benchmark` in a scratch database; the CI test
(`tests/monitoring/test_benchmark.py`) runs it in the test database. Each measurement is one dict
(the command prints it as a JSON line as soon as it is taken):

    {"name": "scoring", "n": 40000, "rows": 40000, "seconds": 5.1636, "rows_per_second": 7746.5,
     "queries": 24, "naive": {"n": 500, "rows": 500, "seconds": 16.3747, "rows_per_second": 30.5,
     "queries": 5507}, "ratio": 254.0, "peak_rss_mb": 827}

`n` is the number of organisations of the district; `rows` what the measurement processes
(organisations for most, letters for the ZIP); `queries` the SQL statements Django ran (a COPY
batch counts as none: it does not go through Django's cursor). The naive version runs on the
first `naive_orgs` organisations of the same database (inside a transaction rolled back
afterwards, when it writes); `ratio` compares rows per second, so it says how many times more
work per second the portal does. Pages are fetched through Django's test client as an official,
the best of `repeat` requests after one to warm up; scoring and the single letter are also the
best of `repeat`; the import, the validation, the export and the ZIP run once. `peak_rss_mb` is
the process's peak memory so far (it only grows).

The dataset: N organisations (50 % schools, 43 % kindergartens, 7 % ОДО, `synthetic.py`), a head
for each, P periods; all but the last are filled and scored during the setup, the last is filled
by the measured import of a full template. Then its scores are drafted into letters, of which
`letters` are issued.
"""

from __future__ import annotations

import platform
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

MEASUREMENTS = (
    "import",
    "validation",
    "template_export",
    "scoring",
    "dashboard",
    "dossier",
    "indicator",
    "letter_pdf",
    "letters_zip",
    "reserve_report",
)


def peak_rss_mb() -> int:
    """The process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


@dataclass
class Run:
    seconds: float
    queries: int
    result: object = None


def timed(func: Callable, repeat: int = 1) -> Run:
    """The best of `repeat` calls of `func`: wall time and the SQL statements Django ran."""
    best = None
    for _ in range(max(1, repeat)):
        count = [0]

        def counter(execute, sql, params, many, context, count=count):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            result = func()
            seconds = time.perf_counter() - started
        if best is None or seconds < best.seconds:
            best = Run(seconds, count[0], result)
    return best


def rolled_back(func: Callable) -> Callable:
    """`func` run in a transaction that is rolled back: a naive version that writes leaves the
    database as it found it."""

    def run():
        with transaction.atomic():
            result = func()
            transaction.set_rollback(True)
        return result

    return run


def _figures(run: Run, n: int, rows: int) -> dict:
    return {
        "n": n,
        "rows": rows,
        "seconds": round(run.seconds, 4),
        "rows_per_second": round(rows / run.seconds, 1) if run.seconds else None,
        "queries": run.queries,
    }


def measurement(name: str, n: int, fast: Run, rows: int, naive: Run | None = None, **extra):
    """One line of the output (see the module docstring)."""
    line = {"name": name, **_figures(fast, n, rows)}
    naive_n, naive_rows = extra.pop("naive_n", None), extra.pop("naive_rows", None)
    if naive is not None:
        line["naive"] = _figures(naive, naive_n, naive_rows)
        fast_rate, naive_rate = line["rows_per_second"], line["naive"]["rows_per_second"]
        line["ratio"] = round(fast_rate / naive_rate, 1) if fast_rate and naive_rate else None
    line.update(extra)
    line["peak_rss_mb"] = peak_rss_mb()
    return line


def machine() -> dict:
    """Where the figures were taken."""
    import os

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "database": f"{connection.vendor} {version}",
        "date": date.today().isoformat(),
    }


# --- The synthetic district ------------------------------------------------------------------


@dataclass
class District:
    catalogue: object
    organizations: list  # Organization instances, by code
    types: object  # pandas Series, org code → type (synthetic.py's input)
    periods: list  # oldest first; the last one is measured
    official: object
    naive_period: object  # an empty open period for the naive import


def build_district(n: int, periods: int, out: Callable[[dict], None]) -> District:
    """Organisations with their heads, P periods, all but the last filled and scored."""
    from monitoring.methodology import version_for
    from monitoring.models import Source
    from monitoring.scoring import score_period
    from monitoring.synthetic import (
        generate_period_values,
        generate_values,
        org_codes,
        org_types_for,
        value_writes,
    )
    from monitoring.values import write_values
    from zelenchuk_portal.models import Area, Membership, Organization, Period, Role, User

    started = time.perf_counter()
    codes = org_codes(n)
    types = org_types_for(n)
    kinds = types.tolist()
    Organization.objects.bulk_create(
        [
            Organization(
                code=code,
                short_name=f"ОО {code}",
                full_name=f"Образовательная организация {code}",
                org_type=kind,
                settlement=f"с. Поселение {position // 40 + 1}",
                area=Area.RURAL if position % 3 else Area.URBAN,
            )
            for position, (code, kind) in enumerate(zip(codes, kinds, strict=True))
        ],
        batch_size=5000,
    )
    organizations = list(Organization.objects.order_by("code"))
    official = User.objects.create_user("benchmark-official", last_name="Проверяющий")
    Membership.objects.create(user=official, role=Role.OFFICIAL)
    # Heads, so that letters and dossiers name them (unusable passwords: no hashing per person).
    User.objects.bulk_create(
        [
            User(
                username=f"head-{org.code}",
                password="!",
                last_name="Руководитель",
                first_name="Ольга",
                patronymic="Петровна",
            )
            for org in organizations
        ],
        batch_size=5000,
    )
    heads = dict(User.objects.filter(username__startswith="head-").values_list("username", "pk"))
    Membership.objects.bulk_create(
        [
            Membership(user_id=heads[f"head-{org.code}"], role=Role.PRINCIPAL, organization=org)
            for org in organizations
        ],
        batch_size=5000,
    )
    first_year = date.today().year - periods
    period_rows = [
        Period.objects.create(
            label=f"{year}/{year + 1}",
            start_date=date(year, 9, 1),
            end_date=date(year + 1, 8, 31),
            monitoring_end=date(year + 1, 6, 30),
        )
        for year in range(first_year, first_year + periods)
    ]
    naive_period = Period.objects.create(
        label="naive", start_date=date(1990, 9, 1), end_date=date(1991, 8, 31)
    )
    catalogue = version_for(period_rows[-1]).catalogue
    ids = {org.code: org.pk for org in organizations}
    setup = {"name": "setup", "n": n, "periods": periods, **machine()}
    for index, period in enumerate(period_rows[:-1]):
        frame = generate_values(catalogue, types, index)
        write_values(
            period,
            value_writes(frame, ids, generate_period_values(catalogue, index)),
            source=Source.IMPORT,
            user=official,
        )
        del frame
        score_period(period, trigger="benchmark setup", follow_up=False)
    setup["seconds"] = round(time.perf_counter() - started, 1)
    setup["peak_rss_mb"] = peak_rss_mb()
    out(setup)
    return District(catalogue, organizations, types, period_rows, official, naive_period)


# --- The measurements ------------------------------------------------------------------------


def run_benchmark(
    n: int = 2000,
    periods: int = 5,
    *,
    letters: int = 200,
    naive_orgs: int = 500,
    naive_letters: int = 3,
    repeat: int = 3,
    bad_fraction: float = 0.1,
    only: set[str] | None = None,
) -> Iterator[dict]:
    """Build the district and yield one measurement after another (see the module docstring).

    Needs an empty, migrated database: the command makes a scratch one, the test has its own.
    """
    from django.test import Client

    from monitoring import naive
    from monitoring.exports import template_bytes
    from monitoring.imports import apply_import, preview_upload
    from monitoring.models import ImportRecord, Recommendation, Source
    from monitoring.recommendations import (
        build_letter,
        draft_recommendations,
        letters_zip,
        render_letter_pdf,
    )
    from monitoring.scoring import score_period
    from monitoring.synthetic import (
        corrupt_rows,
        generate_period_values,
        generate_values,
        template_cells,
    )
    from monitoring.workbook import build_template

    lines: list[dict] = []
    district = build_district(n, periods, lines.append)
    yield from lines
    catalogue, organizations = district.catalogue, district.organizations
    period, official = district.periods[-1], district.official
    few = organizations[: min(n, naive_orgs)]
    m = len(few)
    # The naive import creates two rows per value one at a time: a fifth of the organisations
    # is enough for a steady rate.
    m_import = max(1, m // 5)
    names = [(org.code, org.short_name) for org in organizations]
    wanted = set(MEASUREMENTS) if only is None else set(only)
    index = len(district.periods) - 1
    period_values = generate_period_values(catalogue, index)

    # Import of a full template into the empty last period: preview (read, validate, diff) and
    # confirmation (validated again, then stored). Naive: openpyxl, per-row queries, `create`.
    values = generate_values(catalogue, district.types, index)
    cells = template_cells(values)
    data = build_template(catalogue, names, period.label, cells, period_values)
    few_data = build_template(catalogue, names[:m_import], period.label, cells, period_values)
    stored = int(values.notna().to_numpy().sum()) + len(period_values)
    preview = timed(partial(preview_upload, period, "benchmark.xlsx", data, official))
    record = preview.result
    assert record.status == ImportRecord.Status.PREVIEW, record.issues[:3]
    confirm = timed(lambda: apply_import(record, official, rescore=False))
    assert confirm.result.new == stored, (confirm.result, stored)
    both = Run(preview.seconds + confirm.seconds, preview.queries + confirm.queries)
    naive_run = None
    if "import" in wanted:
        naive_run = timed(
            rolled_back(
                partial(
                    naive.import_upload,
                    district.naive_period,
                    few_data,
                    source=Source.IMPORT,
                    user=official,
                )
            )
        )
        expected = int(values.iloc[:m_import].notna().to_numpy().sum()) + len(period_values)
        assert naive_run.result["new"] == expected, naive_run.result
    yield measurement(
        "import",
        n,
        both,
        n,
        naive_run,
        naive_n=m_import,
        naive_rows=m_import,
        values=stored,
        preview_seconds=round(preview.seconds, 3),
        confirm_seconds=round(confirm.seconds, 3),
        template_mb=round(len(data) / 1e6, 1),
    )
    del data, few_data, cells

    # Validation of a file with `bad_fraction` of rows carrying one error each (all found).
    if "validation" in wanted:
        bad = corrupt_rows(values, bad_fraction, catalogue=catalogue)
        bad_rows = len(bad.attrs["corruptions"])
        bad_cells = template_cells(bad)
        bad_data = build_template(catalogue, names, period.label, bad_cells, period_values)
        few_bad = build_template(catalogue, names[:m], period.label, bad_cells, period_values)
        del bad, bad_cells  # the benchmark's own data must not weigh on the portal's memory
        run = timed(lambda: preview_upload(period, "bad.xlsx", bad_data, official))
        errors = run.result.error_count
        naive_run = timed(lambda: naive.validate_upload(period, few_bad))
        yield measurement(
            "validation",
            n,
            run,
            n,
            naive_run,
            naive_n=m,
            naive_rows=m,
            bad_rows=bad_rows,
            errors_found=errors,
            naive_errors_found=len(naive_run.result),
        )
        del bad_data, few_bad
    del values

    if "template_export" in wanted:
        run = timed(lambda: template_bytes(period))
        naive_run = timed(lambda: naive.export_template(period, few))
        yield measurement(
            "template_export",
            n,
            run,
            n,
            naive_run,
            naive_n=m,
            naive_rows=m,
            template_mb=round(len(run.result) / 1e6, 1),
        )

    # Scoring of the period (read, compute, outliers, store), without the follow-up drafting of
    # letters, which is measured on its own line.
    run = timed(lambda: score_period(period, trigger="benchmark", follow_up=False), repeat)
    naive_run = None
    if "scoring" in wanted:
        naive_run = timed(rolled_back(lambda: naive.score_period(period, few)))
    yield measurement("scoring", n, run, n, naive_run, naive_n=m, naive_rows=m)

    drafted = timed(lambda: draft_recommendations(period))
    yield measurement("draft_recommendations", n, drafted, n, letters=drafted.result.created)
    chosen = list(
        Recommendation.objects.filter(period=period)
        .order_by("organization__code")
        .values_list("pk", flat=True)[:letters]
    )
    Recommendation.objects.filter(pk__in=chosen).update(
        status=Recommendation.Status.ISSUED, number="01-15/1", issued_at=timezone.localdate()
    )

    client = Client()
    client.force_login(official)

    def page(url: str) -> Run:
        def get():
            response = client.get(url, secure=True)
            assert response.status_code == 200, (url, response.status_code)
            return response

        get()  # warm-up: the first request pays for templates and imports
        return timed(get, repeat)

    target = organizations[0]
    if "dashboard" in wanted:
        run = page(reverse("analysis:dashboard", args=[period.pk]))
        naive_run = timed(lambda: naive.dashboard(period, few))
        yield measurement("dashboard", n, run, n, naive_run, naive_n=m, naive_rows=m)
    if "dossier" in wanted:
        run = page(reverse("analysis:dossier", args=[target.pk]) + f"?period={period.pk}")
        naive_run = timed(lambda: naive.dossier(target, period, few))
        yield measurement("dossier", n, run, n, naive_run, naive_n=m, naive_rows=m)
    if "indicator" in wanted:
        code = catalogue.indicators[0].code
        run = page(reverse("analysis:indicator", args=[period.pk, code]))
        naive_run = timed(lambda: naive.indicator(period, code, few))
        yield measurement(
            "indicator", n, run, n, naive_run, naive_n=m, naive_rows=m, indicator=code
        )

    # Letters: one PDF (the naive one takes the medians peer by peer over the whole district),
    # and the ZIP of the issued letters.
    issued = list(Recommendation.objects.filter(pk__in=chosen).order_by("organization__code"))
    if "letter_pdf" in wanted and issued:
        render_letter_pdf(build_letter(issued[0]))  # warm-up: fonts and templates load once
        run = timed(lambda: render_letter_pdf(build_letter(issued[0])), repeat)
        naive_run = timed(lambda: naive.letter_pdf(issued[0], organizations))
        yield measurement("letter_pdf", n, run, 1, naive_run, naive_n=n, naive_rows=1)
    if "letters_zip" in wanted and issued:
        run = timed(lambda: letters_zip(period))
        some = issued[:naive_letters]
        naive_run = timed(lambda: naive.letters_zip(some, organizations))
        yield measurement(
            "letters_zip",
            n,
            run,
            run.result[1],
            naive_run,
            naive_n=n,
            naive_rows=len(some),
            zip_mb=round(len(run.result[0]) / 1e6, 1),
        )

    if "reserve_report" in wanted:
        yield from _reserve_report(district, n, few, page)


def _reserve_report(district: District, n: int, few: list, page) -> Iterator[dict]:
    """The reserve report, when the reserve app provides it. Monitoring never imports the apps
    above it: the reserve's models are looked up in the app registry and its page is fetched by
    its URL name. A quarter of the organisations get a candidate enrolled during the period, half
    of whom finished a training in it (no development plans: rows 2–5 stay at zero)."""
    from django.apps import apps

    from monitoring import naive
    from zelenchuk_portal.models import User

    try:
        url = reverse("reserve:report")
    except NoReverseMatch:
        yield {"name": "reserve_report", "n": n, "skipped": "the reserve app has no report page"}
        return
    candidacy = apps.get_model("reserve", "Candidacy")
    training = apps.get_model("reserve", "Training")
    period, official = district.periods[-1], district.official
    chosen = district.organizations[::4]
    User.objects.bulk_create(
        [
            User(username=f"candidate-{org.code}", password="!", last_name="Кандидат")
            for org in chosen
        ],
        batch_size=5000,
    )
    people = dict(
        User.objects.filter(username__startswith="candidate-").values_list("username", "pk")
    )
    enrolled = period.start_date.replace(day=15)
    candidacy.objects.bulk_create(
        [
            candidacy(
                person_id=people[f"candidate-{org.code}"],
                period=period,
                organization=org,
                position="заместитель директора",
                reason="Результаты мониторинга",
                nominated_on=period.start_date,
                nominated_by=official,
                approved_on=period.start_date,
                approved_by=official,
                status="enrolled",
                enrolled_on=enrolled,
            )
            for org in chosen
        ],
        batch_size=5000,
    )
    training.objects.bulk_create(
        [
            training(
                candidacy=c,
                programme="Управление образовательной организацией",
                provider="Институт развития образования",
                hours=72,
                start_date=enrolled,
                end_date=enrolled.replace(month=12, day=20),
                created_by=official,
            )
            for c in candidacy.objects.filter(period=period).order_by("pk")[::2]
        ],
        batch_size=5000,
    )
    run = page(f"{url}?period={period.pk}")
    naive_run = timed(lambda: naive.reserve_counts(period, few))
    yield measurement(
        "reserve_report",
        n,
        run,
        n,
        naive_run,
        naive_n=len(few),
        naive_rows=len(few),
        candidates=len(chosen),
    )
