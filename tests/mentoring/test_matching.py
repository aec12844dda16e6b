"""Matching: the pure ranking on plain rows (no database), then the loader that reads them."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from mentoring.matching import (
    DeficitItem,
    MentorRow,
    deficit_items,
    mentor_rows,
    rank_mentors,
    suggest_mentors,
)
from tests.conftest import make_org, make_person
from tests.mentoring.site_helpers import (
    assess,
    confirm,
    give_role,
    make_period,
    make_score,
    make_site,
)
from trajectories.models import Assessment, Deficit
from zelenchuk_portal.models import Role

MAPPING = {2: ("B1", "B2"), 4: ("B4",), 1: ("A2",)}


def need(*codes) -> list[DeficitItem]:
    return [DeficitItem(n, code, int(code.split(".")[0])) for n, code in enumerate(codes, 1)]


def mentor(name, ratings=None, *, level="optimal", index=70.0, capacity=3, load=0, **subgroups):
    return MentorRow(
        person_id=hash(name) % 1000,
        name=name,
        site_id=hash(name) % 100,
        organization_id=1,
        organization=f"Школа {name}",
        ratings=ratings or {},
        level=level,
        index=index,
        subgroups=subgroups,
        capacity=capacity,
        load=load,
    )


def names(suggestions) -> list[str]:
    return [s.mentor.name for s in suggestions]


# --- The ranking (pure) --------------------------------------------------------------------------


def test_the_mentor_who_masters_more_deficits_comes_first():
    deficits = need("2.3", "4.1", "1.2")
    rows = [
        mentor("Одна", {"2.3": 3, "4.1": 1, "1.2": 0}, level="high", index=95),
        mentor("Две", {"2.3": 2, "4.1": 2, "1.2": 1}, level="acceptable", index=55),
    ]
    ranked = rank_mentors(deficits, rows, mapping=MAPPING)
    assert names(ranked) == ["Две", "Одна"]
    assert (ranked[0].covered, ranked[0].high, ranked[0].good) == (2, [], ["2.3", "4.1"])
    assert (ranked[1].covered, ranked[1].high) == (1, ["2.3"])


def test_a_high_level_of_mastery_breaks_a_tie_in_coverage():
    deficits = need("2.3", "4.1")
    rows = [mentor("Владеет", {"2.3": 2, "4.1": 2}), mentor("Мастер", {"2.3": 3, "4.1": 2})]
    assert names(rank_mentors(deficits, rows, mapping=MAPPING)) == ["Мастер", "Владеет"]


def test_the_related_subgroups_then_the_level_then_the_index_break_further_ties():
    deficits = need("2.3")
    rows = [
        mentor("Индекс", level="high", index=90, B1=70.0, B2=70.0),
        mentor("Подгруппы", level="optimal", index=66, B1=95.0, B2=85.0),
        mentor("Уровень", level="high", index=80, B1=70.0, B2=70.0),
        mentor("Выше индекс", level="high", index=91, B1=70.0, B2=70.0),
    ]
    ranked = rank_mentors(deficits, rows, mapping=MAPPING)
    assert names(ranked) == ["Подгруппы", "Выше индекс", "Индекс", "Уровень"]
    assert ranked[0].subgroups == [("B1", 95.0), ("B2", 85.0)]
    assert ranked[0].subgroup_fit == pytest.approx(90.0)
    assert ranked[1].subgroups == []


def test_a_full_site_comes_last_whatever_its_mentor_masters():
    deficits = need("2.3")
    rows = [mentor("Лучшая", {"2.3": 3}, capacity=2, load=2), mentor("Свободна", {"2.3": 0})]
    ranked = rank_mentors(deficits, rows, mapping=MAPPING)
    assert names(ranked) == ["Свободна", "Лучшая"]
    assert [s.free for s in ranked] == [3, 0]


def test_ratings_below_two_are_not_strengths_and_missing_ratings_count_as_none():
    ranked = rank_mentors(need("2.3", "4.1"), [mentor("Слабая", {"2.3": 1})], mapping=MAPPING)
    assert (ranked[0].covered, ranked[0].high, ranked[0].good) == (0, [], [])


def test_with_no_deficits_the_organisations_strength_decides():
    rows = [
        mentor("Допустимый", level="acceptable", index=99),
        mentor("Высокий", level="high", index=81),
        mentor("Без оценки", level="", index=None),
    ]
    ranked = rank_mentors([], rows, mapping=MAPPING)
    assert names(ranked) == ["Высокий", "Допустимый", "Без оценки"]
    assert ranked[0].total == 0 and ranked[0].subgroup_fit == 0


def test_the_reason_names_the_codes_the_subgroups_the_level_and_the_index():
    deficits = need("2.3", "4.1", "1.2")
    row = mentor(
        "Семенова", {"2.3": 3, "4.1": 3, "1.2": 2}, level="high", index=84.5, B4=84.0, A2=40.0
    )
    with translation.override("en"):
        reason = rank_mentors(deficits, [row], mapping=MAPPING)[0].reason
    assert reason == (
        "covers 3 of 3 deficit competencies; masters at a high level: 2.3, 4.1; masters: 1.2; "
        "strong monitoring subgroups: B4 84,0; organisation — высокий level, index 84,5"
    )


def test_the_reason_of_an_unscored_organisation_says_so():
    with translation.override("en"):
        reason = rank_mentors(need("2.3"), [mentor("Новая", level="")], mapping=MAPPING)[0].reason
    assert reason == "covers 0 of 1 deficit competency; organisation — no monitoring results"


def test_the_ranking_keeps_every_mentor_and_is_stable_on_equal_rows():
    rows = [mentor("Б"), mentor("А"), mentor("В")]
    assert names(rank_mentors(need("2.3"), rows, mapping=MAPPING)) == ["А", "Б", "В"]


# --- Reading the rows ----------------------------------------------------------------------------


@pytest.fixture
def earlier(period):
    return make_period("2023/2024", 2023)


@pytest.mark.django_db
def test_deficits_come_from_the_latest_submitted_assessment_and_blocks_bring_their_items(
    principal_a, period, earlier
):
    old = assess(principal_a, earlier, {})
    confirm(old, codes=("1.1",))
    latest = assess(principal_a, period, {})
    confirm(latest, codes=("2.3",), blocks=(4,))
    confirm(latest, codes=("3.1",), status=Deficit.Status.PROPOSED)
    confirm(latest, codes=("5.1",), status=Deficit.Status.DISMISSED)
    items = deficit_items([principal_a.pk])[principal_a.pk]
    assert [i.code for i in items] == ["2.3", "4.1", "4.2", "4.3", "4.4"]
    assert all(i.name for i in items)


@pytest.mark.django_db
def test_a_draft_or_returned_assessment_does_not_replace_the_submitted_one(
    principal_a, period, earlier
):
    submitted = assess(principal_a, earlier, {})
    confirm(submitted, codes=("1.1",))
    assess(principal_a, period, {}, status=Assessment.Status.RETURNED)
    assert [i.code for i in deficit_items([principal_a.pk])[principal_a.pk]] == ["1.1"]
    assert deficit_items([]) == {}


@pytest.fixture
def district(period, org_a, principal_a, mentor, official):
    """Principal A with deficit 2.3 and block 1; the mentor at an active base site."""
    confirm(assess(principal_a, period, {}), codes=("2.3",), blocks=(1,))
    site_org = mentor.memberships.get().organization
    return {"site": make_site(site_org), "site_org": site_org}


@pytest.mark.django_db
def test_mentor_rows_use_the_expert_rating_where_there_is_one(
    district, principal_a, mentor, period
):
    assess(mentor, period, {"2.3": (1, 3), "1.1": 2, "1.2": (3, None)})
    make_score(period, district["site_org"], level="high", index=88.0, A2=91.0)
    [row] = mentor_rows(principal_a, principal_a.memberships.get().organization)
    assert row.ratings == {"2.3": 3, "1.1": 2, "1.2": 3}
    assert (row.level, row.index, row.subgroups["A2"]) == ("high", 88.0, 91.0)
    assert (row.capacity, row.load, row.site_id) == (3, 0, district["site"].pk)


@pytest.mark.django_db
def test_candidates_leave_out_colleagues_inactive_sites_and_ended_roles(
    district, principal_a, org_a, mentor, period
):
    colleague = make_person("colleague", Role.MENTOR, district["site_org"])
    give_role(colleague, Role.CANDIDATE, org_a)  # works in the trainee's own school
    closed = make_org("C09", short_name="МКОУ «СОШ № 9»")
    make_site(closed, active=False)
    make_person("idle", Role.MENTOR, closed)
    former = make_person("former", None)
    give_role(former, Role.MENTOR, district["site_org"], end_date=date(2020, 1, 1))
    give_role(principal_a, Role.MENTOR, district["site_org"])  # never his or her own mentor
    rows = mentor_rows(principal_a, org_a)
    assert [r.name for r in rows] == [mentor.full_name]


@pytest.mark.django_db
def test_suggestions_run_a_fixed_number_of_queries(district, principal_a, mentor, period):
    assess(mentor, period, {"2.3": 2})
    make_score(period, district["site_org"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            match = suggest_mentors(principal_a)
        return len(captured.captured_queries), len(match.suggestions)

    few, count = queries()
    assert count == 1
    for n in range(4):
        school = make_org(f"S{n}", short_name=f"МКОУ «СОШ № {10 + n}»")
        make_site(school)
        person = make_person(f"mentor{n}", Role.MENTOR, school)
        assess(person, period, {"2.3": 3, "1.1": (1, 2)})
        make_score(period, school)
    many, count = queries()
    assert count == 5
    assert many == few == 9
