from datetime import timedelta

from django.core.management.base import BaseCommand

from zelenchuk_portal.jobs import purge_jobs


class Command(BaseCommand):
    help = "Delete finished background jobs, and the files they produced, older than --days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="Keep this many days (7).")

    def handle(self, *args, **options):
        count = purge_jobs(timedelta(days=options["days"]))
        self.stdout.write(f"Удалено завершённых задач: {count}.")
