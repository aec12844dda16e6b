"""Forms of the base site, agreement, matching, internship and analytics pages: fields and
widgets only — the rules live in `sites.py`, `agreements.py`, `assignment.py`."""

from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trajectories.models import Competency
from zelenchuk_portal.forms import CrispyMixin, DateInput, PersonLabelMixin, RevisionMixin
from zelenchuk_portal.models import Membership, Organization, Period, User, with_current_roles

from .models import Agreement, BaseSite, Form
from .sites import mentor_memberships, staff


class PeopleField(PersonLabelMixin, forms.ModelMultipleChoiceField):
    """People named with their current roles, so that namesakes can be told apart."""


class PersonField(PersonLabelMixin, forms.ModelChoiceField):
    pass


def trainee_candidates():
    """People who may be trainees: anyone with a role in an organisation today (heads, reserve
    candidates, other staff in the registry)."""
    working = Membership.objects.current().filter(organization__isnull=False)
    people = User.objects.filter(is_active=True, pk__in=working.values("user_id"))
    return with_current_roles(people.order_by("last_name", "first_name", "patronymic"))


def mentor_candidates():
    """Current mentor-role holders at active base sites."""
    holders = mentor_memberships().filter(organization__base_site__is_active=True)
    people = User.objects.filter(is_active=True, pk__in=holders.values("user_id"))
    return with_current_roles(people.order_by("last_name", "first_name", "patronymic"))


class SiteOrganizationForm(CrispyMixin, forms.Form):
    """The first step of designating: which organisation."""

    organization = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organization.objects.active().exclude(base_site__is_active=True),
    )


class SiteForm(RevisionMixin, CrispyMixin, forms.Form):
    """A site's details and mentors; `record=` the site being edited (or re-designated)."""

    designated_on = forms.DateField(label=_("Designated on"), widget=DateInput())
    order = forms.CharField(label=_("Order No."), max_length=50, required=False)
    themes = forms.CharField(
        label=_("Themes it can host"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One theme per line."),
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=999,
        help_text=_("How many trainees it can host at the same time."),
    )
    mentors = PeopleField(
        label=_("Mentors"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("People working in the organisation; they get the mentor role from today."),
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentors"].queryset = with_current_roles(staff(organization))
        self.fields["designated_on"].initial = timezone.localdate()


class AgreementForm(RevisionMixin, CrispyMixin, forms.Form):
    number = forms.CharField(label=_("Agreement No."), max_length=50)
    signed_on = forms.DateField(label=_("Date"), widget=DateInput())
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput())
    base_site = forms.ModelChoiceField(
        label=_("Mentor's base site"), queryset=BaseSite.objects.none()
    )
    host_organization = forms.ModelChoiceField(
        label=_("Internship site"),
        queryset=Organization.objects.active(),
        help_text=_("Usually the base site itself."),
    )
    trainee_organization = forms.ModelChoiceField(
        label=_("Trainee's organisation"), queryset=Organization.objects.active()
    )
    other_parties = forms.CharField(
        label=_("Other parties"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("The signed agreement: PDF, DOCX, ODT or a scan (JPEG, PNG), up to 15 MB."),
    )

    def __init__(self, *args, agreement: Agreement | None = None, **kwargs):
        kwargs.setdefault("record", agreement)
        super().__init__(*args, **kwargs)
        sites = BaseSite.objects.filter(is_active=True)
        organizations = Organization.objects.active()
        if agreement is not None:  # a closed party or an inactive site stays choosable
            sites = sites | BaseSite.objects.filter(pk=agreement.base_site_id)
            parties = [agreement.host_organization_id, agreement.trainee_organization_id]
            organizations = organizations | Organization.objects.filter(pk__in=parties)
        self.fields["base_site"].queryset = sites.select_related("organization").order_by(
            "organization__short_name"
        )
        for name in ("host_organization", "trainee_organization"):
            self.fields[name].queryset = organizations.order_by("short_name")


class MatchForm(CrispyMixin, forms.Form):
    person = PersonField(label=_("Trainee"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = trainee_candidates()


class AgreementChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, agreement):
        site = agreement.base_site.organization.short_name
        term = f"{agreement.valid_from:%d.%m.%Y}–{agreement.valid_until:%d.%m.%Y}"
        label = f"{agreement} · {site} · {term}"
        if agreement.is_expired():
            label += f" ({_('expired')})"
        return label


class CompetencyField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, competency):
        return f"{competency.code} {competency.name}"


class InternshipForm(RevisionMixin, CrispyMixin, forms.Form):
    """A new internship: its revision is always 0 (`RevisionMixin`), the record is stamped with
    who created it."""

    theme = forms.CharField(label=_("Theme"), max_length=400)
    form = forms.ChoiceField(label=_("Form"), choices=Form.choices)
    start_date = forms.DateField(label=_("Start"), widget=DateInput())
    end_date = forms.DateField(label=_("End"), widget=DateInput())
    base_site = forms.ModelChoiceField(label=_("Base site"), queryset=BaseSite.objects.none())
    mentor = PersonField(label=_("Mentor"), queryset=User.objects.none())
    trainees = PeopleField(
        label=_("Trainees"),
        queryset=User.objects.none(),
        help_text=_("One trainee; several for a group internship (hold Ctrl to choose more)."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    agreement = AgreementChoiceField(
        label=_("Agreement"), queryset=Agreement.objects.none(), required=False
    )
    competencies = CompetencyField(
        label=_("Competencies the internship develops"),
        queryset=Competency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        # The trainees already chosen head the long list of the district's people, so that the
        # choice made on the matching page is seen at once.
        chosen = [pk for pk in self.initial.get("trainees", []) if str(pk).isdigit()]
        fields["base_site"].queryset = (
            BaseSite.objects.filter(is_active=True)
            .select_related("organization")
            .order_by("organization__short_name")
        )
        fields["mentor"].queryset = mentor_candidates()
        fields["trainees"].queryset = trainee_candidates().order_by(
            Case(When(pk__in=chosen, then=Value(0)), default=Value(1), output_field=IntegerField()),
            "last_name",
            "first_name",
            "patronymic",
        )
        fields["agreement"].queryset = Agreement.objects.select_related(
            "base_site__organization"
        ).order_by("-signed_on", "number")
        fields["competencies"].queryset = Competency.objects.order_by("position")


class AnalyticsFilterForm(CrispyMixin, forms.Form):
    """The span of days: a reporting period, or dates from–to."""

    period = forms.ModelChoiceField(
        label=_("Period"), queryset=Period.objects.order_by("-start_date"), required=False
    )
    date_from = forms.DateField(label=_("From"), widget=DateInput(), required=False)
    date_to = forms.DateField(label=_("To"), widget=DateInput(), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the span is before its start."))
        return data

    def span(self, default: tuple) -> tuple:
        """(start, end): the chosen dates, else the chosen period's, else `default`."""
        if not self.is_valid():
            return default
        data = self.cleaned_data
        if data["date_from"] or data["date_to"]:
            start, end = data["date_from"] or default[0], data["date_to"] or default[1]
            return (start, end) if start <= end else default
        if data["period"]:
            return data["period"].start_date, data["period"].end_date
        return default
