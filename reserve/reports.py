"""The reserve report for a period («показатели кадрового резерва», RESERVE.md).

The order's seven rows with their exact wordings, plus the added row «4a» so that the
completion rows add up to row 2 (rows 3 + 4 + 4a + 5 = row 2), district-wide and broken down by
organisation. One builder, `build_reserve_report`, feeds the page, the Excel workbook, the PDF and
the `reserve_report` command, so they never disagree; the monitoring provider reads the same
members (`members`).

Definitions (docs/reserve.md):
- row 1: people in the reserve during the period (`Candidacy.objects.in_reserve_during`), each
  counted once; by organisation, a person with two candidacies in the period counts in the
  organisation of the later enrolment, so the organisations add up to the district;
- row 2: of them, people with a development plan (trajectories) of the period;
- rows 3, 4, 4a, 5: that plan's completion at the period's end (whole %, rounded down; tasks
  done after the end do not count; a plan with no tasks is at 0 %): 100 → row 3, 50–90 → row 4
  (the order's «от 50 до 90%» includes both ends), 91–99 → row 4a, below 50 → row 5;
- row 6: candidacies enrolled within the period;
- row 7: candidacies (any status: the order counts «претенденты») with a training that ended
  within the period, each counted once.

A fixed number of queries whatever the size of the reserve.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from trajectories.plans import completion_by_person
from zelenchuk_portal.excel import Sheet, safe_csv_row, table_workbook
from zelenchuk_portal.models import Organization, Period, User

from .models import Candidacy, Training

# The order's rows (section II), worded exactly as RESERVE.md quotes them, in the report's order.
# Russian domain data, never translated; «4a» is the row the report adds.
ROWS: tuple[tuple[str, str], ...] = (
    ("1", "общее количество лиц, зачисленных в резерв управленческих кадров"),
    ("2", "из них, имеющие планы индивидуального развития"),
    ("3", "из них, выполнившие планы индивидуального развития за отчетный период на 100%"),
    (
        "4",
        "из них, выполнившие планы индивидуального развития за отчетный период в объеме "
        "от 50 до 90%",
    ),
    (
        "4a",
        "из них, выполнившие планы индивидуального развития за отчетный период в объеме "
        "от 90 до 100% (не достигшие 100%)",
    ),
    (
        "5",
        "из них, выполнившие планы индивидуального развития за отчетный период в объеме менее 50%",
    ),
    (
        "6",
        "количество претендентов для включения в кадровый резерв, зачисленных в отчетный период",
    ),
    (
        "7",
        "количество претендентов для включения в кадровый резерв, прошедших обучение "
        "в отчетный период",
    ),
)
NUMBERS = tuple(number for number, _label in ROWS)
LABELS = dict(ROWS)
ADDED_ROW = "4a"
COMPLETION_ROWS = ("3", "4", "4a", "5")


def completion_row(completion: int) -> str:
    """The row (3, 4, 4a or 5) of a plan at `completion` % (whole, rounded down)."""
    if completion >= 100:
        return "3"
    if completion > 90:
        return "4a"
    if completion >= 50:
        return "4"
    return "5"


# --- Reading (shared with the monitoring provider) ----------------------------------------------


def members(period: Period) -> dict[int, int]:
    """{person id: organisation id} of the people in the reserve during `period` (row 1).

    One query. A person with two candidacies in the period (removed, then enrolled again from
    another school) belongs to the organisation of the later enrolment.
    """
    rows = (
        Candidacy.objects.in_reserve_during(period.start_date, period.end_date)
        .order_by("enrolled_on", "pk")
        .values_list("person_id", "organization_id")
    )
    return dict(rows)  # later rows overwrite earlier ones


def member_completion(period: Period) -> dict[int, int]:
    """{person id: plan completion % at the period's end} of the reserve's people who have a
    development plan of the period (one query; somebody without a plan is absent)."""
    in_reserve = Candidacy.objects.in_reserve_during(period.start_date, period.end_date)
    people = User.objects.filter(pk__in=in_reserve.values("person_id"))
    return completion_by_person(period, people, on=period.end_date)


def _trained_candidacies(period: Period) -> dict[int, int]:
    """{candidacy id: organisation id} of candidacies with a training ending in the period."""
    rows = (
        Training.objects.filter(end_date__gte=period.start_date, end_date__lte=period.end_date)
        .order_by()
        .values_list("candidacy_id", "candidacy__organization_id")
        .distinct()
    )
    return dict(rows)


# --- The report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    number: str  # "1" … "7", "4a"
    label: str  # the order's wording (Russian data)
    value: int

    @property
    def added(self) -> bool:
        """The row the report adds to the order's seven (90–99 %)."""
        return self.number == ADDED_ROW

    @property
    def indented(self) -> bool:
        """Rows 2–5 are «из них» (of them): shown under the row they divide."""
        return self.label.startswith("из них")


@dataclass(frozen=True)
class OrganizationLine:
    organization_id: int
    code: str
    name: str
    values: tuple[int, ...]  # in the order of NUMBERS

    @property
    def cells(self) -> list[tuple[str, int]]:
        return list(zip(NUMBERS, self.values, strict=True))

    def value(self, number: str) -> int:
        return self.values[NUMBERS.index(number)]


@dataclass(frozen=True)
class ReserveReport:
    """The report of one period: the district's rows and each organisation's line.

    `organizations` lists the organisations with somebody in at least one row (every other
    organisation has 0 everywhere); their values add up to the district's in every row.
    """

    period: Period
    rows: list[ReportRow]
    organizations: list[OrganizationLine]

    @property
    def as_of(self) -> date:
        """The day the plans' completion is taken at: the period's end."""
        return self.period.end_date

    @property
    def numbers(self) -> tuple[str, ...]:
        return NUMBERS

    def value(self, number: str) -> int:
        return next(row.value for row in self.rows if row.number == number)

    @property
    def values(self) -> dict[str, int]:
        return {row.number: row.value for row in self.rows}


def build_reserve_report(period: Period) -> ReserveReport:
    """The reserve report for `period` in five queries (see the module docstring)."""
    member_org = members(period)
    completion = member_completion(period)
    counts: dict[int, Counter] = defaultdict(Counter)
    for person_id, org_id in member_org.items():
        counts[org_id]["1"] += 1
        if person_id in completion:
            counts[org_id]["2"] += 1
            counts[org_id][completion_row(completion[person_id])] += 1
    enrolled = Candidacy.objects.filter(
        enrolled_on__gte=period.start_date, enrolled_on__lte=period.end_date
    ).values_list("organization_id", flat=True)
    for org_id in enrolled:
        counts[org_id]["6"] += 1
    for org_id in _trained_candidacies(period).values():
        counts[org_id]["7"] += 1

    organizations = Organization.objects.filter(pk__in=list(counts)).order_by(
        "org_type", "short_name", "code"
    )
    lines = [
        OrganizationLine(
            org.pk, org.code, org.short_name, tuple(counts[org.pk][n] for n in NUMBERS)
        )
        for org in organizations
    ]
    total = sum(counts.values(), Counter())
    rows = [ReportRow(number, label, total[number]) for number, label in ROWS]
    return ReserveReport(period=period, rows=rows, organizations=lines)


# --- Files: Excel, PDF, CSV -----------------------------------------------------------------------


def report_title(report: ReserveReport) -> str:
    return _("Personnel reserve report, %(period)s") % {"period": report.period.label}


def report_filename(report: ReserveReport, extension: str) -> str:
    # The file keeps the document's Russian name whatever the interface language.
    return f"Отчёт о кадровом резерве {report.period.label.replace('/', '-')}.{extension}"


def report_sheets(report: ReserveReport) -> list[Sheet]:
    """The report as two sheets: the district's rows, and one line per organisation with a
    column per row (headed by the row's number and wording)."""
    district = Sheet(
        _("District-wide"),
        [_("Row"), _("Indicator"), _("Value")],
        [[row.number, row.label, row.value] for row in report.rows],
        widths=[8, 90, 12],
    )
    by_org = Sheet(
        _("By organisation"),
        [_("Code"), _("Organisation"), *(f"{row.number}. {row.label}" for row in report.rows)],
        [
            *([line.code, line.name, *line.values] for line in report.organizations),
            ["", _("Total for the district"), *(row.value for row in report.rows)],
        ],
        widths=[10, 40, *([18] * len(report.rows))],
    )
    return [district, by_org]


def report_workbook(report: ReserveReport) -> bytes:
    return table_workbook(report_sheets(report), title=report_title(report))


def render_report_pdf(report: ReserveReport, *, request=None) -> bytes:
    """The report as a PDF document (the district's rows, then the organisations)."""
    from zelenchuk_portal.pdf import render_pdf

    return render_pdf("reserve/report_pdf.html", {"report": report}, request=request)


CSV_COLUMNS = ("row", "label", "value")
CSV_ORG_COLUMNS = ("organization_code", "organization")


def report_csv(report: ReserveReport, *, by_organization: bool = False) -> str:
    """The report as CSV: columns `row`, `label`, `value`, rows in the report's order.

    With `by_organization`, two more columns name the organisation, and after the district's
    rows (organisation columns empty) come the same rows for each organisation.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    extra = ("", "") if by_organization else ()
    writer.writerow(CSV_COLUMNS + (CSV_ORG_COLUMNS if by_organization else ()))
    # Organisation names and codes are typed by people: disarmed like in the Excel exports.
    writer.writerows(safe_csv_row((r.number, r.label, r.value, *extra)) for r in report.rows)
    if by_organization:
        for line in report.organizations:
            writer.writerows(
                safe_csv_row((number, LABELS[number], value, line.code, line.name))
                for number, value in line.cells
            )
    return buffer.getvalue()
