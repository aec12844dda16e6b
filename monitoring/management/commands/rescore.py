from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from monitoring.scoring import score_period

from ._period import add_period_argument, get_period


class Command(BaseCommand):
    help = "Recompute and store the scores of an open period."

    def add_arguments(self, parser):
        add_period_argument(parser)

    def handle(self, *args, **options):
        period = get_period(options["period"])
        try:
            run = score_period(period, trigger="command")
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"Баллы за {period} пересчитаны: {run.organizations} организаций, {run.seconds} с."
        )
