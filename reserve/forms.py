"""Forms of the reserve's candidate pages: fields and widgets; the rules live in `candidacies.py`.

Domain errors come back keyed by the names of the fields here (`position`, `on`, `comment`…),
so `form.add_error(None, error)` puts each message next to its field.
"""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zelenchuk_portal.forms import CrispyMixin, DateInput, PersonLabelMixin, RevisionMixin
from zelenchuk_portal.models import (
    Membership,
    Organization,
    Period,
    Role,
    User,
    with_current_roles,
)

from .models import Candidacy, ContestLevel, ContestResult, Status


class PersonField(PersonLabelMixin, forms.ModelChoiceField):
    """A person named with his or her current roles, so that namesakes can be told apart."""


def _organizations():
    return Organization.objects.active().order_by("org_type", "short_name")


def _name_matches(word: str) -> Q:
    """A part of the person's name. SQLite folds only ASCII case in LIKE, so the word is also
    tried as typed in a name («хуби» → «Хуби»); PostgreSQL needs none of it."""
    match = Q()
    for variant in {word, word.lower(), word.capitalize()}:
        for field in ("last_name", "first_name", "patronymic"):
            match |= Q(**{f"person__{field}__icontains": variant})
    return match


class CandidacyFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Status.choices]
    )
    organization = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organization.objects.order_by("org_type", "short_name"),
        empty_label=_("All"),
    )
    period = forms.ModelChoiceField(
        label=_("Period of nomination"),
        required=False,
        queryset=Period.objects.order_by("-start_date"),
        empty_label=_("All"),
    )
    awaiting = forms.BooleanField(
        label=_("Awaiting approval"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    q = forms.CharField(label=_("Name"), required=False)

    def __init__(self, *args, choose_organization: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not choose_organization:
            del self.fields["organization"]

    def filter(self, candidacies, *, by_status: bool = True):
        """The candidacies matching the filter (without the status one when `by_status` is
        False: the counts by status at the top of the list are counted that way)."""
        if not self.is_valid():
            return candidacies
        data = self.cleaned_data
        if by_status and data["status"]:
            candidacies = candidacies.filter(status=data["status"])
        if data.get("organization"):
            candidacies = candidacies.filter(organization=data["organization"])
        if data["period"]:
            candidacies = candidacies.filter(period=data["period"])
        if data["awaiting"]:
            candidacies = candidacies.filter(approved_on__isnull=True, status=Status.NOMINEE)
        for word in data["q"].split():
            candidacies = candidacies.filter(_name_matches(word))
        return candidacies


class NominationForm(CrispyMixin, forms.Form):
    """Whom (a person from the registry or a new one entered by name), from where, and why."""

    person = PersonField(
        label=_("A person from the registry"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("— a new person (enter below) —"),
    )
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    patronymic = forms.CharField(label=_("Patronymic"), required=False, max_length=150)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
    organization = forms.ModelChoiceField(
        label=_("Current organisation"), queryset=Organization.objects.none()
    )
    position = forms.CharField(label=_("Current position"), max_length=200)
    management_since = forms.DateField(
        label=_("Managerial experience since"),
        required=False,
        widget=DateInput(),
        help_text=_("The first day in a managerial post (deputy head or head), if any."),
    )
    reason = forms.CharField(
        label=_("Reason for nomination"), widget=forms.Textarea(attrs={"rows": 3})
    )
    target_position = forms.CharField(label=_("Target position"), required=False, max_length=200)
    target_organization = forms.ModelChoiceField(
        label=_("Target organisation"),
        required=False,
        queryset=Organization.objects.none(),
        empty_label=_("— not set —"),
    )
    on = forms.DateField(label=_("Date of nomination"), widget=DateInput())

    NEW_PERSON = ("last_name", "first_name", "patronymic", "birth_date")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        self.fields["target_organization"].queryset = _organizations()
        if user.is_official:
            officials = Membership.objects.current().filter(role=Role.OFFICIAL)
            people = User.objects.filter(is_active=True).exclude(memberships__in=officials)
            self.fields["organization"].queryset = _organizations()
        else:
            # A head nominates his or her own staff: people holding a role in the school.
            headed = user.organizations_as(Role.PRINCIPAL)
            staff = Membership.objects.current().filter(organization__in=headed)
            people = User.objects.filter(is_active=True, memberships__in=staff).exclude(pk=user.pk)
            self.fields["organization"].queryset = headed.order_by("short_name")
            if len(headed) == 1:
                self.fields["organization"].initial = headed[0].pk
                self.fields["organization"].disabled = True
        self.fields["person"].queryset = with_current_roles(
            people.distinct().order_by("last_name", "first_name", "patronymic")
        )

    def clean(self):
        data = super().clean()
        typed = [name for name in self.NEW_PERSON if data.get(name)]
        if data.get("person") and typed:
            raise forms.ValidationError(
                _(
                    "Either choose a person from the registry or enter a new person's name, "
                    "not both."
                )
            )
        if not data.get("person") and not typed:
            raise forms.ValidationError(
                _("Choose a person from the registry or enter the new person's name.")
            )
        if typed:
            for name in ("last_name", "first_name"):
                if not data.get(name):
                    self.add_error(name, _("Enter the new person's name in full."))
        return data

    def nomination(self) -> dict:
        """The nomination's fields as `candidacies.nominate` takes them."""
        names = (
            "organization",
            "position",
            "reason",
            "target_position",
            "target_organization",
            "management_since",
            "on",
        )
        return {name: self.cleaned_data[name] for name in names}

    def new_person(self) -> dict | None:
        if self.cleaned_data.get("person"):
            return None
        return {name: self.cleaned_data[name] for name in self.NEW_PERSON}


class NominationEditForm(RevisionMixin, CrispyMixin, forms.ModelForm):
    class Meta:
        model = Candidacy
        fields = [
            "position",
            "management_since",
            "reason",
            "target_position",
            "target_organization",
        ]
        widgets = {"management_since": DateInput(), "reason": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_organization"].queryset = _organizations()
        self.fields["reason"].required = True


# The forms of the candidate's page carry the candidacy's revision (`record=`): a move made on
# a page opened before somebody else changed the candidacy is refused (`concurrency.claim`).


class ApproveForm(RevisionMixin, forms.Form):
    """Approval of a head's nomination: nothing to fill in but the revision."""


class EnrolForm(RevisionMixin, forms.Form):
    order = forms.CharField(label=_("Enrolment order No."), max_length=50)
    on = forms.DateField(label=_("Date of enrolment"), widget=DateInput())
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_enrol_%s")
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class MoveForm(RevisionMixin, forms.Form):
    """A change of status to `status`: a date and a comment, and for an appointment the post."""

    on = forms.DateField(label=_("Date"), widget=DateInput())
    position = forms.CharField(label=_("Appointed as (position)"), max_length=200)
    organization = forms.ModelChoiceField(
        label=_("Appointed to (organisation)"), queryset=Organization.objects.none()
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, status: str, candidacy: Candidacy, **kwargs):
        kwargs.setdefault("auto_id", f"id_{status}_%s")
        kwargs.setdefault("record", candidacy)
        super().__init__(*args, **kwargs)
        self.status = status
        self.fields["on"].initial = timezone.localdate()
        if status == Status.APPOINTED:
            self.fields["organization"].queryset = _organizations()
            self.fields["organization"].initial = candidacy.target_organization_id
            self.fields["position"].initial = candidacy.target_position
            if candidacy.status != Status.READY:
                self.fields["comment"].label = _("Comment confirming the decision")
                self.fields["comment"].help_text = _(
                    "Required: the candidate is not marked ready for appointment."
                )
        else:
            del self.fields["position"], self.fields["organization"]
        if status == Status.REMOVED:
            self.fields["comment"].label = _("Reason for removal")

    @property
    def label(self) -> str:
        return str(dict(Status.choices)[self.status])


class ReadinessForm(RevisionMixin, forms.Form):
    ready = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda value: value == "1",
        choices=[("1", _("ready for appointment")), ("0", _("not ready yet"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the decision differs from the evidence."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_readiness_%s")
        super().__init__(*args, **kwargs)


class RejectForm(RevisionMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_reject_%s")
        super().__init__(*args, **kwargs)


class TrainingForm(CrispyMixin, forms.Form):
    programme = forms.CharField(label=_("Programme"), max_length=400)
    provider = forms.CharField(label=_("Provider"), max_length=300)
    # No minimum here: `candidacies.add_training` answers a bad number in the reserve's words.
    hours = forms.IntegerField(label=_("Hours"))
    start_date = forms.DateField(label=_("Start"), widget=DateInput())
    end_date = forms.DateField(label=_("End"), widget=DateInput())
    document = forms.FileField(
        label=_("Document (certificate, diploma)"),
        required=False,
        help_text=_("PDF, an image or an office document, up to 15 MB."),
    )

    FIELDS = ("programme", "provider", "hours", "start_date", "end_date")

    @classmethod
    def initial_of(cls, training) -> dict:
        return {name: getattr(training, name) for name in cls.FIELDS}


class ContestForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=_("Contest"), max_length=400)
    level = forms.ChoiceField(label=_("Level"), choices=ContestLevel.choices)
    result = forms.ChoiceField(label=_("Result"), choices=ContestResult.choices)
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
