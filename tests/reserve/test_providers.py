"""What the reserve hands monitoring: `reserve_members`, `reserve_trained`, `reserve_idp_done`
per organisation (A2.2–A2.4), registered as provider "reserve", and the dossier's section."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring.catalogue import STATUS_VALUE
from monitoring.dossier import build_dossier
from monitoring.models import Score
from monitoring.providers import derived_values, registered_providers
from monitoring.scoring import score_period
from reserve.models import Status
from reserve.providers import monitoring_inputs
from reserve.reports import build_reserve_report
from tests.conftest import make_org, make_person
from tests.reserve.test_reports import (
    START,
    add_training,
    make_candidacy,
    make_plan,
    reserve,  # noqa: F401 (fixture)
)
from trajectories.models import PlanTask

SECTION = "reserve/_dossier_section.html"


def inputs(members, trained, done):
    return {
        "reserve_members": float(members),
        "reserve_trained": float(trained),
        "reserve_idp_done": float(done),
    }


def test_the_hand_built_reserve(period, reserve):  # noqa: F811
    orgs = reserve["orgs"]
    empty = make_org("E")
    found = monitoring_inputs(period, [*orgs.values(), empty])
    assert found == {
        # A: full and ninety trained within the period (fifty's ended the day after); full's
        # plan at 100 %
        orgs["A"].pk: inputs(5, 2, 1),
        orgs["B"].pk: inputs(4, 0, 0),  # ninety_five's training ended the day before
        orgs["C"].pk: inputs(4, 1, 1),  # late trained; appointed's plan at 100 %
        orgs["D"].pk: inputs(0, 0, 0),  # removed before the period: 0 is a real value
        empty.pk: inputs(0, 0, 0),
    }


def test_members_and_done_agree_with_the_report(period, reserve):  # noqa: F811
    report = build_reserve_report(period)
    found = monitoring_inputs(period, list(reserve["orgs"].values()))
    for line in report.organizations:
        assert found[line.organization_id]["reserve_members"] == line.value("1")
        assert found[line.organization_id]["reserve_idp_done"] == line.value("3")


def test_only_the_organisations_asked_for(period, reserve):  # noqa: F811
    orgs = reserve["orgs"]
    assert set(monitoring_inputs(period, [orgs["B"]])) == {orgs["B"].pk}
    assert monitoring_inputs(period, []) == {}


def test_queries_do_not_grow_with_the_district(period, official, reserve):  # noqa: F811
    def queries(organizations):
        with CaptureQueriesContext(connection) as captured:
            monitoring_inputs(period, organizations)
        return len(captured.captured_queries)

    few = queries(list(reserve["orgs"].values()))
    others = []
    for n in range(12):
        org = make_org(f"X{n:02}")
        person = make_person(f"extra{n}", None)
        candidacy = make_candidacy(
            person, org, period, official, nominated=START, enrolled=date(2024, 10, 1)
        )
        make_plan(person, period, 4, 4)
        add_training(candidacy, date(2025, 1, 15))
        others.append(org)
    assert queries([*reserve["orgs"].values(), *others]) == few == 3


def test_registered_provider_feeds_derived_values(period, reserve):  # noqa: F811
    assert registered_providers()["reserve"] is monitoring_inputs
    org_a = reserve["orgs"]["A"]
    assert derived_values(period, [org_a])[org_a.pk]["reserve_members"] == 5.0


# --- From the records to the indicators: rescoring ----------------------------------------------


def a2(period, organization):
    results = Score.objects.get(period=period, organization=organization).results
    return {code: (results[code][0], results[code][1], results[code][2]) for code in CODES}


CODES = ("A2.2", "A2.3", "A2.4")


def test_rescoring_moves_a2_2_to_a2_4(period, org_a, official):
    score_period(period, trigger="test")
    before = a2(period, org_a)
    assert before["A2.2"] == (0.0, STATUS_VALUE, 0)  # nobody in the reserve: 0, not missing
    assert before["A2.3"][1] != STATUS_VALUE  # a share of nobody is not computed

    first, second = make_person("first", None), make_person("second", None)
    trained = make_candidacy(
        first, org_a, period, official, nominated=START, enrolled=date(2024, 9, 20)
    )
    make_candidacy(
        second,
        org_a,
        period,
        official,
        nominated=START,
        enrolled=date(2024, 9, 20),
        status=Status.TRAINING,
    )
    add_training(trained, date(2025, 4, 1))
    make_plan(first, period, 3, 3)
    unfinished = make_plan(second, period, 1, 2)
    score_period(period, trigger="test")
    after = a2(period, org_a)
    assert after["A2.2"] == (2.0, STATUS_VALUE, 2)  # thresholds 2:2|1:1
    assert after["A2.3"] == (pytest.approx(50.0), STATUS_VALUE, 1)  # 1 of 2; 2:80|1:50
    assert after["A2.4"] == (pytest.approx(50.0), STATUS_VALUE, 1)

    PlanTask.objects.filter(goal__plan=unfinished, done=False).update(
        done=True, done_at=date(2025, 5, 1)
    )
    score_period(period, trigger="test")
    assert a2(period, org_a)["A2.4"] == (pytest.approx(100.0), STATUS_VALUE, 2)


# --- The dossier's section ------------------------------------------------------------------------


def _section(dossier):
    return next(s for s in dossier.sections if s["template"] == SECTION)


def test_dossier_lists_the_organisations_candidates(period, official, reserve):  # noqa: F811
    org_a = reserve["orgs"]["A"]
    data = _section(build_dossier(org_a, official, period))["data"]
    names = {line.candidacy.person.username: line for line in data.lines}
    # In the reserve during the period, plus the nominee awaiting enrolment; the person who
    # moved to C and left_on_start are A's too (in the reserve during the period).
    assert set(names) == {
        "full",
        "fifty",
        "ninety",
        "enrolled_removed",
        "left_on_start",
        "nominee",
        "moved",
    }
    assert data.members == 5  # A2.2: «moved» counts in C
    assert (names["full"].completion, names["fifty"].completion) == (100, 50)
    assert names["enrolled_removed"].completion is None
    assert not names["moved"].in_reserve and names["full"].in_reserve


def test_principal_sees_the_section_in_his_or_her_dossier(
    period, login, official, principal_a, org_a
):
    candidate = make_person("reservist", None, last_name="Петрова")
    make_candidacy(candidate, org_a, period, official, nominated=START, enrolled=START)
    for user in (principal_a, official):
        page = login(user).get(reverse("analysis:dossier", args=[org_a.pk]))
        assert page.status_code == 200
        assert SECTION in [t.name for t in page.templates]
        assert "Петрова" in page.content.decode()


def test_dossier_queries_do_not_grow_per_candidate(period, official, org_a):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            build_dossier(org_a, official, period)
        return len(captured.captured_queries)

    def add(n):
        person = make_person(f"cand{n}", None)
        candidacy = make_candidacy(
            person, org_a, period, official, nominated=START, enrolled=date(2024, 10, 1)
        )
        make_plan(person, period, 1, 2)
        add_training(candidacy, date(2025, 1, 15))

    add(0)
    queries()  # the official's roles are read once, then cached on the user
    one = queries()
    for n in range(1, 4):
        add(n)
    four = queries()
    # The list, the plans' completion, the members and the readiness evidence are each read
    # once for all the candidates.
    assert four == one
