from pathlib import Path

from django.core.management.base import BaseCommand

from monitoring.exports import template_bytes

from ._period import add_period_argument, get_period


class Command(BaseCommand):
    help = (
        "Write a period's Excel template (pre-filled with the stored values); with "
        "--with-derived, the full export a restore needs."
    )

    def add_arguments(self, parser):
        add_period_argument(parser)
        parser.add_argument("--out", required=True, help="Output .xlsx file")
        parser.add_argument(
            "--with-derived",
            action="store_true",
            help="The full export: add the inputs the portal computes (for a restore)",
        )

    def handle(self, *args, **options):
        period = get_period(options["period"])
        full = options["with_derived"]
        Path(options["out"]).write_bytes(template_bytes(period, with_derived=full))
        what = "Полная выгрузка" if full else "Шаблон"
        self.stdout.write(f"{what} за {period} записан{'а' if full else ''} в {options['out']}.")
