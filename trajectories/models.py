"""Trajectories: competency self-assessment, expert rating, professional deficits and individual
development plans (the order's three sections)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zelenchuk_portal.concurrency import Revisioned
from zelenchuk_portal.models import Organization, Period

RATING_SCALE = (
    (0, "0 — не владею"),
    (1, "1 — владею частично"),
    (2, "2 — владею"),
    (3, "3 — владею на высоком уровне, могу транслировать опыт"),
)
MAX_RATING = 3


class Competency(models.Model):
    """An item of the competency framework (`data/competencies.csv`: 31 items in 6 blocks)."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    block = models.PositiveSmallIntegerField(_("block"))
    block_name = models.CharField(_("block name"), max_length=300)
    name = models.CharField(_("competency"), max_length=400)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("competency")
        verbose_name_plural = _("competency framework")
        ordering = ["position"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Assessment(Revisioned):
    """A person's competency self-assessment for a period, and the expert's rating of it.

    Private to its author until submitted; one per person and period.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned for revision")

    class ExpertStatus(models.TextChoices):
        WAITING = "waiting", _("awaiting the expert")
        IN_PROGRESS = "in_progress", _("being rated")
        DONE = "done", _("rated")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="assessments")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessments_to_rate",
        verbose_name=_("expert"),
    )
    expert_status = models.CharField(
        max_length=12, choices=ExpertStatus.choices, default=ExpertStatus.WAITING
    )
    expert_done_at = models.DateTimeField(null=True, blank=True)
    # Every submission, return and rating, oldest first: {"at", "by", "action", "comment"}.
    history = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "period"], name="assessment_unique_per_person_period"
            )
        ]

    def __str__(self):
        return f"{self.person} · {self.period}"


class AssessmentItem(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="items")
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="+")
    self_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    self_comment = models.TextField(blank=True)
    evidence = models.FileField(upload_to="assessments/%Y/%m/", max_length=300, blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    expert_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    expert_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["competency__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "competency"], name="assessment_item_unique"
            ),
            models.CheckConstraint(
                condition=Q(self_rating__isnull=True) | Q(self_rating__lte=MAX_RATING),
                name="self_rating_in_scale",
            ),
            models.CheckConstraint(
                condition=Q(expert_rating__isnull=True) | Q(expert_rating__lte=MAX_RATING),
                name="expert_rating_in_scale",
            ),
        ]

    def __str__(self):
        return f"{self.competency.code}: {self.self_rating}/{self.expert_rating}"


class Deficit(models.Model):
    """A professional deficit: proposed by the rule, confirmed or dismissed by the expert.

    `competency` is set for an item deficit; for a block deficit it is empty and `block` names it.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        CONFIRMED = "confirmed", _("confirmed")
        DISMISSED = "dismissed", _("dismissed")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="deficits")
    competency = models.ForeignKey(
        Competency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    block = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    comment = models.TextField(_("expert's comment"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("professional deficit")
        verbose_name_plural = _("professional deficits")
        ordering = ["block", "competency__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "competency"],
                condition=Q(competency__isnull=False),
                name="deficit_unique_item",
            ),
            models.UniqueConstraint(
                fields=["assessment", "block"],
                condition=Q(competency__isnull=True),
                name="deficit_unique_block",
            ),
        ]

    def __str__(self):
        return str(self.competency) if self.competency_id else f"Блок {self.block}"

    @property
    def code(self) -> str:
        """«2.3» for an item, «2» for a block (the codes recommendation rules use)."""
        return self.competency.code if self.competency_id else str(self.block)


class ResourceKind(models.TextChoices):
    PERSONAL = "personal", _("the head's personal resources")
    INTERNAL = "internal", _("internal resources of the organisation")
    EXTERNAL = "external", _("external resources")
    PROFESSIONAL = "professional", _("professional and public activity")


class TaskForm(models.TextChoices):
    COURSES = "courses", _("courses")
    INTERNSHIP = "internship", _("internship")
    MENTORING = "mentoring", _("mentoring")
    SELF_STUDY = "self_study", _("self-study")
    SEMINAR = "seminar", _("seminar")
    WEBINAR = "webinar", _("webinar")
    CONTEST = "contest", _("contest")
    OTHER = "other", _("other")


class Plan(Revisioned):
    """An individual development plan («план индивидуального развития») for a period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ON_REVIEW = "on_review", _("on review")
        APPROVED = "approved", _("approved")
        DONE = "done", _("done")
        CARRIED_OVER = "carried_over", _("closed with carry-over")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plans"
    )
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="plans")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="plans"
    )
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.DRAFT)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans_to_review",
        verbose_name=_("reviewer (tutor, mentor or expert)"),
    )
    # Every change of status, oldest first: {"at", "by", "status", "comment"}.
    history = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("development plan")
        verbose_name_plural = _("development plans")
        constraints = [
            models.UniqueConstraint(fields=["person", "period"], name="plan_unique_per_period")
        ]

    def __str__(self):
        return f"{self.person} · {self.period}"


class PlanGoal(Revisioned):
    """Section 1 (content-target): a goal that answers a confirmed deficit."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    deficit = models.ForeignKey(
        Deficit, null=True, blank=True, on_delete=models.SET_NULL, related_name="goals"
    )
    text = models.TextField(_("goal"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text[:80]


class PlanTask(Revisioned):
    """A task of a goal, with section 2 (organisational): direction, form, resource, deadline."""

    goal = models.ForeignKey(PlanGoal, on_delete=models.CASCADE, related_name="tasks")
    text = models.TextField(_("task"))
    direction = models.CharField(_("direction"), max_length=300, blank=True)
    form = models.CharField(_("form or method"), max_length=20, choices=TaskForm.choices)
    resource = models.CharField(_("kind of resource"), max_length=20, choices=ResourceKind.choices)
    deadline = models.DateField(_("deadline"))
    responsible = models.CharField(_("responsible"), max_length=200, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text[:80]


class TaskEvidence(models.Model):
    task = models.ForeignKey(PlanTask, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="plans/%Y/%m/", max_length=300)
    file_name = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    def __str__(self):
        return self.file_name


class DeficitAnalysis(Revisioned):
    """Section 3 (analytical): the self-analysis of one deficit's results, then closed or
    carried over."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("in progress")
        CLOSED = "closed", _("closed")
        CARRIED_OVER = "carried_over", _("carried over")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="analyses")
    deficit = models.ForeignKey(Deficit, on_delete=models.PROTECT, related_name="analyses")
    results = models.TextField(_("results"), blank=True)
    successes = models.TextField(_("successes"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    use_of_successes = models.TextField(_("how to use the successes"), blank=True)
    solutions = models.TextField(_("how to solve the problems"), blank=True)
    outcome = models.CharField(max_length=14, choices=Outcome.choices, default=Outcome.OPEN)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "deficit"], name="analysis_unique_per_deficit")
        ]

    def __str__(self):
        return f"{self.deficit}: {self.get_outcome_display()}"


class PlanComment(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField()
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return self.text[:60]


class DeficitRule(models.Model):
    """The district's deficit rule (a single row, edited by officials; see `deficits.py`).

    An item is a deficit when rated at most `item_max_rating`; a block when the mean of its items
    is below `block_min_percent` % of the maximum. A change applies to proposals made after it.
    """

    SINGLETON_ID = 1

    item_max_rating = models.PositiveSmallIntegerField(
        _("an item is a deficit when rated at most"), default=1
    )
    block_min_percent = models.PositiveSmallIntegerField(
        _("a block is a deficit when its mean is below this share of the maximum, per cent"),
        default=60,
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("deficit rule")
        verbose_name_plural = _("deficit rule")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="deficit_rule_singleton"),
            models.CheckConstraint(
                condition=Q(item_max_rating__lt=MAX_RATING), name="deficit_rule_item_below_max"
            ),
            models.CheckConstraint(
                condition=Q(block_min_percent__gte=1, block_min_percent__lte=100),
                name="deficit_rule_block_percent",
            ),
        ]

    def __str__(self):
        return f"≤ {self.item_max_rating}; < {self.block_min_percent} %"

    @classmethod
    def current(cls) -> "DeficitRule":
        """The stored rule, or the defaults (unsaved) until an official first edits it."""
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls(pk=cls.SINGLETON_ID)
