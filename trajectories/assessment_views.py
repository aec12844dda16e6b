"""Self-assessment pages: the author's form, the expert's rating, side by side, deficits, PDF."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zelenchuk_portal.access import official_required, require_role
from zelenchuk_portal.concurrency import ConflictError
from zelenchuk_portal.files import serve
from zelenchuk_portal.models import Period
from zelenchuk_portal.pdf import pdf_response, render_pdf

from . import assessments as domain
from . import deficits
from .access import (
    AUTHOR,
    AUTHOR_ROLES,
    EXPERT,
    EXPERT_ROLES,
    OFFICIAL,
    REVIEWER,
    fetch_assessment,
    fetch_deficit,
    fetch_item,
    may_act,
)
from .assessment_forms import (
    AssignForm,
    DecisionForm,
    DeficitRuleForm,
    EvidenceForm,
    RatingForm,
    ReturnForm,
)
from .models import RATING_SCALE, Assessment, Deficit

SCALE = {"scale": RATING_SCALE, "scale_labels": dict(RATING_SCALE)}


def _error(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _detail(assessment, anchor=""):
    return redirect(reverse("assessments:assessment_detail", args=[assessment.pk]) + anchor)


# --- The author ----------------------------------------------------------------------------------


def my_assessment(request):
    """«My self-assessment»: the current period's, started on first visit."""
    require_role(request.user, *AUTHOR_ROLES)
    period = Period.objects.current()
    found = Assessment.objects.filter(person=request.user, period=period).first()
    if period is None or (period.is_closed and found is None):
        return render(request, "assessments/no_period.html", {"period": period})
    assessment = found or domain.start_assessment(request.user, period)
    if domain.is_editable(assessment):
        return redirect("assessments:assessment_edit", assessment.pk)
    return _detail(assessment)


def assessment_edit(request, pk):
    assessment = fetch_assessment(request.user, pk, acting_as=AUTHOR)
    if not domain.is_editable(assessment):
        return _detail(assessment)
    items = list(assessment.items.select_related("competency"))
    form = RatingForm(request.POST or None, items=items, side="self", record=assessment)
    if request.method != "POST":
        return _render_edit(request, assessment, form)
    form.is_valid()
    autosave = request.headers.get("X-Autosave") == "1"
    try:
        revision = _revision(form)
        domain.save_self_draft(assessment, form.rows(), user=request.user, revision=revision)
        form.renew(assessment.revision)  # a page shown again carries the stored revision
        if form.errors:
            raise ValidationError(form.error_list())
        if autosave:
            return JsonResponse({"saved": True, "revision": assessment.revision})
        if "submit" in request.POST:
            domain.submit_assessment(assessment, request.user)
            messages.success(request, _("Self-assessment submitted."))
            return _detail(assessment)
    except ConflictError as error:
        return _conflict(request, error, autosave) or _render_edit(
            request, assessment, form, checked=True
        )
    except ValidationError as error:
        if autosave:
            return JsonResponse({"saved": False, "errors": error.messages}, status=400)
        _error(request, error)
        return _render_edit(request, assessment, form, checked=True)
    messages.success(request, _("Draft saved."))
    return redirect("assessments:assessment_edit", assessment.pk)


def _revision(form) -> int | None:
    """The revision the page was opened on; a page with a broken one is refused."""
    if form.out_of_date:
        raise ConflictError.out_of_date()
    return form.base_revision


def _conflict(request, error: ConflictError, autosave: bool):
    """A newer save exists (another tab, the expert, an official): nothing was stored. An
    autosave gets 409 and the message, which the page shows; a submission shows it at the top
    (None: the caller renders the page again with the person's input)."""
    if autosave:
        body = {"saved": False, "conflict": True, "error": " ".join(error.messages)}
        return JsonResponse(body, status=409)
    _error(request, error)
    return None


def _render_edit(request, assessment, form, checked=False):
    context = {
        "assessment": assessment,
        "form": form,
        "checked": checked,
        **SCALE,
        "previous": domain.previous_assessment(assessment)
        if assessment.status == Assessment.Status.DRAFT
        else None,
        "others": request.user.assessments.exclude(pk=assessment.pk).select_related("period"),
        "returned": assessment.history[-1]
        if assessment.status == Assessment.Status.RETURNED and assessment.history
        else None,
    }
    return render(request, "assessments/edit.html", context)


@require_POST
def assessment_copy(request, pk):
    assessment = fetch_assessment(request.user, pk, acting_as=AUTHOR)
    try:
        filled = domain.copy_previous(assessment, request.user)
        messages.success(request, _("Answers copied into %s untouched items.") % filled)
    except ValidationError as error:
        _error(request, error)
    return redirect("assessments:assessment_edit", assessment.pk)


@require_POST
def evidence_upload(request, pk):
    item = fetch_item(request.user, pk, acting_as=AUTHOR)
    form = EvidenceForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["file"])
        domain.attach_evidence(item, form.cleaned_data["file"])
        messages.success(request, _("File attached to %s.") % item.competency.code)
    except ValidationError as error:
        _error(request, error)
    return redirect(
        reverse("assessments:assessment_edit", args=[item.assessment_id]) + f"#item-{item.pk}"
    )


@require_POST
def evidence_delete(request, pk):
    item = fetch_item(request.user, pk, acting_as=AUTHOR)
    try:
        domain.remove_evidence(item)
        messages.success(request, _("File removed."))
    except ValidationError as error:
        _error(request, error)
    return redirect(
        reverse("assessments:assessment_edit", args=[item.assessment_id]) + f"#item-{item.pk}"
    )


def evidence_download(request, pk):
    item = fetch_item(request.user, pk)
    if not item.evidence:
        raise Http404
    return serve(item.evidence, item.evidence_name or item.evidence.name.rsplit("/", 1)[-1])


# --- Side by side, review, deficits --------------------------------------------------------------


def _comparison(user, assessment):
    is_author = assessment.person_id == user.pk
    done = assessment.expert_status == Assessment.ExpertStatus.DONE
    return domain.build_comparison(assessment, show_expert=done or not is_author)


def assessment_detail(request, pk):
    assessment = fetch_assessment(request.user, pk)
    submitted = assessment.status == Assessment.Status.SUBMITTED
    context = {
        "assessment": assessment,
        "cmp": _comparison(request.user, assessment),
        "can_edit": may_act(request.user, assessment, AUTHOR) and domain.is_editable(assessment),
        "can_rate": may_act(request.user, assessment, EXPERT) and domain.is_ratable(assessment),
        "can_review": may_act(request.user, assessment, REVIEWER) and submitted,
        "return_form": ReturnForm(),
        "rule": deficits.current_rule(),
        **SCALE,
    }
    return render(request, "assessments/detail.html", context)


def assessment_pdf(request, pk):
    assessment = fetch_assessment(request.user, pk)
    context = {"cmp": _comparison(request.user, assessment), "rule": deficits.current_rule()}
    data = render_pdf("pdf/assessment.html", context, request=request)
    person = assessment.person
    return pdf_response(data, f"Самооценка {person.short_name} {assessment.period.label}.pdf")


@require_POST
def assessment_return(request, pk):
    assessment = fetch_assessment(request.user, pk, acting_as=REVIEWER)
    form = ReturnForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["comment"])
        domain.return_assessment(assessment, request.user, form.cleaned_data["comment"])
        messages.success(request, _("Returned to the author for revision."))
    except ValidationError as error:
        _error(request, error)
    return _detail(assessment)


@require_POST
def deficit_decide(request, pk):
    deficit = fetch_deficit(request.user, pk)
    form = DecisionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([m for ms in form.errors.values() for m in ms])
        confirm = form.cleaned_data["decision"] == DecisionForm.CONFIRM
        deficits.decide_deficit(
            deficit, request.user, confirm=confirm, comment=form.cleaned_data["comment"]
        )
        messages.success(request, _("Decision on «%s» recorded.") % deficit.code)
    except ValidationError as error:
        _error(request, error)
    return _detail(deficit.assessment, "#deficits")


# --- The expert ----------------------------------------------------------------------------------


def to_rate(request):
    """The assessments assigned to the signed-in expert (or mentor)."""
    require_role(request.user, *EXPERT_ROLES)
    assigned = (
        request.user.assessments_to_rate.filter(submitted_at__isnull=False)
        .select_related("person", "organization", "period")
        .annotate(rated=Count("items", filter=Q(items__expert_rating__isnull=False)))
        .order_by("-period__start_date", "expert_status", "person__last_name")
    )
    page = Paginator(assigned, 50).get_page(request.GET.get("page"))
    return render(request, "assessments/to_rate.html", {"page": page})


def expert_rating(request, pk):
    assessment = fetch_assessment(request.user, pk, acting_as=EXPERT)
    if not domain.is_ratable(assessment):
        messages.info(request, _("This self-assessment is not awaiting your rating now."))
        return _detail(assessment)
    items = list(assessment.items.select_related("competency"))
    form = RatingForm(request.POST or None, items=items, side="expert", record=assessment)
    if request.method != "POST":
        return _render_rating(request, assessment, form)
    form.is_valid()
    autosave = request.headers.get("X-Autosave") == "1"
    try:
        revision = _revision(form)
        domain.save_expert_draft(assessment, request.user, form.rows(), revision)
        form.renew(assessment.revision)
        if form.errors:
            raise ValidationError(form.error_list())
        if autosave:
            return JsonResponse({"saved": True, "revision": assessment.revision})
        if "complete" in request.POST:
            domain.complete_expert_rating(assessment, request.user)
            messages.success(request, _("Rating completed; deficits are proposed below."))
            return _detail(assessment, "#deficits")
    except ConflictError as error:
        return _conflict(request, error, autosave) or _render_rating(
            request, assessment, form, checked=True
        )
    except ValidationError as error:
        if autosave:
            return JsonResponse({"saved": False, "errors": error.messages}, status=400)
        _error(request, error)
        return _render_rating(request, assessment, form, checked=True)
    messages.success(request, _("Draft saved."))
    return redirect("assessments:expert_rating", assessment.pk)


def _render_rating(request, assessment, form, checked=False):
    context = {"assessment": assessment, "form": form, "checked": checked, **SCALE}
    return render(request, "assessments/rate.html", context)


# --- Officials -----------------------------------------------------------------------------------


@official_required
def assessment_list(request):
    """The period's submitted assessments, with their experts and deficits; assign experts."""
    periods = list(Period.objects.all())
    period = Period.objects.current()
    if request.GET.get("period", "").isdigit():
        period = get_object_or_404(Period, pk=request.GET["period"])
    if period is None:
        return render(request, "assessments/no_period.html")
    rows = (
        Assessment.objects.filter(period=period, submitted_at__isnull=False)
        .select_related("person", "organization", "expert")
        .annotate(
            proposed=Count("deficits", filter=Q(deficits__status=Deficit.Status.PROPOSED)),
            confirmed=Count("deficits", filter=Q(deficits__status=Deficit.Status.CONFIRMED)),
        )
        .order_by("person__last_name", "person__first_name", "pk")
    )
    context = {
        "period": period,
        "periods": periods,
        "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        "experts": list(domain.expert_choices()),
    }
    return render(request, "assessments/list.html", context)


@require_POST
def assessment_assign(request, pk):
    assessment = fetch_assessment(request.user, pk, acting_as=OFFICIAL)
    form = AssignForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["expert"])
        domain.assign_expert(assessment, form.cleaned_data["expert"], request.user)
        messages.success(
            request,
            _("%(expert)s will rate %(person)s's self-assessment.")
            % {"expert": assessment.expert, "person": assessment.person},
        )
    except ValidationError as error:
        _error(request, error)
    url = reverse("assessments:assessment_list") + f"?period={assessment.period_id}"
    return redirect(url)


@official_required
def deficit_rule(request):
    rule = deficits.current_rule()
    initial = {"item_max_rating": rule.item_max_rating, "block_min_percent": rule.block_min_percent}
    form = DeficitRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            deficits.update_rule(
                form.cleaned_data["item_max_rating"],
                form.cleaned_data["block_min_percent"],
                request.user,
            )
            messages.success(request, _("The deficit rule is saved; it applies to new proposals."))
            return redirect("assessments:deficit_rule")
        except ValidationError as error:
            _error(request, error)
    return render(request, "assessments/deficit_rule.html", {"form": form, "rule": rule})
