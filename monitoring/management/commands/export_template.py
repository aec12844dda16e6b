from pathlib import Path

from django.core.management.base import BaseCommand

from monitoring.exports import template_bytes

from ._period import add_period_argument, get_period


class Command(BaseCommand):
    help = "Write a period's Excel template (pre-filled with the stored values)."

    def add_arguments(self, parser):
        add_period_argument(parser)
        parser.add_argument("--out", required=True, help="Output .xlsx file")

    def handle(self, *args, **options):
        period = get_period(options["period"])
        Path(options["out"]).write_bytes(template_bytes(period))
        self.stdout.write(f"Шаблон за {period} записан в {options['out']}.")
