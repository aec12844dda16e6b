"""The deficit rule on hand-worked examples (no database), then proposals, decisions, the
official's settings and what the rest of the portal reads (`confirmed_deficits`, counts)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.conftest import make_person
from tests.trajectories.test_assessments import codes, item, previous_period, rate_expert, submit
from trajectories import assessments
from trajectories.deficits import (
    DeficitCount,
    Rated,
    confirmed_deficits,
    decide_deficit,
    deficit_counts,
    find_deficits,
    propose_deficits,
    update_rule,
)
from trajectories.models import (
    AssessmentItem,
    Deficit,
    DeficitAnalysis,
    DeficitRule,
    Plan,
)
from zelenchuk_portal.models import Role


def block(number, *ratings, expert=None):
    """Items n.1, n.2… of a block with the given self (and expert) ratings."""
    expert = expert or [None] * len(ratings)
    return [
        Rated(f"{number}.{i}", number, own, theirs)
        for i, (own, theirs) in enumerate(zip(ratings, expert, strict=True), start=1)
    ]


def found(items, **rule):
    return [p.code for p in find_deficits(items, **rule)]


# --- The rule, by hand ---------------------------------------------------------------------------


def test_an_item_rated_one_or_less_is_a_deficit():
    # block 1: 1, 2, 3, 0, 3 = 9 of 15 = 60 % → not a block deficit (not below 60 %)
    assert found(block(1, 1, 2, 3, 0, 3)) == ["1.1", "1.4"]


def test_a_block_below_sixty_percent_is_a_deficit():
    # block 2: 2, 2, 2, 1, 1 = 8 of 15 = 53.3 % → items 2.4, 2.5 and block 2
    assert found(block(2, 2, 2, 2, 1, 1)) == ["2.4", "2.5", "2"]


def test_a_block_can_be_a_deficit_with_no_weak_item():
    # block 4: all 2 = 66.7 %; with X = 70 the block is a deficit, no item is
    assert found(block(4, 2, 2, 2, 2)) == []
    assert found(block(4, 2, 2, 2, 2), block_min_percent=70) == ["4"]


def test_the_expert_overrides_the_self_rating():
    items = block(3, 1, 3, 3, 3, 3, 3, expert=[2, 1, None, None, None, None])
    # 3.1: self 1 but expert 2 → no; 3.2: self 3 but expert 1 → yes; 3.3–3.6: self 3
    proposals = find_deficits(items)
    assert [p.code for p in proposals] == ["3.2"]
    assert "эксперта" in proposals[0].reason


def test_the_expert_also_decides_the_block_mean():
    # self 3 everywhere, expert 1 on three items of five: (1+1+1+3+3) = 9 of 15 = 60 % → no block
    # deficit; expert 1 on four: 7 of 15 = 46.7 % → block deficit
    assert found(block(5, 3, 3, 3, 3, 3, expert=[1, 1, 1, None, None])) == ["5.1", "5.2", "5.3"]
    assert found(block(5, 3, 3, 3, 3, 3, expert=[1, 1, 1, 1, None]))[-1] == "5"


def test_the_thresholds_are_configurable():
    items = block(6, 1, 1, 2, 2, 2, 2)  # 10 of 18 = 55.6 %
    assert found(items) == ["6.1", "6.2", "6"]
    assert found(items, item_max=0, block_min_percent=50) == []
    assert found(items, item_max=2, block_min_percent=60) == [f"6.{n}" for n in range(1, 7)] + ["6"]


def test_unrated_items_count_neither_way():
    # 3, None, 1 → block mean over the rated two: 4 of 6 = 66.7 %
    assert found(block(1, 3, None, 1)) == ["1.3"]
    assert found(block(1, None, None)) == []


def test_reasons_explain_in_russian():
    reasons = [p.reason for p in find_deficits(block(2, 0, 1, 1, 1, 1))]
    assert reasons[0] == "самооценка 0, оценки эксперта нет (порог ≤ 1)"
    assert reasons[-1] == "среднее по блоку 27 % от максимума (порог < 60 %)"
    expert = find_deficits([Rated("1.1", 1, 3, 1)])[0]
    assert expert.reason == "оценка эксперта 1 (порог ≤ 1)"


# --- Proposals in the database -------------------------------------------------------------------


def test_proposals_are_idempotent(principal_a, period):
    assessment = submit(principal_a, period, **{"1.1": 0, "2.1": 1, "2.2": 1, "2.3": 1})
    first = {(d.pk, d.code) for d in assessment.deficits.all()}
    # block 1: 0 + 4 × 2 = 8 of 15; block 2: 1 + 1 + 1 + 2 + 2 = 7 of 15 — both below 60 %
    assert {code for _pk, code in first} == {"1.1", "1", "2.1", "2.2", "2.3", "2"}
    propose_deficits(assessment)
    propose_deficits(assessment)
    assert {(d.pk, d.code) for d in assessment.deficits.all()} == first


def test_proposals_keep_decisions_and_withdraw_stale_ones(principal_a, expert, period):
    assessment = submit(principal_a, period, **{"1.1": 0, "1.2": 1, "1.3": 1})
    by_code = {d.code: d for d in assessment.deficits.all()}
    decide_deficit(by_code["1.1"], expert, confirm=True)
    decide_deficit(by_code["1.2"], expert, confirm=False, comment="Опыт подтверждён")
    # the expert now rates everything 3: nothing is flagged any more
    rate_expert(assessment, 3)
    propose_deficits(assessment)
    kept = {d.code: d.status for d in assessment.deficits.all()}
    assert kept == {"1.1": Deficit.Status.CONFIRMED, "1.2": Deficit.Status.DISMISSED}


def test_a_proposal_a_plan_refers_to_is_not_withdrawn(principal_a, period):
    assessment = submit(principal_a, period, default=3, **{"1.1": 0})
    deficit = assessment.deficits.get()
    plan = Plan.objects.create(person=principal_a, period=period, assessment=assessment)
    plan.goals.create(text="Цель", deficit=deficit)
    rate_expert(assessment, 3)
    propose_deficits(assessment)
    assert assessment.deficits.get().pk == deficit.pk


def test_rule_changes_apply_to_later_proposals(principal_a, official, period):
    assessment = submit(principal_a, period, default=2, **{"1.1": 1})
    assert codes(assessment.deficits.all()) == {"1.1"}
    update_rule(0, 70, official)
    rule = DeficitRule.objects.get()
    assert (rule.item_max_rating, rule.block_min_percent, rule.updated_by) == (0, 70, official)
    assert codes(assessment.deficits.all()) == {"1.1"}  # nothing changes by itself
    propose_deficits(assessment)
    assert codes(assessment.deficits.all()) == {"1", "2", "3", "4", "5", "6"}


def test_the_rule_defaults_until_an_official_edits_it(db):
    rule = DeficitRule.current()
    assert (rule.item_max_rating, rule.block_min_percent, rule.pk) == (1, 60, 1)
    assert not DeficitRule.objects.exists()


@pytest.mark.parametrize(("n", "x"), [(3, 60), (-1, 60), (1, 0), (1, 101)])
def test_the_rule_refuses_thresholds_out_of_range(official, n, x):
    with pytest.raises(ValidationError):
        update_rule(n, x, official)


def test_the_rule_is_a_single_row_in_the_database(official):
    update_rule(1, 60, official)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeficitRule.objects.create(pk=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeficitRule.objects.filter(pk=1).update(item_max_rating=3)


def test_ratings_outside_the_scale_are_refused_by_the_database(principal_a, period):
    assessment = assessments.start_assessment(principal_a, period)
    target = item(assessment, "1.1").pk
    for field in ("self_rating", "expert_rating"):
        with pytest.raises(IntegrityError), transaction.atomic():
            AssessmentItem.objects.filter(pk=target).update(**{field: 4})


# --- Decisions -----------------------------------------------------------------------------------


def test_dismissal_needs_a_comment_confirmation_does_not(principal_a, expert, period):
    assessment = submit(principal_a, period, default=3, **{"1.1": 0, "1.2": 1})
    first, second = assessment.deficits.order_by("competency__position")
    with pytest.raises(ValidationError, match="комментарий обязателен"):
        decide_deficit(first, expert, confirm=False, comment="  ")
    decide_deficit(first, expert, confirm=True)
    decide_deficit(second, expert, confirm=False, comment="Есть сертификат")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.decided_by) == (Deficit.Status.CONFIRMED, expert)
    assert first.decided_at is not None
    assert (second.status, second.comment) == (Deficit.Status.DISMISSED, "Есть сертификат")


def test_decisions_wait_for_a_submitted_assessment(principal_a, expert, official, period):
    assessment = submit(principal_a, period, default=3, **{"1.1": 0})
    assessments.return_assessment(assessment, official, "Доработать")
    with pytest.raises(ValidationError, match="представленной"):
        decide_deficit(assessment.deficits.get(), expert, confirm=True)


# --- What the portal reads -----------------------------------------------------------------------


def confirm_all(assessment, user):
    for deficit in assessment.deficits.all():
        decide_deficit(deficit, user, confirm=True)


def test_confirmed_deficits_of_the_heads(
    principal_a, principal_b, candidate, org_a, org_b, expert, period
):
    head_a = submit(principal_a, period, **{"2.1": 0, "2.2": 1, "2.3": 1})
    confirm_all(head_a, expert)
    dismissed = head_a.deficits.get(competency__code="2.2")
    decide_deficit(dismissed, expert, confirm=False, comment="Нет")
    head_b = submit(principal_b, period, **{"1.1": 1})  # proposed, never confirmed
    reserve = submit(candidate, period, **{"5.5": 0})  # a candidate of A: not its head
    confirm_all(reserve, expert)
    assert confirmed_deficits(period, [org_a.pk, org_b.pk]) == {org_a.pk: {"2.1", "2.3", "2"}}
    confirm_all(head_b, expert)
    assert confirmed_deficits(period, [org_b.pk]) == {org_b.pk: {"1.1"}}
    assert confirmed_deficits(previous_period(), [org_a.pk]) == {}


def test_a_returned_assessment_does_not_feed_recommendations(principal_a, org_a, expert, period):
    assessment = submit(principal_a, period, **{"2.1": 0})
    confirm_all(assessment, expert)
    assessments.return_assessment(assessment, expert, "Доработать")
    assert confirmed_deficits(period, [org_a.pk]) == {}


def test_deficit_counts_per_person(principal_a, principal_b, org_b, expert, period):
    assessment = submit(principal_a, period, default=3, **{"1.1": 0, "1.2": 1})
    confirm_all(assessment, expert)
    submit(principal_b, period, **{"4.1": 0})  # only proposed
    plan = Plan.objects.create(person=principal_a, period=period, assessment=assessment)
    closed = assessment.deficits.get(competency__code="1.1")
    DeficitAnalysis.objects.create(plan=plan, deficit=closed, outcome="closed")
    DeficitAnalysis.objects.create(
        plan=plan, deficit=assessment.deficits.get(competency__code="1.2"), outcome="carried_over"
    )
    assert deficit_counts(period) == {principal_a.pk: DeficitCount(identified=2, closed=1)}
    assert deficit_counts(period, [principal_b.pk]) == {}


def test_only_heads_count_as_heads_even_in_the_same_organisation(org_a, expert, period):
    deputy = make_person("deputy", Role.CANDIDATE, org_a)
    confirm_all(submit(deputy, period, **{"3.1": 0}), expert)
    assert confirmed_deficits(period, [org_a.pk]) == {}
