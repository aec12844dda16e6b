"""Forms of the measures and decisions pages: fields and their widgets; the rules live in
`decisions.py` and `measures.py`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zelenchuk_portal.forms import CrispyMixin, DateInput, PersonLabelMixin, RevisionMixin
from zelenchuk_portal.models import (
    Organization,
    OrganizationType,
    Period,
    User,
    with_current_roles,
)

from .catalogue import SUBGROUPS
from .decisions import catalogue_codes, decision_errors
from .measures import measure_errors
from .methodology import version_for
from .models import Decision, DecisionKind, Measure, MeasureKind, Recommendation

MULTI_SIZE = 10
MULTI_HELP = _("Hold Ctrl (⌘ on a Mac) to choose several; type the first letters to jump.")


def organization_choices(organizations) -> list:
    """Organisations grouped by type, for a <select multiple> with <optgroup>s."""
    groups: dict[str, list] = {}
    for org in organizations:
        groups.setdefault(org.org_type, []).append((org.pk, org.short_name))
    return [(label, groups[kind]) for kind, label in OrganizationType.choices if kind in groups]


class PersonChoiceField(PersonLabelMixin, forms.ModelMultipleChoiceField):
    """People named with their current roles, so that two namesakes can be told apart."""


def people_queryset():
    return with_current_roles(User.objects.filter(is_active=True))


class ParticipantsMixin:
    """Organisations (grouped by type) and people as plain multiple selects."""

    def _setup_participants(self):
        organizations = Organization.objects.active()
        if self.instance.pk:  # keep an organisation chosen before it closed
            organizations = organizations | Organization.objects.filter(
                pk__in=self.instance.organizations.values("pk")
            )
        organizations = list(organizations.order_by("org_type", "short_name"))
        field = self.fields["organizations"]
        field.queryset = Organization.objects.filter(pk__in=[o.pk for o in organizations])
        field.choices = organization_choices(organizations)
        field.widget.attrs["size"] = MULTI_SIZE
        field.help_text = MULTI_HELP
        people = self.fields["people"]
        people.widget.attrs["size"] = MULTI_SIZE
        people.help_text = MULTI_HELP


class MeasureFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *MeasureKind.choices]
    )
    period = forms.ModelChoiceField(
        label=_("Period"), required=False, queryset=Period.objects.all(), empty_label=_("All")
    )
    organization = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organization.objects.none(),
        empty_label=_("All"),
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations

    def filter(self, measures):
        if not self.is_valid():
            return measures
        data = self.cleaned_data
        if data["kind"]:
            measures = measures.filter(kind=data["kind"])
        if data["period"]:
            measures = measures.filter(period=data["period"])
        if data["organization"]:
            links = Measure.organizations.through.objects.filter(organization=data["organization"])
            measures = measures.filter(pk__in=links.values("measure_id"))
        return measures


class MeasureForm(RevisionMixin, ParticipantsMixin, CrispyMixin, forms.ModelForm):
    people = PersonChoiceField(
        label=_("Participants"), required=False, queryset=User.objects.none()
    )

    class Meta:
        model = Measure
        fields = [
            "kind",
            "title",
            "period",
            "starts_on",
            "ends_on",
            "organiser",
            "description",
            "organizations",
            "people",
        ]
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {
            "period": _("Monitoring period"),
            "starts_on": _("Starts on"),
            "ends_on": _("Ends on"),
            "organizations": _("Participating organisations"),
        }
        help_texts = {"ends_on": _("Leave empty for a one-day event.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people_queryset()
        self._setup_participants()

    def clean(self):
        data = super().clean()
        dates = Measure(starts_on=data.get("starts_on"), ends_on=data.get("ends_on"))
        for name, messages in measure_errors(dates).items():
            if name not in self.errors:
                self.add_error(name, messages)
        return data


class FileForm(CrispyMixin, forms.Form):
    file = forms.FileField(label=_("File"))


class DecisionFilterForm(forms.Form):
    period = forms.ModelChoiceField(
        label=_("Period"), required=False, queryset=Period.objects.all(), empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *Decision.Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *DecisionKind.choices]
    )
    organization = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organization.objects.none(),
        empty_label=_("All"),
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations

    def filter(self, decisions):
        if not self.is_valid():
            return decisions
        data = self.cleaned_data
        for name in ("period", "status", "kind"):
            if data[name]:
                decisions = decisions.filter(**{name: data[name]})
        if data["organization"]:
            links = Decision.organizations.through.objects.filter(organization=data["organization"])
            decisions = decisions.filter(pk__in=links.values("decision_id"))
        if data["overdue"]:
            decisions = decisions.filter(is_overdue=True)
        return decisions


class RecommendationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, recommendation):
        label = recommendation.organization.short_name
        if recommendation.status == Recommendation.Status.ISSUED:
            number = f"№ {recommendation.number} " if recommendation.number else ""
            issued = f"{recommendation.issued_at:%d.%m.%Y}" if recommendation.issued_at else ""
            return f"{label}: {number}{issued}".strip()
        return f"{label} ({recommendation.get_status_display()})"


class DecisionForm(RevisionMixin, ParticipantsMixin, CrispyMixin, forms.ModelForm):
    """A decision of a given period: the targeted indicators come from its methodology."""

    people = PersonChoiceField(
        label=_("People concerned"), required=False, queryset=User.objects.none()
    )
    indicator_codes = forms.MultipleChoiceField(
        label=_("Targeted indicators"),
        required=False,
        help_text=_("The indicators the decision should improve: their effect is measured."),
    )
    recommendation = RecommendationChoiceField(
        label=_("Answers the recommendations"),
        required=False,
        queryset=Recommendation.objects.none(),
        empty_label=_("— none —"),
        help_text=_("The targeted recommendations of this period it follows up."),
    )

    class Meta:
        model = Decision
        fields = [
            "number",
            "date",
            "kind",
            "title",
            "description",
            "organizations",
            "people",
            "indicator_codes",
            "owner",
            "due_date",
            "recommendation",
        ]
        widgets = {
            "date": DateInput(),
            "due_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {"organizations": _("Organisations concerned")}

    def __init__(self, *args, period: Period, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.period = period
        self.period = period
        self.fields["people"].queryset = people_queryset()
        self._setup_participants()
        catalogue = version_for(period).catalogue
        by_subgroup: dict[str, list] = {}
        for indicator in catalogue.indicators:
            by_subgroup.setdefault(indicator.subgroup, []).append(
                (indicator.code, f"{indicator.code} {indicator.name}")
            )
        codes = self.fields["indicator_codes"]
        codes.choices = [(sg, by_subgroup[sg]) for sg in SUBGROUPS if sg in by_subgroup]
        codes.widget.attrs["size"] = MULTI_SIZE
        # Unknown codes reach `decision_errors`, which names them (the stock message does not).
        codes.valid_value = lambda value: True
        self.fields["recommendation"].queryset = (
            Recommendation.objects.filter(period=period)
            .select_related("organization")
            .order_by("organization__short_name")
        )

    def clean(self):
        data = super().clean()
        self.instance.date = data.get("date")
        self.instance.due_date = data.get("due_date")
        self.instance.recommendation = data.get("recommendation")
        errors = decision_errors(
            self.instance,
            organizations=list(data.get("organizations") or []),
            people=list(data.get("people") or []),
            indicator_codes=data.get("indicator_codes") or [],
            known_codes=catalogue_codes(self.period),
        )
        for name, messages in errors.items():
            if name not in self.errors:
                self.add_error(name, messages)
        return data


class StatusForm(RevisionMixin, forms.Form):
    """A move of a decision's status, refused when the decision changed since the page opened
    (`record=` the decision)."""

    status = forms.ChoiceField(choices=Decision.Status.choices)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)


class CommentForm(CrispyMixin, forms.Form):
    text = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
