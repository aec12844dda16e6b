"""Heads' self-reports as domain functions: draft → submitted → accepted or returned."""

from decimal import Decimal

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from monitoring import selfreports
from monitoring.methodology import version_for
from monitoring.models import Score, SelfReport, Source, Value, ValueChange
from monitoring.scoring import score_period
from monitoring.synthetic import generate_period_values, generate_values
from monitoring.values import PeriodClosedError, ValueWrite, write_values
from tests.conftest import make_org
from zelenchuk_portal.models import PeriodStatus

SCHOOL_FIELDS = [
    ("A1", "development_program_status"),
    ("A2", "internal_reserve_order"),
    ("B4", "teachers_trained_3y"),
    ("B4", "vsoko_items_done"),
    ("B5", "profmin_covered"),
]
OTHER_FIELDS = SCHOOL_FIELDS[:3]


def _cleaned(**values) -> dict[str, Decimal | None]:
    base = {
        "development_program_status": 2,
        "internal_reserve_order": 1,
        "teachers_trained_3y": 18,
        "vsoko_items_done": 5,
        "profmin_covered": 150,
    }
    base.update(values)
    return {code: None if v is None else Decimal(str(v)) for code, v in base.items()}


def _store(period, org, user, **values):
    write_values(
        period,
        [ValueWrite(org.pk, code, Decimal(str(v))) for code, v in values.items()],
        source=Source.OFFICIAL,
        user=user,
    )


@pytest.fixture
def report(period, org_a):
    return selfreports.start_report(period, org_a)


@pytest.mark.parametrize(
    ("org_type", "expected"),
    [("school", SCHOOL_FIELDS), ("kindergarten", OTHER_FIELDS), ("additional", OTHER_FIELDS)],
)
def test_principal_inputs_depend_on_the_organisation_type(period, org_type, expected):
    catalogue = version_for(period).catalogue
    items = selfreports.principal_inputs(catalogue, org_type)
    assert [(subgroup, item.code) for subgroup, item in items] == expected
    assert all(item.provided_by == "principal" for _sg, item in items)


def test_report_for_stores_nothing_until_a_draft_is_saved(period, org_a):
    first = selfreports.report_for(period, org_a)
    assert first.pk is None and first.status == SelfReport.Status.DRAFT
    assert not SelfReport.objects.exists()  # opening the page leaves «not started» true
    selfreports.save_draft(first, {"vsoko_items_done": "3"})
    again = selfreports.report_for(period, org_a)
    assert again.pk == first.pk and again.values == {"vsoko_items_done": "3"}
    assert SelfReport.objects.count() == 1


def test_a_draft_keeps_raw_text_even_when_invalid(report):
    selfreports.save_draft(report, {"teachers_trained_3y": "двадцать", "vsoko_items_done": "99"})
    report.refresh_from_db()
    assert report.values == {"teachers_trained_3y": "двадцать", "vsoko_items_done": "99"}
    assert report.status == SelfReport.Status.DRAFT
    assert not Value.objects.exists()


def test_submit_refuses_missing_fields(report, principal_a):
    with pytest.raises(ValidationError) as caught:
        selfreports.submit(report, _cleaned(profmin_covered=None), principal_a)
    assert caught.value.messages == [gettext("Fill in every field before submitting.")]
    report.refresh_from_db()
    assert report.status == SelfReport.Status.DRAFT
    assert report.history == []


def test_submit_checks_consistency_against_stored_values(
    period, org_a, report, principal_a, official
):
    _store(period, org_a, official, teachers_total=20, students_6_11=400)
    with pytest.raises(ValidationError) as caught:
        selfreports.submit(report, _cleaned(teachers_trained_3y=25), principal_a)
    [message] = caught.value.messages
    assert message == (
        "Нарушено условие teachers_trained_3y ≤ teachers_total: «Из них прошли повышение "
        "квалификации за 3 года» = 25, «Педагогических работников» = 20"
    )
    report.refresh_from_db()
    assert report.status == SelfReport.Status.DRAFT


def test_submit_lists_every_broken_rule(period, org_a, report, principal_a, official):
    _store(period, org_a, official, teachers_total=20, students_6_11=100)
    with pytest.raises(ValidationError) as caught:
        selfreports.submit(
            report, _cleaned(teachers_trained_3y=25, profmin_covered=150), principal_a
        )
    messages = caught.value.messages
    assert len(messages) == 2
    assert any("teachers_trained_3y ≤ teachers_total" in m for m in messages)
    assert any("profmin_covered ≤ students_6_11" in m and "= 150" in m for m in messages)


def test_submit_ignores_stored_breaks_the_report_does_not_touch(
    period, org_a, report, principal_a, official
):
    """Stored data the head cannot change (ОО-1 counts) must not block the self-report."""
    write_values(
        period,
        [
            ValueWrite(org_a.pk, "grad9_total", Decimal("20")),
            ValueWrite(org_a.pk, "grad9_certificate", Decimal("25")),
            ValueWrite(org_a.pk, "teachers_total", Decimal("40")),
        ],
        source=Source.OFFICIAL,
        user=official,
    )
    selfreports.submit(report, _cleaned(), principal_a)
    report.refresh_from_db()
    assert report.status == SelfReport.Status.SUBMITTED


def test_submit_without_stored_counterpart_passes(report, principal_a):
    """With no teachers_total stored yet, there is nothing to compare with (missing is not 0)."""
    selfreports.submit(report, _cleaned(), principal_a)
    report.refresh_from_db()
    assert report.status == SelfReport.Status.SUBMITTED
    assert report.submitted_by == principal_a
    assert report.submitted_at is not None
    assert report.values == {
        "development_program_status": "2",
        "internal_reserve_order": "1",
        "teachers_trained_3y": "18",
        "vsoko_items_done": "5",
        "profmin_covered": "150",
    }
    assert [entry["status"] for entry in report.history] == [str(SelfReport.Status.SUBMITTED.label)]
    assert report.history[0]["by"] == principal_a.full_name


def test_a_submitted_report_cannot_be_edited(report, principal_a):
    selfreports.submit(report, _cleaned(), principal_a)
    with pytest.raises(ValidationError):
        selfreports.save_draft(report, {"teachers_trained_3y": "1"})
    with pytest.raises(ValidationError):
        selfreports.submit(report, _cleaned(), principal_a)
    report.refresh_from_db()
    assert report.values["teachers_trained_3y"] == "18"


def test_accept_stores_values_as_the_heads_and_changes_the_score(
    period, org_a, org_b, report, principal_a, official
):
    catalogue = version_for(period).catalogue
    types = pd.Series({"A01": "school", "B02": "school"})
    without = generate_values(catalogue, types, 0, include_principal_inputs=False)
    full = generate_values(catalogue, types, 0)
    ids = {"A01": org_a.pk, "B02": org_b.pk}
    writes = [ValueWrite(ids[o], c, v) for (o, c), v in without.stack().dropna().items()]
    writes += [ValueWrite(None, c, v) for c, v in generate_period_values(catalogue, 0).items()]
    write_values(period, writes, source=Source.IMPORT, user=official)
    score_period(period, trigger="test")
    before = Score.objects.get(organization=org_a)
    before_b = Score.objects.get(organization=org_b)

    reported = {code: full.loc["A01", code] for _sg, code in SCHOOL_FIELDS}
    selfreports.submit(report, {c: Decimal(str(v)) for c, v in reported.items()}, principal_a)
    selfreports.accept(report, official, "Подтверждено приказом")
    report.refresh_from_db()
    assert report.status == SelfReport.Status.ACCEPTED
    assert (report.reviewed_by, report.review_comment) == (official, "Подтверждено приказом")

    for code, number in reported.items():
        value = Value.objects.get(period=period, organization=org_a, input_code=code)
        assert value.value == Decimal(str(number))
        assert value.source == Source.PRINCIPAL
        assert (value.entered_by, value.accepted_by) == (principal_a, official)
    assert ValueChange.objects.filter(source=Source.PRINCIPAL).count() == 5

    score_period(period, trigger="self-report", user=official)
    after = Score.objects.get(organization=org_a)
    assert after.index != before.index
    for indicator in ("A1.7", "A2.1", "B4.3", "B4.9", "B5.1"):  # read the self-reported inputs
        assert before.results[indicator][1] == "нет данных", indicator
        assert after.results[indicator][1] == "значение", indicator
    # B's score does not move: A's report only concerns A.
    assert Score.objects.get(organization=org_b).b4 == before_b.b4


def test_only_a_submitted_report_can_be_accepted_or_returned(report, official):
    with pytest.raises(ValidationError) as accepted:
        selfreports.accept(report, official)
    assert accepted.value.messages == [gettext("Only a submitted self-report can be accepted.")]
    with pytest.raises(ValidationError) as returned:
        selfreports.return_for_correction(report, official, "Исправьте")
    assert returned.value.messages == [gettext("Only a submitted self-report can be returned.")]


def test_return_requires_a_comment(report, principal_a, official):
    selfreports.submit(report, _cleaned(), principal_a)
    with pytest.raises(ValidationError) as caught:
        selfreports.return_for_correction(report, official, "   ")
    assert caught.value.messages == [gettext("Say what to correct: the comment goes to the head.")]
    report.refresh_from_db()
    assert report.status == SelfReport.Status.SUBMITTED


def test_return_then_resubmit_keeps_the_history(report, principal_a, official):
    selfreports.submit(report, _cleaned(), principal_a)
    selfreports.return_for_correction(report, official, "  Приложите приказ о ВСОКО  ")
    report.refresh_from_db()
    assert report.status == SelfReport.Status.RETURNED
    assert report.is_editable
    assert report.review_comment == "Приложите приказ о ВСОКО"
    assert not Value.objects.exists()  # a returned report stores nothing

    selfreports.save_draft(report, {"vsoko_items_done": "6"})
    selfreports.submit(report, _cleaned(vsoko_items_done=6), principal_a)
    selfreports.accept(report, official)
    report.refresh_from_db()
    statuses = [
        SelfReport.Status.SUBMITTED.label,
        SelfReport.Status.RETURNED.label,
        SelfReport.Status.SUBMITTED.label,
        SelfReport.Status.ACCEPTED.label,
    ]
    assert [entry["status"] for entry in report.history] == [str(s) for s in statuses]
    assert [entry["comment"] for entry in report.history] == [
        "",
        "Приложите приказ о ВСОКО",
        "",
        "",
    ]
    assert [entry["by"] for entry in report.history] == [
        principal_a.full_name,
        official.full_name,
        principal_a.full_name,
        official.full_name,
    ]
    assert Value.objects.get(input_code="vsoko_items_done").value == Decimal("6")


def test_a_closed_period_refuses_every_step(period, report, principal_a, official):
    selfreports.submit(report, _cleaned(), principal_a)
    returned = selfreports.start_report(period, make_org("C04"))
    period.status = PeriodStatus.CLOSED
    period.save()
    report.period.refresh_from_db()
    returned.period.refresh_from_db()
    with pytest.raises(PeriodClosedError):
        selfreports.accept(report, official)
    with pytest.raises(PeriodClosedError):
        selfreports.return_for_correction(report, official, "Исправьте")
    with pytest.raises(PeriodClosedError):
        selfreports.save_draft(returned, {"teachers_trained_3y": "1"})
    with pytest.raises(PeriodClosedError):
        selfreports.submit(returned, _cleaned(), principal_a)
    report.refresh_from_db()
    assert report.status == SelfReport.Status.SUBMITTED
    assert not Value.objects.exists()
