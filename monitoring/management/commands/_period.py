"""The `--period 2024/2025` argument every monitoring command takes."""

from django.core.management.base import CommandError

from zelenchuk_portal.models import Period


def add_period_argument(parser) -> None:
    parser.add_argument("--period", required=True, help="Period label, e.g. 2024/2025")


def get_period(label: str) -> Period:
    try:
        return Period.objects.get(label=label)
    except Period.DoesNotExist:
        known = ", ".join(Period.objects.order_by("start_date").values_list("label", flat=True))
        raise CommandError(f"Нет периода «{label}». Есть: {known or 'ни одного'}.") from None
