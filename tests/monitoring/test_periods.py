"""Closing and reopening a period: read-only when closed, reopening needs a recorded reason."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from monitoring.models import PeriodEvent, Score, ScoringRun, Source, Value
from monitoring.periods import close_period, reopen_period
from monitoring.scoring import score_period
from monitoring.values import PeriodClosedError, ValueWrite, write_values
from zelenchuk_portal.models import Period, PeriodStatus


def _write(period, org, user, value):
    return write_values(
        period,
        [ValueWrite(org.pk, "grad9_total", Decimal(value))],
        source=Source.OFFICIAL,
        user=user,
    )


def test_close_records_an_event_and_makes_the_period_read_only(period, org_a, official):
    _write(period, org_a, official, "30")
    score_period(period, trigger="test")
    close_period(period, official, "  Итоги утверждены приказом № 12  ")

    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED
    event = PeriodEvent.objects.get()
    assert (event.action, event.reason, event.by) == (
        PeriodEvent.Action.CLOSE,
        "Итоги утверждены приказом № 12",
        official,
    )
    with pytest.raises(PeriodClosedError):
        _write(period, org_a, official, "31")
    with pytest.raises(PeriodClosedError):
        score_period(period, trigger="test")
    assert Value.objects.get().value == Decimal("30")
    assert ScoringRun.objects.count() == 1
    assert Score.objects.count() == 1


def test_closing_twice_is_refused(period, official):
    close_period(period, official)
    with pytest.raises(ValidationError) as caught:
        close_period(period, official)
    assert caught.value.messages == [gettext("Period %s is already closed.") % "2024/2025"]
    assert PeriodEvent.objects.count() == 1


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_reopening_needs_a_reason(period, official, reason):
    close_period(period, official)
    with pytest.raises(ValidationError) as caught:
        reopen_period(period, official, reason)
    assert caught.value.messages == [
        gettext("Say why the period is reopened: the reason is recorded.")
    ]
    assert Period.objects.get().status == PeriodStatus.CLOSED
    assert PeriodEvent.objects.count() == 1


def test_reopening_an_open_period_is_refused(period, official):
    with pytest.raises(ValidationError) as caught:
        reopen_period(period, official, "Ошибка в данных")
    assert caught.value.messages == [gettext("Period %s is open already.") % "2024/2025"]
    assert not PeriodEvent.objects.exists()


def test_reopen_with_a_reason_allows_writes_again(period, org_a, official):
    _write(period, org_a, official, "30")
    close_period(period, official, "Итоги")
    reopen_period(period, official, "Ошибка в ОО-1 школы A01")
    period.refresh_from_db()
    assert period.status == PeriodStatus.OPEN
    assert [(e.action, e.reason) for e in PeriodEvent.objects.order_by("at", "id")] == [
        (PeriodEvent.Action.CLOSE, "Итоги"),
        (PeriodEvent.Action.REOPEN, "Ошибка в ОО-1 школы A01"),
    ]
    summary = _write(period, org_a, official, "31")
    assert summary.changed == 1
    run = score_period(period, trigger="test")
    assert run.organizations == 1
