"""Recommendations: «two periods running» for a falling index, a letter's drafting memory and
history; and the district's first rule library (`monitoring/recommendation_rules.py`)."""

from django.db import migrations, models

from monitoring.recommendation_rules import rule_rows


def seed(apps, schema_editor):
    Rule = apps.get_model("monitoring", "RecommendationRule")
    if Rule.objects.exists():  # the library is the officials' once it exists
        return
    Rule.objects.bulk_create(Rule(**row) for row in rule_rows())


def unseed(apps, schema_editor):
    Rule = apps.get_model("monitoring", "RecommendationRule")
    Rule.objects.filter(title__in=[row["title"] for row in rule_rows()]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_management_cycle")]

    operations = [
        migrations.AddField(
            model_name="recommendationrule",
            name="periods_running",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="For a falling index: 1 — falling this period; 2 — this and the previous one.",
                verbose_name="periods running",
            ),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="drafted_rules",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="history",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(seed, unseed),
    ]
