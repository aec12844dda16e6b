"""Closing and reopening a period: a closed period's values and scores are read-only."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zelenchuk_portal.models import Period, PeriodStatus

from .models import PeriodEvent


@transaction.atomic
def close_period(period: Period, user, reason: str = "") -> None:
    if period.is_closed:
        raise ValidationError(_("Period %s is already closed.") % period)
    period.status = PeriodStatus.CLOSED
    period.save(update_fields=["status"])
    PeriodEvent.objects.create(
        period=period, action=PeriodEvent.Action.CLOSE, reason=reason.strip(), by=user
    )


@transaction.atomic
def reopen_period(period: Period, user, reason: str) -> None:
    """Reopening changes official results, so it needs a reason, which is kept."""
    if not period.is_closed:
        raise ValidationError(_("Period %s is open already.") % period)
    if not reason.strip():
        raise ValidationError(_("Say why the period is reopened: the reason is recorded."))
    period.status = PeriodStatus.OPEN
    period.save(update_fields=["status"])
    PeriodEvent.objects.create(
        period=period, action=PeriodEvent.Action.REOPEN, reason=reason.strip(), by=user
    )
