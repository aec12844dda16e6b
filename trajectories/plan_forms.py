"""Forms of the development plan pages: fields and widgets; the rules live in `plans.py`."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zelenchuk_portal.forms import CrispyMixin, DateInput, PersonLabelMixin, RevisionMixin
from zelenchuk_portal.models import Organization, Period, User, with_current_roles

from .models import DeficitAnalysis, Plan, PlanGoal, PlanTask
from .plans import deadline_error, plan_owners, reviewer_candidates


class PersonField(PersonLabelMixin, forms.ModelChoiceField):
    """A person named with his or her current roles, so that namesakes can be told apart."""


class PlanStartForm(CrispyMixin, forms.Form):
    """Start a plan: the period, and (for an official) whose plan it is."""

    person = PersonField(label=_("Whose plan"), queryset=User.objects.none())
    period = forms.ModelChoiceField(
        label=_("Period"), queryset=Period.objects.open().order_by("-start_date")
    )

    def __init__(self, *args, choose_person: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_person:
            self.fields["person"].queryset = with_current_roles(plan_owners())
        else:
            del self.fields["person"]
        current = Period.objects.current()
        if current and not current.is_closed:
            self.fields["period"].initial = current.pk


class ReviewerForm(CrispyMixin, forms.Form):
    reviewer = PersonField(
        label=_("Reviewer (tutor, mentor or expert)"), queryset=User.objects.none()
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = with_current_roles(reviewer_candidates(plan))
        self.fields["reviewer"].initial = plan.reviewer_id


class StatusForm(RevisionMixin, forms.Form):
    """A move of the plan's status (`record=` the plan: a stale page's move is refused)."""

    status = forms.ChoiceField(choices=Plan.Status.choices)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(RevisionMixin, forms.Form):
    """The reviewer's approval or return (`record=` the plan)."""

    decision = forms.ChoiceField(
        choices=[(Plan.Status.APPROVED, _("approve")), (Plan.Status.DRAFT, _("return"))]
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CommentForm(CrispyMixin, forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


class FileForm(CrispyMixin, forms.Form):
    file = forms.FileField(label=_("File"))


class GoalForm(RevisionMixin, CrispyMixin, forms.ModelForm):
    class Meta:
        model = PlanGoal
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class PlanTaskForm(RevisionMixin, CrispyMixin, forms.ModelForm):
    """A task with its organisational section; the deadline must fall within the period."""

    class Meta:
        model = PlanTask
        fields = ["text", "direction", "form", "resource", "deadline", "responsible"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3}), "deadline": DateInput()}
        error_messages = {"deadline": {"required": _("Set the task's deadline.")}}

    def __init__(self, *args, period: Period, **kwargs):
        super().__init__(*args, **kwargs)
        self.period = period
        self.fields["deadline"].help_text = _("Between %(start)s and %(end)s.") % {
            "start": period.start_date.strftime("%d.%m.%Y"),
            "end": period.end_date.strftime("%d.%m.%Y"),
        }

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        message = deadline_error(self.period, deadline)
        if message:
            raise forms.ValidationError(message)
        return deadline


class AnalysisForm(RevisionMixin, CrispyMixin, forms.ModelForm):
    class Meta:
        model = DeficitAnalysis
        fields = ["results", "successes", "problems", "use_of_successes", "solutions", "outcome"]
        labels = {"outcome": _("Outcome")}
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("results", "successes", "problems", "use_of_successes", "solutions")
        }


class PlanFilterForm(forms.Form):
    period = forms.ModelChoiceField(
        label=_("Period"), required=False, queryset=Period.objects.all(), empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Plan.Status.choices]
    )
    organization = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organization.objects.order_by("org_type", "short_name"),
        empty_label=_("All"),
    )
    q = forms.CharField(label=_("Name"), required=False)

    def filter(self, plans):
        if not self.is_valid():
            return plans
        data = self.cleaned_data
        if data["period"]:
            plans = plans.filter(period=data["period"])
        if data["status"]:
            plans = plans.filter(status=data["status"])
        if data["organization"]:
            plans = plans.filter(organization=data["organization"])
        for word in data["q"].split():
            plans = plans.filter(
                Q(person__last_name__icontains=word)
                | Q(person__first_name__icontains=word)
                | Q(person__patronymic__icontains=word)
            )
        return plans


class ReviewFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Plan.Status.choices]
    )

    def filter(self, plans):
        if self.is_valid() and self.cleaned_data["status"]:
            return plans.filter(status=self.cleaned_data["status"])
        return plans
