"""Decisions: baseline capture, status flow, overdue, validation, the effect read from scores."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext as _

from monitoring.decisions import (
    Reading,
    change_status,
    decision_effect,
    decisions_for,
    effect_summary,
    overdue_decisions,
    save_decision,
)
from monitoring.methodology import version_for
from monitoring.models import (
    Decision,
    DecisionBaseline,
    DecisionKind,
    Recommendation,
    Score,
    ScoringRun,
)
from tests.conftest import make_org
from zelenchuk_portal.models import Period, PeriodStatus

Status = Decision.Status
VALUE, NO_DATA = 0, 3  # indexes of «значение» and «нет данных» in catalogue.STATUSES


def put_scores(period, results):
    """Store scores for `period`: {organisation: {indicator code: (value, points)}}."""
    version = version_for(period)
    codes = version.indicator_codes
    run = ScoringRun.objects.create(period=period, version=version, trigger="test")
    for organization, found in results.items():
        cells = [found.get(code, (None, None)) for code in codes]
        payload = {
            "value": [value for value, _points in cells],
            "status": [VALUE if code in found else NO_DATA for code in codes],
            "points": [points for _value, points in cells],
            "gated": [0] * len(codes),
            "risk": [0] * len(codes),
        }
        Score.objects.update_or_create(
            period=period,
            organization=organization,
            defaults={"version": version, "run": run, "index": 60.0, "indicators": payload},
        )


def new_decision(period, user, organizations, codes, *, people=(), **fields):
    values = {
        "number": "15-од",
        "date": date(2025, 9, 20),
        "kind": DecisionKind.TRAINING,
        "title": "Направить руководителя на курсы повышения квалификации",
        "owner": "Методический кабинет",
        "due_date": date(2025, 12, 1),
    }
    values.update(fields)
    decision = Decision(period=period, **values)
    return save_decision(
        decision, organizations=organizations, people=people, indicator_codes=codes, user=user
    )


@pytest.fixture
def next_period(db):
    return Period.objects.create(
        label="2025/2026",
        start_date=date(2025, 9, 1),
        end_date=date(2026, 8, 31),
        status=PeriodStatus.OPEN,
    )


# --- Baseline -----------------------------------------------------------------------------------


def test_recording_stores_the_baseline_from_the_period_s_scores(period, official, org_a, org_b):
    put_scores(period, {org_a: {"B4.2": (50.0, 1.0), "A1.2": (1.0, 2.0)}})
    decision = new_decision(period, official, [org_a, org_b], ["B4.2", "A1.2"])
    rows = {
        (b.organization.code, b.indicator_code): (b.value, b.points)
        for b in decision.baselines.select_related("organization")
    }
    assert rows == {
        ("A01", "B4.2"): (50.0, 1.0),
        ("A01", "A1.2"): (1.0, 2.0),
        ("B02", "B4.2"): (None, None),  # B has no score this period
        ("B02", "A1.2"): (None, None),
    }
    assert decision.indicator_codes == ["A1.2", "B4.2"]  # catalogue order
    assert decision.status == Status.PLANNED
    [note] = decision.notes.all()
    assert (note.status, note.by, note.text) == (Status.PLANNED, official, "")


def test_changing_a_planned_decision_keeps_the_baseline_in_step(period, official, org_a, org_b):
    put_scores(period, {org_a: {"B4.2": (50.0, 1.0), "B4.1": (90.0, 1.0)}})
    decision = new_decision(period, official, [org_a, org_b], ["B4.2"])
    # The period is rescored; B gets its first score.
    put_scores(period, {org_a: {"B4.2": (55.0, 1.0)}, org_b: {"B4.2": (70.0, 2.0)}})
    decision = save_decision(
        decision, organizations=[org_a, org_b], people=[], indicator_codes=["B4.2"], user=official
    )
    rows = {(b.organization_id, b.indicator_code): b.value for b in decision.baselines.all()}
    # A's row is the baseline and stays; B's, recorded without data, is read again.
    assert rows == {(org_a.pk, "B4.2"): 50.0, (org_b.pk, "B4.2"): 70.0}

    save_decision(
        decision, organizations=[org_a], people=[], indicator_codes=["B4.1"], user=official
    )
    rows = {(b.organization_id, b.indicator_code): b.value for b in decision.baselines.all()}
    assert rows == {(org_a.pk, "B4.1"): None}  # the rescore dropped B4.1's value


def test_once_started_rows_without_data_are_not_read_again(period, official, org_a):
    decision = new_decision(period, official, [org_a], ["B4.2"])
    change_status(decision, Status.IN_PROGRESS, official)
    put_scores(period, {org_a: {"B4.2": (50.0, 1.0)}})
    save_decision(
        decision, organizations=[org_a], people=[], indicator_codes=["B4.2"], user=official
    )
    assert DecisionBaseline.objects.get().value is None


# --- Status flow --------------------------------------------------------------------------------


def test_the_status_flow_and_its_notes(period, official, org_a):
    decision = new_decision(period, official, [org_a], [])
    change_status(decision, Status.IN_PROGRESS, official, "  приказ доведён  ")
    change_status(decision, Status.DONE, official)
    decision.refresh_from_db()
    assert decision.status == Status.DONE
    notes = list(decision.notes.values_list("status", "text", "by"))
    assert notes == [
        (Status.PLANNED, "", official.pk),
        (Status.IN_PROGRESS, "приказ доведён", official.pk),
        (Status.DONE, "", official.pk),
    ]
    assert all(note.at for note in decision.notes.all())


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [
        ([], Status.DONE),  # planned → done skips the work
        ([], Status.PLANNED),
        ([Status.IN_PROGRESS], Status.PLANNED),
        ([Status.IN_PROGRESS, Status.DONE], Status.CANCELLED),
        ([Status.IN_PROGRESS, Status.DONE], Status.IN_PROGRESS),
        ([Status.CANCELLED], Status.IN_PROGRESS),
        ([], "unknown"),
    ],
)
def test_forbidden_transitions_are_refused(period, official, org_a, path, forbidden):
    decision = new_decision(period, official, [org_a], [])
    for status in path:
        change_status(decision, status, official, "причина")
    notes = decision.notes.count()
    with pytest.raises(ValidationError) as caught:
        change_status(decision, forbidden, official, "причина")
    current = Decision.Status(decision.status).label
    assert f"«{current}»" in caught.value.messages[0]
    decision.refresh_from_db()
    assert decision.status == (path[-1] if path else Status.PLANNED)
    assert decision.notes.count() == notes


@pytest.mark.parametrize("start", [[], [Status.IN_PROGRESS]])
def test_cancelling_needs_a_comment(period, official, org_a, start):
    decision = new_decision(period, official, [org_a], [])
    for status in start:
        change_status(decision, status, official)
    with pytest.raises(ValidationError) as caught:
        change_status(decision, Status.CANCELLED, official, "   ")
    assert caught.value.messages == [_("Say why the decision is cancelled: a comment is required.")]
    note = change_status(decision, Status.CANCELLED, official, "Руководитель уволился")
    assert (note.status, note.text) == (Status.CANCELLED, "Руководитель уволился")
    assert Decision.objects.get().status == Status.CANCELLED


# --- Overdue ------------------------------------------------------------------------------------


def test_overdue_decisions(period, next_period, official, org_a, org_b):
    today = timezone.localdate()
    late = new_decision(
        period, official, [org_a], [], date=today - timedelta(60), due_date=today - timedelta(1)
    )
    started = new_decision(
        period, official, [org_b], [], date=today - timedelta(60), due_date=today - timedelta(30)
    )
    change_status(started, Status.IN_PROGRESS, official)
    done = new_decision(
        period, official, [org_a], [], date=today - timedelta(60), due_date=today - timedelta(5)
    )
    change_status(done, Status.IN_PROGRESS, official)
    change_status(done, Status.DONE, official)
    cancelled = new_decision(
        period, official, [org_a], [], date=today - timedelta(60), due_date=today - timedelta(5)
    )
    change_status(cancelled, Status.CANCELLED, official, "не актуально")
    new_decision(
        period, official, [org_a], [], date=today - timedelta(60), due_date=today
    )  # due today
    other = new_decision(
        next_period,
        official,
        [org_a],
        [],
        date=today - timedelta(60),
        due_date=today - timedelta(2),
    )

    assert list(overdue_decisions()) == [started, other, late]  # the most overdue first
    assert list(overdue_decisions(period)) == [started, late]
    assert all(d.is_overdue for d in overdue_decisions())
    assert list(overdue_decisions(period, today=today - timedelta(10))) == [started]


def test_decisions_for_an_organisation(period, official, org_a, org_b):
    mine = new_decision(period, official, [org_a, org_b], [])
    new_decision(period, official, [org_b], [])
    assert list(decisions_for(org_a)) == [mine]
    assert decisions_for(org_b).count() == 2
    assert list(decisions_for(org_a, period)) == [mine]


# --- Validation ---------------------------------------------------------------------------------


def test_the_due_date_cannot_be_before_the_order_date(period, official, org_a):
    with pytest.raises(ValidationError) as caught:
        new_decision(
            period, official, [org_a], [], date=date(2025, 9, 20), due_date=date(2025, 9, 19)
        )
    assert caught.value.message_dict == {
        "due_date": [
            _("The due date (%(due)s) cannot be before the order date (%(date)s).")
            % {"due": "19.09.2025", "date": "20.09.2025"}
        ]
    }
    assert not Decision.objects.exists()


def test_unknown_indicators_are_named(period, official, org_a):
    with pytest.raises(ValidationError) as caught:
        new_decision(period, official, [org_a], ["B4.2", "Z9.9"])
    message = _("There is no indicator «%(code)s» in the methodology of period %(period)s.") % {
        "code": "Z9.9",
        "period": "2024/2025",
    }
    assert caught.value.message_dict == {"indicator_codes": [message]}


def test_a_decision_concerns_someone(period, official):
    with pytest.raises(ValidationError) as caught:
        new_decision(period, official, [], [])
    assert list(caught.value.message_dict) == ["organizations"]


def test_the_recommendation_answered_is_one_of_the_decision_s_organisations(
    period, official, org_a, org_b
):
    to_b = Recommendation.objects.create(period=period, organization=org_b)
    with pytest.raises(ValidationError) as caught:
        new_decision(period, official, [org_a], [], recommendation=to_b)
    assert list(caught.value.message_dict) == ["recommendation"]
    decision = new_decision(period, official, [org_a, org_b], [], recommendation=to_b)
    assert decision.recommendation == to_b


# --- Effect -------------------------------------------------------------------------------------


@pytest.fixture
def district(period, next_period, official, org_a, org_b):
    """School A gets a decision on B4.2; see test_decisions_effect.py for the same numbers."""
    c = make_org("C03")
    d = make_org("D04")
    e = make_org("E05")
    k = make_org("K09", "kindergarten")
    put_scores(
        period,
        {
            org_a: {"B4.2": (50.0, 1.0)},
            org_b: {"B4.2": (60.0, 1.0)},
            c: {"B4.2": (40.0, 0.0)},
            d: {"B4.2": (70.0, 2.0), "B4.1": (90.0, 1.0)},
            e: {"B4.2": (55.0, 1.0)},
            k: {"B4.2": (30.0, 0.0)},
        },
    )
    decision = new_decision(period, official, [org_a], ["B4.2"])
    other = new_decision(period, official, [c], ["B4.2"], number="16-од")
    new_decision(period, official, [d], ["B4.1"], number="17-од")  # another indicator
    return {"decision": decision, "other": other, "c": c, "d": d, "e": e, "k": k}


def score_next(next_period, org_a, org_b, district):
    put_scores(
        next_period,
        {
            org_a: {"B4.2": (65.0, 2.0)},
            org_b: {"B4.2": (62.0, 1.0)},
            district["c"]: {"B4.2": (80.0, 2.0)},
            district["d"]: {"B4.2": (66.0, 1.0)},
            district["k"]: {"B4.2": (90.0, 2.0)},
            # E has no score next period
        },
    )


def test_before_the_next_period_is_scored_the_effect_waits(district, next_period):
    effect = decision_effect(district["decision"])
    assert not effect.ready
    assert effect.next_period == next_period
    assert effect.message == _("The effect will show after the monitoring of the next period.")
    [line] = effect.lines
    assert (line.before, line.after, line.value_change) == (Reading(50.0, 1.0), Reading(), None)


def test_the_effect_against_comparable_organisations(district, next_period, org_a, org_b, official):
    score_next(next_period, org_a, org_b, district)
    effect = decision_effect(district["decision"])
    assert effect.ready and effect.message == ""
    [line] = effect.lines
    assert (line.organization_name, line.indicator_code) == (org_a.short_name, "B4.2")
    assert line.indicator_name.startswith("Доля педагогов")
    assert (line.before, line.after) == (Reading(50.0, 1.0), Reading(65.0, 2.0))
    assert (line.value_change, line.points_change) == (15.0, 1.0)
    # Schools B (+2) and D (−4): C has its own decision on B4.2, E no next score, K is another type.
    assert (line.peers.value_change, line.peers.points_change, line.peers.count) == (-1.0, -0.5, 2)
    assert (effect.better, effect.worse, effect.same) == (1, 0, 0)

    # Once the other decision is cancelled, school C is comparable again.
    change_status(district["other"], Status.CANCELLED, official, "не потребовалось")
    [line] = decision_effect(district["decision"]).lines
    assert (line.peers.value_change, line.peers.count) == (12.6667, 3)
    # … but never for its own (cancelled) decision.
    [own] = decision_effect(district["other"]).lines
    assert own.peers.count == 2  # B and D: A has a decision on B4.2, C is its own


def test_the_baseline_not_today_s_score_is_the_starting_point(district, next_period, org_a, org_b):
    score_next(next_period, org_a, org_b, district)
    Score.objects.filter(period=district["decision"].period, organization=org_a).delete()
    [line] = decision_effect(district["decision"]).lines
    assert line.value_change == 15.0


def test_effect_summary_lists_the_previous_cycle(district, next_period, org_a, org_b):
    assert effect_summary(district["decision"].period) == []  # no period before 2024/2025
    score_next(next_period, org_a, org_b, district)
    outcomes = effect_summary(next_period)
    assert [o.decision.number for o in outcomes] == ["15-од", "16-од", "17-од"]
    first = outcomes[0]
    assert first.status_label == Decision.Status.PLANNED.label
    assert first.effect.ready and first.effect.lines[0].value_change == 15.0
    assert first.overdue  # due 01.12.2025 and still planned


def test_effect_summary_runs_a_fixed_number_of_queries(
    district, next_period, org_a, org_b, official
):
    score_next(next_period, org_a, org_b, district)
    with CaptureQueriesContext(connection) as few:
        effect_summary(next_period)
    for n in range(6):
        new_decision(district["decision"].period, official, [org_b], ["B4.2"], number=f"2{n}")
    with CaptureQueriesContext(connection) as many:
        assert len(effect_summary(next_period)) == 9
    assert len(many.captured_queries) == len(few.captured_queries)
