from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

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


class OrganizationForm(CrispyMixin, forms.ModelForm):
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


class PersonForm(CrispyMixin, forms.ModelForm):
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
