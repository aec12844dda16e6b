"""Write the reserve report of a period as CSV.

    python manage.py reserve_report --period 2024/2025 --out FILE.csv [--by-organization]

Columns `row`, `label`, `value`; rows 1, 2, 3, 4, 4a, 5, 6, 7. With `--by-organization`, the
same rows follow for each organisation (two more columns name it). The same builder as the
report's page, Excel file and PDF (`reports.build_reserve_report`).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from monitoring.management.commands._period import add_period_argument, get_period
from reserve.reports import build_reserve_report, report_csv


class Command(BaseCommand):
    help = "Write the personnel reserve report of a period as CSV (row, label, value)."

    def add_arguments(self, parser):
        add_period_argument(parser)
        parser.add_argument("--out", required=True, help="The .csv file to write")
        parser.add_argument(
            "--by-organization",
            action="store_true",
            help="Add the rows of each organisation after the district's",
        )

    def handle(self, *args, **options):
        period = get_period(options["period"])
        report = build_reserve_report(period)
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"Нет папки «{out.parent}» для файла отчёта.")
        out.write_text(
            report_csv(report, by_organization=options["by_organization"]), encoding="utf-8"
        )
        self.stdout.write(
            f"Отчёт о кадровом резерве за {period.label} записан в {out}: "
            f"строка 1 — {report.value('1')}, организаций в разбивке — {len(report.organizations)}."
        )
