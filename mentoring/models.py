"""Mentoring: base sites, partnership agreements, internships and everything kept during one.

The order's fourth element: successful heads (mentors) at base sites host internships of heads
and reserve candidates. An internship has a technological map (assignments for the mentor and
for the trainees); each trainee keeps notes on the host organisation, a diary with time records
and the matrix of competencies and management decisions, and finishes with final materials
that the mentor assesses on the competency framework's scale.

The records people edit — base sites, agreements, internships (their stage), map assignments,
trainees (notes, final materials, the mentor's assessment), diary entries and decisions — are
`Revisioned`: a save made on a page opened before somebody else's save is refused
(`zelenchuk_portal/concurrency.py`).
"""

from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from trajectories.models import MAX_RATING, Competency
from zelenchuk_portal.concurrency import Revisioned
from zelenchuk_portal.models import Organization, Role

RATING_RANGE = Q(rating__gte=0) & Q(rating__lte=MAX_RATING)


class BaseSite(Revisioned):
    """An organisation designated as a base site («базовая площадка») for internships.

    Its mentors are the people holding the mentor role in the organisation (the registry's
    memberships), so that a mentor's appointment is recorded in one place only.
    """

    organization = models.OneToOneField(
        Organization,
        on_delete=models.PROTECT,
        related_name="base_site",
        verbose_name=_("organisation"),
    )
    designated_on = models.DateField(_("designated on"))
    order = models.CharField(_("order No."), max_length=50, blank=True)
    themes = models.TextField(_("themes it can host"), help_text=_("One theme per line."))
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), help_text=_("How many trainees it can host at the same time.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("base site")
        verbose_name_plural = _("base sites")
        ordering = ["organization__short_name"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="base_site_capacity_positive")
        ]

    def __str__(self):
        return str(self.organization)

    @property
    def theme_list(self) -> list[str]:
        return [line.strip() for line in self.themes.splitlines() if line.strip()]


class Agreement(Revisioned):
    """A partnership agreement between the internship site, the mentor's base site and the
    trainee's organisation («договор о сетевом взаимодействии»)."""

    number = models.CharField(_("agreement No."), max_length=50)
    signed_on = models.DateField(_("date"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    base_site = models.ForeignKey(
        BaseSite, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("base site")
    )
    host_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="hosted_agreements",
        verbose_name=_("internship site"),
    )
    trainee_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="trainee_agreements",
        verbose_name=_("trainee's organisation"),
    )
    other_parties = models.TextField(_("other parties"), blank=True)
    file = models.FileField(_("file"), upload_to="agreements/%Y/", max_length=300, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partnership agreement")
        verbose_name_plural = _("partnership agreements")
        ordering = ["-signed_on", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="agreement_term_ordered"
            )
        ]

    def __str__(self):
        return f"№ {self.number} от {self.signed_on:%d.%m.%Y}"

    def is_expired(self, today: date | None = None) -> bool:
        return self.valid_until < (today or date.today())


class Form(models.TextChoices):
    IN_PERSON = "in_person", _("in person")
    REMOTE = "remote", _("remote")
    GROUP = "group", _("group")
    INDIVIDUAL = "individual", _("individual")


class Stage(models.TextChoices):
    # Their own message context: the bare words («final», «main») mean other things elsewhere.
    PRELIMINARY = "preliminary", pgettext_lazy("internship stage", "preliminary")
    MAIN = "main", pgettext_lazy("internship stage", "main")
    FINAL = "final", pgettext_lazy("internship stage", "final")
    COMPLETED = "completed", pgettext_lazy("internship stage", "completed")


class InternshipQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(stage=Stage.COMPLETED)

    def visible_to(self, user):
        """Officials: all; a mentor: his or her internships; a trainee: his or her own; a head:
        those of the organisation's staff (the trainee's organisation)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_official:
            return self.all()
        headed = user.organizations_as(Role.PRINCIPAL)
        return self.filter(
            Q(mentor=user) | Q(trainees__person=user) | Q(trainees__organization__in=headed)
        ).distinct()


class Internship(Revisioned):
    """An internship at a base site under one mentor, for one trainee or a group."""

    theme = models.CharField(_("theme"), max_length=400)
    form = models.CharField(_("form"), max_length=12, choices=Form.choices)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.PRELIMINARY
    )
    base_site = models.ForeignKey(
        BaseSite, on_delete=models.PROTECT, related_name="internships", verbose_name=_("base site")
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mentored_internships",
        verbose_name=_("mentor"),
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="internships",
        verbose_name=_("agreement"),
    )
    # The competencies the internship develops: the mentor's assessment is made on them.
    competencies = models.ManyToManyField(
        Competency, related_name="+", blank=True, verbose_name=_("competencies")
    )
    # Every change of stage, oldest first: {"at", "by", "stage", "comment"}.
    history = models.JSONField(default=list, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InternshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("internship")
        verbose_name_plural = _("internships")
        ordering = ["-start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="internship_dates_ordered"
            )
        ]

    def __str__(self):
        return self.theme

    def get_absolute_url(self):
        return reverse("mentoring:internship_detail", args=[self.pk])


class Trainee(Revisioned):
    """One trainee («стажёр») of an internship, with what he or she keeps and finishes with."""

    internship = models.ForeignKey(Internship, on_delete=models.CASCADE, related_name="trainees")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="traineeships",
        verbose_name=_("trainee"),
    )
    # The trainee's organisation when assigned: whose head may follow the internship.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="trainees",
        verbose_name=_("trainee's organisation"),
    )
    host_notes = models.TextField(_("notes on the host organisation"), blank=True)
    report = models.TextField(_("report on the internship"), blank=True)
    report_file = models.FileField(upload_to="internships/%Y/", max_length=300, blank=True)
    report_file_name = models.CharField(max_length=255, blank=True)
    project_title = models.CharField(_("management project"), max_length=400, blank=True)
    project_summary = models.TextField(_("project summary"), blank=True)
    project_file = models.FileField(upload_to="internships/%Y/", max_length=300, blank=True)
    project_file_name = models.CharField(max_length=255, blank=True)
    mentor_conclusion = models.TextField(_("mentor's conclusion"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("trainee")
        verbose_name_plural = _("trainees")
        ordering = ["person__last_name", "person__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["internship", "person"], name="trainee_once_per_internship"
            )
        ]

    def __str__(self):
        return f"{self.person} · {self.internship}"


class Assignment(Revisioned):
    """A line of the technological map: a task for the mentor or for the trainees."""

    class For(models.TextChoices):
        MENTOR = "mentor", _("mentor")
        TRAINEE = "trainee", _("trainee")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    internship = models.ForeignKey(Internship, on_delete=models.CASCADE, related_name="assignments")
    assignee = models.CharField(_("for"), max_length=8, choices=For.choices)
    task = models.TextField(_("task"))
    expected_result = models.TextField(_("expected result"))
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "deadline", "pk"]

    def __str__(self):
        return self.task[:80]


class Activity(models.TextChoices):
    OBSERVATION = "observation", _("observation")
    JOINT_WORK = "joint_work", _("joint work")
    MEETING = "meeting", _("meeting")
    DOCUMENT = "document", _("drafting a document")
    CONSULTATION = "consultation", _("consultation")
    LESSON_VISIT = "lesson_visit", _("visit to a lesson or event")
    ANALYSIS = "analysis", _("analysis of documents")
    OTHER = "other", _("other")


class DiaryEntry(Revisioned):
    """A diary entry («дневник стажировки») with its time record («хронометраж»)."""

    trainee = models.ForeignKey(Trainee, on_delete=models.CASCADE, related_name="entries")
    day = models.DateField(_("date"))
    time_from = models.TimeField(_("from"))
    time_to = models.TimeField(_("to"))
    activity = models.CharField(_("activity"), max_length=14, choices=Activity.choices)
    head_actions = models.TextField(_("what the head did and decided"))
    reflection = models.TextField(_("reflection"), blank=True)
    # A draft is saved as the trainee types; the mentor sees (and comments on) submitted entries.
    is_draft = models.BooleanField(default=True)
    mentor_comment = models.TextField(_("mentor's comment"), blank=True)
    commented_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("diary entry")
        verbose_name_plural = _("diary entries")
        ordering = ["day", "time_from", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(time_to__gt=F("time_from")), name="diary_entry_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.day:%d.%m.%Y} {self.time_from:%H:%M}–{self.time_to:%H:%M}"

    @property
    def minutes(self) -> int:
        start = datetime.combine(self.day, self.time_from)
        return int((datetime.combine(self.day, self.time_to) - start).total_seconds() // 60)


class Decision(Revisioned):
    """A row of the matrix of competencies and management decisions: one observed decision."""

    trainee = models.ForeignKey(Trainee, on_delete=models.CASCADE, related_name="decisions")
    entry = models.ForeignKey(
        DiaryEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("diary entry"),
    )
    text = models.TextField(_("management decision"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.text[:80]


class DecisionCompetency(models.Model):
    """A competency a decision exercised, with the trainee's (and the mentor's) rating of it."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="competencies")
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="+")
    self_rating = models.PositiveSmallIntegerField(_("self-rating"))
    mentor_rating = models.PositiveSmallIntegerField(_("mentor's rating"), null=True, blank=True)

    class Meta:
        ordering = ["competency__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "competency"], name="decision_competency_once"
            ),
            models.CheckConstraint(
                condition=Q(self_rating__lte=MAX_RATING), name="decision_self_rating_range"
            ),
            models.CheckConstraint(
                condition=Q(mentor_rating__isnull=True) | Q(mentor_rating__lte=MAX_RATING),
                name="decision_mentor_rating_range",
            ),
        ]

    def __str__(self):
        return f"{self.competency.code}: {self.self_rating}"


class FinalRating(models.Model):
    """The mentor's final assessment of a trainee on one of the internship's competencies."""

    trainee = models.ForeignKey(Trainee, on_delete=models.CASCADE, related_name="ratings")
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(_("rating"))

    class Meta:
        ordering = ["competency__position"]
        constraints = [
            models.UniqueConstraint(fields=["trainee", "competency"], name="final_rating_once"),
            models.CheckConstraint(condition=RATING_RANGE, name="final_rating_range"),
        ]

    def __str__(self):
        return f"{self.competency.code}: {self.rating}"
