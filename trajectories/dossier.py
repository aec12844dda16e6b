"""The dossier's «Professional development» section: the head's self-assessment, confirmed
deficits and development plan for the dossier's period.

Registered in monitoring's dossier by `TrajectoriesConfig.ready()`. The head is the one of the
period (`providers.heads`), so the section agrees with the A1.4/A1.5 values next to it.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse

from .models import MAX_RATING, Assessment, AssessmentItem, Deficit, Plan
from .plans import percent
from .providers import block_names, heads, self_index

# The pages of one assessment and one plan belong to the assessments and plans modules; the
# first of these names that resolves is linked (none: no link, never an error).
ASSESSMENT_URL = ("assessments:assessment_detail",)
PLAN_URL = ("plans:plan_detail",)


def url_or_none(names: tuple[str, ...], pk: int) -> str | None:
    """The URL of the object's page under the first name that resolves, or None."""
    for name in names:
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return None


def completion(done: int, total: int) -> int:
    """Completion % of a plan, as the plan's own page computes it (no tasks → 0 %)."""
    return percent(done, total)


@dataclass
class BlockMean:
    block: int
    name: str
    self_mean: float | None
    expert_mean: float | None

    @property
    def self_percent(self) -> int | None:
        return None if self.self_mean is None else round(100 * self.self_mean / MAX_RATING)


@dataclass
class DeficitLine:
    code: str
    name: str
    is_block: bool


@dataclass
class Section:
    person_id: int
    assessment: Assessment | None = None
    shows_ratings: bool = False  # False while the assessment is a draft someone else looks at
    self_index: float | None = None
    rated: int = 0  # items with a self-rating
    items: int = 0
    blocks: list[BlockMean] = field(default_factory=list)
    assessment_url: str | None = None
    deficits: list[DeficitLine] = field(default_factory=list)
    plan: Plan | None = None
    plan_tasks: int = 0
    plan_done: int = 0
    plan_url: str | None = None

    @property
    def plan_completion(self) -> int:
        return completion(self.plan_done, self.plan_tasks)


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _block_means(section: Section, assessment: Assessment) -> None:
    rows = list(
        AssessmentItem.objects.filter(assessment=assessment).values_list(
            "competency__block", "self_rating", "expert_rating"
        )
    )
    own, expert = defaultdict(list), defaultdict(list)
    for block, self_rating, expert_rating in rows:
        if self_rating is not None:
            own[block].append(self_rating)
        if expert_rating is not None:
            expert[block].append(expert_rating)
    show_expert = assessment.expert_status == Assessment.ExpertStatus.DONE
    rated = [r for values in own.values() for r in values]
    section.self_index = self_index(sum(rated), len(rated))
    section.rated, section.items = len(rated), len(rows)
    section.blocks = [
        BlockMean(block, name, _mean(own[block]), _mean(expert[block]) if show_expert else None)
        for block, name in block_names().items()
    ]


def _deficits(assessment: Assessment, names: dict[int, str]) -> list[DeficitLine]:
    rows = (
        Deficit.objects.filter(assessment=assessment, status=Deficit.Status.CONFIRMED)
        .select_related("competency")
        .order_by("block", "competency__position")
    )
    return [
        DeficitLine(d.competency.code, d.competency.name, False)
        if d.competency_id
        else DeficitLine(str(d.block), names.get(d.block, ""), True)
        for d in rows
    ]


def dossier_section(organization, period, user) -> Section | None:
    """The section's context, or None when the period's head has neither a self-assessment nor
    a plan for it. A self-assessment that was never submitted shows only its status to anyone
    but its author (it is private until submitted)."""
    if period is None:
        return None
    person_id = heads(period, [organization.pk]).get(organization.pk)
    if person_id is None:
        return None
    assessment = Assessment.objects.filter(person_id=person_id, period=period).first()
    plan = (
        Plan.objects.filter(person_id=person_id, period=period)
        .select_related("reviewer")
        .annotate(
            n_tasks=Count("goals__tasks"),
            n_done=Count("goals__tasks", filter=Q(goals__tasks__done=True)),
        )
        .first()
    )
    if assessment is None and plan is None:
        return None
    section = Section(person_id=person_id, assessment=assessment, plan=plan)
    if assessment is not None:
        submitted_once = assessment.status != Assessment.Status.DRAFT or assessment.submitted_at
        section.shows_ratings = bool(submitted_once) or user.pk == person_id
        if section.shows_ratings:
            _block_means(section, assessment)
            section.assessment_url = url_or_none(ASSESSMENT_URL, assessment.pk)
            names = {b.block: b.name for b in section.blocks}
            if assessment.status == Assessment.Status.SUBMITTED:
                section.deficits = _deficits(assessment, names)
    if plan is not None:
        section.plan_tasks, section.plan_done = plan.n_tasks, plan.n_done
        section.plan_url = url_or_none(PLAN_URL, plan.pk)
    return section
