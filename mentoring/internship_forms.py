"""Forms of the internship pages: fields and widgets; the rules live in `internships.py`.

Every form that saves a record carries the revision it was opened on (`RevisionMixin`): the
record is the model form's instance, else `record=` (the internship for a stage move, the
assignment for its status, the trainee for notes, final materials and the assessment, the entry,
the decision).
"""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trajectories.models import RATING_SCALE, Competency
from zelenchuk_portal.forms import CrispyMixin, DateInput, RevisionMixin
from zelenchuk_portal.models import User

from .models import Activity, Assignment, BaseSite, DiaryEntry, Stage, Trainee

RATING_CHOICES = [("", "—"), *((str(value), label) for value, label in RATING_SCALE)]
ENTRY_FIELDS = ("day", "time_from", "time_to", "activity", "head_actions", "reflection")
FINAL_FIELDS = ("report", "report_file", "project_title", "project_summary", "project_file")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class InternshipFilterForm(forms.Form):
    """Officials' filters of the internship list."""

    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All")), *Stage.choices]
    )
    base_site = forms.ModelChoiceField(
        label=_("Base site"),
        required=False,
        queryset=BaseSite.objects.select_related("organization"),
        empty_label=_("All"),
    )
    mentor = forms.ModelChoiceField(
        label=_("Mentor"), required=False, queryset=User.objects.none(), empty_label=_("All")
    )
    at_risk = forms.BooleanField(label=_("At risk only"), required=False)
    q = forms.CharField(label=_("Theme or trainee"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = User.objects.filter(
            mentored_internships__isnull=False
        ).distinct()
        self.fields["mentor"].label_from_instance = lambda person: person.short_name

    def filter(self, internships):
        if not self.is_valid():
            return internships
        data = self.cleaned_data
        if data["stage"]:
            internships = internships.filter(stage=data["stage"])
        if data["base_site"]:
            internships = internships.filter(base_site=data["base_site"])
        if data["mentor"]:
            internships = internships.filter(mentor=data["mentor"])
        for word in data["q"].split():
            internships = internships.filter(
                Q(theme__icontains=word)
                | Q(trainees__person__last_name__icontains=word)
                | Q(trainees__person__first_name__icontains=word)
            ).distinct()
        return internships


class StageForm(RevisionMixin, forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssignmentForm(RevisionMixin, CrispyMixin, forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["assignee", "task", "expected_result", "deadline", "status"]
        widgets = {
            "task": forms.Textarea(attrs={"rows": 3}),
            "expected_result": forms.Textarea(attrs={"rows": 2}),
            "deadline": DateInput(),
        }
        error_messages = {"deadline": {"required": _("Set the deadline.")}}

    def __init__(self, *args, internship, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deadline"].help_text = _("Between %(start)s and %(end)s.") % {
            "start": internship.start_date.strftime("%d.%m.%Y"),
            "end": internship.end_date.strftime("%d.%m.%Y"),
        }

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AssignmentStatusForm(RevisionMixin, forms.Form):
    status = forms.ChoiceField(choices=Assignment.Status.choices)


class NotesForm(RevisionMixin, forms.Form):
    host_notes = forms.CharField(
        label=_("Notes on the host organisation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "What you learned about the host organisation from open sources: its website, "
            "public reports, programmes, results."
        ),
    )


class EntryForm(RevisionMixin, CrispyMixin, forms.Form):
    """A diary entry; the domain checks the day, the times and overlaps."""

    day = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    time_from = forms.TimeField(label=_("From"), required=False, widget=TimeInput())
    time_to = forms.TimeField(label=_("To"), required=False, widget=TimeInput())
    activity = forms.ChoiceField(
        label=_("Activity"), required=False, choices=[("", "—"), *Activity.choices]
    )
    head_actions = forms.CharField(
        label=_("What the head did and decided"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    reflection = forms.CharField(
        label=_("Reflection"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you take from it for your own work."),
    )

    @classmethod
    def for_entry(cls, entry: DiaryEntry, data=None):
        initial = {name: getattr(entry, name) for name in ENTRY_FIELDS}
        return cls(data, initial=initial, record=entry)

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in ENTRY_FIELDS}


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Mentor's comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


def _competency_label(competency: Competency) -> str:
    return f"{competency.code} {competency.name}"


class DecisionForm(RevisionMixin, CrispyMixin, forms.Form):
    """A management decision with the competencies it exercised (a rating marks one)."""

    text = forms.CharField(
        label=_("Management decision"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("The decision the head took, as you observed it."),
    )
    entry = forms.ModelChoiceField(
        label=_("Diary entry"),
        queryset=DiaryEntry.objects.none(),
        required=False,
        empty_label=_("not linked to an entry"),
    )

    def __init__(self, *args, trainee: Trainee, competencies: list[Competency], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = trainee.entries.all()
        self.fields["entry"].label_from_instance = lambda e: (
            f"{e.day:%d.%m.%Y} {e.time_from:%H:%M}–{e.time_to:%H:%M} · {e.get_activity_display()}"
        )
        self.competencies = competencies
        for competency in competencies:
            self.fields[f"c{competency.pk}"] = forms.TypedChoiceField(
                label=_competency_label(competency),
                choices=RATING_CHOICES,
                required=False,
                coerce=int,
                empty_value=None,
            )

    def blocks(self):
        """[(block number, block name, [bound field, …], any rated), …] for the template."""
        grouped = []
        for competency in self.competencies:
            if not grouped or grouped[-1][0] != competency.block:
                grouped.append([competency.block, competency.block_name, [], False])
            field = self[f"c{competency.pk}"]
            grouped[-1][2].append(field)
            grouped[-1][3] = grouped[-1][3] or field.value() not in (None, "")
        return grouped

    def ratings(self) -> dict[int, int | None]:
        return {c.pk: self.cleaned_data.get(f"c{c.pk}") for c in self.competencies}


class RatingsForm(RevisionMixin, forms.Form):
    """A rating 0–3 (or none) per competency: the mentor's rating of a decision's competencies,
    or the final assessment (with the conclusion)."""

    def __init__(self, *args, competencies: list[Competency], conclusion: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.competencies = competencies
        for competency in competencies:
            self.fields[f"c{competency.pk}"] = forms.TypedChoiceField(
                label=_competency_label(competency),
                choices=RATING_CHOICES,
                required=False,
                coerce=int,
                empty_value=None,
            )
        if conclusion:
            self.fields["conclusion"] = forms.CharField(
                label=_("Mentor's conclusion"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 6}),
            )

    def rating_fields(self):
        return [(c, self[f"c{c.pk}"]) for c in self.competencies]

    def ratings(self) -> dict[int, int | None]:
        return {c.pk: self.cleaned_data.get(f"c{c.pk}") for c in self.competencies}


class FinalForm(RevisionMixin, CrispyMixin, forms.Form):
    report = forms.CharField(
        label=_("Text of the report"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    report_file = forms.FileField(
        label=_("Report file"),
        required=False,
        help_text=_("PDF, Word or OpenDocument, up to 15 MB; a new file replaces the old one."),
    )
    project_title = forms.CharField(label=_("Title"), required=False)
    project_summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    project_file = forms.FileField(
        label=_("Project file"),
        required=False,
        help_text=_("PDF, Word or OpenDocument, up to 15 MB; a new file replaces the old one."),
    )

    @classmethod
    def for_trainee(cls, trainee: Trainee, data=None, files=None):
        initial = {
            "report": trainee.report,
            "project_title": trainee.project_title,
            "project_summary": trainee.project_summary,
        }
        return cls(data, files, initial=initial, record=trainee)

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in FINAL_FIELDS}
