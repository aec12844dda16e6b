"""Competency self-assessment and expert rating, and the side-by-side comparison.

The life of an assessment:

    draft ──submit──▶ submitted ──return (comment)──▶ returned ──submit──▶ submitted …
                         │
                         └─ an official assigns an expert → the expert rates (drafts) → completes

The author edits only a draft or a returned assessment; a submitted one changes only by being
returned, which the assigned expert or an official does with a comment. Every step is recorded
in `Assessment.history`. Deficits are proposed on submission and on the expert's completion.

`build_comparison` is the one builder behind the side-by-side page and the PDF.
"""

import uuid
from dataclasses import dataclass, field
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monitoring.models import Score
from monitoring.profiles import SUBGROUP_NAMES
from zelenchuk_portal.audit import audited_bulk_update
from zelenchuk_portal.concurrency import claim
from zelenchuk_portal.files import check_upload, safe_name
from zelenchuk_portal.models import Membership, Organization, Period, Role, User

from .deficits import block_percent, propose_deficits
from .models import MAX_RATING, Assessment, AssessmentItem, Competency, Deficit

# Which monitoring subgroups speak to each competency block (documented in
# docs/trajectories-assessment.md): A1 the head's own preparation, A2 the personnel reserve,
# B1/B2 pupils' results, B3 pupils with special needs, B4 conditions (staff, internet, НОКУОД,
# municipal task), B5 career guidance and additional education.
BLOCK_SUBGROUPS: dict[int, tuple[str, ...]] = {
    1: ("A2", "B4"),
    2: ("B1", "B2"),
    3: ("B3", "B5"),
    4: ("B4",),
    5: ("B4",),
    6: ("A1",),
}
# Over-confidence: the person rates a block highly while the organisation's data is weak;
# under-confidence: the reverse. Self block % against the subgroup score (both 0–100).
OVER_SELF_MIN = 67  # self block % ≥ 67 (a mean of about «2 — владею» or higher)…
OVER_SUBGROUP_BELOW = 50  # …while the subgroup scores below 50
UNDER_SELF_BELOW = 50  # self block % < 50 (a mean below 1.5)…
UNDER_SUBGROUP_MIN = 80  # …while the subgroup scores 80 or more
OVER = "over"
UNDER = "under"

ACTION_LABELS = {
    "submitted": _("submitted"),
    "returned": _("returned for revision"),
    "expert_assigned": _("expert assigned"),
    "expert_done": _("expert rating completed"),
    "copied": _("answers copied from the previous period"),
}


# --- Starting ------------------------------------------------------------------------------------


def organization_for(person: User) -> Organization | None:
    """The organisation an assessment belongs to: where the person is head, else where he or
    she is a reserve candidate."""
    for role in (Role.PRINCIPAL, Role.CANDIDATE):
        found = person.organizations_as(role).order_by("pk").first()
        if found:
            return found
    return None


def start_assessment(person: User, period: Period) -> Assessment:
    """The person's assessment for the period, created with one item per competency if new."""
    found = Assessment.objects.filter(person=person, period=period).first()
    if found:
        return found
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                person=person, period=period, organization=organization_for(person)
            )
            # Empty items, implied by the assessment's own "created" entry: not logged one by
            # one; every rating and comment put into them is (audited_bulk_update).
            AssessmentItem.objects.bulk_create(
                AssessmentItem(assessment=assessment, competency=c)
                for c in Competency.objects.all()
            )
    except IntegrityError:  # started at the same moment in another tab
        return Assessment.objects.get(person=person, period=period)
    return assessment


def is_editable(assessment: Assessment) -> bool:
    """The author may change a draft or a returned assessment of an open period."""
    return (
        assessment.status in (Assessment.Status.DRAFT, Assessment.Status.RETURNED)
        and not assessment.period.is_closed
    )


def is_ratable(assessment: Assessment) -> bool:
    """The assigned expert may rate a submitted assessment until he or she completes."""
    return (
        assessment.status == Assessment.Status.SUBMITTED
        and assessment.expert_id is not None
        and assessment.expert_status != Assessment.ExpertStatus.DONE
        and not assessment.period.is_closed
    )


def _ensure_editable(assessment: Assessment) -> None:
    if assessment.period.is_closed:
        raise ValidationError("Период закрыт: самооценку изменить нельзя.")
    if not is_editable(assessment):
        raise ValidationError(
            "Самооценка представлена: изменить её можно, только если эксперт или специалист "
            "управления вернёт её на доработку."
        )


def _record(assessment: Assessment, user, action: str, comment: str = "") -> None:
    assessment.history = [
        *assessment.history,
        {
            "at": timezone.now().isoformat(),
            "by": user.full_name or user.username,
            "action": action,
            "comment": comment,
        },
    ]


def _items(assessment: Assessment) -> list[AssessmentItem]:
    return list(assessment.items.select_related("competency"))


# --- The author's side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """What the form holds for one item: a rating (None = not yet) and a comment."""

    rating: int | None
    comment: str = ""


def _check_rating(rating: int | None) -> None:
    if rating is not None and not 0 <= rating <= MAX_RATING:
        raise ValidationError(
            f"Оценка {rating} вне шкалы: допустимы значения от 0 до {MAX_RATING}."
        )


@transaction.atomic
def save_self_draft(
    assessment: Assessment, rows: dict[int, Row], *, user=None, revision: int | None = None
) -> int:
    """Store the author's ratings and comments ({item id: Row}); returns how many changed.

    A draft is never refused for being incomplete; it is refused (`ConflictError`) when the
    assessment was saved after `revision` (in another tab), so an older page never overwrites
    newer answers.
    """
    _ensure_editable(assessment)
    for row in rows.values():
        _check_rating(row.rating)
    claim(assessment, revision, user)
    changed = []
    for item in assessment.items.filter(pk__in=list(rows)):
        row = rows[item.pk]
        if (item.self_rating, item.self_comment) != (row.rating, row.comment.strip()):
            item.self_rating, item.self_comment = row.rating, row.comment.strip()
            changed.append(item)
    audited_bulk_update(changed, ["self_rating", "self_comment"])
    assessment.save(update_fields=["updated_at"])
    return len(changed)


@transaction.atomic
def submit_assessment(assessment: Assessment, user) -> list[Deficit]:
    """Submit a fully rated assessment; it is locked and the rule proposes deficits."""
    _ensure_editable(assessment)
    missing = [item.competency.code for item in _items(assessment) if item.self_rating is None]
    if missing:
        raise ValidationError(
            f"Оцените все пункты перед отправкой. Не оценены: {', '.join(missing)}."
        )
    claim(assessment, None, user)
    assessment.status = Assessment.Status.SUBMITTED
    assessment.submitted_at = timezone.now()
    _record(assessment, user, "submitted")
    assessment.save()
    return propose_deficits(assessment)


@transaction.atomic
def return_assessment(assessment: Assessment, user, comment: str) -> None:
    """Return a submitted assessment to its author for revision (the reason is required).

    The expert's ratings stay; a completed expert rating reopens, so that the expert looks again
    after the author resubmits.
    """
    if assessment.status != Assessment.Status.SUBMITTED:
        raise ValidationError("Вернуть на доработку можно только представленную самооценку.")
    comment = comment.strip()
    if not comment:
        raise ValidationError("Укажите, что доработать: комментарий увидит автор самооценки.")
    claim(assessment, None, user)
    assessment.status = Assessment.Status.RETURNED
    if assessment.expert_status == Assessment.ExpertStatus.DONE:
        assessment.expert_status = Assessment.ExpertStatus.IN_PROGRESS
        assessment.expert_done_at = None
    _record(assessment, user, "returned", comment)
    assessment.save()


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The person's latest submitted assessment of an earlier period."""
    return (
        Assessment.objects.filter(
            person_id=assessment.person_id,
            period__start_date__lt=assessment.period.start_date,
            submitted_at__isnull=False,
        )
        .order_by("-period__start_date")
        .first()
    )


@transaction.atomic
def copy_previous(assessment: Assessment, user) -> int:
    """Fill the draft's untouched items (no rating, no comment) with the previous period's
    answers, as a starting point; returns how many items were filled. Nothing typed is
    overwritten; evidence files are not copied (they belong to their period)."""
    if assessment.status != Assessment.Status.DRAFT:
        raise ValidationError("Ответы прошлого периода можно скопировать только в черновик.")
    _ensure_editable(assessment)
    previous = previous_assessment(assessment)
    if previous is None:
        raise ValidationError("Самооценки за прошлые периоды нет.")
    answers = {
        code: (rating, comment)
        for code, rating, comment in previous.items.values_list(
            "competency__code", "self_rating", "self_comment"
        )
    }
    filled = []
    for item in _items(assessment):
        if item.self_rating is not None or item.self_comment:
            continue
        rating, comment = answers.get(item.competency.code, (None, ""))
        if rating is None and not comment:
            continue
        item.self_rating, item.self_comment = rating, comment
        filled.append(item)
    claim(assessment, None, user)  # pages opened before the copy must not overwrite it
    audited_bulk_update(filled, ["self_rating", "self_comment"])
    _record(assessment, user, "copied", previous.period.label)
    assessment.save()
    return len(filled)


def attach_evidence(item: AssessmentItem, upload) -> None:
    """Store an evidence file for an item (replacing the previous one); checked by content."""
    _ensure_editable(item.assessment)
    kind = check_upload(upload)
    old = item.evidence.name if item.evidence else ""
    item.evidence_name = safe_name(upload.name, kind)
    # A random storage name: the person's file name is only ever shown, never used as a path.
    item.evidence.save(f"{uuid.uuid4().hex}.{kind.extension}", upload, save=False)
    item.save(update_fields=["evidence", "evidence_name"])
    if old:
        item.evidence.storage.delete(old)


def remove_evidence(item: AssessmentItem) -> None:
    _ensure_editable(item.assessment)
    if item.evidence:
        item.evidence.delete(save=False)
    item.evidence_name = ""
    item.save(update_fields=["evidence", "evidence_name"])


# --- The expert's side ---------------------------------------------------------------------------


def expert_choices():
    """People who may be assigned to rate: current experts and mentors."""
    ids = Membership.objects.current().filter(role__in=(Role.EXPERT, Role.MENTOR))
    return User.objects.filter(is_active=True, memberships__in=ids).distinct()


@transaction.atomic
def assign_expert(assessment: Assessment, expert: User, user) -> None:
    """An official assigns (or replaces) the expert of a submitted assessment."""
    if assessment.submitted_at is None:
        raise ValidationError("Эксперта назначают на представленную самооценку.")
    if assessment.expert_status == Assessment.ExpertStatus.DONE:
        raise ValidationError("Эксперт уже завершил оценку: сначала верните её на доработку.")
    if expert.pk == assessment.person_id:
        raise ValidationError("Нельзя назначить экспертом автора самооценки.")
    if not expert_choices().filter(pk=expert.pk).exists():
        raise ValidationError("Экспертом может быть только эксперт или ментор.")
    assessment.expert = expert
    _record(assessment, user, "expert_assigned", expert.full_name or expert.username)
    assessment.save()


def _ensure_ratable(assessment: Assessment, user) -> None:
    if assessment.expert_id != user.pk:
        raise ValidationError("Оценивает только назначенный эксперт.")
    if not is_ratable(assessment):
        raise ValidationError("Эта самооценка сейчас не ожидает оценки эксперта.")


@transaction.atomic
def save_expert_draft(
    assessment: Assessment, user, rows: dict[int, Row], revision: int | None = None
) -> int:
    """Store the expert's ratings and comments ({item id: Row}); returns how many changed.

    Refused (`ConflictError`) when the assessment was saved after `revision`: the expert's
    other tab, or the author's revision after it was returned.
    """
    _ensure_ratable(assessment, user)
    for row in rows.values():
        _check_rating(row.rating)
    claim(assessment, revision, user)
    changed = []
    for item in assessment.items.filter(pk__in=list(rows)):
        row = rows[item.pk]
        if (item.expert_rating, item.expert_comment) != (row.rating, row.comment.strip()):
            item.expert_rating, item.expert_comment = row.rating, row.comment.strip()
            changed.append(item)
    audited_bulk_update(changed, ["expert_rating", "expert_comment"])
    if assessment.expert_status == Assessment.ExpertStatus.WAITING:
        assessment.expert_status = Assessment.ExpertStatus.IN_PROGRESS
    assessment.save(update_fields=["expert_status", "updated_at"])
    return len(changed)


@transaction.atomic
def complete_expert_rating(assessment: Assessment, user) -> list[Deficit]:
    """The expert completes the rating (every item rated); the rule proposes deficits again."""
    _ensure_ratable(assessment, user)
    missing = [item.competency.code for item in _items(assessment) if item.expert_rating is None]
    if missing:
        raise ValidationError(
            f"Оцените все пункты, чтобы завершить оценку. Не оценены: {', '.join(missing)}."
        )
    claim(assessment, None, user)
    assessment.expert_status = Assessment.ExpertStatus.DONE
    assessment.expert_done_at = timezone.now()
    _record(assessment, user, "expert_done")
    assessment.save()
    return propose_deficits(assessment)


# --- Numbers for monitoring ----------------------------------------------------------------------


def self_assessment_index(assessment: Assessment) -> float | None:
    """100 × Σ self-ratings ÷ (3 × items), over the items rated; None when none is rated."""
    totals = assessment.items.aggregate(
        total=Sum("self_rating"), rated=Count("pk", filter=Q(self_rating__isnull=False))
    )
    percent = _index(totals["total"], totals["rated"])
    return None if percent is None else float(percent)


def self_assessment_indexes(period: Period, person_ids=None) -> dict[int, float]:
    """{person id: self_assessment_index} of the period's submitted assessments, one query."""
    assessments = Assessment.objects.filter(period=period, status=Assessment.Status.SUBMITTED)
    if person_ids is not None:
        assessments = assessments.filter(person_id__in=list(person_ids))
    rows = (
        assessments.order_by()
        .values("person_id")
        .annotate(
            total=Sum("items__self_rating"),
            rated=Count("items", filter=Q(items__self_rating__isnull=False)),
        )
    )
    found = {}
    for row in rows:
        percent = _index(row["total"], row["rated"])
        if percent is not None:
            found[row["person_id"]] = float(percent)
    return found


def _index(total, rated) -> Fraction | None:
    return Fraction(100 * total, MAX_RATING * rated) if rated else None


# --- Side by side --------------------------------------------------------------------------------


def confidence_flag(self_percent: float | None, subgroup_score: float | None) -> str | None:
    """OVER, UNDER or None for a block's self % next to a related subgroup's score."""
    if self_percent is None or subgroup_score is None:
        return None
    if self_percent >= OVER_SELF_MIN and subgroup_score < OVER_SUBGROUP_BELOW:
        return OVER
    if self_percent < UNDER_SELF_BELOW and subgroup_score >= UNDER_SUBGROUP_MIN:
        return UNDER
    return None


@dataclass
class ItemLine:
    item: AssessmentItem
    self_rating: int | None
    expert_rating: int | None  # None also when the expert's rating is not shown yet

    @property
    def code(self) -> str:
        return self.item.competency.code

    @property
    def gap(self) -> int | None:
        """Expert minus self: negative where the person rated him- or herself higher."""
        if self.self_rating is None or self.expert_rating is None:
            return None
        return self.expert_rating - self.self_rating


@dataclass
class SubgroupLine:
    code: str
    name: str
    score: float | None
    flag: str | None


@dataclass
class BlockLine:
    number: int
    name: str
    items: list[ItemLine]
    self_percent: float | None
    expert_percent: float | None
    subgroups: list[SubgroupLine] = field(default_factory=list)
    deficit: Deficit | None = None

    @property
    def gap(self) -> float | None:
        if self.self_percent is None or self.expert_percent is None:
            return None
        return self.expert_percent - self.self_percent

    @property
    def flags(self) -> list[str]:
        return sorted({s.flag for s in self.subgroups if s.flag})


@dataclass
class Comparison:
    assessment: Assessment
    blocks: list[BlockLine]
    show_expert: bool
    self_index: float | None
    expert_index: float | None
    has_monitoring: bool  # the author heads the organisation and it has a score for the period
    deficits: list[Deficit]
    history: list[dict]

    @property
    def flagged_blocks(self) -> list[BlockLine]:
        return [b for b in self.blocks if b.flags]

    @property
    def block_names(self) -> dict[int, str]:
        return {b.number: b.name for b in self.blocks}


def _percent(ratings) -> float | None:
    value = block_percent(ratings)
    return None if value is None else float(value)


def _head_score(assessment: Assessment) -> Score | None:
    """The organisation's score for the period when the author is (or was) its head: monitoring
    measures the head's work, so a reserve candidate's answers are not set against it."""
    if not assessment.organization_id:
        return None
    is_head = Membership.objects.filter(
        user_id=assessment.person_id,
        role=Role.PRINCIPAL,
        organization_id=assessment.organization_id,
    ).exists()
    if not is_head:
        return None
    return (
        Score.objects.filter(
            period_id=assessment.period_id, organization_id=assessment.organization_id
        )
        .only("a1", "a2", "b1", "b2", "b3", "b4", "b5")
        .first()
    )


def build_comparison(assessment: Assessment, *, show_expert: bool = True) -> Comparison:
    """Self and expert side by side per item and per block (mean as % of the maximum), the gaps,
    the related monitoring subgroups with over-/under-confidence flags, deficits and history.

    `show_expert` is False for the author until the expert completes the rating.
    """
    items = _items(assessment)
    score = _head_score(assessment)
    # Each block's own deficit heads its items' (nulls sort differently in SQLite and PostgreSQL).
    deficits = list(
        assessment.deficits.select_related("competency", "decided_by").order_by(
            "block", F("competency__position").asc(nulls_first=True)
        )
    )
    block_deficits = {d.block: d for d in deficits if d.competency_id is None}
    grouped: dict[int, list[AssessmentItem]] = {}
    for item in items:
        grouped.setdefault(item.competency.block, []).append(item)
    blocks = []
    for number, block_items in sorted(grouped.items()):
        lines = [
            ItemLine(i, i.self_rating, i.expert_rating if show_expert else None)
            for i in block_items
        ]
        self_percent = _percent(line.self_rating for line in lines)
        subgroups = [
            SubgroupLine(
                code,
                SUBGROUP_NAMES.get(code, ""),
                score.subgroup(code) if score else None,
                confidence_flag(self_percent, score.subgroup(code) if score else None),
            )
            for code in BLOCK_SUBGROUPS.get(number, ())
        ]
        blocks.append(
            BlockLine(
                number,
                block_items[0].competency.block_name,
                lines,
                self_percent,
                _percent(line.expert_rating for line in lines),
                subgroups,
                block_deficits.get(number),
            )
        )
    all_lines = [line for block in blocks for line in block.items]
    return Comparison(
        assessment=assessment,
        blocks=blocks,
        show_expert=show_expert,
        self_index=_percent(line.self_rating for line in all_lines),
        expert_index=_percent(line.expert_rating for line in all_lines),
        has_monitoring=score is not None,
        deficits=deficits,
        history=[
            {**entry, "label": ACTION_LABELS.get(entry.get("action"), entry.get("action", ""))}
            for entry in assessment.history
        ],
    )


def group_by_block(items: list[AssessmentItem]) -> list[tuple[int, str, list[AssessmentItem]]]:
    """[(block, block name, items)] in framework order, for the rating forms."""
    blocks: dict[int, list[AssessmentItem]] = {}
    for item in items:
        blocks.setdefault(item.competency.block, []).append(item)
    return [(n, its[0].competency.block_name, its) for n, its in sorted(blocks.items())]
