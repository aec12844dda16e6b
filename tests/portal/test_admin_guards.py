"""The Django admin keeps the portal's rules: a closed period is read-only there too, its status
is changed only in the portal (with a reason), and an admin save moves a record's revision."""

from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.conftest import make_person
from zelenchuk_portal.admin import ClosedPeriodReadOnly, RevisionedAdmin
from zelenchuk_portal.concurrency import Revisioned
from zelenchuk_portal.models import Organization, Period, PeriodStatus


def _has_period(model) -> bool:
    return model is Period or any(
        getattr(field, "related_model", None) is Period for field in model._meta.get_fields()
    )


def test_every_admin_of_period_data_keeps_closed_periods_read_only():
    unguarded = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if _has_period(model) and not isinstance(model_admin, ClosedPeriodReadOnly)
    ]
    assert unguarded == []


def test_every_admin_of_an_edited_record_moves_its_revision():
    unguarded = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if issubclass(model, Revisioned) and not isinstance(model_admin, RevisionedAdmin)
    ]
    assert unguarded == []


@pytest.fixture
def superuser(db):
    return make_person("root", None, is_staff=True, is_superuser=True)


@pytest.fixture
def closed(db):
    return Period.objects.create(
        label="2023/2024",
        start_date=date(2023, 9, 1),
        end_date=date(2024, 8, 31),
        status=PeriodStatus.CLOSED,
    )


def _period_form(period, **changes):
    data = {
        "label": period.label,
        "start_date": period.start_date.isoformat(),
        "end_date": period.end_date.isoformat(),
        "monitoring_end": "",
        "status": period.status,
    }
    return {**data, **changes}


def test_a_closed_period_can_be_neither_changed_nor_deleted(login, superuser, closed):
    client = login(superuser)
    change = reverse("admin:zelenchuk_portal_period_change", args=[closed.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    refused = client.post(change, _period_form(closed, label="2023/24", status="open"))
    assert refused.status_code == 403
    delete = reverse("admin:zelenchuk_portal_period_delete", args=[closed.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    closed.refresh_from_db()
    assert (closed.label, closed.status) == ("2023/2024", PeriodStatus.CLOSED)


def test_an_open_period_s_status_is_not_edited_in_the_admin(login, superuser, period):
    client = login(superuser)
    change = reverse("admin:zelenchuk_portal_period_change", args=[period.pk])
    response = client.post(change, _period_form(period, label="2024/25", status="closed"))
    assert response.status_code == 302
    period.refresh_from_db()
    assert (period.label, period.status) == ("2024/25", PeriodStatus.OPEN)


def test_an_admin_save_moves_the_revision(login, superuser, org_a):
    client = login(superuser)
    change = reverse("admin:zelenchuk_portal_organization_change", args=[org_a.pk])
    data = {
        "code": org_a.code,
        "full_name": org_a.full_name,
        "short_name": "Переименована",
        "org_type": org_a.org_type,
        "settlement": org_a.settlement,
        "area": org_a.area,
        "address": "",
        "is_active": "on",
    }
    assert client.post(change, data).status_code == 302
    stored = Organization.objects.get(pk=org_a.pk)
    assert (stored.short_name, stored.revision, stored.revised_by) == (
        "Переименована",
        org_a.revision + 1,
        superuser,
    )
