"""Monitoring: methodology versions, values with provenance, imports, self-reports and scores."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from zelenchuk_portal.concurrency import Revisioned
from zelenchuk_portal.models import Organization, Period

from .catalogue import (
    LEVEL_LABELS,
    Catalogue,
    IndicatorDef,
    InputDef,
)


class MethodologyVersion(models.Model):
    """One complete methodology: inputs, indicators, weights and level cut-offs.

    Versions are never edited in place once a period uses them: an official's change creates a
    new version, so a closed period's scores stay exactly as computed.
    """

    name = models.CharField(_("name"), max_length=200)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("based on")
    )
    comment = models.TextField(_("what changed"), blank=True)
    weight_a = models.DecimalField(_("weight of group A"), max_digits=4, decimal_places=2)
    weight_b = models.DecimalField(_("weight of group B"), max_digits=4, decimal_places=2)
    cutoff_high = models.DecimalField(_("«high» from"), max_digits=5, decimal_places=1)
    cutoff_optimal = models.DecimalField(_("«optimal» from"), max_digits=5, decimal_places=1)
    cutoff_acceptable = models.DecimalField(_("«acceptable» from"), max_digits=5, decimal_places=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("methodology version")
        verbose_name_plural = _("methodology versions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cutoff_high__gt=models.F("cutoff_optimal"))
                & Q(cutoff_optimal__gt=models.F("cutoff_acceptable")),
                name="methodology_cutoffs_decrease",
            ),
        ]

    def __str__(self):
        return self.name

    @cached_property
    def indicator_codes(self) -> list[str]:
        """Indicator codes in the order the version's scores store their results."""
        return list(self.indicators.values_list("code", flat=True))

    @cached_property
    def catalogue(self) -> Catalogue:
        """This version as the plain data that scoring and validation work on."""
        return Catalogue(
            inputs=tuple(row.as_def() for row in self.inputs.all()),
            indicators=tuple(row.as_def() for row in self.indicators.all()),
            weight_a=float(self.weight_a),
            weight_b=float(self.weight_b),
            cutoffs={
                "high": float(self.cutoff_high),
                "optimal": float(self.cutoff_optimal),
                "acceptable": float(self.cutoff_acceptable),
            },
        )


class InputField(models.Model):
    version = models.ForeignKey(MethodologyVersion, on_delete=models.CASCADE, related_name="inputs")
    position = models.PositiveIntegerField()
    code = models.CharField(max_length=60)
    label = models.CharField(max_length=300)
    type = models.CharField(max_length=10)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    scope = models.CharField(max_length=10)
    source = models.CharField(max_length=30)
    provided_by = models.CharField(max_length=20)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="input_code_unique_in_version")
        ]

    def __str__(self):
        return self.code

    def as_def(self) -> InputDef:
        return InputDef(
            code=self.code,
            label=self.label,
            type=self.type,
            min=self.min_value,
            max=self.max_value,
            scope=self.scope,
            source=self.source,
            provided_by=self.provided_by,
        )


class Indicator(models.Model):
    version = models.ForeignKey(
        MethodologyVersion, on_delete=models.CASCADE, related_name="indicators"
    )
    position = models.PositiveIntegerField()
    code = models.CharField(max_length=10)
    subgroup = models.CharField(max_length=4)
    name = models.CharField(max_length=400)
    formula = models.CharField(max_length=400)
    unit = models.CharField(max_length=20)
    direction = models.CharField(max_length=10)
    applies_to = models.CharField(max_length=60)
    rule = models.CharField(max_length=12)
    params = models.CharField(max_length=200, blank=True)
    ref_input = models.CharField(max_length=60, blank=True)
    min_n = models.CharField(max_length=80, blank=True)
    if_zero_den = models.FloatField(null=True, blank=True)
    critical = models.BooleanField(default=False)
    gate = models.CharField(max_length=20, blank=True)
    sources = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "code"], name="indicator_code_unique_in_version"
            )
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def as_def(self) -> IndicatorDef:
        return IndicatorDef(
            code=self.code,
            subgroup=self.subgroup,
            name=self.name,
            formula=self.formula,
            unit=self.unit,
            direction=self.direction,
            applies_to=tuple(t for t in self.applies_to.split(",") if t),
            rule=self.rule,
            params=self.params,
            ref_input=self.ref_input,
            min_n=self.min_n,
            if_zero_den=self.if_zero_den,
            critical=self.critical,
            gate=self.gate,
            sources=tuple(s for s in self.sources.split(",") if s),
        )


class PeriodMethodology(models.Model):
    """Which methodology version a period is scored with."""

    period = models.OneToOneField(Period, on_delete=models.PROTECT, related_name="methodology_link")
    version = models.ForeignKey(
        MethodologyVersion, on_delete=models.PROTECT, related_name="periods"
    )

    def __str__(self):
        return f"{self.period}: {self.version}"


class PeriodEvent(models.Model):
    """Closing and reopening a period, with who, when and why."""

    class Action(models.TextChoices):
        CLOSE = "close", _("closed")
        REOPEN = "reopen", _("reopened")

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.period}: {self.get_action_display()}"


class Source(models.TextChoices):
    IMPORT = "import", _("Excel import")
    OFFICIAL = "official", _("entered by an official")
    PRINCIPAL = "principal", _("head's self-report")


class ImportRecord(models.Model):
    """One upload of an Excel file: previewed first, applied once confirmed."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("awaiting confirmation")
        APPLIED = "applied", _("applied")
        REJECTED = "rejected", _("rejected: errors")
        DISCARDED = "discarded", _("discarded")

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="imports")
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    file_name = models.CharField(_("file"), max_length=255)
    checksum = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    rows = models.PositiveIntegerField(default=0)
    values_new = models.PositiveIntegerField(default=0)
    values_changed = models.PositiveIntegerField(default=0)
    values_unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # What validation found (all errors at once) and what would change: shown on the import's
    # page and offered as an Excel file, so the official can fix the workbook in one pass.
    issues = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    changes_preview = models.JSONField(default=list, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.file_name


class Value(models.Model):
    """The current value of one input for one organisation (or for the period) in a period.

    Missing is the absence of a row, never 0. Every row says where it came from.

    A region's import writes millions of these rows, so the only indexes are the unique ones
    (which also serve every lookup by period and organisation), and the foreign keys are not
    checked by database triggers: with them, PostgreSQL queued a trigger event per key per row
    and spent 20 times longer checking than writing. The rows are written only by
    `values.write_values`, with ids taken from the registry in the same transaction, and Django
    still refuses to delete a period, organisation or person that values refer to (PROTECT).
    """

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="values", db_index=False, db_constraint=False
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        related_name="values",
    )
    input_code = models.CharField(max_length=60)
    value = models.DecimalField(max_digits=16, decimal_places=4)
    source = models.CharField(max_length=10, choices=Source.choices)
    import_record = models.ForeignKey(
        ImportRecord,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        related_name="+",
    )
    sheet = models.CharField(max_length=60, blank=True)
    row = models.PositiveIntegerField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        related_name="+",
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        related_name="+",
    )
    reason = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "organization", "input_code"],
                condition=Q(organization__isnull=False),
                name="value_unique_per_org",
            ),
            models.UniqueConstraint(
                fields=["period", "input_code"],
                condition=Q(organization__isnull=True),
                name="value_unique_per_period",
            ),
        ]

    def __str__(self):
        return f"{self.input_code}={self.value}"


class ValueChange(models.Model):
    """History of a value: every write that changed it, with the previous value."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, db_index=False, db_constraint=False, related_name="+"
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        related_name="+",
    )
    input_code = models.CharField(max_length=60)
    old_value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    new_value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    import_record = models.ForeignKey(
        ImportRecord,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        related_name="changes",
    )
    sheet = models.CharField(max_length=60, blank=True)
    row = models.PositiveIntegerField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        related_name="+",
    )
    reason = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["period", "organization", "input_code"], name="change_lookup")
        ]

    def __str__(self):
        return f"{self.input_code}: {self.old_value} → {self.new_value}"


class SelfReport(Revisioned):
    """A head's self-report for a period: the inputs marked `principal`, with evidence."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted, awaiting review")
        ACCEPTED = "accepted", _("accepted")
        RETURNED = "returned", _("returned for correction")

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="self_reports")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="self_reports"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    values = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    # Every submission and review, oldest first: {"at", "by", "status", "comment"}.
    history = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("self-report")
        verbose_name_plural = _("self-reports")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "organization"], name="self_report_unique_per_period"
            )
        ]

    def __str__(self):
        return f"{self.organization} · {self.period}"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    def decimal_values(self) -> dict[str, Decimal]:
        return {code: Decimal(str(v)) for code, v in self.values.items() if v is not None}


class Evidence(models.Model):
    """A file a head attaches to a self-report as proof."""

    report = models.ForeignKey(SelfReport, on_delete=models.PROTECT, related_name="evidence")
    input_code = models.CharField(max_length=60, blank=True)
    file = models.FileField(upload_to="evidence/%Y/%m/", max_length=300)
    file_name = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.file_name


class ScoringRun(models.Model):
    """One recomputation of a period's scores: when, why, by whom, with which methodology."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="scoring_runs")
    version = models.ForeignKey(MethodologyVersion, on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(max_length=40)
    organizations = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.period} · {self.trigger} · {self.at:%d.%m.%Y %H:%M}"


class Level(models.TextChoices):
    HIGH = "high", LEVEL_LABELS["high"]
    OPTIMAL = "optimal", LEVEL_LABELS["optimal"]
    ACCEPTABLE = "acceptable", LEVEL_LABELS["acceptable"]
    CRITICAL = "critical", LEVEL_LABELS["critical"]


class Score(models.Model):
    """A head's score for a period, as computed by `scoring.compute_scores`.

    The 49 indicator results live in `indicators` (in `scoring.PAYLOAD_FIELDS` layout; read them
    through `results`) rather than in 49 rows, so that storing a period for 40,000
    organisations stays one bulk insert.
    """

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="scores")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="scores")
    version = models.ForeignKey(MethodologyVersion, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(ScoringRun, on_delete=models.PROTECT, related_name="scores")
    index = models.FloatField(null=True, blank=True)
    level = models.CharField(max_length=12, choices=Level.choices, blank=True)
    group_a = models.FloatField(null=True, blank=True)
    group_b = models.FloatField(null=True, blank=True)
    a1 = models.FloatField(null=True, blank=True)
    a2 = models.FloatField(null=True, blank=True)
    b1 = models.FloatField(null=True, blank=True)
    b2 = models.FloatField(null=True, blank=True)
    b3 = models.FloatField(null=True, blank=True)
    b4 = models.FloatField(null=True, blank=True)
    b5 = models.FloatField(null=True, blank=True)
    preliminary = models.BooleanField(default=False)
    index_change = models.FloatField(null=True, blank=True)
    risk_flags = models.JSONField(default=list, blank=True)
    indicators = models.JSONField(default=dict, blank=True)
    outliers = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "organization"], name="score_unique")
        ]
        indexes = [models.Index(fields=["period", "level"], name="score_period_level")]

    def __str__(self):
        return f"{self.organization} · {self.period}: {self.index}"

    def subgroup(self, code: str) -> float | None:
        return getattr(self, code.lower())

    @cached_property
    def results(self) -> dict[str, list]:
        """{indicator code: [value, status, points, gated, risk]} from the stored layout."""
        from .scoring import unpack_payload

        return unpack_payload(self.indicators, self.version.indicator_codes)


class ScoreSummary(models.Model):
    """A period's scores taken as a whole, for one type of organisation or all ("").

    Written by `scoring.score_period` with the scores, so that the pages of a large district read
    a few rows instead of every score (`summaries.py` says what `data` holds).
    """

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="score_summaries")
    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="+")
    org_type = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "org_type"], name="score_summary_unique")
        ]

    def __str__(self):
        return f"{self.period} · {self.org_type or '*'}"


# --- The management cycle: recommendations, measures, decisions ---------------------------------


class ConditionKind(models.TextChoices):
    INDICATOR_POINTS = "indicator_points", _("an indicator scores at most N points")
    SUBGROUP_BELOW = "subgroup_below", _("a subgroup scores below a threshold")
    LEVEL = "level", _("the effectiveness level is")
    FALLING = "falling", _("the index is falling")
    RISK_FLAG = "risk_flag", _("a risk flag is raised")
    DEFICIT = "deficit", _("a confirmed professional deficit")


class RecommendationRule(models.Model):
    """A rule of the district's library: a condition on a head's results → a recommendation."""

    title = models.CharField(_("title"), max_length=200)
    condition = models.CharField(_("condition"), max_length=20, choices=ConditionKind.choices)
    indicator_code = models.CharField(_("indicator"), max_length=10, blank=True)
    subgroup = models.CharField(_("subgroup"), max_length=4, blank=True)
    threshold = models.FloatField(
        _("threshold"),
        null=True,
        blank=True,
        help_text=_("Points for an indicator (0 or 1), or a subgroup score in %."),
    )
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, blank=True)
    risk_kind = models.CharField(_("risk flag"), max_length=20, blank=True)
    periods_running = models.PositiveSmallIntegerField(
        _("periods running"),
        default=1,
        help_text=_("For a falling index: 1 — falling this period; 2 — this and the previous one."),
    )
    deficit_code = models.CharField(
        _("competency"),
        max_length=10,
        blank=True,
        help_text=_("A block (e.g. 2) or an item (e.g. 2.3) of the competency framework."),
    )
    text = models.TextField(_("recommendation to the head"))
    measures = models.TextField(_("suggested measures"), blank=True)
    owner = models.CharField(_("default owner"), max_length=200, blank=True)
    days = models.PositiveIntegerField(
        _("deadline, days after issue"), default=90, help_text=_("The default deadline.")
    )
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("recommendation rule")
        verbose_name_plural = _("recommendation rules")
        ordering = ["position", "id"]

    def __str__(self):
        return self.title


class Recommendation(Revisioned):
    """The targeted recommendations to one head for one period (one letter)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ISSUED = "issued", _("issued")

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="recommendations")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="recommendations"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField(_("outgoing number"), max_length=40, blank=True)
    issued_at = models.DateField(_("issued on"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Rules already drafted into this letter: an item the official removed is not drafted again.
    drafted_rules = models.JSONField(default=list, blank=True)
    # Every issue and withdrawal, oldest first: {"at", "by", "action", "number", "date", "reason"}.
    history = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("targeted recommendations")
        verbose_name_plural = _("targeted recommendations")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "organization"], name="recommendation_unique_per_period"
            )
        ]

    def __str__(self):
        return f"{self.organization} · {self.period}"


class RecommendationItem(models.Model):
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="items"
    )
    rule = models.ForeignKey(
        RecommendationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("why"), max_length=300, blank=True)
    text = models.TextField(_("recommendation"))
    measures = models.TextField(_("suggested measures"), blank=True)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text[:80]


class MeasureKind(models.TextChoices):
    SEMINAR = "seminar", _("seminar")
    WEBINAR = "webinar", _("webinar")
    COURSE = "course", _("course (further training)")
    MASTER_CLASS = "master_class", _("master class")
    LANDING = "landing", _("«pedagogical landing»")
    CONTEST = "contest", _("contest or olympiad for heads")
    NETWORK = "network", _("network association")
    OTHER = "other", _("other")


class Measure(Revisioned):
    """A measure or event of the district for heads (меры, мероприятия)."""

    kind = models.CharField(_("kind"), max_length=20, choices=MeasureKind.choices)
    title = models.CharField(_("title"), max_length=300)
    period = models.ForeignKey(
        Period, null=True, blank=True, on_delete=models.PROTECT, related_name="measures"
    )
    starts_on = models.DateField(_("date"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    organiser = models.CharField(_("organiser"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    organizations = models.ManyToManyField(
        Organization, blank=True, related_name="measures", verbose_name=_("organisations")
    )
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="measures",
        verbose_name=_("participants"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures and events")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="measure_ends_after_start",
            )
        ]

    def __str__(self):
        return self.title


class MeasureMaterial(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="materials")
    file = models.FileField(upload_to="measures/%Y/%m/", max_length=300)
    file_name = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    def __str__(self):
        return self.file_name


class DecisionKind(models.TextChoices):
    INCENTIVE = "incentive", _("incentive payment")
    PROGRAMME = "programme", _("inclusion in a development programme or priority project")
    RESOURCES = "resources", _("allocation of resources")
    TRAINING = "training", _("assignment to courses, an internship or a mentor")
    ATTESTATION = "attestation", _("attestation")
    RESERVE = "reserve", _("enrolment into or removal from the reserve")
    INTERVIEW = "interview", _("interview with the head")
    OTHER = "other", _("other")


class Decision(Revisioned):
    """A management decision of the office taken on the monitoring results."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="decisions")
    number = models.CharField(_("order number"), max_length=40)
    date = models.DateField(_("order date"))
    kind = models.CharField(_("kind"), max_length=20, choices=DecisionKind.choices)
    title = models.CharField(_("decision"), max_length=400)
    description = models.TextField(_("details"), blank=True)
    organizations = models.ManyToManyField(
        Organization, blank=True, related_name="decisions", verbose_name=_("organisations")
    )
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="decisions", verbose_name=_("people")
    )
    indicator_codes = models.JSONField(_("targeted indicators"), default=list, blank=True)
    owner = models.CharField(_("owner"), max_length=200)
    due_date = models.DateField(_("due date"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    recommendation = models.ForeignKey(
        Recommendation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
        verbose_name=_("answers the recommendations"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("management decision")
        verbose_name_plural = _("management decisions")
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"№ {self.number} от {self.date:%d.%m.%Y}: {self.title}"


class DecisionNote(models.Model):
    """A comment on a decision, or a change of its status, with who and when."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="notes")
    status = models.CharField(max_length=12, choices=Decision.Status.choices, blank=True)
    text = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return self.text[:60] or self.status


class DecisionEvidence(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="decisions/%Y/%m/", max_length=300)
    file_name = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    def __str__(self):
        return self.file_name


class DecisionBaseline(models.Model):
    """A targeted indicator's value for an organisation when the decision was recorded."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="baselines")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    indicator_code = models.CharField(max_length=10)
    value = models.FloatField(null=True, blank=True)
    points = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "organization", "indicator_code"], name="baseline_unique"
            )
        ]

    def __str__(self):
        return f"{self.indicator_code}: {self.value}"
