"""Write an internship's materials as PDF: the map, each trainee's diary with total hours, the
matrix of competencies and management decisions and the final materials.

    python manage.py render_internship --id 12 --out internship.pdf

The same document as the internship page's PDF download (`mentoring.pdf`), with every trainee.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mentoring.models import Internship
from mentoring.pdf import DOCUMENT_STAGE, render_internship_pdf


class Command(BaseCommand):
    help = "Render an internship's materials (map, diaries, matrix, final materials) as a PDF."

    def add_arguments(self, parser):
        parser.add_argument("--id", required=True, type=int, help="The internship's number")
        parser.add_argument("--out", required=True, help="The PDF file to write")

    def handle(self, *args, **options):
        internship = (
            Internship.objects.select_related("base_site__organization", "mentor", "agreement")
            .filter(pk=options["id"])
            .first()
        )
        if internship is None:
            raise CommandError(f"Нет стажировки с номером {options['id']}.")
        data = render_internship_pdf(internship)
        out = Path(options["out"])
        out.write_bytes(data)
        self.stdout.write(
            f"{out}: стажировка № {internship.pk} «{internship.theme}», "
            f"{DOCUMENT_STAGE.get(internship.stage, internship.stage)}, {len(data)} байт"
        )
