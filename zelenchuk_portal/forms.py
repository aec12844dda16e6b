from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from .concurrency import NEW, out_of_date_message
from .models import Area, Membership, Organization, OrganizationType, Period, User


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CrispyMixin:
    """Renders the form with crispy-bootstrap5; templates add the <form> tag and buttons."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class RevisionMixin:
    """A hidden `base_revision` field: the revision of the record the form was opened on.

    The domain function that saves the form passes `form.base_revision` to
    `concurrency.claim`, which refuses the save when somebody saved the record in between. The
    record is the model form's instance, or `record=` for a plain form (a status move, a
    self-report); `revision=` gives the token directly for records that are not `Revisioned`
    (a monitoring value). A form opened on a record that does not exist yet carries 0.

    A request without the field at all comes from a client that knows nothing of revisions (a
    script, a page opened before they existed): its save is compared with nothing, like a
    command's. A field that is there but not a revision makes the form out of date (refused).
    """

    def __init__(self, *args, record=None, revision=None, **kwargs):
        super().__init__(*args, **kwargs)
        if revision is None:
            record = record if record is not None else getattr(self, "instance", None)
            stored = record is not None and record.pk is not None and not record._state.adding
            revision = record.revision if stored else NEW
        self.fields["base_revision"] = forms.CharField(
            widget=forms.HiddenInput, required=False, initial=revision
        )
        self.out_of_date = False

    def clean_base_revision(self) -> int | None:
        raw = self.data.get(self.add_prefix("base_revision")) if self.is_bound else None
        if raw is None:
            return None
        if not str(raw).strip().isdigit():
            # The message goes to the form's top: an error on a hidden field has no place.
            self.out_of_date = True
            self.add_error(None, forms.ValidationError(out_of_date_message(), code="conflict"))
            return None
        return int(raw)

    @property
    def base_revision(self) -> int | None:
        """The revision the form was opened on (None: not given, or before validation)."""
        return getattr(self, "cleaned_data", {}).get("base_revision")

    def refuse(self, error) -> None:
        """Show a refusal (a `ConflictError`…) at the form's top, once."""
        for message in error.messages:
            if message not in self.non_field_errors():
                self.add_error(None, message)

    def renew(self, revision: int) -> None:
        """After a save that kept the page on screen (a draft stored, a submission refused):
        the page must carry the new revision, or its next save would clash with itself."""
        self.data = self.data.copy()
        self.data[self.add_prefix("base_revision")] = revision


class PersonLabelMixin:
    """Choice fields name a person with his or her current roles, so namesakes can be told
    apart (the queryset comes from `models.with_current_roles`)."""

    def label_from_instance(self, person):
        roles = ", ".join(
            f"{m.get_role_display()}{f' — {m.organization.short_name}' if m.organization else ''}"
            for m in getattr(person, "current_roles", [])
        )
        return f"{person.full_name or person.username}{f' ({roles})' if roles else ''}"


class OrganizationFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or code"), required=False)
    org_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *OrganizationType.choices]
    )
    settlement = forms.ChoiceField(label=_("Settlement"), required=False)
    area = forms.ChoiceField(
        label=_("Area"), required=False, choices=[("", _("Urban and rural")), *Area.choices]
    )
    show_inactive = forms.BooleanField(label=_("Show inactive"), required=False)

    def __init__(self, *args, settlements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["settlement"].choices = [("", _("All settlements"))] + [
            (s, s) for s in settlements
        ]

    def filter(self, queryset):
        if not self.is_valid():
            return queryset.active()
        data = self.cleaned_data
        if not data["show_inactive"]:
            queryset = queryset.active()
        if data["q"]:
            queryset = queryset.filter(short_name__icontains=data["q"]) | queryset.filter(
                code__iexact=data["q"].strip()
            )
        for field in ("org_type", "settlement", "area"):
            if data[field]:
                queryset = queryset.filter(**{field: data[field]})
        return queryset


class OrganizationForm(RevisionMixin, CrispyMixin, forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "code",
            "short_name",
            "full_name",
            "org_type",
            "settlement",
            "area",
            "address",
            "is_active",
        ]


class PersonForm(RevisionMixin, CrispyMixin, forms.ModelForm):
    """Create or edit a person; a new person gets an initial password to pass on."""

    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("Give it to the person; he or she can change it after signing in."),
    )

    class Meta:
        model = User
        fields = [
            "last_name",
            "first_name",
            "patronymic",
            "username",
            "birth_date",
            "email",
            "phone",
            "is_active",
        ]
        widgets = {"birth_date": DateInput()}
        labels = {"username": _("Login")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["last_name"].required = True
        self.fields["first_name"].required = True
        if self.instance.pk:
            del self.fields["password"]
        else:
            self.fields["password"].required = True

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password, self.instance)
        return password

    def save(self, commit=True):
        user = super().save(commit=False)
        if "password" in self.cleaned_data:
            user.set_password(self.cleaned_data["password"])
        if commit:
            user.save()
        return user


class MembershipForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "organization", "position", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.active()

    def clean(self):
        data = super().clean()
        # The database refuses a second open copy of a role; say so before it does.
        duplicate = Membership.objects.filter(
            user=self.instance.user_id,
            role=data.get("role"),
            organization=data.get("organization"),
            end_date__isnull=True,
        ).exclude(pk=self.instance.pk)
        if not data.get("end_date") and duplicate.exists():
            raise forms.ValidationError(_("This person already holds this role here."))
        return data


class PeriodForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = Period
        fields = ["label", "start_date", "end_date", "monitoring_end"]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "monitoring_end": DateInput(),
        }
