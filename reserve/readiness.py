"""Readiness for appointment, computed from the evidence, and the young-leaders hints.

Components (each 0–100, with its weight):
- the completion of the person's latest development plan (40). A person with no plan has done
  none of one: 0 %, not "no evidence" — otherwise a candidate without a plan could come out
  ready on the other components alone;
- training hours in the last three years against the 72-hour norm, capped at 100 (30); no
  training recorded is 0 hours;
- the mentor's assessment of the person's latest completed internship (30): the mean of the
  mentor's final ratings on the internship's competencies against the framework's maximum (3);
  no completed internship is no evidence (an internship is not required of every candidate);
- the trend of the current organisation's index between its two latest scored periods (30):
  a rise of at least one point → 100, a change within one point → 50, a fall of at least one
  point → 0; fewer than two scored periods is no evidence.

Components without evidence are left out and the weights of the others re-normalised; the
candidate is ready by the evidence at 70 or more. `combine` does the arithmetic on plain values
(no database), `readiness_of` gathers the evidence of many candidacies in four queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date

from django.db.models import Avg, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mentoring.models import Stage, Trainee
from monitoring.models import Score
from trajectories.models import MAX_RATING, Plan
from trajectories.plans import with_completion

from .models import Candidacy, Training

READY_THRESHOLD = 70
TRAINING_NORM_HOURS = 72
TRAINING_YEARS = 3
TREND_STEP = 1.0  # index points
WEIGHT_PLAN, WEIGHT_TRAINING, WEIGHT_TREND = 40, 30, 30
WEIGHT_INTERNSHIP = 30
YOUNG_LEADER_MAX_AGE = 40
YOUNG_LEADER_MIN_YEARS = 4


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    value: int | None  # 0–100; None: no evidence, left out of the score
    weight: int
    detail: str

    @property
    def has_evidence(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Readiness:
    score: int | None  # None when no component has evidence
    ready_by_evidence: bool
    components: list[Component]

    @property
    def threshold(self) -> int:
        return READY_THRESHOLD

    @property
    def score_text(self) -> str:
        return _("no evidence") if self.score is None else f"{self.score} %"

    @property
    def used_weight(self) -> int:
        return sum(c.weight for c in self.components if c.has_evidence)

    def share(self, component: Component) -> float | None:
        """The component's re-normalised weight in %, None when it is left out."""
        if not component.has_evidence or not self.used_weight:
            return None
        return round(100 * component.weight / self.used_weight, 1)

    @property
    def rows(self) -> list[tuple[Component, float | None]]:
        """Each component with its re-normalised weight (for the breakdown's table)."""
        return [(component, self.share(component)) for component in self.components]

    def as_json(self) -> list[dict]:
        """The breakdown as stored with an official's review."""
        return [asdict(component) for component in self.components]


# --- Pure arithmetic -----------------------------------------------------------------------------


def combine(components: Iterable[Component]) -> Readiness:
    """The weighted mean of the components with evidence, rounded half up to a whole percent;
    ready by the evidence at READY_THRESHOLD or more."""
    components = list(components)
    present = [c for c in components if c.value is not None and c.weight > 0]
    weight = sum(c.weight for c in present)
    if not weight:
        return Readiness(None, False, components)
    # Integer arithmetic: (2·Σvw + W) // 2W is Σvw/W rounded half up, with no float surprises.
    total = sum(c.value * c.weight for c in present)
    score = (2 * total + weight) // (2 * weight)
    return Readiness(score, score >= READY_THRESHOLD, components)


def training_value(hours: int) -> int:
    """Hours against the norm in whole percent (rounded down), capped at 100."""
    return min(100, max(hours, 0) * 100 // TRAINING_NORM_HOURS)


def trend_value(latest: float | None, previous: float | None) -> int | None:
    """100 for a rise of at least TREND_STEP points, 0 for such a fall, 50 in between."""
    if latest is None or previous is None:
        return None
    change = latest - previous
    if change >= TREND_STEP:
        return 100
    if change <= -TREND_STEP:
        return 0
    return 50


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def full_years(since: date, day: date) -> int:
    return day.year - since.year - ((day.month, day.day) < (since.month, since.day))


# --- Evidence ------------------------------------------------------------------------------------


def _latest_plans(people: set[int], today: date) -> dict[int, Plan]:
    """{person id: the plan of the latest period begun by `today`}, with `completion`,
    `task_count` and `done_count` (tasks done after `today` do not count). One query."""
    plans = with_completion(
        Plan.objects.filter(person__in=people, period__start_date__lte=today), on=today
    ).select_related("period")
    latest: dict[int, Plan] = {}
    for plan in plans.order_by("person_id", "-period__start_date", "-pk"):
        latest.setdefault(plan.person_id, plan)
    return latest


def latest_plan(person, today: date | None = None) -> Plan | None:
    """The person's development plan of the latest period begun by `today` (see above)."""
    return _latest_plans({person.pk}, today or timezone.localdate()).get(person.pk)


def _training_hours(people: set[int], today: date) -> dict[int, int]:
    """{person id: hours of training that ended in the last TRAINING_YEARS years}. One query."""
    start = years_before(today, TRAINING_YEARS)
    rows = (
        Training.objects.filter(
            candidacy__person__in=people, end_date__gt=start, end_date__lte=today
        )
        .values("candidacy__person")
        .annotate(total=Sum("hours"))
    )
    return {row["candidacy__person"]: row["total"] for row in rows}


def training_hours(candidacy: Candidacy, today: date) -> int:
    """Hours of the person's training that ended in the last TRAINING_YEARS years."""
    return _training_hours({candidacy.person_id}, today).get(candidacy.person_id, 0)


def _rated_internships(people: set[int], today: date) -> dict[int, Trainee]:
    """{person id: the traineeship of his or her latest internship completed by `today` that the
    mentor rated}, with `mean_rating`. One query."""
    traineeships = (
        Trainee.objects.filter(
            person__in=people,
            internship__stage=Stage.COMPLETED,
            internship__completed_on__lte=today,
        )
        .annotate(mean_rating=Avg("ratings__rating"))
        .filter(mean_rating__isnull=False)
        .select_related("internship__mentor")
        .order_by("person_id", "-internship__completed_on", "-pk")
    )
    latest: dict[int, Trainee] = {}
    for trainee in traineeships:
        latest.setdefault(trainee.person_id, trainee)
    return latest


def _latest_scores(organizations: set[int], today: date) -> dict[int, list[Score]]:
    """{organisation id: its two latest scored periods' scores begun by `today`}. One query."""
    scores = (
        Score.objects.filter(
            organization__in=organizations, index__isnull=False, period__start_date__lte=today
        )
        .select_related("period")
        .order_by("organization_id", "-period__start_date")
    )
    latest: dict[int, list[Score]] = {}
    for score in scores:
        pair = latest.setdefault(score.organization_id, [])
        if len(pair) < 2:
            pair.append(score)
    return latest


def _plan_component(plan: Plan | None) -> Component:
    label = _("Development plan completion")
    if plan is None:
        detail = _("No development plan: counted as 0 %.")
        return Component("plan", label, 0, WEIGHT_PLAN, detail)
    detail = ngettext(
        "Plan for %(period)s («%(status)s»): %(done)s of %(count)s task done.",
        "Plan for %(period)s («%(status)s»): %(done)s of %(count)s tasks done.",
        plan.task_count,
    ) % {
        "period": plan.period.label,
        "status": plan.get_status_display(),
        "done": plan.done_count,
        "count": plan.task_count,
    }
    return Component("plan", label, plan.completion, WEIGHT_PLAN, detail)


def _training_component(hours: int) -> Component:
    detail = ngettext(
        "%(hours)s hour in the last %(years)s years (norm %(norm)s).",
        "%(hours)s hours in the last %(years)s years (norm %(norm)s).",
        hours,
    ) % {"hours": hours, "years": TRAINING_YEARS, "norm": TRAINING_NORM_HOURS}
    label = _("Training")
    return Component("training", label, training_value(hours), WEIGHT_TRAINING, detail)


def internship_value(mean_rating: float | None) -> int | None:
    """The mentor's mean rating against the framework's maximum, in whole percent."""
    if mean_rating is None:
        return None
    return round(100 * mean_rating / MAX_RATING)


def _internship_component(trainee: Trainee | None) -> Component:
    label = _("Internship assessment")
    if trainee is None:
        detail = _("No completed internship with the mentor's assessment.")
        return Component("internship", label, None, WEIGHT_INTERNSHIP, detail)
    internship = trainee.internship
    detail = _(
        "«%(theme)s» (mentor %(mentor)s, completed %(date)s): the mentor's mean rating "
        "%(rating)s of %(max)s."
    ) % {
        "theme": internship.theme,
        "mentor": internship.mentor.short_name,
        "date": internship.completed_on.strftime("%d.%m.%Y"),
        "rating": number_format(round(trainee.mean_rating, 1), decimal_pos=1),
        "max": MAX_RATING,
    }
    value = internship_value(trainee.mean_rating)
    return Component("internship", label, value, WEIGHT_INTERNSHIP, detail)


def _index(value: float) -> str:
    return number_format(round(value, 1), decimal_pos=1)


def _trend_component(organization, scores: list[Score]) -> Component:
    label = _("Trend of the organisation's index")
    if len(scores) < 2:
        detail = _("%(organization)s has fewer than two scored periods.") % {
            "organization": organization.short_name
        }
        return Component("trend", label, None, WEIGHT_TREND, detail)
    latest, previous = scores
    change = latest.index - previous.index
    detail = _("%(organization)s: %(previous)s in %(p1)s → %(latest)s in %(p2)s (%(change)s).") % {
        "organization": organization.short_name,
        "previous": _index(previous.index),
        "p1": previous.period.label,
        "latest": _index(latest.index),
        "p2": latest.period.label,
        "change": ("+" if change > 0 else "") + _index(change),
    }
    return Component(
        "trend", label, trend_value(latest.index, previous.index), WEIGHT_TREND, detail
    )


def readiness_of(candidacies: Iterable[Candidacy], today: date | None = None) -> dict:
    """{candidacy id: Readiness} on `today` for many candidacies in four queries (the evidence
    of every person and organisation fetched at once); see the module docstring."""
    today = today or timezone.localdate()
    candidacies = list(candidacies)
    people = {c.person_id for c in candidacies}
    plans = _latest_plans(people, today)
    hours = _training_hours(people, today)
    internships = _rated_internships(people, today)
    scores = _latest_scores({c.organization_id for c in candidacies}, today)
    return {
        c.pk: combine(
            [
                _plan_component(plans.get(c.person_id)),
                _training_component(hours.get(c.person_id, 0)),
                _internship_component(internships.get(c.person_id)),
                _trend_component(c.organization, scores.get(c.organization_id, [])),
            ]
        )
        for c in candidacies
    }


def readiness(candidacy: Candidacy, today: date | None = None) -> Readiness:
    """The candidate's readiness on `today` (see the module docstring)."""
    return readiness_of([candidacy], today)[candidacy.pk]


# --- Young leaders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hint:
    key: str
    label: str
    met: bool | None  # None: unknown (the data is missing)
    detail: str


def young_leader_hints(candidacy: Candidacy, today: date | None = None) -> list[Hint]:
    """The conditions of the order's community of young leaders, each met, not met or unknown:
    not older than 40, and more than 4 years of managerial experience."""
    today = today or timezone.localdate()
    age = candidacy.person.age_on(today)
    if age is None:
        age_hint = Hint("age", _("Not older than 40"), None, _("The date of birth is unknown."))
    else:
        detail = ngettext("%(age)s year old.", "%(age)s years old.", age) % {"age": age}
        age_hint = Hint("age", _("Not older than 40"), age <= YOUNG_LEADER_MAX_AGE, detail)
    since = candidacy.management_since
    label = _("More than 4 years of managerial experience")
    if since is None:
        experience = Hint("experience", label, None, _("The start of managerial work is unknown."))
    else:
        years = full_years(since, today)
        detail = ngettext(
            "%(years)s full year since %(date)s.", "%(years)s full years since %(date)s.", years
        ) % {"years": years, "date": since.strftime("%d.%m.%Y")}
        met = since < years_before(today, YOUNG_LEADER_MIN_YEARS)
        experience = Hint("experience", label, met, detail)
    return [age_hint, experience]


def young_leader_eligible(hints: list[Hint]) -> bool | None:
    """True when every condition is met, False when one is not, None when it is unclear."""
    if any(h.met is False for h in hints):
        return False
    if any(h.met is None for h in hints):
        return None
    return True
