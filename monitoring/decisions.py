"""Management decisions: recording them with a baseline, their status flow, and their effect.

Steps 8 and 9 of the management cycle (SCORING.md). A decision is taken on a period's monitoring
results and targets some indicators of some organisations. When it is recorded, the targeted
indicators' results of that period are stored as its baseline (`DecisionBaseline`); once the next
period (by start date) has scores, the decision shows the change, next to the average change of
comparable organisations — the same type, and not concerned by any decision targeting the same
indicator in the same period.

The effect arithmetic is pure (`compute_effect_lines` over plain rows, no ORM); the functions below
the database marker read the rows for it in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zelenchuk_portal.concurrency import claim
from zelenchuk_portal.files import check_upload, random_name, safe_name
from zelenchuk_portal.models import Organization, Period

from .models import (
    Decision,
    DecisionBaseline,
    DecisionEvidence,
    DecisionNote,
    Indicator,
    Score,
)

Status = Decision.Status

# planned → in progress → done; a decision that has not been done may be cancelled (with a reason).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.PLANNED: (Status.IN_PROGRESS, Status.CANCELLED),
    Status.IN_PROGRESS: (Status.DONE, Status.CANCELLED),
    Status.DONE: (),
    Status.CANCELLED: (),
}
OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)

# Changes are rounded so that float noise (0.30000000000000004) never shows or counts.
CHANGE_DECIMALS = 4


# --- The effect, computed (pure) ----------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One indicator's result for one organisation in one period (None: none)."""

    value: float | None = None
    points: float | None = None


@dataclass(frozen=True)
class PairReadings:
    """An organisation's result for an indicator in the decision's period and in the next one."""

    organization_id: int
    org_type: str
    indicator_code: str
    before: Reading
    after: Reading


@dataclass(frozen=True)
class PeerAverage:
    """The average change of comparable organisations, and how many it is over."""

    value_change: float | None = None
    points_change: float | None = None
    count: int = 0  # organisations with a value in both periods
    points_count: int = 0  # organisations with points in both periods


@dataclass(frozen=True)
class EffectLine:
    """One organisation × one targeted indicator: baseline, next period, change, comparison."""

    organization_id: int
    org_type: str
    indicator_code: str
    before: Reading
    after: Reading
    value_change: float | None
    points_change: float | None
    peers: PeerAverage
    direction: str = "higher"
    organization_name: str = ""
    indicator_name: str = ""

    @property
    def trend(self) -> str | None:
        """ "better", "worse", "same" — by points when both periods have them, else by value."""
        if self.points_change is not None:
            change = self.points_change
        elif self.value_change is not None:
            change = self.value_change * (-1 if self.direction == "lower" else 1)
        else:
            return None
        return "better" if change > 0 else "worse" if change < 0 else "same"

    @property
    def versus_peers(self) -> float | None:
        """The value change minus the comparable organisations' average change."""
        if self.value_change is None or self.peers.value_change is None:
            return None
        return round(self.value_change - self.peers.value_change, CHANGE_DECIMALS)


def change(before: float | None, after: float | None) -> float | None:
    """after − before, or None when either is missing."""
    if before is None or after is None:
        return None
    return round(after - before, CHANGE_DECIMALS)


def _mean(numbers: list[float]) -> float | None:
    return round(sum(numbers) / len(numbers), CHANGE_DECIMALS) if numbers else None


def peer_averages(
    peers: Iterable[PairReadings], excluded: Mapping[str, Iterable[int]]
) -> dict[tuple[str, str], PeerAverage]:
    """The average change per (organisation type, indicator) over organisations not excluded.

    excluded: indicator code → ids of organisations concerned by a decision targeting it.
    """
    skip = {code: set(ids) for code, ids in excluded.items()}
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    points: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in peers:
        if row.organization_id in skip.get(row.indicator_code, ()):
            continue
        key = (row.org_type, row.indicator_code)
        if (delta := change(row.before.value, row.after.value)) is not None:
            values[key].append(delta)
        if (delta := change(row.before.points, row.after.points)) is not None:
            points[key].append(delta)
    return {
        key: PeerAverage(
            _mean(values.get(key, [])),
            _mean(points.get(key, [])),
            len(values.get(key, [])),
            len(points.get(key, [])),
        )
        for key in values.keys() | points.keys()
    }


def compute_effect_lines(
    concerned: Sequence[PairReadings],
    peers: Iterable[PairReadings],
    excluded: Mapping[str, Iterable[int]],
    directions: Mapping[str, str] | None = None,
) -> list[EffectLine]:
    """The effect of a decision, line by line, in the order of `concerned`.

    concerned: the decision's organisations × targeted indicators, `before` being the baseline.
    peers: every organisation's results for those indicators in the two periods (the concerned
        ones may be among them: `excluded` removes them, with everyone else concerned by a
        decision targeting the same indicator in the same period).
    directions: indicator code → "higher" or "lower" (which way is better; "higher" if absent).
    """
    averages = peer_averages(peers, excluded)
    directions = directions or {}
    return [
        EffectLine(
            organization_id=row.organization_id,
            org_type=row.org_type,
            indicator_code=row.indicator_code,
            before=row.before,
            after=row.after,
            value_change=change(row.before.value, row.after.value),
            points_change=change(row.before.points, row.after.points),
            peers=averages.get((row.org_type, row.indicator_code), PeerAverage()),
            direction=directions.get(row.indicator_code, "higher"),
        )
        for row in concerned
    ]


@dataclass
class EffectReport:
    """A decision's baseline and, once the next period is scored, its measured effect."""

    decision: Decision
    period: Period
    next_period: Period | None
    ready: bool
    lines: list[EffectLine] = field(default_factory=list)

    @property
    def message(self) -> str:
        """What to say instead of the effect while it cannot be measured yet."""
        if self.ready:
            return ""
        return _("The effect will show after the monitoring of the next period.")

    def _count(self, trend: str) -> int:
        return sum(line.trend == trend for line in self.lines) if self.ready else 0

    @property
    def better(self) -> int:
        return self._count("better")

    @property
    def worse(self) -> int:
        return self._count("worse")

    @property
    def same(self) -> int:
        return self._count("same")


@dataclass
class DecisionOutcome:
    """A decision of the previous cycle with its status and measured effect (report, section 8)."""

    decision: Decision
    overdue: bool
    effect: EffectReport

    @property
    def status_label(self) -> str:
        return self.decision.get_status_display()


# --- Rules ------------------------------------------------------------------------------------


def allowed_transitions(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def is_overdue(decision: Decision, today: date | None = None) -> bool:
    """Past its due date and neither done nor cancelled."""
    today = today or timezone.localdate()
    return decision.status in OPEN_STATUSES and decision.due_date < today


def decision_errors(
    decision: Decision,
    *,
    organizations: Sequence[Organization],
    people: Sequence = (),
    indicator_codes: Sequence[str],
    known_codes: Iterable[str],
) -> dict[str, list[str]]:
    """What is wrong with a decision about to be saved, by form field (empty when nothing is)."""
    errors: dict[str, list[str]] = defaultdict(list)
    if decision.date and decision.due_date and decision.due_date < decision.date:
        errors["due_date"].append(
            _("The due date (%(due)s) cannot be before the order date (%(date)s).")
            % {"due": f"{decision.due_date:%d.%m.%Y}", "date": f"{decision.date:%d.%m.%Y}"}
        )
    known = set(known_codes)
    for code in indicator_codes:
        if code not in known:
            errors["indicator_codes"].append(
                _("There is no indicator «%(code)s» in the methodology of period %(period)s.")
                % {"code": code, "period": decision.period}
            )
    if not organizations and not people:
        errors["organizations"].append(
            _("Name at least one organisation or person the decision concerns.")
        )
    recommendation = decision.recommendation
    if recommendation is not None:
        org_ids = {org.pk for org in organizations}
        if (
            recommendation.period_id != decision.period_id
            or recommendation.organization_id not in org_ids
        ):
            errors["recommendation"].append(
                _(
                    "The decision can answer only the recommendations given, in the same period, "
                    "to one of the organisations it concerns."
                )
            )
    return dict(errors)


# --- Reading and storing (database) -------------------------------------------------------------


def with_overdue(queryset: QuerySet, today: date | None = None) -> QuerySet:
    """Annotate `is_overdue` on each decision (for lists)."""
    today = today or timezone.localdate()
    flag = Q(due_date__lt=today, status__in=OPEN_STATUSES)
    return queryset.annotate(is_overdue=ExpressionWrapper(flag, output_field=BooleanField()))


def decisions_visible_to(user) -> QuerySet:
    """Officials see the register; a head the decisions concerning his or her organisation."""
    if not user.is_authenticated:
        return Decision.objects.none()
    if user.is_official:
        return Decision.objects.all()
    links = Decision.organizations.through.objects.filter(
        organization__in=Organization.objects.visible_to(user)
    )
    return Decision.objects.filter(pk__in=links.values("decision_id"))


def decisions_for(organization, period=None) -> QuerySet:
    """The decisions concerning an organisation (for its dossier), newest first.

    Each has `is_overdue`; the period and the organisations are fetched with them.
    """
    links = Decision.organizations.through.objects.filter(organization=organization)
    decisions = Decision.objects.filter(pk__in=links.values("decision_id"))
    if period is not None:
        decisions = decisions.filter(period=period)
    return with_overdue(decisions).select_related("period").prefetch_related("organizations")


def overdue_decisions(period=None, *, today: date | None = None) -> QuerySet:
    """Decisions past their due date and neither done nor cancelled, the most overdue first.

    All periods unless `period` is given; the period and the organisations are fetched with them.
    """
    today = today or timezone.localdate()
    decisions = Decision.objects.filter(due_date__lt=today, status__in=OPEN_STATUSES)
    if period is not None:
        decisions = decisions.filter(period=period)
    return (
        with_overdue(decisions, today)
        .select_related("period")
        .prefetch_related("organizations")
        .order_by("due_date", "id")
    )


def period_decisions(period) -> QuerySet:
    """A period's decisions, oldest first (for the analytical report's section 7)."""
    return (
        with_overdue(Decision.objects.filter(period=period))
        .select_related("period")
        .prefetch_related("organizations")
        .order_by("date", "id")
    )


def next_period(period: Period) -> Period | None:
    """The period that follows `period` by start date."""
    return Period.objects.filter(start_date__gt=period.start_date).order_by("start_date").first()


def _indicator_positions(version_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """version id → {indicator code: position in the stored score layout}."""
    positions: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Indicator.objects.filter(version_id__in=set(version_ids))
        .order_by("version_id", "position")
        .values_list("version_id", "code")
    )
    for version_id, code in rows:
        found = positions[version_id]
        found[code] = len(found)
    return positions


def score_readings(
    period_ids: Iterable[int],
    codes: Iterable[str],
    *,
    organization_ids: Iterable[int] | None = None,
    org_types: Iterable[str] | None = None,
) -> dict[tuple[int, int], tuple[str, dict[str, Reading]]]:
    """(period id, organisation id) → (organisation type, {code: Reading}) from stored scores.

    Two queries whatever the number of organisations: the scores, and the layout of their
    methodology versions (read straight from the stored payload, not through `Score.results`,
    which would read its version once per score).
    """
    codes = list(dict.fromkeys(codes))
    scores = Score.objects.filter(period_id__in=list(period_ids))
    if organization_ids is not None:
        scores = scores.filter(organization_id__in=list(organization_ids))
    if org_types is not None:
        scores = scores.filter(organization__org_type__in=list(org_types))
    rows = list(
        scores.values_list(
            "period_id", "organization_id", "organization__org_type", "version_id", "indicators"
        )
    )
    positions = _indicator_positions(row[3] for row in rows)
    readings = {}
    for period_id, org_id, org_type, version_id, payload in rows:
        found = {}
        if payload:
            where = positions.get(version_id, {})
            for code in codes:
                j = where.get(code)
                if j is not None:
                    found[code] = Reading(payload["value"][j], payload["points"][j])
        readings[(period_id, org_id)] = (org_type, found)
    return readings


def capture_baselines(decision: Decision) -> None:
    """Keep the baseline in step with the decision's organisations and indicators.

    Each organisation × targeted indicator gets one row, from that organisation's score in the
    decision's period (None when there is none). A row, once written, is the baseline and stays;
    rows of pairs no longer targeted go; while the decision is still planned, rows written
    without any data (the period was not scored yet) are read again.
    """
    org_ids = list(decision.organizations.values_list("pk", flat=True))
    wanted = [(org, code) for org in org_ids for code in decision.indicator_codes]
    existing = {(b.organization_id, b.indicator_code): b for b in decision.baselines.all()}
    stale = [row.pk for pair, row in existing.items() if pair not in set(wanted)]
    if stale:
        DecisionBaseline.objects.filter(pk__in=stale).delete()
    retry = decision.status == Status.PLANNED
    to_read = [
        pair
        for pair in wanted
        if pair not in existing
        or (retry and existing[pair].value is None and existing[pair].points is None)
    ]
    if not to_read:
        return
    readings = score_readings(
        [decision.period_id],
        decision.indicator_codes,
        organization_ids={org for org, _code in to_read},
    )
    new, refreshed = [], []
    for org_id, code in to_read:
        reading = readings.get((decision.period_id, org_id), ("", {}))[1].get(code, Reading())
        row = existing.get((org_id, code))
        if row is None:
            new.append(
                DecisionBaseline(
                    decision=decision,
                    organization_id=org_id,
                    indicator_code=code,
                    value=reading.value,
                    points=reading.points,
                )
            )
        elif reading != Reading():
            row.value, row.points = reading.value, reading.points
            refreshed.append(row)
    DecisionBaseline.objects.bulk_create(new)
    DecisionBaseline.objects.bulk_update(refreshed, ["value", "points"])


def catalogue_codes(period: Period) -> list[str]:
    """The indicator codes of the methodology a period is scored with, in catalogue order."""
    from .methodology import version_for

    return [indicator.code for indicator in version_for(period).catalogue.indicators]


@transaction.atomic
def save_decision(
    decision: Decision,
    *,
    organizations,
    people,
    indicator_codes: Sequence[str],
    user,
    revision: int | None = None,
) -> Decision:
    """Record a new decision (planned, with a note saying who recorded it) or save an edit.

    Validates the order and due dates, the indicator codes against the period's methodology and
    the recommendation it answers; then stores the baseline of the targeted indicators. An
    edit is refused (`ConflictError`) when the decision was saved after `revision`.
    """
    organizations, people = list(organizations), list(people)
    known = catalogue_codes(decision.period)
    errors = decision_errors(
        decision,
        organizations=organizations,
        people=people,
        indicator_codes=indicator_codes,
        known_codes=known,
    )
    if errors:
        raise ValidationError(errors)
    is_new = decision.pk is None
    claim(decision, revision, user)
    if is_new:
        decision.status = Status.PLANNED
        decision.created_by = user
    chosen = set(indicator_codes)
    decision.indicator_codes = [code for code in known if code in chosen]
    decision.save()
    decision.organizations.set(organizations)
    decision.people.set(people)
    if is_new:
        DecisionNote.objects.create(decision=decision, status=Status.PLANNED, by=user)
    capture_baselines(decision)
    return decision


@transaction.atomic
def change_status(
    decision: Decision, status: str, user, comment: str = "", revision: int | None = None
) -> DecisionNote:
    """Move a decision along its status flow; every change is a note with who, when and why.

    Only the transitions in TRANSITIONS are allowed; a cancellation needs a comment. A move
    made from a page opened before the decision last changed (`revision`) is refused.
    """
    current = Decision.objects.select_for_update().get(pk=decision.pk)
    claim(current, revision, user)
    comment = (comment or "").strip()
    if status not in allowed_transitions(current.status):
        raise ValidationError(
            _("A decision that is «%(current)s» cannot become «%(new)s».")
            % {
                "current": current.get_status_display(),
                "new": dict(Status.choices).get(status, status),
            }
        )
    if status == Status.CANCELLED and not comment:
        raise ValidationError(_("Say why the decision is cancelled: a comment is required."))
    current.status = status
    current.save(update_fields=["status"])
    decision.status, decision.revision = status, current.revision
    return DecisionNote.objects.create(decision=current, status=status, text=comment, by=user)


def add_comment(decision: Decision, user, text: str) -> DecisionNote:
    """A comment on a decision's course, with who and when."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("The comment is empty."))
    return DecisionNote.objects.create(decision=decision, text=text, by=user)


def attach_evidence(decision: Decision, upload, user) -> DecisionEvidence:
    """Store a file proving the decision's execution (an order, a certificate, a report…).

    Checked by content and kept under a random storage name; served only through an
    access-checked view.
    """
    kind = check_upload(upload)
    display, upload.name = safe_name(upload.name, kind), random_name(kind)
    return DecisionEvidence.objects.create(
        decision=decision, file=upload, file_name=display, uploaded_by=user
    )


def _excluded_by_decisions(period_id: int) -> dict[str, set[int]]:
    """indicator code → organisations concerned by a (not cancelled) decision of the period
    targeting it."""
    decisions = dict(
        Decision.objects.filter(period_id=period_id)
        .exclude(status=Status.CANCELLED)
        .values_list("pk", "indicator_codes")
    )
    links = Decision.organizations.through.objects.filter(decision_id__in=list(decisions))
    excluded: dict[str, set[int]] = defaultdict(set)
    for decision_id, org_id in links.values_list("decision_id", "organization_id"):
        for code in decisions[decision_id] or ():
            excluded[code].add(org_id)
    return excluded


def _concerned_organizations(decision_ids) -> dict[int, list[tuple[int, str, str]]]:
    """decision id → [(organisation id, short name, type)], by type and name."""
    concerned: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    links = Decision.organizations.through.objects.filter(decision_id__in=decision_ids).order_by(
        "organization__org_type", "organization__short_name"
    )
    for decision_id, org_id, name, org_type in links.values_list(
        "decision_id", "organization_id", "organization__short_name", "organization__org_type"
    ):
        concerned[decision_id].append((org_id, name, org_type))
    return concerned


def _readings_between(
    period: Period, following: Period, codes: list[str], org_types: set[str]
) -> tuple[dict[tuple[int, str], Reading], list[PairReadings]]:
    """The next period's readings by (organisation, code), and every organisation's pair of
    readings (this period, next period) for the comparison."""
    readings = score_readings([period.pk, following.pk], codes, org_types=org_types)
    after_of = {
        (org_id, code): reading
        for (period_id, org_id), (_type, found) in readings.items()
        if period_id == following.pk
        for code, reading in found.items()
    }
    peers = [
        PairReadings(org_id, org_type, code, before.get(code, Reading()), after_of[org_id, code])
        for (period_id, org_id), (org_type, before) in readings.items()
        if period_id == period.pk
        for code in codes
        if (org_id, code) in after_of
    ]
    return after_of, peers


def _effects_for_period(period: Period, decisions: list[Decision]) -> dict[int, EffectReport]:
    """The effect reports of decisions of one period, in a fixed number of queries."""
    from .methodology import version_for

    following = next_period(period)
    ready = following is not None and Score.objects.filter(period=following).exists()
    ids = [d.pk for d in decisions]
    concerned = _concerned_organizations(ids)
    baselines = {
        (b.decision_id, b.organization_id, b.indicator_code): Reading(b.value, b.points)
        for b in DecisionBaseline.objects.filter(decision_id__in=ids)
    }
    codes = list(dict.fromkeys(code for d in decisions for code in d.indicator_codes))
    indicators = {
        code: (name, direction)
        for code, name, direction in Indicator.objects.filter(
            version=version_for(period), code__in=codes
        ).values_list("code", "name", "direction")
    }
    directions = {code: direction for code, (_name, direction) in indicators.items()}
    after_of, peers, excluded = {}, [], {}
    if ready and codes:
        types = {org_type for rows in concerned.values() for _i, _n, org_type in rows}
        after_of, peers = _readings_between(period, following, codes, types)
        excluded = _excluded_by_decisions(period.pk)
    reports = {}
    for decision in decisions:
        own = concerned[decision.pk]
        rows = [
            PairReadings(
                org_id,
                org_type,
                code,
                baselines.get((decision.pk, org_id, code), Reading()),
                after_of.get((org_id, code), Reading()),
            )
            for org_id, _name, org_type in own
            for code in decision.indicator_codes
        ]
        # A decision's own organisations are never its comparison, even once it is cancelled.
        skip = {
            code: excluded.get(code, set()) | {org_id for org_id, _n, _t in own}
            for code in decision.indicator_codes
        }
        names = {org_id: name for org_id, name, _t in own}
        lines = [
            replace(
                line,
                organization_name=names[line.organization_id],
                indicator_name=indicators.get(line.indicator_code, ("", ""))[0],
            )
            for line in compute_effect_lines(rows, peers, skip, directions)
        ]
        reports[decision.pk] = EffectReport(decision, period, following, ready, lines)
    return reports


def decision_effects(decisions: Iterable[Decision]) -> dict[int, EffectReport]:
    """Effect reports of many decisions at once: decision id → report.

    The number of queries depends on the number of distinct periods, not of decisions.
    """
    by_period: dict[int, list[Decision]] = defaultdict(list)
    periods: dict[int, Period] = {}
    for decision in decisions:
        by_period[decision.period_id].append(decision)
        periods[decision.period_id] = decision.period
    reports = {}
    for period_id, group in by_period.items():
        reports.update(_effects_for_period(periods[period_id], group))
    return reports


def decision_effect(decision: Decision) -> EffectReport:
    """The baseline of a decision and, once the next period has scores, its effect.

    Per organisation × targeted indicator: the baseline value and points, the next period's value
    and points, the change; and, for comparison, the average change of the same indicator over
    organisations of the same type that no (not cancelled) decision of the period targeting that
    indicator concerns, with the number of organisations it is over. Until the next period is
    scored, `ready` is False and `message` says when the effect will show.
    """
    return decision_effects([decision])[decision.pk]


def effect_summary(period: Period) -> list[DecisionOutcome]:
    """The previous cycle's decisions with their status and measured effect (report, section 8).

    "Previous cycle" is the period before `period`; its decisions' effect is measured between it
    and the period that follows it (normally `period`). Empty when there is no previous period.
    """
    previous = period.previous()
    if previous is None:
        return []
    decisions = list(period_decisions(previous))
    effects = decision_effects(decisions)
    return [DecisionOutcome(d, d.is_overdue, effects[d.pk]) for d in decisions]
