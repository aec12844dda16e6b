"""The district registry every app shares: people, organisations, roles and periods."""

from datetime import date

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .concurrency import Revisioned


class Role(models.TextChoices):
    OFFICIAL = "official", _("District official")
    PRINCIPAL = "principal", _("Head of organisation")
    MENTOR = "mentor", _("Mentor")
    CANDIDATE = "candidate", _("Reserve candidate")
    EXPERT = "expert", _("Expert")


# The order in which a person's roles choose his or her home page: a head who is also a mentor
# lands on the mentoring work, which is the rarer and more time-bound of the two.
ROLE_PRIORITY = (Role.OFFICIAL, Role.MENTOR, Role.EXPERT, Role.PRINCIPAL, Role.CANDIDATE)


class User(AbstractUser, Revisioned):
    """A person who signs in: an official, a head, a mentor, a candidate or an expert."""

    patronymic = models.CharField(_("patronymic"), max_length=150, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name", "patronymic"]

    def __str__(self):
        return self.full_name or self.username

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    @property
    def short_name(self) -> str:
        """«Иванова О. П.» — how documents name a person."""
        initials = "".join(f"{p[0]}. " for p in (self.first_name, self.patronymic) if p).strip()
        return f"{self.last_name} {initials}".strip() or self.username

    def get_absolute_url(self):
        return reverse("person_detail", args=[self.pk])

    def age_on(self, day: date) -> int | None:
        if not self.birth_date:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @cached_property
    def active_roles(self) -> frozenset[str]:
        """The roles this person holds today (cached for the request)."""
        if not self.is_authenticated or not self.is_active:
            return frozenset()
        return frozenset(self.memberships.current().values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.active_roles.intersection(roles))

    @property
    def is_official(self) -> bool:
        return self.has_role(Role.OFFICIAL)

    @property
    def primary_role(self) -> str | None:
        return next((r for r in ROLE_PRIORITY if r in self.active_roles), None)

    def organizations_as(self, *roles: str):
        """Organisations in which this person currently holds one of `roles`."""
        return Organization.objects.filter(
            memberships__in=self.memberships.current().filter(role__in=roles)
        ).distinct()


class OrganizationType(models.TextChoices):
    SCHOOL = "school", _("General education school")
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    ADDITIONAL = "additional", _("Additional education")


class Area(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class OrganizationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def visible_to(self, user):
        """Officials see the whole district; a head sees his or her own organisation."""
        if not user.is_authenticated:
            return self.none()
        if user.is_official:
            return self.all()
        return self.filter(
            memberships__in=Membership.objects.current().filter(user=user, role=Role.PRINCIPAL)
        ).distinct()

    def with_head(self):
        """Prefetch each organisation's current head, to name heads in lists without N queries."""
        heads = Membership.objects.current().filter(role=Role.PRINCIPAL).select_related("user")
        return self.prefetch_related(models.Prefetch("memberships", heads, to_attr="head_rows"))


class Organization(Revisioned):
    """An educational organisation of the district: a school, a kindergarten or an ОДО."""

    code = models.CharField(
        _("code"), max_length=20, unique=True, help_text=_("The organisation's code in reports.")
    )
    full_name = models.CharField(_("full name"), max_length=500)
    short_name = models.CharField(_("short name"), max_length=200)
    org_type = models.CharField(_("type"), max_length=20, choices=OrganizationType.choices)
    settlement = models.CharField(_("settlement"), max_length=120)
    area = models.CharField(_("area"), max_length=10, choices=Area.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["org_type", "short_name"]

    def __str__(self):
        return self.short_name

    def get_absolute_url(self):
        return reverse("organization_detail", args=[self.pk])

    @property
    def head(self):
        """The current head (руководитель), or None."""
        rows = getattr(self, "head_rows", None)
        if rows is None:
            rows = list(
                self.memberships.current().filter(role=Role.PRINCIPAL).select_related("user")
            )
        return rows[0].user if rows else None


class MembershipQuerySet(models.QuerySet):
    def current(self, day: date | None = None):
        """Memberships in force on `day` (today by default)."""
        day = day or date.today()
        return self.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=day),
            Q(end_date__isnull=True) | Q(end_date__gte=day),
        )


class Membership(models.Model):
    """One role of one person, in one organisation or (officials, experts) district-wide."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="memberships",
        null=True,
        blank=True,
        verbose_name=_("organisation"),
        help_text=_("Leave empty for a district-wide role (official, expert)."),
    )
    position = models.CharField(_("position"), max_length=200, blank=True)
    start_date = models.DateField(_("since"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["role", "organization__short_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                condition=Q(organization__isnull=False, end_date__isnull=True),
                name="membership_unique_open_role_in_org",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(organization__isnull=True, end_date__isnull=True),
                name="membership_unique_open_district_role",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="membership_end_after_start",
            ),
        ]

    def __str__(self):
        where = self.organization or _("district")
        return f"{self.get_role_display()} — {where}"

    def clean(self):
        needs_org = self.role in (Role.PRINCIPAL, Role.MENTOR, Role.CANDIDATE)
        if needs_org and not self.organization_id:
            raise ValidationError(
                {"organization": _("This role belongs to an organisation: choose one.")}
            )
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date is before the start date.")})


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class PeriodQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=PeriodStatus.OPEN)

    def current(self):
        """The latest open period, else the latest period."""
        return self.open().order_by("-start_date").first() or self.order_by("-start_date").first()


class Period(models.Model):
    """A reporting period (academic year), e.g. 2024/2025."""

    label = models.CharField(
        _("label"), max_length=20, unique=True, help_text=_("For example 2024/2025.")
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    monitoring_end = models.DateField(
        _("end of monitoring"),
        null=True,
        blank=True,
        help_text=_("Targeted recommendations are due within 10 days of this date."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN
    )

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")), name="period_end_after_start"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def is_closed(self) -> bool:
        return self.status == PeriodStatus.CLOSED

    def previous(self):
        return Period.objects.filter(start_date__lt=self.start_date).order_by("-start_date").first()

    def clean(self):
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": _("The period must end after it starts.")})


def with_current_roles(people):
    """People with their roles in force today prefetched as `current_roles` (one more query),
    so that lists and choice fields can name each person's roles without a query per person."""
    roles = Membership.objects.current().select_related("organization")
    return people.prefetch_related(models.Prefetch("memberships", roles, to_attr="current_roles"))


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Officials see every job; anyone else only the jobs he or she started."""
        if not user.is_authenticated:
            return self.none()
        if user.is_official:
            return self.all()
        return self.filter(started_by=user)

    def for_object(self, obj):
        from django.contrib.contenttypes.models import ContentType

        return self.filter(target_type=ContentType.objects.get_for_model(obj), target_id=obj.pk)

    def unfinished(self):
        return self.filter(status__in=UNFINISHED)


class Job(models.Model):
    """One run of long work (see `jobs.py`): what, for which object, by whom, how far, the result.

    The result is a stored file (downloaded through an access-checked view, never from a public
    media URL) or a link; a failure keeps its reason in Russian for the person who started it.
    """

    kind = models.CharField(_("kind"), max_length=60)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress, %"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    params = models.JSONField(default=dict, blank=True)
    result_file = models.FileField(upload_to="jobs/%Y/%m/", max_length=300, blank=True)
    result_name = models.CharField(max_length=255, blank=True)
    result_url = models.CharField(max_length=500, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("started by"),
    )
    target_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, null=True, blank=True
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "kind"], name="job_target_kind"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_at_most_100"),
        ]

    def __str__(self):
        return f"{self.label} · {self.get_status_display()}"

    @property
    def label(self) -> str:
        """What the job does, in words (from the registry of `jobs.py`)."""
        from .jobs import kind_label

        return kind_label(self.kind)

    @property
    def is_finished(self) -> bool:
        return self.status not in UNFINISHED

    @property
    def is_done(self) -> bool:
        return self.status == JobStatus.DONE
