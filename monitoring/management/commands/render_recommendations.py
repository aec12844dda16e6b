"""Write a head's recommendation letter as PDF, or every letter of a period as a ZIP.

    python manage.py render_recommendations --period 2024/2025 --org A01 --out letter.pdf
    python manage.py render_recommendations --period 2024/2025 --out letters.zip [--drafts]

The same builder as the portal's letter page and its PDF download (`build_letter`).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from monitoring.models import Recommendation
from monitoring.recommendations import build_letter, letters_zip, render_letter_pdf
from zelenchuk_portal.models import Organization

from ._period import add_period_argument, get_period


class Command(BaseCommand):
    help = "Render a head's recommendations as a PDF letter, or a period's letters as a ZIP."

    def add_arguments(self, parser):
        add_period_argument(parser)
        parser.add_argument("--org", help="Organisation code; without it, a ZIP of all letters")
        parser.add_argument("--out", required=True, help="The file to write (.pdf or .zip)")
        parser.add_argument(
            "--drafts",
            action="store_true",
            help="In the ZIP, include drafts (marked «ПРОЕКТ») as well as issued letters",
        )

    def handle(self, *args, **options):
        period = get_period(options["period"])
        out = Path(options["out"])
        if options["org"]:
            data, what = self._letter(period, options["org"])
        else:
            data, count = letters_zip(period, include_drafts=options["drafts"])
            if count == 0:
                raise CommandError(f"За период {period.label} нет выданных рекомендаций.")
            what = f"{count} писем"
        out.write_bytes(data)
        self.stdout.write(f"{out}: {what}, {len(data)} байт")

    def _letter(self, period, code):
        organization = Organization.objects.filter(code=code).first()
        if organization is None:
            raise CommandError(f"Нет организации с кодом «{code}».")
        letter = Recommendation.objects.filter(period=period, organization=organization).first()
        if letter is None:
            raise CommandError(
                f"У {organization.short_name} нет рекомендаций за {period.label}: "
                "сформируйте их на портале."
            )
        built = build_letter(letter)
        status = "проект" if built.is_draft else f"№ {built.number}"
        return render_letter_pdf(built), f"{organization.short_name}, {status}"
