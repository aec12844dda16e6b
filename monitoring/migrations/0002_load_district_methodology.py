"""The district's published methodology (indicators.csv, inputs.csv) as the first version."""

from django.db import migrations

from monitoring.catalogue import default_catalogue, indicator_rows, input_rows

NAME = "Методика мониторинга (приказ № 110 от 16.07.2021)"


def load(apps, schema_editor):
    Version = apps.get_model("monitoring", "MethodologyVersion")
    InputField = apps.get_model("monitoring", "InputField")
    Indicator = apps.get_model("monitoring", "Indicator")
    catalogue = default_catalogue()
    version = Version.objects.create(
        name=NAME,
        comment="Каталог показателей и полей, утверждённый районом.",
        weight_a=catalogue.weight_a,
        weight_b=catalogue.weight_b,
        cutoff_high=catalogue.cutoffs["high"],
        cutoff_optimal=catalogue.cutoffs["optimal"],
        cutoff_acceptable=catalogue.cutoffs["acceptable"],
    )
    InputField.objects.bulk_create(InputField(version=version, **r) for r in input_rows(catalogue))
    Indicator.objects.bulk_create(
        Indicator(version=version, **r) for r in indicator_rows(catalogue)
    )


def unload(apps, schema_editor):
    apps.get_model("monitoring", "MethodologyVersion").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
