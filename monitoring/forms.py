import re

from django import forms
from django.utils.translation import gettext_lazy as _

from zelenchuk_portal.forms import CrispyMixin, RevisionMixin

from .catalogue import SUBGROUPS, InputDef

# «(0 — нет, 1 — есть без отчёта, 2 — выполнена на 70 % и более)» in a label lists its choices.
_CHOICE = re.compile(r"(\d+)\s*[—–-]\s*([^,()]+)")


def choices_from_label(item: InputDef) -> list[tuple[str, str]]:
    found = dict(_CHOICE.findall(item.label.partition("(")[2]))
    low, high = int(item.min or 0), int(item.max or 1)
    return [
        (str(n), f"{n} — {found[str(n)].strip()}" if str(n) in found else str(n))
        for n in range(low, high + 1)
    ]


def short_label(item: InputDef) -> str:
    """The label without its list of choices, which the select shows anyway."""
    return item.label.split(" (")[0] if item.type in ("bool", "level") else item.label


def input_field(item: InputDef) -> forms.Field:
    """A form field enforcing an input's type and bounds."""
    common = {"label": short_label(item), "required": False}
    if item.type in ("bool", "level"):
        return forms.TypedChoiceField(
            choices=[("", "—"), *choices_from_label(item)], coerce=int, empty_value=None, **common
        )
    if item.type == "int":
        return forms.IntegerField(min_value=item.min, max_value=item.max, **common)
    return forms.DecimalField(
        min_value=item.min, max_value=item.max, decimal_places=4, localize=True, **common
    )


class SelfReportForm(RevisionMixin, forms.Form):
    """The head's self-report: one field per `principal` input, grouped by subgroup (and the
    hidden revision of the report it was opened on, `record=`)."""

    def __init__(self, *args, items: list[tuple[str, InputDef]], **kwargs):
        super().__init__(*args, **kwargs)
        self.groups: dict[str, list[str]] = {}
        for subgroup, item in sorted(items, key=lambda pair: SUBGROUPS.index(pair[0])):
            self.fields[item.code] = input_field(item)
            self.groups.setdefault(subgroup, []).append(item.code)

    def grouped(self):
        """[(subgroup, [bound fields])] for the template."""
        return [(sg, [self[code] for code in codes]) for sg, codes in self.groups.items()]

    def codes(self) -> list[str]:
        return [code for codes in self.groups.values() for code in codes]

    def raw(self) -> dict[str, str]:
        """What was typed, for a draft (kept even when it is not valid yet)."""
        return {code: self.data.get(code, "").strip() for code in self.codes()}

    def reported(self) -> dict:
        """The valid form's numbers by input code (call after is_valid())."""
        return {code: self.cleaned_data[code] for code in self.codes()}


class EvidenceForm(CrispyMixin, forms.Form):
    file = forms.FileField(label=_("File"))
    input_code = forms.ChoiceField(label=_("Supports"), required=False)

    def __init__(self, *args, items: list[tuple[str, InputDef]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["input_code"].choices = [("", _("the whole report"))] + [
            (item.code, short_label(item)) for _sg, item in items
        ]


class ReviewForm(RevisionMixin, CrispyMixin, forms.Form):
    comment = forms.CharField(
        label=_("Comment for the head"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ReasonForm(CrispyMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class UploadForm(CrispyMixin, forms.Form):
    # An empty file is let through to the import, which says «the file is empty» in its own
    # words and keeps a record of the attempt, like for any other unusable file.
    file = forms.FileField(
        allow_empty_file=True,
        label=_("Filled template (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class CorrectionForm(RevisionMixin, CrispyMixin, forms.Form):
    """An official's correction of one value, always with a reason (and, hidden, the value's
    revision it was opened on: `corrections.value_revision`)."""

    reason = forms.CharField(label=_("Reason for the change"), max_length=500)

    def __init__(self, *args, item: InputDef, **kwargs):
        super().__init__(*args, **kwargs)
        field = input_field(item)
        field.required = True
        self.fields = {"value": field, **self.fields}


class MethodologyForm(CrispyMixin, forms.Form):
    """Thresholds, weights and level cut-offs of an open period's methodology."""

    weight_a = forms.DecimalField(
        label=_("Weight of group A"), min_value=0, max_value=1, decimal_places=2, localize=True
    )
    weight_b = forms.DecimalField(
        label=_("Weight of group B"), min_value=0, max_value=1, decimal_places=2, localize=True
    )
    cutoff_high = forms.DecimalField(
        label=_("«High» level from"), min_value=0, max_value=100, localize=True
    )
    cutoff_optimal = forms.DecimalField(
        label=_("«Optimal» level from"), min_value=0, max_value=100, localize=True
    )
    cutoff_acceptable = forms.DecimalField(
        label=_("«Acceptable» level from"), min_value=0, max_value=100, localize=True
    )
    comment = forms.CharField(
        label=_("What changed and why"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator_codes = []
        for indicator in catalogue.indicators:
            if indicator.rule in ("thresholds", "levels", "info"):
                name = f"params_{indicator.code}"
                self.fields[name] = forms.CharField(
                    label=f"{indicator.code} {indicator.name}",
                    initial=indicator.params,
                    required=indicator.rule != "info",
                    max_length=200,
                )
                self.indicator_codes.append(indicator.code)

    def params(self) -> dict[str, str]:
        return {code: self.cleaned_data[f"params_{code}"] for code in self.indicator_codes}

    def clean(self):
        data = super().clean()
        weights = (data.get("weight_a"), data.get("weight_b"))
        if None not in weights and sum(weights) != 1:
            raise forms.ValidationError(_("The weights of groups A and B must add up to 1."))
        return data
