"""The self-assessment's life: start, drafts, submission lock, return, copy, expert rating, the
index and the side-by-side comparison with monitoring.

Helpers here (`rate_self`, `submit`, `make_score`…) are shared by the other test modules of the
self-assessment.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from monitoring.methodology import version_for
from monitoring.models import Score, ScoringRun
from tests.conftest import make_person
from trajectories import assessments as domain
from trajectories.models import Assessment, AssessmentItem, Competency, Deficit
from zelenchuk_portal.models import Period, PeriodStatus, Role

# --- Helpers -------------------------------------------------------------------------------------


def rate_self(assessment, default=2, **by_code):
    """Rate every item `default` (or per code: rate_self(a, **{"1.1": 0}))."""
    for item in assessment.items.select_related("competency"):
        item.self_rating = by_code.get(item.competency.code, default)
        item.save(update_fields=["self_rating"])


def rate_expert(assessment, default=2, **by_code):
    for item in assessment.items.select_related("competency"):
        item.expert_rating = by_code.get(item.competency.code, default)
        item.save(update_fields=["expert_rating"])


def submit(person, period, default=2, **by_code) -> Assessment:
    assessment = domain.start_assessment(person, period)
    rate_self(assessment, default, **by_code)
    domain.submit_assessment(assessment, person)
    assessment.refresh_from_db()
    return assessment


def item(assessment, code) -> AssessmentItem:
    return assessment.items.get(competency__code=code)


def codes(deficits) -> set[str]:
    return {d.code for d in deficits}


def make_score(period, organization, **subgroups) -> Score:
    """A stored score with the given subgroup results (A1=…, B1=…); the others 60."""
    version = version_for(period)
    run = ScoringRun.objects.filter(period=period).first() or ScoringRun.objects.create(
        period=period, version=version, trigger="test"
    )
    fields = dict.fromkeys(("a1", "a2", "b1", "b2", "b3", "b4", "b5"), 60.0)
    fields.update({code.lower(): value for code, value in subgroups.items()})
    return Score.objects.create(
        period=period, organization=organization, version=version, run=run, index=60.0, **fields
    )


def previous_period() -> Period:
    return Period.objects.create(
        label="2023/2024",
        start_date=date(2023, 9, 1),
        end_date=date(2024, 8, 31),
        status=PeriodStatus.OPEN,
    )


# --- Starting ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_framework_is_loaded():
    assert Competency.objects.count() == 31
    assert sorted(set(Competency.objects.values_list("block", flat=True))) == [1, 2, 3, 4, 5, 6]


def test_start_creates_one_item_per_competency_once(principal_a, org_a, period):
    first = domain.start_assessment(principal_a, period)
    again = domain.start_assessment(principal_a, period)
    assert first.pk == again.pk
    assert first.items.count() == 31
    assert first.organization == org_a
    assert first.status == Assessment.Status.DRAFT


def test_a_candidate_assesses_under_his_or_her_organisation(candidate, org_a, period):
    assert domain.start_assessment(candidate, period).organization == org_a


# --- Drafts and submission -----------------------------------------------------------------------


def test_draft_keeps_partial_answers(principal_a, period):
    assessment = domain.start_assessment(principal_a, period)
    first = item(assessment, "1.1")
    domain.save_self_draft(assessment, {first.pk: domain.Row(3, "  Есть программа  ")})
    first.refresh_from_db()
    assert (first.self_rating, first.self_comment) == (3, "Есть программа")


def test_rating_outside_the_scale_is_refused_in_russian(principal_a, period):
    assessment = domain.start_assessment(principal_a, period)
    with pytest.raises(ValidationError, match="вне шкалы"):
        domain.save_self_draft(assessment, {item(assessment, "1.1").pk: domain.Row(4)})


def test_submission_requires_every_item(principal_a, period):
    assessment = domain.start_assessment(principal_a, period)
    rate_self(assessment)
    AssessmentItem.objects.filter(pk=item(assessment, "3.6").pk).update(self_rating=None)
    with pytest.raises(ValidationError, match="Не оценены: 3.6"):
        domain.submit_assessment(assessment, principal_a)
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.DRAFT


def test_submission_locks_and_proposes_deficits(principal_a, period):
    assessment = submit(principal_a, period, **{"1.1": 1})
    assert assessment.status == Assessment.Status.SUBMITTED
    assert assessment.submitted_at is not None
    assert [h["action"] for h in assessment.history] == ["submitted"]
    assert codes(assessment.deficits.all()) == {"1.1"}
    with pytest.raises(ValidationError, match="вернёт её на доработку"):
        domain.save_self_draft(assessment, {item(assessment, "1.1").pk: domain.Row(3)})
    with pytest.raises(ValidationError):
        domain.submit_assessment(assessment, principal_a)
    assert item(assessment, "1.1").self_rating == 1


def test_closed_period_is_read_only(principal_a, period):
    assessment = domain.start_assessment(principal_a, period)
    period.status = PeriodStatus.CLOSED
    period.save()
    assessment.refresh_from_db()
    with pytest.raises(ValidationError, match="Период закрыт"):
        domain.save_self_draft(assessment, {item(assessment, "1.1").pk: domain.Row(2)})


# --- Return for revision -------------------------------------------------------------------------


def test_return_needs_a_comment_and_is_recorded(principal_a, expert, official, period):
    assessment = submit(principal_a, period)
    with pytest.raises(ValidationError, match="комментарий"):
        domain.return_assessment(assessment, expert, "   ")
    domain.return_assessment(assessment, official, "Уточните блок 4")
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.RETURNED
    last = assessment.history[-1]
    assert (last["action"], last["comment"], last["by"]) == (
        "returned",
        "Уточните блок 4",
        official.full_name,
    )
    # the author may change it again, and resubmit
    domain.save_self_draft(assessment, {item(assessment, "4.1").pk: domain.Row(1)})
    domain.submit_assessment(assessment, principal_a)
    assessment.refresh_from_db()
    assert [h["action"] for h in assessment.history] == ["submitted", "returned", "submitted"]
    assert "4.1" in codes(assessment.deficits.all())


def test_only_a_submitted_assessment_is_returned(principal_a, official, period):
    assessment = domain.start_assessment(principal_a, period)
    with pytest.raises(ValidationError):
        domain.return_assessment(assessment, official, "Почему?")


def test_return_reopens_a_completed_expert_rating(principal_a, expert, official, period):
    assessment = submit(principal_a, period)
    domain.assign_expert(assessment, expert, official)
    rate_expert(assessment)
    domain.complete_expert_rating(assessment, expert)
    domain.return_assessment(assessment, expert, "Приложите подтверждения")
    assessment.refresh_from_db()
    assert assessment.expert_status == Assessment.ExpertStatus.IN_PROGRESS
    assert assessment.expert_done_at is None
    assert item(assessment, "1.1").expert_rating == 2  # the expert's work stays


# --- Copy from the last period -------------------------------------------------------------------


def test_copy_fills_only_untouched_items(principal_a, period):
    old = submit(principal_a, previous_period(), default=1, **{"2.2": 3})
    AssessmentItem.objects.filter(pk=item(old, "2.2").pk).update(self_comment="ВСОКО работает")
    assessment = domain.start_assessment(principal_a, period)
    domain.save_self_draft(assessment, {item(assessment, "1.1").pk: domain.Row(3)})
    filled = domain.copy_previous(assessment, principal_a)
    assert filled == 30
    assert item(assessment, "1.1").self_rating == 3  # typed before the copy: kept
    copied = item(assessment, "2.2")
    assert (copied.self_rating, copied.self_comment) == (3, "ВСОКО работает")
    assert item(assessment, "5.5").self_rating == 1
    assessment.refresh_from_db()
    assert assessment.history[-1]["action"] == "copied"
    assert assessment.status == Assessment.Status.DRAFT


def test_copy_only_into_a_draft_and_only_with_a_previous_period(principal_a, period):
    assessment = domain.start_assessment(principal_a, period)
    with pytest.raises(ValidationError, match="прошлые периоды"):
        domain.copy_previous(assessment, principal_a)
    submit(principal_a, previous_period())
    rate_self(assessment)
    domain.submit_assessment(assessment, principal_a)
    assessment.refresh_from_db()
    with pytest.raises(ValidationError, match="только в черновик"):
        domain.copy_previous(assessment, principal_a)


def test_an_unsubmitted_previous_draft_is_not_copied(principal_a, period):
    old = domain.start_assessment(principal_a, previous_period())
    rate_self(old, 3)
    assert domain.previous_assessment(domain.start_assessment(principal_a, period)) is None


# --- The expert ----------------------------------------------------------------------------------


def test_assign_only_an_expert_or_mentor_other_than_the_author(
    principal_a, principal_b, expert, mentor, official, period
):
    assessment = domain.start_assessment(principal_a, period)
    with pytest.raises(ValidationError, match="представленную"):
        domain.assign_expert(assessment, expert, official)
    rate_self(assessment)
    domain.submit_assessment(assessment, principal_a)
    with pytest.raises(ValidationError, match="эксперт или ментор"):
        domain.assign_expert(assessment, principal_b, official)
    domain.assign_expert(assessment, mentor, official)
    assessment.refresh_from_db()
    assert assessment.expert == mentor
    assert assessment.history[-1]["action"] == "expert_assigned"


def test_the_author_is_never_his_or_her_own_expert(period, org_a, official):
    head_and_mentor = make_person("head_mentor", Role.PRINCIPAL, org_a)
    head_and_mentor.memberships.create(role=Role.MENTOR, organization=org_a)
    assessment = submit(head_and_mentor, period)
    with pytest.raises(ValidationError, match="автора"):
        domain.assign_expert(assessment, head_and_mentor, official)


def test_expert_rating_overrides_self_rating_in_proposals(principal_a, expert, official, period):
    assessment = submit(principal_a, period, **{"1.1": 1})
    assert codes(assessment.deficits.all()) == {"1.1"}
    domain.assign_expert(assessment, expert, official)
    rows = {i.pk: domain.Row(2, "") for i in assessment.items.all()}
    rows[item(assessment, "1.1").pk] = domain.Row(3, "Недооценивает себя")
    rows[item(assessment, "6.2").pk] = domain.Row(1, "Нет подтверждений")  # block 6: 11 of 18
    domain.save_expert_draft(assessment, expert, rows)
    assessment.refresh_from_db()
    assert assessment.expert_status == Assessment.ExpertStatus.IN_PROGRESS
    deficits = domain.complete_expert_rating(assessment, expert)
    assert codes(deficits) == {"6.2"}  # 1.1 withdrawn: the expert rated it 3
    assessment.refresh_from_db()
    assert assessment.expert_status == Assessment.ExpertStatus.DONE
    assert assessment.history[-1]["action"] == "expert_done"


def test_only_the_assigned_expert_rates_and_completes(
    principal_a, expert, mentor, official, period
):
    assessment = submit(principal_a, period)
    domain.assign_expert(assessment, expert, official)
    rows = {item(assessment, "1.1").pk: domain.Row(2)}
    with pytest.raises(ValidationError, match="назначенный эксперт"):
        domain.save_expert_draft(assessment, mentor, rows)
    domain.save_expert_draft(assessment, expert, rows)
    with pytest.raises(ValidationError, match="Не оценены: 1.2"):
        domain.complete_expert_rating(assessment, expert)


# --- The index -----------------------------------------------------------------------------------


def test_self_assessment_index(principal_a, principal_b, period):
    assessment = submit(principal_a, period, default=3, **{"1.1": 0, "1.2": 0})
    # (29 × 3) ÷ (31 × 3) × 100
    assert domain.self_assessment_index(assessment) == pytest.approx(100 * 87 / 93)
    draft = domain.start_assessment(principal_b, period)
    assert domain.self_assessment_index(draft) is None
    assert domain.self_assessment_indexes(period) == {
        principal_a.pk: pytest.approx(100 * 87 / 93)
    }  # a draft is not counted


# --- Side by side --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("self_percent", "subgroup", "flag"),
    [
        (67, 49.9, domain.OVER),
        (100, 0, domain.OVER),
        (66.9, 10, None),
        (67, 50, None),
        (49.9, 80, domain.UNDER),
        (0, 100, domain.UNDER),
        (50, 95, None),
        (40, 79.9, None),
        (None, 10, None),
        (80, None, None),
    ],
)
def test_confidence_flags(self_percent, subgroup, flag):
    assert domain.confidence_flag(self_percent, subgroup) == flag


def test_comparison_per_item_and_block_with_monitoring(
    principal_a, org_a, expert, official, period
):
    # block 2 (five items) rated 3 by the head, B1 weak → over-confidence;
    # block 6 (six items) rated 0–1, A1 strong → under-confidence.
    by_code = {f"2.{n}": 3 for n in range(1, 6)} | {f"6.{n}": n % 2 for n in range(1, 7)}
    assessment = submit(principal_a, period, **by_code)
    make_score(period, org_a, B1=40.0, B2=70.0, A1=85.0)
    domain.assign_expert(assessment, expert, official)
    rate_expert(assessment, **{"2.1": 1})
    cmp = domain.build_comparison(assessment)
    assert cmp.has_monitoring
    block2 = cmp.blocks[1]
    assert (block2.number, block2.self_percent) == (2, 100.0)
    assert block2.expert_percent == pytest.approx(100 * 9 / 15)
    assert block2.gap == pytest.approx(100 * 9 / 15 - 100)
    assert [(s.code, s.score, s.flag) for s in block2.subgroups] == [
        ("B1", 40.0, domain.OVER),
        ("B2", 70.0, None),
    ]
    assert block2.items[0].gap == -2
    block6 = cmp.blocks[5]
    assert block6.self_percent == pytest.approx(100 * 3 / 18)
    assert [(s.code, s.flag) for s in block6.subgroups] == [("A1", domain.UNDER)]
    assert [b.number for b in cmp.flagged_blocks] == [2, 6]
    assert cmp.self_index == pytest.approx(domain.self_assessment_index(assessment))


def test_the_author_sees_expert_ratings_only_when_shown(principal_a, period):
    assessment = submit(principal_a, period)
    rate_expert(assessment, 1)
    cmp = domain.build_comparison(assessment, show_expert=False)
    assert cmp.expert_index is None
    assert all(line.expert_rating is None for b in cmp.blocks for line in b.items)


def test_a_candidate_is_not_set_against_the_organisations_monitoring(candidate, org_a, period):
    assessment = submit(candidate, period)
    make_score(period, org_a, B1=10.0)
    cmp = domain.build_comparison(assessment)
    assert not cmp.has_monitoring
    assert all(s.score is None and s.flag is None for b in cmp.blocks for s in b.subgroups)


def test_block_deficits_appear_on_their_block(principal_a, period):
    assessment = submit(principal_a, period, default=1)
    cmp = domain.build_comparison(assessment)
    assert all(b.deficit and b.deficit.status == Deficit.Status.PROPOSED for b in cmp.blocks)
