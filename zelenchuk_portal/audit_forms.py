"""The audit log's filter form."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .audit import AuditFilters, model_choices
from .forms import DateInput

ACTION_CHOICES = [
    ("", _("All actions")),
    ("created", pgettext_lazy("audit", "created")),
    ("changed", pgettext_lazy("audit", "changed")),
    ("deleted", pgettext_lazy("audit", "deleted")),
    ("viewed", pgettext_lazy("audit", "viewed")),
]


class AuditFilterForm(forms.Form):
    person = forms.CharField(
        label=_("Who"), required=False, max_length=150, help_text=_("Surname or login.")
    )
    model = forms.ChoiceField(label=_("Kind of record"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=ACTION_CHOICES)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    object = forms.CharField(
        label=_("Record"),
        required=False,
        max_length=200,
        help_text=_("Its number (with the kind chosen: with what it owns) or part of its name."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("All kinds")), *model_choices()]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> AuditFilters:
        """The chosen filters; an invalid form filters by its valid fields only."""
        if not self.is_bound:
            return AuditFilters()
        self.is_valid()
        data = self.cleaned_data
        return AuditFilters(
            person=data.get("person") or "",
            model=data.get("model") or "",
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to") if "date_to" in data else None,
            object=data.get("object") or "",
        )
