"""Measure the heavy work on a synthetic district, next to the naive way, in a scratch database.

    python manage.py benchmark --orgs 40000 --periods 5

Prints one JSON line per measurement (`monitoring/benchmark.py` says what each holds). The
scratch database is never the configured one: with PostgreSQL it is a database of its own
(`bench_<pid>` unless `--database` names it), created and dropped by the command; otherwise a
temporary SQLite file. Uploaded files go to a temporary MEDIA_ROOT, removed afterwards.
"""

import json
import os
import shutil
import tempfile

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings, setup_test_environment, teardown_test_environment

from monitoring.benchmark import MEASUREMENTS, run_benchmark


class Command(BaseCommand):
    help = "Benchmark the heavy work on N synthetic organisations against the naive way."

    def add_arguments(self, parser):
        parser.add_argument("--orgs", type=int, default=2000, help="organisations (N)")
        parser.add_argument("--periods", type=int, default=5, help="periods (P), at least 1")
        parser.add_argument(
            "--letters", type=int, default=200, help="letters to issue and put in the ZIP"
        )
        parser.add_argument(
            "--naive-orgs", type=int, default=500, help="organisations the naive versions get"
        )
        parser.add_argument(
            "--naive-letters", type=int, default=3, help="letters the naive ZIP renders"
        )
        parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
        parser.add_argument("--bad-fraction", type=float, default=0.1)
        parser.add_argument(
            "--only", default="", help=f"comma-separated measurements: {', '.join(MEASUREMENTS)}"
        )
        parser.add_argument("--database", default="", help="scratch database name (PostgreSQL)")
        parser.add_argument("--keep", action="store_true", help="keep the scratch database")

    def handle(self, *args, **options):
        if options["orgs"] < 1 or options["periods"] < 1:
            raise CommandError("--orgs and --periods must be at least 1.")
        only = {name.strip() for name in options["only"].split(",") if name.strip()}
        if unknown := only - set(MEASUREMENTS):
            raise CommandError(f"Unknown measurements: {', '.join(sorted(unknown))}")
        media = tempfile.mkdtemp(prefix="benchmark-media-")
        configured = connection.settings_dict["NAME"]
        if connection.vendor == "postgresql":
            scratch = options["database"] or f"bench_{os.getpid()}"
        else:
            scratch = os.path.join(tempfile.gettempdir(), f"benchmark_{os.getpid()}.sqlite3")
        if scratch == configured:
            raise CommandError("The scratch database must not be the configured one.")
        connection.settings_dict["TEST"] = {**connection.settings_dict["TEST"], "NAME": scratch}
        creation = connection.creation
        creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        setup_test_environment()
        try:
            with override_settings(MEDIA_ROOT=media):
                lines = run_benchmark(
                    options["orgs"],
                    options["periods"],
                    letters=options["letters"],
                    naive_orgs=options["naive_orgs"],
                    naive_letters=options["naive_letters"],
                    repeat=options["repeat"],
                    bad_fraction=options["bad_fraction"],
                    only=only or None,
                )
                for line in lines:
                    self.stdout.write(json.dumps(line, ensure_ascii=False))
                    self.stdout.flush()
        finally:
            teardown_test_environment()
            if options["keep"]:
                self.stderr.write(f"Scratch database kept: {scratch}")
            else:
                creation.destroy_test_db(configured, verbosity=0)
            shutil.rmtree(media, ignore_errors=True)
