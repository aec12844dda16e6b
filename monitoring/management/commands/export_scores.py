from pathlib import Path

from django.core.management.base import BaseCommand

from monitoring.exports import scores_csv

from ._period import add_period_argument, get_period


class Command(BaseCommand):
    help = "Write a period's stored scores as CSV (one row per organisation)."

    def add_arguments(self, parser):
        add_period_argument(parser)
        parser.add_argument("--out", required=True, help="Output .csv file")

    def handle(self, *args, **options):
        period = get_period(options["period"])
        Path(options["out"]).write_text(scores_csv(period), encoding="utf-8")
        self.stdout.write(f"Баллы за {period} записаны в {options['out']}.")
