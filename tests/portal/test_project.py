"""Project-wide guarantees: migrations, the demo seed, the Russian catalogue."""

import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from zelenchuk_portal.models import Membership, Organization, Period, Role, User

BASE = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_no_missing_migrations():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:  # --check exits 1 when a migration is missing
        pytest.fail(f"Models have changes without migrations:\n{out.getvalue()} ({exit_})")


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=StringIO())
    counts = (
        Organization.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Period.objects.count(),
    )
    call_command("seed_demo", stdout=StringIO())
    again = (
        Organization.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Period.objects.count(),
    )
    assert counts == again
    assert 30 <= counts[0] <= 40
    assert set(Organization.objects.values_list("org_type", flat=True)) == {
        "school",
        "kindergarten",
        "additional",
    }
    assert list(Period.objects.order_by("start_date").values_list("label", flat=True)) == [
        "2021/2022",
        "2022/2023",
        "2023/2024",
        "2024/2025",
        "2025/2026",
    ]
    for login, role in [
        ("official", Role.OFFICIAL),
        ("principal", Role.PRINCIPAL),
        ("principal2", Role.PRINCIPAL),
        ("mentor", Role.MENTOR),
        ("candidate", Role.CANDIDATE),
        ("expert", Role.EXPERT),
    ]:
        user = User.objects.get(username=login)
        assert user.check_password("zelenchuk-demo")
        assert user.has_role(role)
    principal_orgs = set(User.objects.get(username="principal").organizations_as(Role.PRINCIPAL))
    principal2_orgs = set(User.objects.get(username="principal2").organizations_as(Role.PRINCIPAL))
    assert principal_orgs and principal2_orgs and not principal_orgs & principal2_orgs


def test_russian_catalogue_is_complete():
    po = BASE / "locale" / "ru" / "LC_MESSAGES" / "django.po"
    assert po.exists()
    if shutil.which("msgfmt") is None:
        pytest.skip("gettext is not installed")
    stats = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert "untranslated" not in stats and "fuzzy" not in stats, stats
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime - 1, "run `make messages`"
