"""Pages of the reserve's candidates (namespace `reserve`, under `/reserve/`).

Every view with an id fetches through `access.py`: outside the person's scope → 404, in scope
but not allowed to act → 403. The rules live in `candidacies.py`; a refused action shows the
candidate's page again with the form, its input and the reasons next to the fields.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trajectories.plan_access import visible_plans
from zelenchuk_portal.access import require_role
from zelenchuk_portal.concurrency import ConflictError
from zelenchuk_portal.excel import excel_response, table_workbook
from zelenchuk_portal.files import serve
from zelenchuk_portal.models import Role

from . import candidacies as domain
from . import listing
from .access import fetch_candidacy, fetch_contest, fetch_training, visible_candidacies
from .forms import (
    ApproveForm,
    CandidacyFilterForm,
    ContestForm,
    EnrolForm,
    MoveForm,
    NominationEditForm,
    NominationForm,
    ReadinessForm,
    RejectForm,
    TrainingForm,
)
from .models import IN_RESERVE, Candidacy, Status

PAGE_SIZE = 50
LIST_ROLES = (Role.OFFICIAL, Role.PRINCIPAL)


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _apply(form, error: ValidationError) -> None:
    """Put a domain error on the form: next to its field when the form has one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _detail(candidacy: Candidacy):
    return redirect("reserve:candidate_detail", candidacy.pk)


def _can_open_plan(user, plan) -> bool:
    return plan is not None and visible_plans(user).filter(pk=plan.pk).exists()


# --- Lists ---------------------------------------------------------------------------------------


def _filter_form(request) -> CandidacyFilterForm:
    require_role(request.user, *LIST_ROLES)
    return CandidacyFilterForm(request.GET or None, choose_organization=request.user.is_official)


def candidate_list(request):
    """Officials: every candidate; heads: their staff's. Filters, counts by status, export."""
    form = _filter_form(request)
    visible = visible_candidacies(request.user)
    candidacies = listing.for_list(form.filter(visible))
    context = {
        "form": form,
        "page": Paginator(candidacies, PAGE_SIZE).get_page(request.GET.get("page")),
        "counts": listing.status_counts(form.filter(visible, by_status=False)),
        "query": request.GET.copy(),
    }
    return render(request, "reserve/candidate_list.html", context)


def candidate_export(request):
    """The filtered list as an Excel file."""
    form = _filter_form(request)
    candidacies = listing.for_list(form.filter(visible_candidacies(request.user)))
    data = table_workbook([listing.candidates_sheet(candidacies)], title=_("Personnel reserve"))
    name = _("Personnel reserve %(date)s.xlsx") % {"date": timezone.localdate().isoformat()}
    return excel_response(data, name)


def nominate(request):
    """Officials nominate anybody; a head nominates his or her staff (approved by an official)."""
    require_role(request.user, *LIST_ROLES)
    form = NominationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        nomination = {**form.nomination(), "by": request.user}
        try:
            if new_person := form.new_person():
                candidacy = domain.nominate_new_person(**new_person, **nomination)
            else:
                candidacy = domain.nominate(person=form.cleaned_data["person"], **nomination)
        except ValidationError as error:
            _apply(form, error)
        else:
            if candidacy.awaits_approval:
                messages.info(request, _("The nomination is sent to the district office."))
            else:
                messages.success(request, _("%s is nominated to the reserve.") % candidacy.person)
            return _detail(candidacy)
    return render(request, "reserve/nominate.html", {"form": form})


def my_reserve(request):
    """The candidate's own candidacy (read-only), and earlier ones."""
    require_role(request.user, Role.CANDIDATE, Role.PRINCIPAL)
    candidacies = list(
        Candidacy.objects.filter(person=request.user)
        .select_related("period", "organization", "target_organization", "nominated_by")
        .order_by("-nominated_on", "-pk")
    )
    page = domain.candidate_page(candidacies[0]) if candidacies else None
    context = {
        "page": page,
        "earlier": candidacies[1:],
        "can_open_plan": page is not None and _can_open_plan(request.user, page.plan),
    }
    return render(request, "reserve/my_reserve.html", context)


# --- The candidate's page and its actions --------------------------------------------------------


def _action_forms(candidacy: Candidacy, bound: dict) -> dict:
    """The official's forms for the moves the candidacy can make now (a refused one bound)."""
    forms = {}
    if candidacy.awaits_approval:
        forms["reject"] = bound.get("reject") or RejectForm(record=candidacy)
    if candidacy.status == Status.NOMINEE and candidacy.approved_on:
        forms["enrol"] = bound.get("enrol") or EnrolForm(record=candidacy)
    if candidacy.status in IN_RESERVE:
        forms["readiness"] = bound.get("readiness") or ReadinessForm(record=candidacy)
    moves = [
        bound.get(status) or MoveForm(status=status, candidacy=candidacy)
        for status in domain.allowed_moves(candidacy)
        if not (status == Status.REMOVED and candidacy.awaits_approval)  # that is a rejection
    ]
    return {"forms": forms, "moves": moves, "refused": next(iter(bound), None)}


def _page(request, candidacy: Candidacy, bound: dict | None = None):
    page = domain.candidate_page(candidacy)
    context = {
        "page": page,
        "candidacy": candidacy,
        "manage": request.user.is_official,
        "can_open_plan": _can_open_plan(request.user, page.plan),
    }
    if request.user.is_official:
        context.update(_action_forms(candidacy, bound or {}))
    return render(request, "reserve/candidate_detail.html", context)


def candidate_detail(request, pk):
    return _page(request, fetch_candidacy(request.user, pk))


def _act(request, candidacy, key, form, action, success: str):
    """Run `action(cleaned_data)` for a valid form; on a refusal show the page with the form.

    `cleaned_data["revision"]` is the candidacy's revision the page was opened on."""
    if form.is_valid():
        data = {**form.cleaned_data, "revision": form.cleaned_data["base_revision"]}
        del data["base_revision"]
        try:
            action(data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, success)
            return _detail(candidacy)
    return _page(request, candidacy, {key: form})


@require_POST
def candidate_approve(request, pk):
    candidacy = fetch_candidacy(request.user, pk, manage=True)
    form = ApproveForm(request.POST, record=candidacy)
    try:
        if not form.is_valid():
            raise ValidationError(form.non_field_errors())
        revision = form.base_revision
        domain.approve(candidacy, by=request.user, on=timezone.localdate(), revision=revision)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("The nomination is approved: the person can be enrolled."))
    return _detail(candidacy)


@require_POST
def candidate_reject(request, pk):
    candidacy = fetch_candidacy(request.user, pk, manage=True)

    def action(data):
        domain.reject(candidacy, by=request.user, on=timezone.localdate(), **data)

    form = RejectForm(request.POST, record=candidacy)
    return _act(request, candidacy, "reject", form, action, _("The nomination is rejected."))


@require_POST
def candidate_enrol(request, pk):
    candidacy = fetch_candidacy(request.user, pk, manage=True)

    def action(data):
        domain.enrol(candidacy, by=request.user, **data)

    form = EnrolForm(request.POST, record=candidacy)
    return _act(request, candidacy, "enrol", form, action, _("Enrolled in the reserve."))


@require_POST
def candidate_move(request, pk):
    """Training, ready, appointed or removed, as the flow allows."""
    candidacy = fetch_candidacy(request.user, pk, manage=True)
    status = request.POST.get("status", "")
    if status not in domain.allowed_moves(candidacy):
        posted = request.POST.get("base_revision")
        if posted is not None and posted != str(candidacy.revision):
            # The page is older than the candidacy's last change: say who changed it.
            problem = ConflictError.for_record(candidacy, me=request.user).messages
        else:
            problem = domain.move_errors(candidacy, status, on=None)["__all__"]
        messages.error(request, " ".join(problem))
        return _detail(candidacy)

    def action(data):
        domain.change_status(candidacy, status, by=request.user, **data)

    form = MoveForm(request.POST, status=status, candidacy=candidacy)
    success = _("The status is now «%s».") % form.label
    return _act(request, candidacy, status, form, action, success)


@require_POST
def readiness_confirm(request, pk):
    """The official confirms or overrides the computed readiness."""
    candidacy = fetch_candidacy(request.user, pk, manage=True)

    def action(data):
        domain.confirm_readiness(candidacy, by=request.user, **data)

    form = ReadinessForm(request.POST, record=candidacy)
    return _act(request, candidacy, "readiness", form, action, _("The decision is recorded."))


def candidate_edit(request, pk):
    """Correct the nomination's details (officials)."""
    candidacy = fetch_candidacy(request.user, pk, manage=True)
    form = NominationEditForm(request.POST or None, instance=candidacy)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "revision": form.cleaned_data["base_revision"]}
        del data["base_revision"]
        try:
            domain.update_nomination(candidacy, by=request.user, **data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("The nomination is saved."))
            return _detail(candidacy)
    return render(request, "reserve/candidate_edit.html", {"form": form, "candidacy": candidacy})


# --- Training and contests -----------------------------------------------------------------------


def _training_form(request, candidacy, training=None):
    initial = TrainingForm.initial_of(training) if training else None
    form = TrainingForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "by": request.user}
        try:
            if training:
                domain.update_training(training, **data)
            else:
                domain.add_training(candidacy, **data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("The training record is saved."))
            return _detail(candidacy)
    context = {"form": form, "candidacy": candidacy, "training": training}
    return render(request, "reserve/training_form.html", context)


def training_add(request, pk):
    return _training_form(request, fetch_candidacy(request.user, pk, manage=True))


def training_edit(request, pk):
    training = fetch_training(request.user, pk, manage=True)
    return _training_form(request, training.candidacy, training)


@require_POST
def training_delete(request, pk):
    training = fetch_training(request.user, pk, manage=True)
    domain.delete_training(training, request.user)
    messages.success(request, _("The training record is removed."))
    return _detail(training.candidacy)


def training_document(request, pk):
    """The training's document, to whoever sees the candidacy."""
    training = fetch_training(request.user, pk)
    if not training.document:
        messages.error(request, _("No document is attached to this training record."))
        return _detail(training.candidacy)
    return serve(training.document, training.document_name or training.document.name)


def contest_add(request, pk):
    candidacy = fetch_candidacy(request.user, pk, manage=True)
    form = ContestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain.add_contest(candidacy, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("The contest is recorded."))
            return _detail(candidacy)
    return render(request, "reserve/contest_form.html", {"form": form, "candidacy": candidacy})


@require_POST
def contest_delete(request, pk):
    contest = fetch_contest(request.user, pk, manage=True)
    domain.delete_contest(contest, request.user)
    messages.success(request, _("The contest is removed."))
    return _detail(contest.candidacy)
