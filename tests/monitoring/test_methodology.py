"""Methodology versions: the default one from the migration, officials' edits as new versions."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext

from monitoring.forms import MethodologyForm
from monitoring.methodology import DEFAULT_VERSION_NAME, derive_version, version_for
from monitoring.models import MethodologyVersion, PeriodMethodology, Score, Source
from monitoring.scoring import score_period
from monitoring.values import ValueWrite, write_values
from zelenchuk_portal.models import Period, PeriodStatus

DEFAULT_CUTOFFS = {"high": 80.0, "optimal": 65.0, "acceptable": 50.0}


def _derive(period, user, params=None, **kwargs):
    return derive_version(
        period,
        params=params or {},
        weight_a=kwargs.get("weight_a", 0.3),
        weight_b=kwargs.get("weight_b", 0.7),
        cutoffs=kwargs.get("cutoffs", DEFAULT_CUTOFFS),
        comment=kwargs.get("comment", "Пороги повышения квалификации"),
        user=user,
    )


def _hours(period, org, hours, user):
    write_values(
        period,
        [ValueWrite(org.pk, "mgmt_training_hours_3y", Decimal(hours))],
        source=Source.OFFICIAL,
        user=user,
    )


def _a12(org, period) -> list:
    return Score.objects.get(period=period, organization=org).results["A1.2"]


@pytest.fixture
def last_year(db):
    return Period.objects.create(
        label="2023/2024",
        start_date=date(2023, 9, 1),
        end_date=date(2024, 8, 31),
        status=PeriodStatus.OPEN,
    )


def test_the_migration_provides_the_published_methodology(period):
    version = version_for(period)
    assert version.name == DEFAULT_VERSION_NAME
    assert version.based_on is None
    catalogue = version.catalogue
    assert (len(catalogue.inputs), len(catalogue.indicators)) == (75, 49)
    assert (catalogue.weight_a, catalogue.weight_b) == (0.3, 0.7)
    assert catalogue.cutoffs == DEFAULT_CUTOFFS
    assert PeriodMethodology.objects.get(period=period).version == version
    assert version_for(period) == version  # the link is made once


def test_derive_creates_a_new_version_for_the_period(period, official):
    old = version_for(period)
    new = _derive(period, official, {"A1.2": " 2:36|1:8 "}, cutoffs={**DEFAULT_CUTOFFS, "high": 85})
    assert new.pk != old.pk
    assert (new.based_on, new.created_by, new.comment) == (
        old,
        official,
        "Пороги повышения квалификации",
    )
    assert version_for(period) == new
    assert MethodologyVersion.objects.count() == 2
    params = {i.code: i.params for i in new.catalogue.indicators}
    assert params["A1.2"] == "2:36|1:8"
    assert params["A1.3"] == "4:2|3:2|2:1|1:0|0:0"  # untouched indicators are copied
    assert new.catalogue.cutoffs == {"high": 85.0, "optimal": 65.0, "acceptable": 50.0}
    assert new.catalogue.inputs == old.catalogue.inputs
    # The old version is left exactly as it was.
    old = MethodologyVersion.objects.get(pk=old.pk)
    assert {i.code: i.params for i in old.catalogue.indicators}["A1.2"] == "2:72|1:16"
    assert old.cutoff_high == Decimal("80.0")


def test_a_closed_period_keeps_its_version(period, official):
    old = version_for(period)
    period.status = PeriodStatus.CLOSED
    period.save()
    with pytest.raises(ValidationError) as caught:
        _derive(period, official, {"A1.2": "2:36|1:8"})
    assert caught.value.messages == [
        gettext("The period is closed: its methodology cannot change.")
    ]
    assert version_for(period) == old
    assert MethodologyVersion.objects.count() == 1


def test_an_edit_leaves_other_periods_and_their_scores_alone(period, last_year, org_a, official):
    _hours(last_year, org_a, "20", official)
    score_period(last_year, trigger="test")
    old_version = version_for(last_year)
    before = Score.objects.get(period=last_year, organization=org_a)
    assert _a12(org_a, last_year)[2] == 1  # 20 h: ≥ 16 → 1 point under «2:72|1:16»
    last_year.status = PeriodStatus.CLOSED
    last_year.save()

    _hours(period, org_a, "20", official)
    new_version = _derive(period, official, {"A1.2": "2:18|1:8"})
    score_period(period, trigger="methodology", user=official)

    assert version_for(last_year) == old_version
    after = Score.objects.get(period=last_year, organization=org_a)
    assert (after.pk, after.version_id, after.index, after.a1) == (
        before.pk,
        old_version.pk,
        before.index,
        before.a1,
    )
    assert _a12(org_a, last_year)[2] == 1
    # The edited period is scored with its new version: 20 h ≥ 18 → 2 points.
    current = Score.objects.get(period=period, organization=org_a)
    assert current.version_id == new_version.pk
    assert _a12(org_a, period)[2] == 2


def test_an_edit_leaves_another_open_periods_version(period, last_year, official):
    old = version_for(last_year)
    version_for(period)
    _derive(period, official, {"A1.2": "2:36|1:8"})
    assert version_for(last_year) == old


def test_invalid_params_are_refused_naming_the_indicator(period, official):
    with pytest.raises(ValidationError) as caught:
        _derive(period, official, {"A1.2": "2:abc"})
    assert caught.value.messages == [
        "A1.2: Пороги «2:abc»: не удалось разобрать «2:abc» — ожидается «баллы:порог|баллы:порог», "
        "где порог — число, >0, median, median+K, median-K, ref, ref+K или ref-K"
    ]
    assert MethodologyVersion.objects.count() == 1


def test_points_above_the_maximum_are_refused(period, official):
    with pytest.raises(ValidationError) as caught:
        _derive(period, official, {"A1.3": "4:3|3:2|2:1|1:0|0:0"})
    assert caught.value.messages == ["A1.3: уровни «4:3|3:2|2:1|1:0|0:0»: баллы больше максимума 2"]


def test_cutoffs_that_do_not_decrease_are_refused(period, official):
    with pytest.raises(ValidationError) as caught:
        _derive(period, official, cutoffs={"high": 60.0, "optimal": 65.0, "acceptable": 50.0})
    assert caught.value.messages == [
        "Пороги уровней должны строго убывать (высокий > оптимальный > допустимый) и лежать в "
        "пределах 0–100; сейчас 60.0 > 65.0 > 50.0"
    ]


# --- the edit page ---------------------------------------------------------------------------


def _form_data(period, changes) -> dict[str, str]:
    """Everything the page's form posts, as the official left it, with `changes`."""
    form = MethodologyForm(catalogue=version_for(period).catalogue)
    data = {
        "weight_a": "0,3",
        "weight_b": "0,7",
        "cutoff_high": "80",
        "cutoff_optimal": "65",
        "cutoff_acceptable": "50",
        "comment": "Новые пороги",
    }
    for name, field in form.fields.items():
        if name.startswith("params_"):
            data[name] = field.initial or ""
    data.update(changes)
    return data


def test_the_page_saves_a_new_version_and_rescores(login, official, period, org_a):
    _hours(period, org_a, "20", official)
    client = login(official)
    url = reverse("monitoring:methodology_edit", args=[period.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, _form_data(period, {"params_A1.2": "2:18|1:8", "cutoff_high": "85"})
    )
    assert response.status_code == 302
    assert response.url == reverse("monitoring:period_detail", args=[period.pk])
    version = version_for(period)
    assert version.based_on is not None
    assert version.cutoff_high == Decimal("85")
    assert version.comment == "Новые пороги"
    assert _a12(org_a, period)[2] == 2
    assert Score.objects.get(organization=org_a).run.trigger == "methodology"


def test_the_page_refuses_weights_not_adding_up_to_one(login, official, period):
    client = login(official)
    url = reverse("monitoring:methodology_edit", args=[period.pk])
    response = client.post(url, _form_data(period, {"weight_a": "0,4", "weight_b": "0,7"}))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        gettext("The weights of groups A and B must add up to 1.")
    ]
    assert MethodologyVersion.objects.count() == 1


def test_the_page_shows_invalid_params_as_form_errors(login, official, period):
    client = login(official)
    url = reverse("monitoring:methodology_edit", args=[period.pk])
    response = client.post(url, _form_data(period, {"params_A1.2": "2:abc"}))
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert error.startswith("A1.2: Пороги «2:abc»")
    assert "A1.2: Пороги «2:abc»" in response.content.decode()
    assert MethodologyVersion.objects.count() == 1


def test_the_page_changes_nothing_for_a_closed_period(login, official, period):
    period.status = PeriodStatus.CLOSED
    period.save()
    client = login(official)
    url = reverse("monitoring:methodology_edit", args=[period.pk])
    response = client.post(url, _form_data(period, {"params_A1.2": "2:18|1:8"}))
    assert response.status_code == 200
    assert MethodologyVersion.objects.count() == 1
