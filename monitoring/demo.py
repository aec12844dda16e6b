"""Demo monitoring data: four closed periods and the open one, with gaps, pending self-reports and
risk cases, so that every screen has something real to show. Generated (plausibly, and marked
as demo data in each value's provenance) by `synthetic.py`; idempotent like the whole seed.
"""

from decimal import Decimal

import pandas as pd
from django.db import transaction

from zelenchuk_portal.models import Organization, Period, PeriodStatus, User

from . import selfreports
from .demo_cycle import issue_letters, seed_cycle
from .methodology import version_for
from .models import SelfReport, Source, Value
from .scoring import score_period
from .synthetic import generate_period_values, generate_values
from .values import ValueWrite, write_values

REASON = "демонстрационные данные"
# Self-reports of the open period, by organisation code: the demo principal's is a draft to
# finish, principal2's awaits review; others are accepted or returned.
OPEN_REPORTS = {
    "0101": SelfReport.Status.DRAFT,
    "0102": SelfReport.Status.SUBMITTED,
    "0105": SelfReport.Status.SUBMITTED,
    "0201": SelfReport.Status.SUBMITTED,
    "0108": SelfReport.Status.RETURNED,
    "0103": SelfReport.Status.ACCEPTED,
    "0104": SelfReport.Status.ACCEPTED,
    "0106": SelfReport.Status.ACCEPTED,
    "0202": SelfReport.Status.ACCEPTED,
    "0301": SelfReport.Status.ACCEPTED,
}


def _writes(frame: pd.DataFrame, ids: dict[str, int]) -> list[ValueWrite]:
    return [
        ValueWrite(ids[code], input_code, value)
        for (code, input_code), value in frame.stack().dropna().items()
    ]


def _seed_period(period, index, organizations, official) -> None:
    catalogue = version_for(period).catalogue
    ids = {org.code: org.pk for org in organizations}
    types = pd.Series({org.code: org.org_type for org in organizations})
    is_open = period.status == PeriodStatus.OPEN
    frame = generate_values(
        catalogue,
        types,
        index,
        missing_rate=0.02 if is_open else 0.0,
        include_principal_inputs=not is_open,
    )
    writes = _writes(frame, ids)
    writes += [
        ValueWrite(None, code, value)
        for code, value in generate_period_values(catalogue, index).items()
    ]
    closed = period.is_closed
    # The demo fills closed periods as the office did while they were open; the database row
    # keeps its status, only this object is opened for the writes.
    period.status = PeriodStatus.OPEN
    write_values(period, writes, source=Source.OFFICIAL, user=official, reason=REASON)
    if is_open:
        _seed_self_reports(period, index, organizations, official)
    score_period(period, trigger="seed_demo", user=official)
    seed_cycle(period, organizations, official, closed=closed)
    late = ("0109", "0205") if closed else ("0110",)
    unissued = () if closed else ("0104", "0111", "0203", "0302")
    issue_letters(period, official, late=late, unissued=unissued)
    if closed:
        period.status = PeriodStatus.CLOSED


def _seed_self_reports(period, index, organizations, official) -> None:
    catalogue = version_for(period).catalogue
    by_code = {org.code: org for org in organizations}
    for code, status in OPEN_REPORTS.items():
        organization = by_code.get(code)
        if organization is None:
            continue
        head = organization.head or official
        items = selfreports.principal_inputs(catalogue, organization.org_type)
        full = generate_values(catalogue, pd.Series({code: organization.org_type}), index)
        answers = {item.code: full.at[code, item.code] for _sg, item in items}
        report = selfreports.report_for(period, organization)
        if status == SelfReport.Status.DRAFT:
            first = dict(list(answers.items())[:2])  # half-filled: the head is still working
            selfreports.save_draft(report, {c: f"{v:g}" for c, v in first.items()})
            continue
        selfreports.submit(report, {c: Decimal(str(v)) for c, v in answers.items()}, head)
        if status == SelfReport.Status.ACCEPTED:
            selfreports.accept(report, official, "")
        elif status == SelfReport.Status.RETURNED:
            selfreports.return_for_correction(
                report,
                official,
                "Приложите приказ о внутреннем резерве и уточните число педагогов, "
                "прошедших повышение квалификации.",
            )


@transaction.atomic
def seed(stdout=None) -> None:
    official = User.objects.filter(username="official").first()
    organizations = list(Organization.objects.active().order_by("code"))
    periods = list(Period.objects.order_by("start_date"))
    seeded = 0
    for index, period in enumerate(periods):
        if Value.objects.filter(period=period).exists():
            continue  # already seeded (or real data): leave it as it is
        _seed_period(period, index, organizations, official)
        seeded += 1
    if stdout:
        stdout.write(f"Мониторинг: заполнено периодов — {seeded}.")
