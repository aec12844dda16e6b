"""Professional deficits: the configurable rule, the proposals it makes, the expert's decisions.

The rule (DOMAIN.md, «Competency self-assessment → deficits»), with N and X set by officials in
`DeficitRule` (defaults N = 1, X = 60):

- an item is a deficit when its rating is ≤ N — the expert's rating where the expert rated the
  item, otherwise the person's own;
- a block is a deficit when the mean of its items' ratings (the same per-item choice) is below
  X % of the maximum (3 per item).

`find_deficits` is pure (plain rows in, proposals out); the functions below it read and write.
Codes are «2.3» for an item and «2» for a block — the codes recommendation rules use.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from zelenchuk_portal.audit import audited_bulk_create
from zelenchuk_portal.models import Membership, Role

from .models import MAX_RATING, Assessment, Deficit, DeficitAnalysis, DeficitRule, PlanGoal

DEFAULT_ITEM_MAX = 1
DEFAULT_BLOCK_MIN_PERCENT = 60


@dataclass(frozen=True)
class Rated:
    """One item as the rule sees it."""

    code: str
    block: int
    self_rating: int | None
    expert_rating: int | None = None

    @property
    def rating(self) -> int | None:
        """The expert's rating overrides the person's own."""
        return self.expert_rating if self.expert_rating is not None else self.self_rating


@dataclass(frozen=True)
class Proposal:
    code: str  # «2.3» or «2»
    block: int
    reason: str

    @property
    def is_block(self) -> bool:
        return "." not in self.code


def block_percent(ratings: Iterable[int | None]) -> Fraction | None:
    """The mean of the given ratings as an exact % of the maximum; None when none is rated."""
    rated = [r for r in ratings if r is not None]
    if not rated:
        return None
    return Fraction(100 * sum(rated), MAX_RATING * len(rated))


def find_deficits(
    items: Iterable[Rated],
    *,
    item_max: int = DEFAULT_ITEM_MAX,
    block_min_percent: int = DEFAULT_BLOCK_MIN_PERCENT,
) -> list[Proposal]:
    """The deficits the rule proposes: items first (in the given order), then blocks.

    Unrated items count neither as deficits nor in their block's mean. Percentages are compared
    exactly (5 items rated 9 in all are 60 %, not a deficit at X = 60).
    """
    items = list(items)
    proposals = []
    for item in items:
        rating = item.rating
        if rating is None or rating > item_max:
            continue
        who = (
            f"оценка эксперта {rating}"
            if item.expert_rating is not None
            else f"самооценка {rating}, оценки эксперта нет"
        )
        proposals.append(Proposal(item.code, item.block, f"{who} (порог ≤ {item_max})"))
    blocks: dict[int, list[int | None]] = {}
    for item in items:
        blocks.setdefault(item.block, []).append(item.rating)
    for block, ratings in sorted(blocks.items()):
        percent = block_percent(ratings)
        if percent is not None and percent < block_min_percent:
            shown = round(float(percent))
            reason = f"среднее по блоку {shown} % от максимума (порог < {block_min_percent} %)"
            proposals.append(Proposal(str(block), block, reason))
    return proposals


# --- The database side ---------------------------------------------------------------------------


def current_rule() -> DeficitRule:
    return DeficitRule.current()


def update_rule(item_max_rating: int, block_min_percent: int, user) -> DeficitRule:
    """Store the district's rule; proposals made from now on follow it."""
    if not 0 <= item_max_rating < MAX_RATING:
        raise ValidationError(f"Порог для пункта должен быть от 0 до {MAX_RATING - 1}.")
    if not 1 <= block_min_percent <= 100:
        raise ValidationError("Порог для блока должен быть от 1 до 100 %.")
    rule = DeficitRule.current()
    rule.item_max_rating = item_max_rating
    rule.block_min_percent = block_min_percent
    rule.updated_at = timezone.now()
    rule.updated_by = user
    rule.save()
    return rule


def _rated_items(assessment: Assessment) -> list[Rated]:
    rows = assessment.items.values_list(
        "competency__code", "competency__block", "self_rating", "expert_rating"
    ).order_by("competency__position")
    return [Rated(*row) for row in rows]


@transaction.atomic
def propose_deficits(assessment: Assessment, rule: DeficitRule | None = None) -> list[Deficit]:
    """Bring the assessment's proposed deficits in line with the rule; return all its deficits.

    Idempotent, and decisions already taken are kept: a confirmed or dismissed deficit is never
    touched (even when the rule no longer flags it). A proposal the rule no longer makes is
    withdrawn unless a plan already refers to it. Runs on submission and when the expert
    completes the rating.
    """
    rule = rule or DeficitRule.current()
    proposals = {
        p.code: p
        for p in find_deficits(
            _rated_items(assessment),
            item_max=rule.item_max_rating,
            block_min_percent=rule.block_min_percent,
        )
    }
    existing = {d.code: d for d in assessment.deficits.select_related("competency")}
    competencies = dict(assessment.items.values_list("competency__code", "competency_id"))
    new = [
        Deficit(
            assessment=assessment,
            competency_id=None if p.is_block else competencies[p.code],
            block=p.block,
            reason=p.reason[:300],
        )
        for code, p in proposals.items()
        if code not in existing
    ]
    audited_bulk_create(Deficit, new)
    for code, deficit in existing.items():
        if deficit.status != Deficit.Status.PROPOSED:
            continue
        if code in proposals and deficit.reason != proposals[code].reason[:300]:
            deficit.reason = proposals[code].reason[:300]
            deficit.save(update_fields=["reason"])
    stale = [
        d.pk
        for code, d in existing.items()
        if d.status == Deficit.Status.PROPOSED and code not in proposals
    ]
    if stale:
        in_plans = Exists(PlanGoal.objects.filter(deficit=OuterRef("pk"))) | Exists(
            DeficitAnalysis.objects.filter(deficit=OuterRef("pk"))
        )
        Deficit.objects.filter(pk__in=stale).exclude(in_plans).delete()
    return list(assessment.deficits.select_related("competency"))


def decide_deficit(deficit: Deficit, user, *, confirm: bool, comment: str = "") -> Deficit:
    """The expert's (or an official's) decision on a deficit; dismissing takes a comment.

    A decision may be changed while the assessment stays submitted.
    """
    if deficit.assessment.status != Assessment.Status.SUBMITTED:
        raise ValidationError("Решения по дефицитам принимаются по представленной самооценке.")
    comment = comment.strip()
    if not confirm and not comment:
        raise ValidationError("Укажите, почему дефицит отклонён: комментарий обязателен.")
    deficit.status = Deficit.Status.CONFIRMED if confirm else Deficit.Status.DISMISSED
    deficit.comment = comment
    deficit.decided_at = timezone.now()
    deficit.decided_by = user
    deficit.save(update_fields=["status", "comment", "decided_at", "decided_by"])
    return deficit


def head_assessments(period, organization_ids: Iterable[int]):
    """The period's submitted assessments written by the heads of these organisations (as heads:
    the person holds, or held, the principal role in the assessment's organisation). One returned
    for revision is being rewritten and does not count until resubmitted."""
    heads = Membership.objects.filter(
        role=Role.PRINCIPAL, user=OuterRef("person"), organization=OuterRef("organization")
    )
    return Assessment.objects.filter(
        Exists(heads),
        period=period,
        status=Assessment.Status.SUBMITTED,
        organization_id__in=list(organization_ids),
    )


def confirmed_deficits(period, organization_ids: Iterable[int]) -> dict[int, set[str]]:
    """{organisation id: the confirmed deficit codes of its head} for the period.

    Codes are «2.3» (item) and «2» (block). Organisations whose head has none are absent. This is
    the deficit source of targeted recommendations (`monitoring.recommendations`).
    """
    rows = Deficit.objects.filter(
        status=Deficit.Status.CONFIRMED,
        assessment__in=head_assessments(period, organization_ids),
    ).values_list("assessment__organization_id", "competency__code", "block")
    found: dict[int, set[str]] = {}
    for org_id, item_code, block in rows:
        found.setdefault(org_id, set()).add(item_code or str(block))
    return found


@dataclass(frozen=True)
class DeficitCount:
    identified: int  # confirmed deficits
    closed: int  # of them, closed in the plan's analytical section


def deficit_counts(period, person_ids: Iterable[int] | None = None) -> dict[int, DeficitCount]:
    """{person id: DeficitCount} for the period, in one query; people with no confirmed deficit
    are absent. `closed` counts confirmed deficits whose analysis in a development plan is
    «closed» (the plan's analytical section)."""
    deficits = Deficit.objects.filter(status=Deficit.Status.CONFIRMED, assessment__period=period)
    if person_ids is not None:
        deficits = deficits.filter(assessment__person_id__in=list(person_ids))
    rows = (
        deficits.order_by()
        .values("assessment__person_id")
        .annotate(
            identified=Count("pk", distinct=True),
            closed=Count(
                "pk", filter=Q(analyses__outcome=DeficitAnalysis.Outcome.CLOSED), distinct=True
            ),
        )
    )
    return {
        row["assessment__person_id"]: DeficitCount(row["identified"], row["closed"]) for row in rows
    }
