"""The competency framework (`trajectories/data/competencies.csv`: 31 items in 6 blocks)."""

import csv
from pathlib import Path

from django.db import migrations

CSV = Path(__file__).resolve().parent.parent / "data" / "competencies.csv"


def load(apps, schema_editor):
    Competency = apps.get_model("trajectories", "Competency")
    with open(CSV, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    Competency.objects.bulk_create(
        Competency(
            code=row["code"].strip(),
            block=int(row["block"]),
            block_name=row["block_name_ru"].strip(),
            name=row["name_ru"].strip(),
            position=n,
        )
        for n, row in enumerate(rows)
    )


def unload(apps, schema_editor):
    apps.get_model("trajectories", "Competency").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("trajectories", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
