"""Pages of measures and management decisions (namespace `decisions`).

Officials keep both registers; a head reads the decisions concerning his or her organisation and
the measures it (or he or she) took part in. Every view with an id fetches through one helper per
object type below: outside the person's scope → 404, in scope but a read-only role → 403.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zelenchuk_portal.access import require_role
from zelenchuk_portal.excel import Sheet, excel_response, table_workbook
from zelenchuk_portal.files import serve
from zelenchuk_portal.models import Organization, Period, Role, with_current_roles

from . import decisions as domain
from .catalogue import STATUS_NO_DATA
from .decision_forms import (
    CommentForm,
    DecisionFilterForm,
    DecisionForm,
    FileForm,
    MeasureFilterForm,
    MeasureForm,
    StatusForm,
)
from .measures import attach_material, measures_visible_to, save_measure
from .models import Decision, DecisionEvidence, Indicator, Measure, MeasureMaterial, Recommendation

PAGE_SIZE = 50
READERS = (Role.OFFICIAL, Role.PRINCIPAL)


# --- Access: one helper per object type ---------------------------------------------------------


def fetch_measure(user, pk, *, edit: bool = False) -> Measure:
    require_role(user, *READERS)
    measure = get_object_or_404(measures_visible_to(user).select_related("period"), pk=pk)
    if edit:
        require_role(user, Role.OFFICIAL)  # after the scope check: B gets 404 on A's measure
    return measure


def fetch_material(user, pk) -> MeasureMaterial:
    require_role(user, *READERS)
    return get_object_or_404(
        MeasureMaterial.objects.select_related("measure"),
        pk=pk,
        measure__in=measures_visible_to(user),
    )


def fetch_decision(user, pk, *, edit: bool = False) -> Decision:
    require_role(user, *READERS)
    decision = get_object_or_404(
        domain.decisions_visible_to(user).select_related(
            "period", "created_by", "recommendation__organization"
        ),
        pk=pk,
    )
    if edit:
        require_role(user, Role.OFFICIAL)  # after the scope check: B gets 404 on A's decision
    return decision


def fetch_decision_evidence(user, pk) -> DecisionEvidence:
    require_role(user, *READERS)
    return get_object_or_404(
        DecisionEvidence.objects.select_related("decision"),
        pk=pk,
        decision__in=domain.decisions_visible_to(user),
    )


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Measures and events ------------------------------------------------------------------------


def measure_list(request):
    require_role(request.user, *READERS)
    organizations = Organization.objects.visible_to(request.user).order_by("org_type", "short_name")
    form = MeasureFilterForm(request.GET or None, organizations=organizations)
    measures = (
        form.filter(measures_visible_to(request.user))
        .select_related("period")
        .prefetch_related("organizations")
        .annotate(
            person_count=Count("people", distinct=True),
            material_count=Count("materials", distinct=True),
        )
        .order_by("-starts_on", "-id")
    )
    page = Paginator(measures, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "can_edit": request.user.is_official}
    return render(request, "decisions/measure_list.html", context)


def measure_create(request):
    require_role(request.user, Role.OFFICIAL)
    form = MeasureForm(request.POST or None, initial={"period": Period.objects.current()})
    return _save_measure_form(request, form)


def measure_edit(request, pk):
    measure = fetch_measure(request.user, pk, edit=True)
    form = MeasureForm(request.POST or None, instance=measure)
    return _save_measure_form(request, form)


def _save_measure_form(request, form):
    if request.method == "POST" and form.is_valid():
        try:
            measure = save_measure(
                form.instance,
                organizations=form.cleaned_data["organizations"],
                people=form.cleaned_data["people"],
                user=request.user,
                revision=form.base_revision,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The measure is saved."))
            return redirect("decisions:measure_detail", measure.pk)
    context = {"form": form, "measure": form.instance}
    return render(request, "decisions/measure_form.html", context)


def measure_detail(request, pk):
    measure = fetch_measure(request.user, pk)
    context = {
        "measure": measure,
        "organizations": measure.organizations.order_by("org_type", "short_name"),
        "people": with_current_roles(measure.people.all()),
        "materials": measure.materials.select_related("uploaded_by").order_by("uploaded_at"),
        "can_edit": request.user.is_official,
        "file_form": FileForm(),
    }
    return render(request, "decisions/measure_detail.html", context)


@require_POST
def material_upload(request, pk):
    measure = fetch_measure(request.user, pk, edit=True)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
    else:
        try:
            attach_material(measure, form.cleaned_data["file"], request.user)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _("File attached."))
    return redirect("decisions:measure_detail", measure.pk)


def material_download(request, pk):
    material = fetch_material(request.user, pk)
    return serve(material.file, material.file_name)


# --- Management decisions -----------------------------------------------------------------------


def _filtered_decisions(request):
    """The register as the list's filter form narrows it, and the form."""
    organizations = Organization.objects.visible_to(request.user).order_by("org_type", "short_name")
    form = DecisionFilterForm(request.GET or None, organizations=organizations)
    visible = domain.with_overdue(domain.decisions_visible_to(request.user))
    decisions = (
        form.filter(visible)
        .select_related("period")
        .prefetch_related("organizations")
        .order_by("-date", "-id")
    )
    return form, visible, decisions


def decision_list(request):
    require_role(request.user, *READERS)
    form, visible, decisions = _filtered_decisions(request)
    context = {
        "form": form,
        "page": Paginator(decisions, PAGE_SIZE).get_page(request.GET.get("page")),
        "overdue_count": visible.filter(is_overdue=True).count(),
        "can_edit": request.user.is_official,
        "query": request.GET.urlencode(),
    }
    return render(request, "decisions/decision_list.html", context)


def decision_export(request):
    """The register, filtered as on the page, as an Excel file."""
    require_role(request.user, *READERS)
    _form, _visible, decisions = _filtered_decisions(request)
    sheet = Sheet(_("Decisions"), _register_headers(), _register_rows(decisions))
    return excel_response(table_workbook([sheet]), "Управленческие решения.xlsx")


def _register_headers() -> list[str]:
    return [
        _("Order No."),
        _("Order date"),
        _("Period"),
        _("Kind"),
        _("Decision"),
        _("Organisations"),
        _("Targeted indicators"),
        _("Owner"),
        _("Due date"),
        _("Status"),
        _("Overdue"),
    ]


def _register_rows(decisions):
    for d in decisions:
        yield [
            d.number,
            d.date,
            d.period.label,
            d.get_kind_display(),
            d.title,
            "; ".join(org.short_name for org in d.organizations.all()),
            ", ".join(d.indicator_codes),
            d.owner,
            d.due_date,
            d.get_status_display(),
            _("yes") if d.is_overdue else "",
        ]


def _new_decision_setup(request) -> tuple[Period | None, dict]:
    """The period and initial values of a new decision: from the recommendations it answers
    (?recommendation=), else the chosen (?period=) or current period."""
    initial = {}
    recommendation_id = request.GET.get("recommendation", "")
    period_id = request.GET.get("period", "")
    if recommendation_id.isdigit():
        recommendation = get_object_or_404(
            Recommendation.objects.select_related("period"), pk=recommendation_id
        )
        initial = {
            "organizations": [recommendation.organization_id],
            "recommendation": recommendation,
        }
        return recommendation.period, initial
    if period_id.isdigit():
        return get_object_or_404(Period, pk=period_id), initial
    return Period.objects.current(), initial


def decision_create(request):
    require_role(request.user, Role.OFFICIAL)
    period, initial = _new_decision_setup(request)
    if period is None:
        messages.error(request, _("Create a monitoring period first."))
        return redirect("decisions:decision_list")
    form = DecisionForm(request.POST or None, initial=initial, period=period)
    return _save_decision_form(request, form, periods=Period.objects.all())


def decision_edit(request, pk):
    decision = fetch_decision(request.user, pk, edit=True)
    form = DecisionForm(request.POST or None, instance=decision, period=decision.period)
    return _save_decision_form(request, form)


def _save_decision_form(request, form, periods=None):
    if request.method == "POST" and form.is_valid():
        try:
            decision = domain.save_decision(
                form.instance,
                organizations=form.cleaned_data["organizations"],
                people=form.cleaned_data["people"],
                indicator_codes=form.cleaned_data["indicator_codes"],
                user=request.user,
                revision=form.base_revision,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The decision is saved."))
            return redirect("decisions:decision_detail", decision.pk)
    context = {"form": form, "decision": form.instance, "period": form.period, "periods": periods}
    return render(request, "decisions/decision_form.html", context)


def decision_detail(request, pk):
    decision = fetch_decision(request.user, pk)
    is_official = request.user.is_official
    context = {
        "decision": decision,
        "overdue": domain.is_overdue(decision),
        "organizations": decision.organizations.order_by("org_type", "short_name"),
        "people": with_current_roles(decision.people.all()),
        "indicators": _indicator_names(decision),
        "effect": domain.decision_effect(decision),
        "notes": decision.notes.select_related("by"),
        "evidence": decision.evidence.select_related("uploaded_by").order_by("uploaded_at"),
        "transitions": [
            (status, Decision.Status(status).label)
            for status in domain.allowed_transitions(decision.status)
        ]
        if is_official
        else [],
        "can_edit": is_official,
        "comment_form": CommentForm(),
        "file_form": FileForm(),
        "no_data": STATUS_NO_DATA,
    }
    return render(request, "decisions/decision_detail.html", context)


def _indicator_names(decision) -> list[tuple[str, str]]:
    names = dict(
        Indicator.objects.filter(
            version__periods__period=decision.period_id, code__in=decision.indicator_codes
        ).values_list("code", "name")
    )
    return [(code, names.get(code, "")) for code in decision.indicator_codes]


@require_POST
def decision_status(request, pk):
    decision = fetch_decision(request.user, pk, edit=True)
    form = StatusForm(request.POST, record=decision)
    if not form.is_valid():
        problem = form.non_field_errors() or [_("Choose a status the decision can take.")]
        messages.error(request, " ".join(problem))
        return redirect("decisions:decision_detail", decision.pk)
    try:
        data = form.cleaned_data
        domain.change_status(
            decision, data["status"], request.user, data["comment"], data["base_revision"]
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("The decision is now «%s».") % decision.get_status_display())
    return redirect("decisions:decision_detail", decision.pk)


@require_POST
def decision_comment(request, pk):
    decision = fetch_decision(request.user, pk, edit=True)
    form = CommentForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("The comment is empty."))
        domain.add_comment(decision, request.user, form.cleaned_data["text"])
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Comment added."))
    return redirect("decisions:decision_detail", decision.pk)


@require_POST
def evidence_upload(request, pk):
    decision = fetch_decision(request.user, pk, edit=True)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
    else:
        try:
            domain.attach_evidence(decision, form.cleaned_data["file"], request.user)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _("File attached."))
    return redirect("decisions:decision_detail", decision.pk)


def evidence_download(request, pk):
    evidence = fetch_decision_evidence(request.user, pk)
    return serve(evidence.file, evidence.file_name)
