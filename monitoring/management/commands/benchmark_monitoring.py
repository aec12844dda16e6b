"""Time the monitoring pipeline on a synthetic district, in a scratch database.

    python manage.py benchmark_monitoring --orgs 2000

Builds a scratch database (Django's test-database machinery: `test_<name>` on PostgreSQL, a
temporary SQLite database otherwise), creates N organisations and an open period, then times:
writing the full template, reading and validating it, storing its values, scoring the period,
and validating a file in which 10 % of rows carry an error. Prints one JSON line.
"""

import json
import platform
import resource
import time
from datetime import date

from django.core.management.base import BaseCommand
from django.db import connection

from monitoring.catalogue import default_catalogue


class Command(BaseCommand):
    help = "Benchmark template export, import, validation and scoring on N synthetic organisations."

    def add_arguments(self, parser):
        parser.add_argument("--orgs", type=int, default=2000)
        parser.add_argument("--bad-fraction", type=float, default=0.1)
        parser.add_argument("--keep", action="store_true", help="Keep the scratch database")

    def handle(self, *args, **options):
        creation = connection.creation
        old_name = connection.settings_dict["NAME"]
        creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        try:
            figures = run_benchmark(options["orgs"], options["bad_fraction"])
        finally:
            if not options["keep"]:
                creation.destroy_test_db(old_name, verbosity=0)
        self.stdout.write(json.dumps(figures, ensure_ascii=False))


def _timed(figures: dict, name: str, func):
    started = time.perf_counter()
    result = func()
    figures[f"{name}_seconds"] = round(time.perf_counter() - started, 3)
    return result


def run_benchmark(n: int, bad_fraction: float) -> dict:
    from monitoring.imports import apply_import, parse_and_validate, preview_upload
    from monitoring.models import Score
    from monitoring.scoring import score_period
    from monitoring.synthetic import (
        corrupt_rows,
        generate_period_values,
        generate_values,
        org_codes,
        org_types_for,
    )
    from monitoring.workbook import build_template
    from zelenchuk_portal.models import Area, Organization, Period

    catalogue = default_catalogue()
    codes = org_codes(n)
    types = org_types_for(n)
    types.index = codes
    Organization.objects.bulk_create(
        [
            Organization(
                code=code,
                short_name=f"ОО {code}",
                full_name=f"Образовательная организация {code}",
                org_type=types[code],
                settlement="ст. Зеленчукская",
                area=Area.RURAL,
            )
            for code in codes
        ],
        batch_size=5000,
    )
    period = Period.objects.create(
        label="2024/2025", start_date=date(2024, 9, 1), end_date=date(2025, 8, 31)
    )
    values = generate_values(catalogue, types, 0)
    period_values = generate_period_values(catalogue, 0)
    cells = {(code, column): value for (code, column), value in values.stack().dropna().items()}
    orgs = [(code, f"ОО {code}") for code in codes]
    figures = {
        "benchmark": "monitoring",
        "orgs": n,
        "values": len(cells),
        "database": connection.vendor,
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
    }
    data = _timed(
        figures,
        "template",
        lambda: build_template(catalogue, orgs, "2024/2025", cells, period_values),
    )
    figures["template_mb"] = round(len(data) / 1e6, 1)
    record = _timed(
        figures, "import_validate", lambda: preview_upload(period, "full.xlsx", data, None)
    )
    assert not record.issues, record.issues[:3]
    # apply_import validates again (the data may have changed since the preview) and stores;
    # the page then rescores, which is timed on its own below.
    _timed(figures, "import_apply", lambda: apply_import(record, None, rescore=False))
    figures["import_total_seconds"] = round(
        figures["import_validate_seconds"] + figures["import_apply_seconds"], 3
    )
    figures["import_rows_per_second"] = round(n / figures["import_total_seconds"])
    _timed(figures, "score", lambda: score_period(period, trigger="benchmark", follow_up=False))
    figures["score_rows_per_second"] = round(n / figures["score_seconds"])
    figures["scores_stored"] = Score.objects.filter(period=period).count()

    bad = corrupt_rows(values, bad_fraction, catalogue=catalogue)
    bad_cells = {
        (code, column): value
        for (code, column), value in bad.stack().items()
        if isinstance(value, str) or value == value
    }
    bad_data = build_template(catalogue, orgs, "2024/2025", bad_cells, period_values)
    known = set(codes)
    result = _timed(
        figures,
        "validate_bad_file",
        lambda: parse_and_validate(bad_data, catalogue, known),
    )
    figures["bad_rows"] = int(round(bad_fraction * n))
    figures["errors_found"] = len(result.issues)
    figures["validate_rows_per_second"] = round(n / figures["validate_bad_file_seconds"])
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return figures
