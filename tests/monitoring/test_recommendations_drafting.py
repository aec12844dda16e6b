"""Drafting, issuing and withdrawing letters, the 10-day overview and the letter builder."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring import recommendations as domain
from monitoring.catalogue import STATUSES
from monitoring.methodology import version_for
from monitoring.models import (
    Recommendation,
    RecommendationItem,
    RecommendationRule,
    Score,
    ScoringRun,
)
from monitoring.recommendation_rules import RULES
from tests.conftest import make_org, make_person
from zelenchuk_portal.models import Period, PeriodStatus, Role

TODAY = date(2025, 6, 20)


def make_score(
    period, org, *, index=55.0, level="acceptable", subgroups=None, points=None, **extra
):
    """A stored score with the given subgroup scores and indicator points (others н/п)."""
    version = version_for(period)
    run = ScoringRun.objects.filter(period=period).first() or ScoringRun.objects.create(
        period=period, version=version, trigger="test"
    )
    codes = version.indicator_codes
    points = points or {}
    status = [STATUSES.index("значение" if c in points else "н/п") for c in codes]
    payload = {
        "value": [1.0 if c in points else None for c in codes],
        "status": status,
        "points": [points.get(c) for c in codes],
        "gated": [0] * len(codes),
        "risk": [0] * len(codes),
    }
    scores = {"A1": 60.0, "A2": 60.0, "B1": 60.0, "B2": 60.0, "B3": 60.0, "B4": 60.0, "B5": 60.0}
    scores.update(subgroups or {})
    fields = {sg.lower(): v for sg, v in scores.items()}
    fields.update(extra)
    score, _ = Score.objects.update_or_create(
        period=period,
        organization=org,
        defaults={
            "version": version,
            "run": run,
            "index": index,
            "level": level,
            "indicators": payload,
            **fields,
        },
    )
    return score


def make_rule(condition, title, **fields):
    defaults = {"text": f"Текст: {title}", "measures": f"Меры: {title}", "owner": "руководитель ОО"}
    return RecommendationRule.objects.create(
        condition=condition, title=title, **{**defaults, **fields}
    )


@pytest.fixture
def library(db):
    """A small library instead of the seeded one, so that each test knows what matches."""
    RecommendationRule.objects.all().delete()
    return {
        "b13": make_rule(
            "indicator_points", "B1.3", indicator_code="B1.3", threshold=0, days=30, position=10
        ),
        "critical": make_rule("level", "critical", level="critical", days=10, position=5),
        "b4": make_rule("subgroup_below", "B4", subgroup="B4", threshold=50, days=60, position=20),
    }


def items_of(org, period):
    return list(
        RecommendationItem.objects.filter(
            recommendation__organization=org, recommendation__period=period
        )
    )


def test_migrations_seed_the_library(db):
    assert RecommendationRule.objects.count() == len(RULES)
    assert RecommendationRule.objects.filter(is_active=True).count() == len(RULES)


def test_drafting_creates_a_draft_per_organisation_with_matching_rules(
    period, org_a, org_b, library
):
    make_score(period, org_a, level="critical", index=40.0, points={"B1.3": 0.0})
    make_score(period, org_b, level="optimal", index=70.0, points={"B1.3": 2.0})
    summary = domain.draft_recommendations(period, today=TODAY)
    assert (summary.scored, summary.created, summary.items) == (2, 1, 2)
    letter = Recommendation.objects.get(organization=org_a)
    assert letter.status == Recommendation.Status.DRAFT
    items = list(letter.items.all())
    # In the rules' order (position, then id): the level rule first.
    assert [i.rule for i in items] == [library["critical"], library["b13"]]
    assert [i.reason for i in items] == [
        "уровень эффективности «критический» (индекс 40)",
        "B1.3: 0 баллов из 2",
    ]
    assert items[1].text == "Текст: B1.3" and items[1].measures == "Меры: B1.3"
    assert items[1].owner == "руководитель ОО"
    assert [i.deadline for i in items] == [TODAY + timedelta(days=10), TODAY + timedelta(days=30)]
    assert not Recommendation.objects.filter(organization=org_b).exists()


def test_redrafting_adds_nothing_twice(period, org_a, library):
    make_score(period, org_a, level="critical", points={"B1.3": 0.0})
    domain.draft_recommendations(period, today=TODAY)
    again = domain.draft_recommendations(period, today=TODAY)
    assert (again.created, again.items) == (0, 0)
    assert len(items_of(org_a, period)) == 2
    assert Recommendation.objects.count() == 1


def test_an_official_s_edits_survive_redrafting(period, org_a, library):
    make_score(period, org_a, level="critical", points={"B1.3": 0.0})
    domain.draft_recommendations(period, today=TODAY)
    level_item, b13_item = items_of(org_a, period)
    level_item.text = "Собеседование 15 июля в 10:00."
    level_item.deadline = date(2025, 7, 15)
    level_item.save()
    b13_item.delete()  # the official decided against it
    letter = Recommendation.objects.get()
    manual = RecommendationItem.objects.create(
        recommendation=letter, text="Вручную: принять участие в семинаре.", position=9
    )
    # New scores: B4 falls below 50 %, so a third rule matches now.
    make_score(period, org_a, level="critical", points={"B1.3": 0.0}, subgroups={"B4": 30.0})
    summary = domain.draft_recommendations(period, today=TODAY)
    assert summary.items == 1
    items = items_of(org_a, period)
    assert [i.pk for i in items[:2]] == [level_item.pk, manual.pk]
    assert items[0].text == "Собеседование 15 июля в 10:00."
    assert items[0].deadline == date(2025, 7, 15)
    assert items[2].rule == library["b4"] and items[2].position == 10  # after the manual one
    assert items[2].reason == "B4: 30 % (порог 50 %)"
    assert not any(i.rule_id == library["b13"].pk for i in items)  # removed stays removed


def test_issued_letters_are_never_touched(period, org_a, library, official):
    make_score(period, org_a, level="critical")
    domain.draft_recommendations(period, today=TODAY)
    letter = Recommendation.objects.get()
    domain.issue_recommendation(
        letter, number="01-12/5", issued_on=TODAY, user=official, today=TODAY
    )
    make_score(period, org_a, level="critical", points={"B1.3": 0.0}, subgroups={"B4": 10.0})
    summary = domain.draft_recommendations(period, today=TODAY)
    assert (summary.issued_kept, summary.items) == (1, 0)
    assert len(items_of(org_a, period)) == 1


def test_deadlines_count_from_the_planned_issue_date(period, org_a, library):
    make_score(period, org_a, level="acceptable", points={"B1.3": 0.0})
    Recommendation.objects.create(period=period, organization=org_a, issued_at=date(2025, 7, 1))
    domain.draft_recommendations(period, today=TODAY)
    assert items_of(org_a, period)[0].deadline == date(2025, 7, 31)


def test_inactive_rules_and_unscored_organisations_give_nothing(period, org_a, org_b, library):
    library["b13"].is_active = False
    library["b13"].save()
    make_score(period, org_a, points={"B1.3": 0.0})
    summary = domain.draft_recommendations(period, today=TODAY)  # org_b has no score
    assert (summary.scored, summary.created) == (1, 0)
    assert not Recommendation.objects.exists()


def test_drafting_can_be_limited_to_some_organisations(period, org_a, org_b, library):
    make_score(period, org_a, level="critical")
    make_score(period, org_b, level="critical")
    domain.draft_recommendations(period, [org_b], today=TODAY)
    assert list(Recommendation.objects.values_list("organization__code", flat=True)) == ["B02"]


def test_the_seeded_library_drafts_on_real_scores(period, org_a):
    make_score(
        period,
        org_a,
        level="critical",
        index=35.0,
        points={"A1.2": 0.0, "B4.1": 1.0, "B1.3": 2.0},
        risk_flags=[
            {
                "kind": "objectivity",
                "indicator": "B1.7",
                "text": "Объективность результатов не подтверждена",
            }
        ],
    )
    domain.draft_recommendations(period, today=TODAY)
    texts = [i.text for i in items_of(org_a, period)]
    assert any("72 час" in t for t in texts)
    assert any("объективности ВПР" in t for t in texts)
    assert any("кадрового дефицита" in t for t in texts)
    assert any("собеседование" in t for t in texts)
    assert not any("ОГЭ" in t for t in texts)  # B1.3 scored 2 points


def test_falling_two_periods_running_reads_the_previous_period(period, org_a, library):
    previous = Period.objects.create(
        label="2023/2024",
        start_date=date(2023, 9, 1),
        end_date=date(2024, 8, 31),
        status=PeriodStatus.CLOSED,
    )
    make_rule("falling", "two running", periods_running=2)
    make_score(previous, org_a, index_change=-2.0)
    make_score(period, org_a, index_change=-1.5)
    domain.draft_recommendations(period, today=TODAY)
    reasons = [i.reason for i in items_of(org_a, period)]
    assert reasons == ["индекс снижается два периода подряд: на 2 и на 1,5"]


def test_deficit_rules_match_only_through_a_registered_source(period, org_a, library):
    had = domain.has_deficit_sources()  # the trajectories app registers its own source
    make_rule("deficit", "block 2", deficit_code="2")
    make_score(period, org_a)
    domain.draft_recommendations(period, today=TODAY)
    assert items_of(org_a, period) == []

    def source(period_, organization_ids):
        return {org_id: {"2.3"} for org_id in organization_ids}

    domain.register_deficit_source(source, name="test")
    try:
        assert domain.has_deficit_sources()
        domain.draft_recommendations(period, today=TODAY)
    finally:
        domain.unregister_deficit_source("test")
    assert [i.reason for i in items_of(org_a, period)] == [
        "подтверждён профессиональный дефицит: 2.3"
    ]
    assert domain.has_deficit_sources() == had


# --- issuing and withdrawing ---------------------------------------------------------------------


@pytest.fixture
def draft(period, org_a, library):
    make_score(period, org_a, level="critical", points={"B1.3": 0.0})
    domain.draft_recommendations(period, today=TODAY)
    return Recommendation.objects.get()


def test_issuing_dates_numbers_and_records_the_letter(draft, official):
    domain.issue_recommendation(
        draft, number=" 01-12/77 ", issued_on=TODAY, user=official, today=TODAY
    )
    draft.refresh_from_db()
    assert draft.status == Recommendation.Status.ISSUED
    assert (draft.number, draft.issued_at, draft.issued_by) == ("01-12/77", TODAY, official)
    assert [(h["action"], h["number"], h["date"]) for h in draft.history] == [
        ("issued", "01-12/77", "2025-06-20")
    ]
    with pytest.raises(ValidationError, match="уже выданы"):
        domain.issue_recommendation(draft, number="2", issued_on=TODAY, user=official, today=TODAY)


def test_issuing_refuses_with_every_reason_at_once(draft, official):
    item = draft.items.first()
    item.deadline = TODAY - timedelta(days=1)
    item.save()
    with pytest.raises(ValidationError) as caught:
        domain.issue_recommendation(draft, number="", issued_on=TODAY, user=official, today=TODAY)
    messages = caught.value.messages
    assert "Укажите исходящий номер письма." in messages
    assert any(m.startswith("Рекомендация 1: Срок 19.06.2025 раньше даты") for m in messages)
    with pytest.raises(ValidationError, match="ещё не наступила"):
        domain.issue_recommendation(
            draft, number="1", issued_on=TODAY + timedelta(days=1), user=official, today=TODAY
        )
    draft.items.all().delete()
    with pytest.raises(ValidationError, match="нет ни одной рекомендации"):
        domain.issue_recommendation(draft, number="1", issued_on=TODAY, user=official, today=TODAY)
    draft.refresh_from_db()
    assert draft.status == Recommendation.Status.DRAFT


def test_withdrawing_needs_a_reason_and_keeps_the_first_issue_date(draft, official):
    with pytest.raises(ValidationError, match="только выданные"):
        domain.withdraw_recommendation(draft, reason="x", user=official)
    domain.issue_recommendation(
        draft, number="5", issued_on=date(2025, 6, 5), user=official, today=TODAY
    )
    with pytest.raises(ValidationError, match="причину"):
        domain.withdraw_recommendation(draft, reason="  ", user=official)
    domain.withdraw_recommendation(draft, reason="Ошибка в сроке", user=official)
    draft.refresh_from_db()
    assert draft.status == Recommendation.Status.DRAFT and draft.issued_at is None
    assert (
        draft.history[-1]["action"] == "withdrawn"
        and draft.history[-1]["reason"] == "Ошибка в сроке"
    )
    assert domain.first_issued_on(draft) == date(2025, 6, 5)
    domain.issue_recommendation(draft, number="5/1", issued_on=TODAY, user=official, today=TODAY)
    assert domain.first_issued_on(draft) == date(2025, 6, 5)
    lines = domain.history_lines(draft)
    assert [line["action"] for line in lines] == ["issued", "withdrawn", "issued"]
    assert lines[0]["date"] == date(2025, 6, 5)


def test_a_rule_quoted_by_an_issued_letter_cannot_be_deleted(draft, official, library):
    domain.issue_recommendation(draft, number="5", issued_on=TODAY, user=official, today=TODAY)
    with pytest.raises(ValidationError, match="только отключить"):
        domain.delete_rule(library["b13"])
    domain.delete_rule(library["b4"])  # never used
    assert not RecommendationRule.objects.filter(pk=library["b4"].pk).exists()


def test_stale_items_are_those_whose_condition_no_longer_holds(draft, period, org_a):
    assert domain.stale_items(draft) == set()
    make_score(period, org_a, level="optimal", index=70.0, points={"B1.3": 0.0})
    stale = domain.stale_items(draft)
    assert stale == {i.pk for i in draft.items.all() if i.rule.condition == "level"}


# --- the overview and the 10-day rule ------------------------------------------------------------


def test_overview_without_an_end_of_monitoring(period, org_a):
    overview = domain.build_period_overview(period, today=TODAY)
    assert overview.due is None
    assert [row.timeliness for row in overview.rows] == ["no_deadline"]
    assert overview.late == []


def test_the_late_list(period, official, library):
    period.monitoring_end = date(2025, 6, 1)  # due 11.06.2025
    period.save()
    on_time, late, draft_only, nothing = (make_org(code) for code in ("O1", "O2", "O3", "O4"))
    for org in (on_time, late, draft_only):
        make_score(period, org, level="critical")
    domain.draft_recommendations(period, today=TODAY)
    letters = {r.organization: r for r in Recommendation.objects.all()}
    domain.issue_recommendation(
        letters[on_time], number="1", issued_on=date(2025, 6, 11), user=official, today=TODAY
    )
    domain.issue_recommendation(
        letters[late], number="2", issued_on=date(2025, 6, 12), user=official, today=TODAY
    )

    before = domain.build_period_overview(period, today=date(2025, 6, 11))
    # On the due day itself only the letter issued after it is late; the others may still come.
    assert [row.organization.code for row in before.late] == ["O2"]
    overview = domain.build_period_overview(period, today=TODAY)
    rows = {row.organization.code: row for row in overview.rows}
    assert rows["O1"].timeliness == "on_time" and rows["O1"].status == "issued"
    assert rows["O2"].timeliness == "late"
    assert (rows["O3"].status, rows["O3"].items, rows["O3"].timeliness) == ("draft", 1, "overdue")
    assert (rows["O4"].status, rows["O4"].timeliness) == ("none", "overdue")
    assert sorted(row.organization.code for row in overview.late) == ["O2", "O3", "O4"]
    assert overview.counts == {"none": 1, "draft": 1, "issued": 2}
    assert overview.days_left == -9


def test_the_overview_runs_a_fixed_number_of_queries(period, library):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            overview = domain.build_period_overview(period, today=TODAY)
            [row.level_label for row in overview.rows]
        return len(captured.captured_queries), len(overview.rows)

    def add(n, start):
        for i in range(start, start + n):
            org = make_org(f"Q{i:02}")
            make_score(period, org, level="critical")
        domain.draft_recommendations(period, today=TODAY)

    add(3, 0)
    small, rows = queries()
    add(9, 3)
    large, more = queries()
    assert (rows, more) == (3, 12)
    assert small == large


# --- the letter ----------------------------------------------------------------------------------


def test_the_letter_compares_with_the_median_of_the_same_type_only(period, org_a, org_b, library):
    make_person(
        "head_a",
        Role.PRINCIPAL,
        org_a,
        last_name="Иванова",
        first_name="Ольга",
        patronymic="Петровна",
    )
    kindergarten = make_org("K01", "kindergarten")
    make_score(period, org_a, index=40.0, level="critical", subgroups={"B1": 20.0})
    make_score(period, org_b, index=60.0, level="acceptable", subgroups={"B1": 80.0})
    make_score(period, kindergarten, index=99.0, level="high", subgroups={"B1": 100.0})
    domain.draft_recommendations(period, today=TODAY)
    letter = domain.build_letter(Recommendation.objects.get(organization=org_a))
    assert letter.head_name == "Иванова О. П."
    assert letter.salutation == "Уважаемая Ольга Петровна!"
    assert letter.index_median == 50.0  # two schools; the kindergarten is not compared
    b1 = next(line for line in letter.subgroups if line.code == "B1")
    assert (b1.score, b1.median, b1.difference) == (20.0, 50.0, -30.0)
    assert [item.number for item in letter.items] == [1]
    assert letter.is_draft and letter.filename == "recommendations_A01_2024-2025_draft.pdf"
    assert "<svg" in letter.chart and "медиана" in letter.chart
    assert "B02" not in letter.chart and org_b.short_name not in letter.chart


def test_letters_are_built_in_a_fixed_number_of_queries(period, library):
    def build():
        letters = list(Recommendation.objects.filter(period=period).select_related("period"))
        with CaptureQueriesContext(connection) as captured:
            domain.build_letters(letters)
        return len(captured.captured_queries)

    for i in range(2):
        make_score(period, make_org(f"L{i}"), level="critical")
    domain.draft_recommendations(period, today=TODAY)
    small = build()
    for i in range(2, 8):
        make_score(period, make_org(f"L{i}"), level="critical")
    domain.draft_recommendations(period, today=TODAY)
    assert build() == small


def test_recommendations_for_the_dossier(period, org_a, library, official, principal_a):
    assert domain.recommendations_for(org_a, period, include_drafts=True) is None
    make_score(period, org_a, level="critical")
    domain.draft_recommendations(period, today=timezone.localdate())
    assert domain.recommendations_for(org_a, period) is None  # heads see issued letters only
    assert domain.dossier_section(org_a, period, principal_a) is None
    section = domain.dossier_section(org_a, period, official)
    assert len(section["items"]) == 1
    letter = Recommendation.objects.get()
    domain.issue_recommendation(letter, number="9", issued_on=timezone.localdate(), user=official)
    assert domain.recommendations_for(org_a, period) == letter
    assert len(domain.dossier_section(org_a, period, principal_a)["items"]) == 1
