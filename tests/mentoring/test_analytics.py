"""Mentoring analytics: hours by activity, load per mentor and base site, internships at risk,
deficits covered by completed internships; a fixed number of queries."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentoring.analytics import analytics_sheets, build_analytics, default_span
from mentoring.models import Activity, Assignment, FinalRating, Stage
from tests.conftest import make_org, make_person
from tests.mentoring.site_helpers import (
    TODAY,
    assess,
    confirm,
    days_ago,
    make_internship,
    make_site,
    write_entry,
)
from trajectories.models import Competency
from zelenchuk_portal.models import Role

SPAN = (date(2024, 9, 1), date(2025, 8, 31))


@pytest.fixture
def site(mentor):
    return make_site(mentor.memberships.get().organization, capacity=5)


@pytest.fixture
def running(site, mentor, official, principal_a, org_a):
    """Principal A's internship in the main stage, started 50 days before TODAY."""
    return make_internship(
        site, mentor, [(principal_a, org_a)], by=official, start=days_ago(50), stage=Stage.MAIN
    )


def build(**kwargs):
    return build_analytics(*SPAN, today=TODAY, **kwargs)


@pytest.mark.django_db
def test_hours_by_activity_count_submitted_entries_of_the_span(running):
    trainee = running.trainees.get()
    write_entry(trainee, days_ago(10), (9, 0), (10, 30), Activity.OBSERVATION)
    write_entry(trainee, days_ago(9), (14, 0), (14, 45), Activity.OBSERVATION)
    write_entry(trainee, days_ago(8), (9, 0), (11, 0), Activity.MEETING)
    write_entry(trainee, days_ago(7), (9, 0), (17, 0), Activity.MEETING, draft=True)
    write_entry(trainee, date(2024, 8, 30), (9, 0), (17, 0), Activity.DOCUMENT)  # before the span
    a = build()
    by_code = {row.activity: row for row in a.activities}
    assert (by_code["observation"].minutes, by_code["observation"].entries) == (135, 2)
    assert (by_code["observation"].hours, by_code["meeting"].hours) == (2.2, 2.0)
    assert by_code["document"].minutes == 0
    assert len(a.activities) == len(Activity.choices)
    assert a.total_hours == 4.2


@pytest.mark.django_db
def test_load_per_mentor_and_per_site(running, site, mentor, official, org_b):
    group = [(make_person(f"t{n}", Role.CANDIDATE, org_b), org_b) for n in range(2)]
    make_internship(site, mentor, group, by=official, start=days_ago(20))
    other_site = make_site(make_org("S2", short_name="МКОУ «СОШ № 2»"))
    other = make_person("second", Role.MENTOR, other_site.organization)
    make_internship(
        other_site, other, group[:1], by=official, start=date(2023, 1, 1), end=date(2023, 6, 1)
    )
    write_entry(running.trainees.get(), days_ago(5), (9, 0), (12, 0))
    a = build()
    [row] = a.mentors
    assert (row.name, row.internships, row.trainees, row.hours) == (mentor.full_name, 2, 3, 3.0)
    assert row.site_text == site.organization.short_name
    [place] = a.sites
    assert (place.key, place.capacity, place.internships, place.trainees) == (site.pk, 5, 2, 3)


@pytest.mark.django_db
def test_internships_at_risk_follow_the_internships_rule(running, site, mentor, official, org_b):
    assert [r.internship_id for r in build().at_risk] == [running.pk]
    write_entry(running.trainees.get(), days_ago(3))
    write_entry(running.trainees.get(), days_ago(2), draft=True)
    assert build().at_risk == []
    Assignment.objects.create(
        internship=running,
        assignee=Assignment.For.TRAINEE,
        task="Изучить ВСОКО",
        expected_result="Аналитическая справка",
        deadline=days_ago(1),
    )
    [risk] = build().at_risk
    assert (risk.overdue, risk.last_entry, len(risk.reasons)) == (1, days_ago(3), 1)
    fresh = make_internship(
        site,
        mentor,
        [(make_person("new", Role.CANDIDATE, org_b), org_b)],
        by=official,
        start=days_ago(5),
    )
    assert fresh.pk not in [r.internship_id for r in build().at_risk]


@pytest.mark.django_db
def test_deficits_covered_by_completed_internships(
    running, principal_a, period, official, site, mentor, org_b
):
    confirm(assess(principal_a, period, {}), codes=("2.3", "4.1", "1.1"))
    running.stage, running.completed_on = Stage.COMPLETED, days_ago(1)
    running.save()
    trainee = running.trainees.get()
    ratings = {"2.3": 3, "4.1": 1, "1.1": 2, "6.1": 3}
    for code, rating in ratings.items():
        FinalRating.objects.create(
            trainee=trainee, competency=Competency.objects.get(code=code), rating=rating
        )
    outside = make_person("old", Role.CANDIDATE, org_b)
    make_internship(
        site,
        mentor,
        [(outside, org_b)],
        by=official,
        stage=Stage.COMPLETED,
        completed_on=date(2024, 6, 1),
    )
    a = build()
    [row] = a.covered
    assert (row.deficits, row.covered) == (["1.1", "2.3", "4.1"], ["1.1", "2.3"])
    assert (a.deficit_total, a.covered_total) == (3, 2)


@pytest.mark.django_db
def test_the_sheets_hold_the_page_tables(running):
    write_entry(running.trainees.get(), days_ago(20), (9, 0), (10, 0), Activity.CONSULTATION)
    sheets = analytics_sheets(build())
    assert set(sheets) == {"activities", "mentors", "sites", "risk", "covered"}
    consultation = next(r for r in sheets["activities"].rows if r[2] == 1.0)
    assert consultation[1] == 1
    assert [r[0] for r in sheets["risk"].rows] == [running.theme]


@pytest.mark.django_db
def test_the_default_span_is_the_period_containing_today(period):
    assert default_span(date(2025, 1, 1)) == (period.start_date, period.end_date)
    assert default_span(date(2026, 1, 1)) == (date(2025, 1, 1), date(2026, 1, 1))


@pytest.mark.django_db
def test_the_analytics_run_a_fixed_number_of_queries(
    running, principal_a, period, official, site, mentor
):
    confirm(assess(principal_a, period, {}), codes=("2.3",))
    write_entry(running.trainees.get(), days_ago(20))
    done = make_internship(
        site,
        mentor,
        [(principal_a, running.trainees.get().organization)],
        by=official,
        stage=Stage.COMPLETED,
        completed_on=days_ago(3),
    )
    FinalRating.objects.create(
        trainee=done.trainees.get(), competency=Competency.objects.get(code="2.3"), rating=2
    )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            build()
        return len(captured.captured_queries)

    few = queries()
    for n in range(4):
        school = make_org(f"Q{n}", short_name=f"МКОУ «СОШ № {20 + n}»")
        other_site = make_site(school)
        person = make_person(f"m{n}", Role.MENTOR, school)
        trainee = make_person(f"tr{n}", Role.PRINCIPAL, make_org(f"T{n}"))
        confirm(assess(trainee, period, {}), codes=("1.1",), blocks=(3,))
        internship = make_internship(
            other_site,
            person,
            [(trainee, trainee.memberships.get().organization)],
            by=official,
            start=days_ago(40),
            stage=Stage.MAIN,
        )
        write_entry(internship.trainees.get(), days_ago(30))
        closed = make_internship(
            other_site,
            person,
            [(trainee, trainee.memberships.get().organization)],
            by=official,
            stage=Stage.COMPLETED,
            completed_on=days_ago(2),
        )
        FinalRating.objects.create(
            trainee=closed.trainees.get(), competency=Competency.objects.get(code="1.1"), rating=3
        )
    assert len(build().covered) == 5
    assert queries() == few
