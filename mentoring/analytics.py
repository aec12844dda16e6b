"""Analytics of mentoring for officials: hours, load, internships at risk, deficits covered.

For a chosen span of days (by default the current reporting period):

- hours by activity type: the minutes of SUBMITTED diary entries dated in the span (a draft is
  still being written), shown in hours;
- load per mentor and per base site: internships overlapping the span, their trainees, and the
  hours of the entries above;
- internships at risk, as of today whatever the span, by the rule of the internships list
  (`internships.at_risk_filter`): open, with overdue map assignments (not done, deadline
  passed), or running for 14 days or more with no submitted diary entry in the last 14 days;
- deficits covered: for internships completed in the span, each trainee's confirmed deficit
  items (latest submitted self-assessment; a block deficit stands for its items, as in
  matching) that the mentor rated 2 or more in the final assessment.

One builder feeds the page, its charts and its Excel sheets; it runs a fixed number of queries
whatever the number of internships (the sums are made on plain rows in Python).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from trajectories.dossier import url_or_none
from zelenchuk_portal.charts import Bar, bar_chart
from zelenchuk_portal.excel import Sheet
from zelenchuk_portal.models import Period

from .internships import at_risk_filter, minutes_between, risk_reasons, with_activity
from .matching import deficit_items
from .models import Activity, DiaryEntry, FinalRating, Internship, Stage, Trainee

COVERED_FROM = 2  # a final rating from which a deficit counts as covered («2 — владею»)
INTERNSHIP_URL = ("mentoring:internship_detail",)


def hours(minutes: int) -> float:
    return round(minutes / 60, 1)


def _person(last: str, first: str, patronymic: str) -> str:
    return " ".join(p for p in (last, first, patronymic) if p)


@dataclass
class ActivityRow:
    activity: str
    label: str
    minutes: int = 0
    entries: int = 0

    @property
    def hours(self) -> float:
        return hours(self.minutes)


@dataclass
class LoadRow:
    key: int
    name: str
    sites: set[str] = field(default_factory=set)  # a mentor's base sites
    capacity: int | None = None  # a base site's
    internships: int = 0
    trainees: int = 0
    minutes: int = 0

    @property
    def hours(self) -> float:
        return hours(self.minutes)

    @property
    def site_text(self) -> str:
        return ", ".join(sorted(self.sites))


def _by_load(row: LoadRow):
    return (-row.minutes, -row.trainees, row.name)


@dataclass
class RiskRow:
    internship_id: int
    theme: str
    mentor: str
    site: str
    stage_label: str
    start_date: date
    last_entry: date | None
    overdue: int
    reasons: list[str] = field(default_factory=list)
    url: str | None = None


@dataclass
class CoveredRow:
    person: str
    organization: str
    internship_id: int
    theme: str
    mentor: str
    completed_on: date | None
    deficits: list[str]  # codes of the trainee's deficit items
    covered: list[str]  # of them, rated ≥ COVERED_FROM in the final assessment
    url: str | None = None


@dataclass
class Analytics:
    start: date
    end: date
    today: date
    activities: list[ActivityRow]
    mentors: list[LoadRow]
    sites: list[LoadRow]
    at_risk: list[RiskRow]
    covered: list[CoveredRow]

    @property
    def total_hours(self) -> float:
        return hours(sum(a.minutes for a in self.activities))

    @property
    def deficit_total(self) -> int:
        return sum(len(r.deficits) for r in self.covered)

    @property
    def covered_total(self) -> int:
        return sum(len(r.covered) for r in self.covered)


def default_span(today: date | None = None) -> tuple[date, date]:
    """The reporting period that contains today; the last twelve months when none does."""
    today = today or timezone.localdate()
    period = Period.objects.filter(start_date__lte=today, end_date__gte=today).first()
    if period is None:
        return today - timedelta(days=365), today
    return period.start_date, period.end_date


def _hours_and_load(start: date, end: date):
    entries = DiaryEntry.objects.filter(is_draft=False, day__range=(start, end)).values_list(
        "activity",
        "time_from",
        "time_to",
        "trainee__internship__mentor_id",
        "trainee__internship__base_site_id",
    )
    activities = {code: ActivityRow(code, str(label)) for code, label in Activity.choices}
    mentors: dict[int, LoadRow] = {}
    sites: dict[int, LoadRow] = {}
    internships = (
        Internship.objects.filter(start_date__lte=end, end_date__gte=start)
        .order_by()
        .values_list(
            "pk",
            "mentor_id",
            "mentor__last_name",
            "mentor__first_name",
            "mentor__patronymic",
            "base_site_id",
            "base_site__organization__short_name",
            "base_site__capacity",
        )
        .annotate(trainees=Count("trainees"))
    )
    for _pk, mentor_id, last, first, patronymic, site_id, site, capacity, trainees in internships:
        mentor = mentors.setdefault(mentor_id, LoadRow(mentor_id, _person(last, first, patronymic)))
        mentor.sites.add(site)
        place = sites.setdefault(site_id, LoadRow(site_id, site, capacity=capacity))
        for row in (mentor, place):
            row.internships += 1
            row.trainees += trainees
    for activity, time_from, time_to, mentor_id, site_id in entries:
        minutes = minutes_between(time_from, time_to)
        activities[activity].minutes += minutes
        activities[activity].entries += 1
        for rows, key in ((mentors, mentor_id), (sites, site_id)):
            if key in rows:
                rows[key].minutes += minutes
    return (
        list(activities.values()),
        sorted(mentors.values(), key=_by_load),
        sorted(sites.values(), key=_by_load),
    )


def _at_risk(today: date) -> list[RiskRow]:
    """The internships list's own rule (`internships.at_risk_filter`), so that the two pages
    never disagree; one query."""
    internships = (
        with_activity(Internship.objects.open(), today)
        .filter(at_risk_filter(today))
        .select_related("mentor", "base_site__organization")
        .order_by("start_date", "pk")
    )
    return [
        RiskRow(
            internship_id=internship.pk,
            theme=internship.theme,
            mentor=internship.mentor.full_name,
            site=internship.base_site.organization.short_name,
            stage_label=internship.get_stage_display(),
            start_date=internship.start_date,
            last_entry=internship.last_entry_day,
            overdue=internship.overdue_count,
            reasons=risk_reasons(internship, today),
            url=url_or_none(INTERNSHIP_URL, internship.pk),
        )
        for internship in internships
    ]


def _covered(start: date, end: date) -> list[CoveredRow]:
    trainees = list(
        Trainee.objects.filter(
            internship__stage=Stage.COMPLETED, internship__completed_on__range=(start, end)
        )
        .order_by("internship__completed_on", "person__last_name", "pk")
        .values_list(
            "pk",
            "person_id",
            "person__last_name",
            "person__first_name",
            "person__patronymic",
            "organization__short_name",
            "internship_id",
            "internship__theme",
            "internship__mentor__last_name",
            "internship__mentor__first_name",
            "internship__mentor__patronymic",
            "internship__completed_on",
        )
    )
    rated = defaultdict(set)
    for trainee_id, competency_id in FinalRating.objects.filter(
        trainee_id__in=[t[0] for t in trainees], rating__gte=COVERED_FROM
    ).values_list("trainee_id", "competency_id"):
        rated[trainee_id].add(competency_id)
    needs = deficit_items({t[1] for t in trainees})
    rows = []
    for (
        pk,
        person_id,
        last,
        first,
        patronymic,
        org,
        internship_id,
        theme,
        *mentor,
        done,
    ) in trainees:
        items = needs.get(person_id, [])
        rows.append(
            CoveredRow(
                person=_person(last, first, patronymic),
                organization=org,
                internship_id=internship_id,
                theme=theme,
                mentor=_person(*mentor),
                completed_on=done,
                deficits=[i.code for i in items],
                covered=[i.code for i in items if i.competency_id in rated[pk]],
                url=url_or_none(INTERNSHIP_URL, internship_id),
            )
        )
    return rows


def build_analytics(start: date, end: date, today: date | None = None) -> Analytics:
    """The analytics page for the span [start, end] (see the module docstring)."""
    today = today or timezone.localdate()
    activities, mentors, sites = _hours_and_load(start, end)
    return Analytics(
        start=start,
        end=end,
        today=today,
        activities=activities,
        mentors=mentors,
        sites=sites,
        at_risk=_at_risk(today),
        covered=_covered(start, end),
    )


# --- Charts and Excel ----------------------------------------------------------------------------


def activity_chart(analytics: Analytics):
    if not analytics.total_hours:
        return ""
    bars = [Bar(capfirst(a.label), a.hours) for a in analytics.activities]
    return bar_chart(bars, title=_("Hours by activity type"), unit=_("h"))


def mentor_chart(analytics: Analytics):
    if not analytics.mentors:
        return ""
    bars = [
        Bar(
            m.name,
            m.hours,
            note=ngettext("%(n)s trainee", "%(n)s trainees", m.trainees) % {"n": m.trainees},
        )
        for m in analytics.mentors
    ]
    return bar_chart(bars, title=_("Hours of diary entries per mentor"), unit=_("h"))


def analytics_sheets(analytics: Analytics) -> dict[str, Sheet]:
    """Each table of the page as an Excel sheet, by the name its download link uses."""
    load_headers = [_("Internships"), _("Trainees"), _("Hours")]
    return {
        "activities": Sheet(
            _("Hours by activity"),
            [_("Activity"), _("Diary entries"), _("Hours")],
            [[a.label, a.entries, a.hours] for a in analytics.activities],
        ),
        "mentors": Sheet(
            _("Load per mentor"),
            [_("Mentor"), _("Base site"), *load_headers],
            [[m.name, m.site_text, m.internships, m.trainees, m.hours] for m in analytics.mentors],
        ),
        "sites": Sheet(
            _("Load per base site"),
            [_("Base site"), _("Capacity"), *load_headers],
            [[s.name, s.capacity, s.internships, s.trainees, s.hours] for s in analytics.sites],
        ),
        "risk": Sheet(
            _("Internships at risk"),
            [
                _("Internship"),
                _("Mentor"),
                _("Base site"),
                _("Stage"),
                _("Start"),
                _("Last diary entry"),
                _("Overdue assignments"),
                _("Why"),
            ],
            [
                [
                    r.theme,
                    r.mentor,
                    r.site,
                    r.stage_label,
                    r.start_date,
                    r.last_entry,
                    r.overdue,
                    "; ".join(r.reasons),
                ]
                for r in analytics.at_risk
            ],
        ),
        "covered": Sheet(
            _("Deficits covered"),
            [
                _("Trainee"),
                _("Organisation"),
                _("Internship"),
                _("Mentor"),
                _("Completed on"),
                _("Deficits"),
                _("Covered"),
            ],
            [
                [
                    c.person,
                    c.organization,
                    c.theme,
                    c.mentor,
                    c.completed_on,
                    ", ".join(c.deficits),
                    ", ".join(c.covered),
                ]
                for c in analytics.covered
            ],
        ),
    }


def chosen_sheets(analytics: Analytics, table: str) -> list[Sheet]:
    """The sheets of one Excel download: one table by its name, or «all» of them; none for an
    unknown name."""
    sheets = analytics_sheets(analytics)
    if table == "all":
        return list(sheets.values())
    return [sheets[table]] if table in sheets else []
