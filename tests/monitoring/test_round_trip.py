"""Recovery: a period's data exported to the import template and re-imported into an EMPTY
database gives the same scores.

The source is this test's database: three organisations with plausible values, a head's
self-report accepted (values of the head's own), a head's submitted self-assessment and an
enrolled reserve candidate (the inputs the portal derives from its own records), scored. The
full export (`export_template --with-derived`) is then restored, through `manage.py` in
subprocesses, into a second, freshly migrated SQLite database that holds nothing but the
registry (organisations and the period): `import_monitoring --with-derived`. Its scores must
equal the source's: index, level, groups, subgroups and every indicator's value, status, points
and flags, per organisation.
"""

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stdout
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import call_command

from monitoring.models import Score, Source, Value
from monitoring.selfreports import accept, start_report, submit
from monitoring.workbook import SHEET_DERIVED
from reserve import candidacies
from tests.conftest import make_org, make_person
from tests.monitoring.test_views_pages import fill_district
from tests.trajectories.test_assessments import submit as submit_assessment
from zelenchuk_portal.models import Organization, Period, Role

MANAGE = Path(settings.BASE_DIR) / "manage.py"
REPORT = {
    "development_program_status": "2",
    "internal_reserve_order": "1",
    "teachers_trained_3y": "18",
    "vsoko_items_done": "5",
    "profmin_covered": "150",
}
# The scores as a JSON-able dict, the same code on both sides (here, and in the restored
# database through `manage.py shell`).
DUMP = """
import json
from monitoring.models import Score
print(json.dumps({
    s.organization.code: [s.index, s.level, s.group_a, s.group_b, s.a1, s.a2, s.b1, s.b2, s.b3,
                          s.b4, s.b5, s.preliminary, s.risk_flags, s.results]
    for s in Score.objects.select_related("organization", "version")
}, sort_keys=True))
"""


def scores_here() -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        call_command("shell", "--no-imports", "-c", DUMP)
    return json.loads(out.getvalue())


def manage(db_url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "zelenchuk_portal.settings",
    }
    env.pop("CELERY_BROKER_URL", None)  # jobs run in the process, as on a laptop
    done = subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def source(period, official, org_a, org_b, principal_a):
    """The source district, scored (see the module docstring)."""
    kindergarten = make_org("K03", org_type="kindergarten", short_name="МКДОУ «Солнышко»")
    fill_district(period, [org_a, org_b, kindergarten], user=official, principal=False)
    report = start_report(period, org_a)
    submit(report, {code: Decimal(v) for code, v in REPORT.items()}, principal_a)
    accept(report, official)  # the head's values, stored with the head as their author
    submit_assessment(principal_a, period, default=2)
    person = make_person("reservist", Role.CANDIDATE, org_a, last_name="Резервова")
    candidacy = candidacies.nominate(
        person=person,
        organization=org_a,
        position="заместитель директора",
        reason="Результаты работы",
        by=official,
        on=date(2024, 10, 1),
    )
    candidacies.enrol(candidacy, order="15-к", on=date(2024, 10, 15), by=official)
    from monitoring.scoring import score_period

    score_period(period, trigger="test")
    return period


def test_the_full_export_restores_the_same_scores_into_an_empty_database(tmp_path, source):
    period = source
    expected = scores_here()
    a01 = expected["A01"][-1]
    # The inputs the portal derives count here: A1.4 (self-assessment) and A2.2 (reserve).
    assert a01["A1.4"][0] is not None and a01["A2.2"][0] == 1.0
    assert Value.objects.filter(source=Source.PRINCIPAL, organization__code="A01").exists()

    export = tmp_path / "export.xlsx"
    call_command(
        "export_template", "--period", period.label, "--with-derived", "--out", str(export)
    )
    derived = openpyxl.load_workbook(export, read_only=True)[SHEET_DERIVED]
    assert [row[0] for row in derived.iter_rows(min_row=2, values_only=True)] == [
        "A01",
        "B02",
        "K03",
    ]

    registry = tmp_path / "registry.json"
    registry.write_text(
        serializers.serialize(
            "json",
            [*Organization.objects.order_by("pk"), Period.objects.get(pk=period.pk)],
            fields=[
                "code",
                "full_name",
                "short_name",
                "org_type",
                "settlement",
                "area",
                "address",
                "is_active",
                "label",
                "start_date",
                "end_date",
                "monitoring_end",
                "status",
            ],
        ),
        encoding="utf-8",
    )
    empty = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    manage(empty, "migrate", "--noinput")
    manage(empty, "loaddata", str(registry))
    counts = manage(
        empty,
        "shell",
        "--no-imports",
        "-c",
        "from monitoring.models import Value; from trajectories.models import Assessment; "
        "from reserve.models import Candidacy; "
        "print(Value.objects.count(), Assessment.objects.count(), Candidacy.objects.count())",
    )
    assert counts.split() == ["0", "0", "0"]  # empty: no data, no records to derive from

    out = manage(
        empty, "import_monitoring", str(export), "--period", period.label, "--with-derived"
    )
    assert "баллы пересчитаны" in out
    restored = json.loads(manage(empty, "shell", "--no-imports", "-c", DUMP))
    assert sorted(restored) == sorted(expected) == ["A01", "B02", "K03"]
    for code in expected:
        assert restored[code] == expected[code], code


def test_the_ordinary_template_does_not_carry_derived_values(source, tmp_path):
    plain = tmp_path / "template.xlsx"
    call_command("export_template", "--period", source.label, "--out", str(plain))
    assert SHEET_DERIVED not in openpyxl.load_workbook(plain, read_only=True).sheetnames


def test_a_restore_needs_the_full_export(source, tmp_path):
    from django.core.management import CommandError

    plain = tmp_path / "template.xlsx"
    call_command("export_template", "--period", source.label, "--out", str(plain))
    Value.objects.all().delete()
    Score.objects.all().delete()
    with pytest.raises(CommandError):
        call_command("import_monitoring", str(plain), "--period", source.label, "--with-derived")
    assert not Value.objects.exists()
