"""`write_values`: counts, history with old → new, provenance, idempotence, closed periods."""

from decimal import Decimal

import pytest
from django.utils.translation import gettext

from monitoring.models import Source, Value, ValueChange
from monitoring.values import (
    PeriodClosedError,
    ValueWrite,
    org_values,
    period_scope_values,
    value_table,
    write_values,
)
from zelenchuk_portal.models import PeriodStatus


def _write(period, writes, **kwargs):
    kwargs.setdefault("source", Source.OFFICIAL)
    return write_values(period, writes, **kwargs)


def test_new_values_are_counted_and_stored_with_history(period, org_a, official):
    summary = _write(
        period,
        [
            ValueWrite(org_a.pk, "grad9_total", Decimal("30")),
            ValueWrite(org_a.pk, "grad9_certificate", Decimal("28")),
            ValueWrite(None, "oge_fail_region", Decimal("4.5")),
        ],
        user=official,
        reason="Данные ОО-1",
    )
    assert (summary.new, summary.changed, summary.unchanged, summary.written) == (3, 0, 0, 3)
    assert Value.objects.filter(period=period).count() == 3
    changes = ValueChange.objects.filter(period=period).order_by("input_code")
    assert [(c.input_code, c.old_value, c.new_value) for c in changes] == [
        ("grad9_certificate", None, Decimal("28")),
        ("grad9_total", None, Decimal("30")),
        ("oge_fail_region", None, Decimal("4.5")),
    ]
    assert period_scope_values(period) == {"oge_fail_region": 4.5}
    assert value_table(period) == {("A01", "grad9_total"): 30.0, ("A01", "grad9_certificate"): 28.0}


def test_changed_and_unchanged_values_are_told_apart(period, org_a, org_b, official):
    _write(
        period,
        [
            ValueWrite(org_a.pk, "grad9_total", Decimal("30")),
            ValueWrite(org_b.pk, "grad9_total", Decimal("12")),
        ],
        user=official,
    )
    summary = _write(
        period,
        [
            ValueWrite(org_a.pk, "grad9_total", Decimal("31")),  # changed
            ValueWrite(org_b.pk, "grad9_total", Decimal("12.0000")),  # the same number
            ValueWrite(org_b.pk, "grad11_total", Decimal("5")),  # new
        ],
        user=official,
        reason="Исправление",
    )
    assert (summary.new, summary.changed, summary.unchanged) == (1, 1, 1)
    history = ValueChange.objects.filter(organization=org_a, input_code="grad9_total")
    assert [(c.old_value, c.new_value) for c in history] == [
        (Decimal("30"), Decimal("31")),
        (None, Decimal("30")),
    ]
    assert history[0].reason == "Исправление"
    assert ValueChange.objects.filter(organization=org_b, input_code="grad9_total").count() == 1
    assert Value.objects.get(organization=org_a, input_code="grad9_total").value == Decimal("31")


def test_numbers_that_differ_only_in_notation_are_unchanged(period, org_a, official):
    _write(period, [ValueWrite(org_a.pk, "internet_mbps", Decimal("78.5"))], user=official)
    summary = _write(period, [ValueWrite(org_a.pk, "internet_mbps", 78.50)], user=official)
    assert (summary.new, summary.changed, summary.unchanged) == (0, 0, 1)


def test_writing_the_same_values_twice_changes_nothing(period, org_a, org_b, official):
    writes = [
        ValueWrite(org_a.pk, "grad9_total", Decimal("30"), "Данные", 2),
        ValueWrite(org_b.pk, "grad9_total", Decimal("12"), "Данные", 3),
        ValueWrite(None, "ege_80plus_region", Decimal("7.2"), "Справочные значения", 4),
    ]
    _write(period, writes, user=official)
    before = list(Value.objects.order_by("pk").values_list("pk", "value", "updated_at"))
    summary = _write(period, writes, user=official)
    assert (summary.new, summary.changed, summary.unchanged, summary.written) == (0, 0, 3, 0)
    assert list(Value.objects.order_by("pk").values_list("pk", "value", "updated_at")) == before
    assert ValueChange.objects.count() == 3


def test_provenance_of_an_official_entry(period, org_a, official):
    _write(
        period,
        [ValueWrite(org_a.pk, "unresolved_violations", Decimal("2"))],
        source=Source.OFFICIAL,
        user=official,
        reason="Акт проверки № 5",
    )
    value = org_values(period, org_a)["unresolved_violations"]
    assert value.source == Source.OFFICIAL
    assert value.entered_by == official
    assert value.accepted_by is None
    assert value.import_record is None
    assert (value.sheet, value.row) == ("", None)
    assert value.reason == "Акт проверки № 5"
    change = ValueChange.objects.get()
    assert (change.changed_by, change.source, change.reason) == (
        official,
        Source.OFFICIAL,
        "Акт проверки № 5",
    )


def test_provenance_follows_the_latest_write(period, org_a, principal_a, official):
    _write(
        period,
        [ValueWrite(org_a.pk, "teachers_trained_3y", Decimal("10"), "Данные", 7)],
        source=Source.OFFICIAL,
        user=official,
    )
    _write(
        period,
        [ValueWrite(org_a.pk, "teachers_trained_3y", Decimal("12"))],
        source=Source.PRINCIPAL,
        user=principal_a,
        accepted_by=official,
        reason="Самоотчёт принят",
    )
    value = Value.objects.get(organization=org_a, input_code="teachers_trained_3y")
    assert (value.value, value.source) == (Decimal("12"), Source.PRINCIPAL)
    assert (value.entered_by, value.accepted_by) == (principal_a, official)
    # The sheet and row of the earlier import do not stick to a value typed in a form.
    assert (value.sheet, value.row) == ("", None)
    latest = ValueChange.objects.filter(input_code="teachers_trained_3y").first()
    assert (latest.old_value, latest.new_value, latest.changed_by) == (
        Decimal("10"),
        Decimal("12"),
        principal_a,
    )
    assert (latest.source, latest.reason) == (Source.PRINCIPAL, "Самоотчёт принят")


def test_an_empty_write_is_a_no_op(period, official):
    summary = _write(period, [], user=official)
    assert (summary.new, summary.changed, summary.unchanged) == (0, 0, 0)


def test_a_closed_period_refuses_writes_with_a_message(period, org_a, official):
    _write(period, [ValueWrite(org_a.pk, "grad9_total", Decimal("30"))], user=official)
    period.status = PeriodStatus.CLOSED
    period.save()
    with pytest.raises(PeriodClosedError) as caught:
        _write(period, [ValueWrite(org_a.pk, "grad9_total", Decimal("31"))], user=official)
    expected = gettext(
        "Period %s is closed: its data and scores are read-only. Reopen it first (with a reason)."
    )
    assert caught.value.messages == [expected % "2024/2025"]
    assert "2024/2025" in caught.value.messages[0]
    assert Value.objects.get(organization=org_a).value == Decimal("30")
    assert ValueChange.objects.count() == 1


def test_the_closed_period_message_is_russian(period, org_a, official):
    period.status = PeriodStatus.CLOSED
    period.save()
    with pytest.raises(PeriodClosedError) as caught:
        _write(period, [ValueWrite(org_a.pk, "grad9_total", Decimal("31"))], user=official)
    assert caught.value.messages == [
        "Период 2024/2025 закрыт: его данные и баллы доступны только для чтения. Сначала "
        "откройте его повторно (с указанием причины)."
    ]
