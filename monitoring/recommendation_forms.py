"""Forms of the recommendations pages: a rule of the library, a letter and its items."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zelenchuk_portal.forms import CrispyMixin, DateInput, RevisionMixin

from .catalogue import SUBGROUPS, Catalogue
from .models import Level, Recommendation, RecommendationItem, RecommendationRule
from .profiles import SUBGROUP_NAMES
from .recommendations import (
    MAX_DEADLINE_DAYS,
    RISK_KINDS,
    deadline_error,
    normalized_condition,
    rule_errors,
)

_LATIN = str.maketrans({"А": "A", "В": "B"})


class RuleForm(CrispyMixin, forms.ModelForm):
    """A rule: its condition (only the fields its kind reads are kept) and what it recommends."""

    indicator_code = forms.CharField(
        label=_("Indicator"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"list": "indicator-codes", "placeholder": "B1.3"}),
        help_text=_(
            "For «an indicator scores at most N points»: an indicator with points (not an "
            "information one). For a risk flag: optional, to react to one indicator only."
        ),
    )
    subgroup = forms.ChoiceField(
        label=_("Subgroup"),
        required=False,
        choices=[("", "—"), *((sg, f"{sg} {SUBGROUP_NAMES[sg]}") for sg in SUBGROUPS)],
    )
    level = forms.ChoiceField(label=_("Level"), required=False, choices=[("", "—"), *Level.choices])
    risk_kind = forms.ChoiceField(
        label=_("Risk flag"), required=False, choices=[("", "—"), *RISK_KINDS.items()]
    )
    threshold = forms.FloatField(
        label=_("Threshold"),
        required=False,
        localize=True,
        help_text=_(
            "An indicator: at most this many points (0 or 1). A subgroup: a score below this, "
            "in %. A falling index: optionally, a fall of at least this many points."
        ),
    )
    periods_running = forms.TypedChoiceField(
        label=_("Falling for"),
        coerce=int,
        choices=[(1, _("this period")), (2, _("two periods running"))],
        initial=1,
        required=False,
        empty_value=1,
    )
    deficit_code = forms.CharField(
        label=_("Competency"),
        required=False,
        max_length=10,
        help_text=_(
            "A block (2) or an item (2.3) of the competency framework. Deficits are confirmed in "
            "the trajectories part of the portal: until it is connected, this condition never "
            "matches."
        ),
    )

    class Meta:
        model = RecommendationRule
        fields = [
            "title",
            "condition",
            "indicator_code",
            "subgroup",
            "threshold",
            "level",
            "periods_running",
            "risk_kind",
            "deficit_code",
            "text",
            "measures",
            "owner",
            "days",
            "position",
            "is_active",
        ]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "measures": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, catalogue: Catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        self.fields["days"].widget.attrs["max"] = MAX_DEADLINE_DAYS  # `rule_errors` enforces it
        self.fields["owner"].help_text = _(
            "For example «руководитель ОО», «заместитель директора по УВР», «управление "
            "образования»."
        )

    def indicator_choices(self):
        """Indicators for the datalist: code, subgroup and name."""
        return [(i.code, i.name, i.rule == "info") for i in self.catalogue.indicators]

    def clean_indicator_code(self):
        # A Cyrillic А or В typed for the Latin letter is the same code.
        return self.cleaned_data["indicator_code"].strip().upper().translate(_LATIN)

    def clean_deficit_code(self):
        return self.cleaned_data["deficit_code"].strip()

    def clean(self):
        data = super().clean()
        if "condition" not in data:
            return data
        for name, message in rule_errors(data, self.catalogue).items():
            self.add_error(name if name in self.fields else None, message)
        data.update(normalized_condition(data))
        return data


class LetterForm(RevisionMixin, CrispyMixin, forms.ModelForm):
    """The letter's outgoing number and date (kept on the draft until it is issued), and the
    letter's revision: the whole editor (the items too) is saved under it."""

    class Meta:
        model = Recommendation
        fields = ["number", "issued_at"]
        widgets = {"issued_at": DateInput()}
        labels = {"issued_at": _("Date of the letter")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].widget.attrs["placeholder"] = "01-12/345"
        if not self.instance.issued_at:
            self.initial["issued_at"] = timezone.localdate()

    def letter_date(self):
        """The date the deadlines are checked against: the letter's date, else today."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get("issued_at") or timezone.localdate()
        return self.instance.issued_at or timezone.localdate()


class ItemForm(forms.ModelForm):
    """One recommendation of a letter, edited in place."""

    class Meta:
        model = RecommendationItem
        fields = ["text", "reason", "measures", "owner", "deadline"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 4}),
            "measures": forms.Textarea(attrs={"rows": 4}),
            "deadline": DateInput(),
        }

    def __init__(self, *args, letter_date, **kwargs):
        super().__init__(*args, **kwargs)
        self.letter_date = letter_date

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        if problem := deadline_error(deadline, self.letter_date):
            raise forms.ValidationError(problem)
        return deadline


class BaseItemFormSet(forms.BaseModelFormSet):
    def __init__(self, *args, letter, letter_date, **kwargs):
        saved = letter.pk is not None
        items = letter.items.all() if saved else RecommendationItem.objects.none()
        kwargs.setdefault("queryset", items)
        kwargs.setdefault("prefix", "items")
        super().__init__(*args, form_kwargs={"letter_date": letter_date}, **kwargs)
        self.letter = letter

    def save_items(self):
        """Save edits, additions (at the end) and removals."""
        items = self.save(commit=False)
        for item in self.deleted_objects:
            item.delete()
        top = max(self.letter.items.values_list("position", flat=True), default=0)
        for item in items:
            if item.pk is None:
                top += 1
                item.recommendation = self.letter
                item.position = top
            item.save()


ItemFormSet = forms.modelformset_factory(
    RecommendationItem, form=ItemForm, formset=BaseItemFormSet, extra=1, can_delete=True
)


class WithdrawForm(CrispyMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why the letter is withdrawn"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the letter's history; the first issue date still counts."),
    )
