from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from monitoring.imports import ImportIssue, apply_import, preview_upload
from monitoring.restore import read_derived, restore_derived
from monitoring.scoring import score_period

from ._period import add_period_argument, get_period


class Command(BaseCommand):
    help = (
        "Import a filled monitoring workbook for a period. Every error is listed and nothing is "
        "stored if there is any; --dry-run shows what would change without storing; "
        "--with-derived restores a full export into a database without the portal's records."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The filled .xlsx template")
        add_period_argument(parser)
        parser.add_argument("--dry-run", action="store_true", help="Validate and show changes only")
        parser.add_argument(
            "--with-derived",
            action="store_true",
            help=(
                "Restore from a full export (export_template --with-derived): also store the "
                "inputs the portal computes, for a database without the records behind them"
            ),
        )

    def handle(self, *args, **options):
        period = get_period(options["period"])
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"Файл {path} не найден.")
        data = path.read_bytes()
        try:
            record = preview_upload(period, path.name, data, user=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if record.issues:
            for issue in record.issues:
                self.stderr.write(str(ImportIssue(**issue)) if issue["sheet"] else issue["message"])
            raise CommandError(f"Ошибок: {record.error_count}. Ничего не сохранено.")
        derived = self._derived(record, data) if options["with_derived"] else []
        for warning in record.warnings:
            self.stdout.write(f"Предупреждение: {warning}")
        self.stdout.write(
            f"Строк: {record.rows}. Новых значений: {record.values_new}, изменённых: "
            f"{record.values_changed}, без изменений: {record.values_unchanged}."
        )
        for item in record.changes_preview[:20]:
            old = "нет данных" if item["old"] is None else item["old"]
            self.stdout.write(
                f"  {item['org_code'] or 'период'} {item['code']}: {old} → {item['new']}"
            )
        if options["with_derived"]:
            self.stdout.write(f"Рассчитанных порталом значений в выгрузке: {len(derived)}.")
        if options["dry_run"]:
            record.status = record.Status.DISCARDED
            record.save(update_fields=["status"])
            self.stdout.write("Пробный запуск: ничего не сохранено.")
            return
        with transaction.atomic():  # a restore stores its two parts, or neither
            summary = apply_import(record, user=None, rescore=not options["with_derived"])
            if summary is not None and options["with_derived"]:
                restore_derived(period, data)
                score_period(period, trigger="command")
        if summary is None:
            raise CommandError("Импорт не применён: данные изменились, проверьте файл снова.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Сохранено: новых {summary.new}, изменённых {summary.changed}; баллы пересчитаны."
            )
        )

    def _derived(self, record, data):
        """The full export's derived values, checked before anything is stored."""
        try:
            return read_derived(data, record.period)
        except ValidationError as error:
            record.status = record.Status.DISCARDED
            record.save(update_fields=["status"])
            for message in error.messages:
                self.stderr.write(message)
            raise CommandError("Полная выгрузка не восстановлена: ничего не сохранено.") from error
