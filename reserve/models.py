"""The personnel reserve of future heads («кадровый резерв управленческих кадров»).

One `Candidacy` is one person's way through the reserve, from nomination to appointment or
removal: претендент → зачислен → проходит подготовку → готов к назначению → назначен / исключён.
Every change of status is a dated `StatusChange`; training, contests and readiness reviews hang
off the candidacy. The development plan is the trajectories app's plan of the same person.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from zelenchuk_portal.concurrency import Revisioned
from zelenchuk_portal.models import Membership, Organization, Period, Role


class Status(models.TextChoices):
    NOMINEE = "nominee", _("nominee")
    ENROLLED = "enrolled", _("enrolled")
    TRAINING = "training", _("in training")
    READY = "ready", _("ready for appointment")
    APPOINTED = "appointed", _("appointed")
    REMOVED = "removed", _("removed")


# In the reserve: the statuses RESERVE.md counts in row 1.
IN_RESERVE = (Status.ENROLLED, Status.TRAINING, Status.READY)
FINAL = (Status.APPOINTED, Status.REMOVED)


class CandidacyQuerySet(models.QuerySet):
    def active(self):
        """Candidacies not yet ended by an appointment or a removal."""
        return self.exclude(status__in=FINAL)

    def in_reserve_during(self, start, end):
        """People whose status between `start` and `end` was enrolled, in training or ready:
        enrolled on or before `end` and not appointed or removed before `start` (RESERVE.md)."""
        return self.filter(enrolled_on__isnull=False, enrolled_on__lte=end).filter(
            Q(left_on__isnull=True) | Q(left_on__gte=start)
        )

    def visible_to(self, user):
        """Officials see every candidacy; a head, those from the organisations he or she heads
        today; everybody, his or her own (a candidate sees only himself or herself)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_official:
            return self.all()
        scope = Q(person=user)
        if user.has_role(Role.PRINCIPAL):
            headed = Membership.objects.current().filter(user=user, role=Role.PRINCIPAL)
            scope |= Q(organization__in=headed.values("organization_id"))
        return self.filter(scope)


class Candidacy(Revisioned):
    """A person nominated to (and possibly enrolled in) the district's reserve."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="candidacies",
        verbose_name=_("person"),
    )
    # The period in which the person was nominated: one nomination per person and period.
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="candidacies", verbose_name=_("period")
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="candidacies",
        verbose_name=_("current organisation"),
    )
    position = models.CharField(_("current position"), max_length=200)
    management_since = models.DateField(
        _("managerial experience since"),
        null=True,
        blank=True,
        help_text=_("The first day in a managerial post (deputy head or head)."),
    )
    reason = models.TextField(_("reason for nomination"))
    target_position = models.CharField(_("target position"), max_length=200, blank=True)
    target_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successor_candidacies",
        verbose_name=_("target organisation"),
    )
    nominated_on = models.DateField(_("date of nomination"))
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("nominated by"),
    )
    # A head's nomination waits for an official's approval; an official's is approved at once.
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NOMINEE
    )
    enrolment_order = models.CharField(_("enrolment order No."), max_length=50, blank=True)
    enrolled_on = models.DateField(_("date of enrolment"), null=True, blank=True)
    # The day of appointment or removal: the end of the person's time in the reserve.
    left_on = models.DateField(_("left the reserve on"), null=True, blank=True)
    removal_reason = models.TextField(_("reason for removal"), blank=True)
    appointed_position = models.CharField(_("appointed as"), max_length=200, blank=True)
    appointed_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointed_candidacies",
        verbose_name=_("appointed to"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CandidacyQuerySet.as_manager()

    class Meta:
        verbose_name = _("reserve candidate")
        verbose_name_plural = _("reserve candidates")
        ordering = ["person__last_name", "person__first_name", "-nominated_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "period"], name="candidacy_one_nomination_per_period"
            ),
            models.CheckConstraint(
                condition=Q(enrolled_on__isnull=True) | Q(enrolled_on__gte=F("nominated_on")),
                name="candidacy_enrolled_after_nomination",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("nominated_on")),
                name="candidacy_left_after_nomination",
            ),
        ]

    def __str__(self):
        return f"{self.person} · {self.get_status_display()}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def awaits_approval(self) -> bool:
        return self.approved_on is None and self.status == Status.NOMINEE


class StatusChange(models.Model):
    """One dated change of a candidacy's status, with who recorded it and why."""

    candidacy = models.ForeignKey(Candidacy, on_delete=models.CASCADE, related_name="changes")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    on = models.DateField(_("date"))
    comment = models.TextField(_("comment"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "at", "pk"]

    def __str__(self):
        return f"{self.get_status_display()} · {self.on:%d.%m.%Y}"


class Training(models.Model):
    """A course or programme the candidate completed («обучение»)."""

    candidacy = models.ForeignKey(Candidacy, on_delete=models.CASCADE, related_name="trainings")
    programme = models.CharField(_("programme"), max_length=400)
    provider = models.CharField(_("provider"), max_length=300)
    hours = models.PositiveIntegerField(_("hours"))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    document = models.FileField(
        _("document"), upload_to="reserve/%Y/%m/", max_length=300, blank=True
    )
    document_name = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("training")
        ordering = ["-end_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_positive_hours"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="training_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.programme


class ContestLevel(models.TextChoices):
    MUNICIPAL = "municipal", _("municipal")
    REGIONAL = "regional", _("regional")
    FEDERAL = "federal", _("federal")


class ContestResult(models.TextChoices):
    PARTICIPANT = "participant", _("participant")
    PRIZE = "prize", _("prize-winner")
    WINNER = "winner", _("winner")


class Contest(models.Model):
    """Participation in a professional contest («конкурс профессионального мастерства»)."""

    candidacy = models.ForeignKey(Candidacy, on_delete=models.CASCADE, related_name="contests")
    name = models.CharField(_("contest"), max_length=400)
    level = models.CharField(_("level"), max_length=10, choices=ContestLevel.choices)
    result = models.CharField(_("result"), max_length=12, choices=ContestResult.choices)
    held_on = models.DateField(_("date"))

    class Meta:
        verbose_name = _("professional contest")
        verbose_name_plural = _("professional contests")
        ordering = ["-held_on", "pk"]

    def __str__(self):
        return self.name


class ReadinessReview(models.Model):
    """An official's confirmation (or override) of the computed readiness, with a comment.

    The computed figures are stored as they were when the official decided, so that a later
    change of the evidence never rewrites what the decision was based on.
    """

    candidacy = models.ForeignKey(
        Candidacy, on_delete=models.CASCADE, related_name="readiness_reviews"
    )
    computed_score = models.PositiveSmallIntegerField(_("computed readiness, %"))
    computed_ready = models.BooleanField(_("ready by the evidence"))
    breakdown = models.JSONField(default=list)
    ready = models.BooleanField(_("ready for appointment"))
    comment = models.TextField(_("comment"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        get_latest_by = "at"

    def __str__(self):
        return f"{self.candidacy} · {self.ready}"

    @property
    def overrides(self) -> bool:
        return self.ready != self.computed_ready
