"""The demo reserve: every status of the flow, the demo `candidate` in training with a plan, the
registry's heads who came from the reserve, monitoring's A2 rescored from it, and a second
`seed_demo` that changes nothing."""

from collections import Counter
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from monitoring.catalogue import STATUS_VALUE
from monitoring.models import Score, ScoringRun
from reserve.demo import TRIGGER
from reserve.models import Candidacy, Contest, ReadinessReview, Status, StatusChange, Training
from reserve.reports import COMPLETION_ROWS, completion_row, member_completion
from reserve.succession import RETIREMENT_AGE
from trajectories.models import Plan
from trajectories.providers import role_holders
from zelenchuk_portal.models import Membership, Period, Role, User

MODELS = (
    Candidacy,
    StatusChange,
    Training,
    Contest,
    ReadinessReview,
    Membership,
    User,
    Plan,
    Score,
    ScoringRun,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def check_the_flow():
    statuses = Counter(Candidacy.objects.values_list("status", flat=True))
    assert set(statuses) == set(Status.values)
    assert 25 <= sum(statuses.values()) <= 35
    assert Candidacy.objects.values("organization").distinct().count() >= 20
    # Two heads' nominations await the official; a third head's was rejected.
    waiting = Candidacy.objects.filter(approved_on__isnull=True, status=Status.NOMINEE)
    assert set(waiting.values_list("nominated_by__username", flat=True)) == {
        "principal",
        "principal2",
    }
    rejected = Candidacy.objects.get(approved_on__isnull=True, status=Status.REMOVED)
    assert rejected.removal_reason and rejected.enrolled_on is None
    # Enrolments by order, in every period of the demo.
    enrolled = Candidacy.objects.filter(enrolled_on__isnull=False)
    assert not enrolled.filter(enrolment_order="").exists()
    assert set(enrolled.values_list("period__label", flat=True)) == set(
        Period.objects.values_list("label", flat=True)
    )
    # Every change is dated on or after the nomination and recorded at its own day.
    for change in StatusChange.objects.select_related("candidacy"):
        assert change.on >= change.candidacy.nominated_on
        assert change.at.date() == change.on
    removed = Candidacy.objects.filter(status=Status.REMOVED)
    reasons = " ".join(removed.values_list("removal_reason", flat=True))
    for reason in ("Переезд", "По собственному желанию", "Не выполнил план"):
        assert reason in reasons
    assert all(16 <= t.hours <= 144 for t in Training.objects.all())
    assert Contest.objects.exists()


def check_reviews():
    reviews = list(ReadinessReview.objects.select_related("candidacy"))
    overrides = [r for r in reviews if r.overrides]
    assert len(overrides) == 1 and overrides[0].comment
    assert len(reviews) - len(overrides) >= 5  # the others confirm the evidence
    for review in reviews:
        assert review.at.date() < date(2026, 9, 1)  # dated when the official decided
    # Everyone READY was confirmed by the official and targets an organisation whose head was
    # 60 or older on the day of the decision.
    for candidacy in Candidacy.objects.filter(status=Status.READY).select_related(
        "target_organization"
    ):
        review = candidacy.readiness_reviews.get(ready=True)
        head = candidacy.target_organization.head
        assert head.age_on(review.at.date()) >= RETIREMENT_AGE


def check_the_candidate():
    candidacy = Candidacy.objects.get(person__username="candidate")
    assert candidacy.status == Status.TRAINING
    assert candidacy.enrolment_order and candidacy.enrolled_on
    assert candidacy.organization.code == "0101"
    assert candidacy.nominated_by.username == "principal"
    assert candidacy.trainings.exists()
    assert Plan.objects.filter(person=candidacy.person, period__label="2025/2026").exists()
    # Still holds the reserve candidate's role (the one the registry demo gave her).
    assert candidacy.person.memberships.current().filter(role=Role.CANDIDATE).count() == 1


def check_heads_from_the_reserve():
    appointed = Candidacy.objects.filter(status=Status.APPOINTED).select_related(
        "appointed_organization", "person"
    )
    assert appointed.count() >= 3
    for candidacy in appointed:
        organization, day = candidacy.appointed_organization, candidacy.left_on
        # The registry agrees: the predecessor (60 or older) to the day before, then the
        # appointee, whose candidate role ended that day.
        before = Membership.objects.current(day - timedelta(days=1)).get(
            role=Role.PRINCIPAL, organization=organization
        )
        assert before.user != candidacy.person
        assert before.user.age_on(day) >= RETIREMENT_AGE
        assert organization.head == candidacy.person
        assert not candidacy.person.memberships.current().filter(role=Role.CANDIDATE).exists()
    # The trajectories demo's heads of 2023/2024 onwards are unchanged.
    period = Period.objects.get(label="2023/2024")
    heads = role_holders(period, Role.PRINCIPAL)
    for candidacy in appointed:
        assert heads[candidacy.appointed_organization_id] == candidacy.person_id


def check_plans_and_report():
    for label in ("2023/2024", "2024/2025", "2025/2026"):
        assert len(member_completion(Period.objects.get(label=label))) >= 6
    # The open period's plans fill every completion row of the report, 4a included.
    rows = Counter(
        completion_row(c) for c in member_completion(Period.objects.get(label="2025/2026")).values()
    )
    assert set(rows) == set(COMPLETION_ROWS)
    # The removal for an unfulfilled plan is borne out by the plans.
    golovko = Candidacy.objects.get(removal_reason__startswith="Не выполнил план")
    for label in ("2023/2024", "2024/2025"):
        completion = member_completion(Period.objects.get(label=label))
        assert completion[golovko.person_id] < 50


def check_monitoring_was_rescored():
    for period in Period.objects.all():
        assert ScoringRun.objects.filter(period=period, trigger=TRIGGER).count() == 1
        results = [s.results for s in Score.objects.filter(period=period)]
        members = [r["A2.2"][2] for r in results if r["A2.2"][1] == STATUS_VALUE]
        assert len(members) == len(results) and sum(members) >= 4
    latest = Score.objects.filter(period__label="2024/2025")
    shares = [s.results["A2.4"] for s in latest if s.results["A2.4"][1] == STATUS_VALUE]
    assert any(r[2] > 0 for r in shares) and any(r[2] == 0 for r in shares)
    assert Period.objects.get(label="2024/2025").is_closed


@pytest.mark.django_db
def test_seed_demo_builds_the_reserve_and_is_idempotent():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Кадровый резерв: добавлено кандидатур — 30" in out.getvalue()
    first = counts()
    check_the_flow()
    check_reviews()
    check_the_candidate()
    check_heads_from_the_reserve()
    check_plans_and_report()
    check_monitoring_was_rescored()

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert counts() == first
    assert "Кадровый резерв: добавлено кандидатур — 0." in out.getvalue()
