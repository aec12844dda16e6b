"""Write a person's individual development plan for a period as PDF.

    python manage.py render_plan --person USERNAME --period 2024/2025 --out plan.pdf

The same builder as the plan page and its PDF download (`build_plan_document`).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from monitoring.management.commands._period import add_period_argument, get_period
from trajectories.models import Plan
from trajectories.plans import plan_completion, render_plan_pdf
from zelenchuk_portal.models import User


class Command(BaseCommand):
    help = "Render a person's individual development plan for a period as a PDF."

    def add_arguments(self, parser):
        parser.add_argument("--person", required=True, help="The person's login (username)")
        add_period_argument(parser)
        parser.add_argument("--out", required=True, help="The PDF file to write")

    def handle(self, *args, **options):
        period = get_period(options["period"])
        person = User.objects.filter(username=options["person"]).first()
        if person is None:
            raise CommandError(f"Нет пользователя с логином «{options['person']}».")
        plan = (
            Plan.objects.select_related("person", "period", "organization", "reviewer")
            .filter(person=person, period=period)
            .first()
        )
        if plan is None:
            raise CommandError(f"У {person.short_name} нет плана развития за {period.label}.")
        data = render_plan_pdf(plan)
        out = Path(options["out"])
        out.write_bytes(data)
        self.stdout.write(
            f"{out}: {person.short_name}, {period.label}, «{plan.get_status_display()}», "
            f"{plan_completion(plan)} %, {len(data)} байт"
        )
