"""Forms of the self-assessment pages. Validation messages are Russian (what users read);
labels are English source strings for the catalogue."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zelenchuk_portal.forms import CrispyMixin, RevisionMixin

from .assessments import Row, expert_choices, group_by_block
from .models import MAX_RATING, RATING_SCALE, AssessmentItem

OUT_OF_SCALE = "Оценка «%(value)s» вне шкалы: выберите значение от 0 до " + f"{MAX_RATING}."


class RatingForm(RevisionMixin, forms.Form):
    """A rating (0–3, radio buttons with the scale's labels) and a comment for every item.

    `side` is "self" (the author's own ratings) or "expert". Every field is optional: a draft
    is saved as it stands; completeness is checked on submission by the domain function.
    """

    def __init__(self, data=None, *, items: list[AssessmentItem], side: str = "self", **kw):
        super().__init__(data, **kw)
        self.items = items
        self.side = side
        for item in items:
            rating, comment = (
                (item.self_rating, item.self_comment)
                if side == "self"
                else (item.expert_rating, item.expert_comment)
            )
            self.fields[f"rating-{item.pk}"] = forms.TypedChoiceField(
                label=f"{item.competency.code} {item.competency.name}",
                choices=RATING_SCALE,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                initial=rating,
                error_messages={"invalid_choice": OUT_OF_SCALE},
            )
            self.fields[f"comment-{item.pk}"] = forms.CharField(
                label=_("Comment"),
                required=False,
                max_length=3000,
                initial=comment,
                widget=forms.Textarea(
                    attrs={
                        "rows": 1,
                        "class": "form-control form-control-sm",
                        "placeholder": _("Comment (optional)"),
                    }
                ),
                error_messages={"max_length": "Комментарий длиннее %(limit_value)d знаков."},
            )

    def blocks(self):
        """[(block, name, [(item, rating field, comment field)])] for the template."""
        return [
            (number, name, [(i, self[f"rating-{i.pk}"], self[f"comment-{i.pk}"]) for i in items])
            for number, name, items in group_by_block(self.items)
        ]

    def rows(self) -> dict[int, Row]:
        """{item id: Row} for every item whose fields are valid (call after is_valid())."""
        cleaned = getattr(self, "cleaned_data", {})
        rows = {}
        for item in self.items:
            rating_key, comment_key = f"rating-{item.pk}", f"comment-{item.pk}"
            if rating_key in cleaned and comment_key in cleaned:
                rows[item.pk] = Row(cleaned[rating_key], cleaned[comment_key])
        return rows

    def error_list(self) -> list[str]:
        """Every error as «code: message», for JSON replies and the page's summary."""
        codes = {f"rating-{i.pk}": i.competency.code for i in self.items}
        codes.update({f"comment-{i.pk}": i.competency.code for i in self.items})
        return [
            f"{codes.get(name, '')}: {message}".lstrip(": ")
            for name, messages in self.errors.items()
            for message in messages
        ]


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("Evidence file"), error_messages={"required": "Выберите файл для загрузки."}
    )


class ReturnForm(CrispyMixin, forms.Form):
    comment = forms.CharField(
        label=_("What to revise (the author will see this)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Укажите, что доработать: комментарий обязателен."},
    )


class AssignForm(forms.Form):
    expert = forms.ModelChoiceField(
        label=_("Expert"),
        queryset=None,
        error_messages={
            "required": "Выберите эксперта.",
            "invalid_choice": "Экспертом может быть только эксперт или ментор.",
        },
    )

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = choices if choices is not None else expert_choices()


class DecisionForm(forms.Form):
    CONFIRM, DISMISS = "confirm", "dismiss"

    decision = forms.ChoiceField(
        choices=[(CONFIRM, _("Confirm")), (DISMISS, _("Dismiss"))],
        error_messages={"required": "Выберите решение.", "invalid_choice": "Выберите решение."},
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.DISMISS and not (data.get("comment") or "").strip():
            self.add_error("comment", "Укажите, почему дефицит отклонён: комментарий обязателен.")
        return data


class DeficitRuleForm(CrispyMixin, forms.Form):
    item_max_rating = forms.TypedChoiceField(
        label=_("An item is a deficit when rated at most"),
        choices=[(n, label) for n, label in RATING_SCALE if n < MAX_RATING],
        coerce=int,
        error_messages={"invalid_choice": "Выберите порог от 0 до 2."},
    )
    block_min_percent = forms.IntegerField(
        label=_("A block is a deficit when its mean is below this share of the maximum, per cent"),
        min_value=1,
        max_value=100,
        error_messages={
            "min_value": "Порог для блока — от 1 до 100 %%.",
            "max_value": "Порог для блока — от 1 до 100 %%.",
            "required": "Укажите порог для блока.",
            "invalid": "Укажите целое число процентов.",
        },
    )
