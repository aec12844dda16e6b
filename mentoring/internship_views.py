"""Internship pages (namespace `mentoring`): the list, the internship with its map, the
trainees' notes, diaries, matrices and final materials, the mentor's comments and assessment,
stages, closing, files and the PDF.

Every view with an id fetches through `access.py`: outside the person's scope → 404, in scope
but the wrong role for the action → 403. The rules live in `internships.py`.
"""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trajectories.models import Competency
from zelenchuk_portal.access import require_role
from zelenchuk_portal.concurrency import ConflictError
from zelenchuk_portal.files import serve
from zelenchuk_portal.pdf import pdf_response

from . import internships as domain
from .access import (
    INTERNSHIP_ROLES,
    MENTOR,
    TRAINEE,
    fetch_assignment,
    fetch_decision,
    fetch_entry,
    fetch_internship,
    fetch_trainee,
    may_manage,
    visible_trainees,
)
from .internship_forms import (
    AssignmentForm,
    AssignmentStatusForm,
    CommentForm,
    DecisionForm,
    EntryForm,
    FinalForm,
    InternshipFilterForm,
    NotesForm,
    RatingsForm,
    StageForm,
)
from .models import Assignment, Internship, Trainee
from .pdf import internship_filename, render_internship_pdf

PAGE_SIZE = 50
DRAFTS_KEY = "mentoring_diary_drafts"  # session: {form token: draft entry id}


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _to(internship, trainee=None, anchor=""):
    """Back to the internship page, on `trainee`'s tab and at `anchor`."""
    url = reverse("mentoring:internship_detail", args=[internship.pk])
    if trainee is not None:
        url += f"?trainee={trainee.pk}"
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _refused(request, internship, trainee=None, anchor=""):
    """A redirect with the reason when the internship is completed, else None."""
    try:
        domain.ensure_open(internship)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _to(internship, trainee, anchor)
    return None


def _autosave(request) -> bool:
    return request.headers.get("X-Autosave") == "1"


def _revision(form) -> int | None:
    """The revision the page was opened on (for forms whose errors do not stop the save); a
    page with a broken one is refused as out of date."""
    if form.out_of_date:
        raise ConflictError.out_of_date()
    return form.base_revision


def _conflict(error: ConflictError) -> JsonResponse:
    """An autosave from a page older than the record's last save: nothing stored; the page
    shows the message at the top and stops autosaving (`static/js/portal.js`)."""
    body = {"saved": False, "conflict": True, "error": " ".join(error.messages)}
    return JsonResponse(body, status=409)


def _invalid(form, message: str) -> ValidationError:
    """Why a small form on the internship page (a stage move, a status) was not valid."""
    return ValidationError(form.non_field_errors() if form.out_of_date else message)


# --- The list and the page -----------------------------------------------------------------------


def my_internships(request):
    """A mentor's internships, a trainee's own, a head's staff's; officials: all, filtered."""
    require_role(request.user, *INTERNSHIP_ROLES)
    today = timezone.localdate()
    internships = domain.with_activity(Internship.objects.visible_to(request.user), today)
    form = InternshipFilterForm(request.GET or None) if request.user.is_official else None
    if form is not None:
        internships = form.filter(internships)
        if form.is_valid() and form.cleaned_data["at_risk"]:
            internships = internships.filter(domain.at_risk_filter(today))
    internships = internships.select_related("base_site__organization", "mentor").prefetch_related(
        Prefetch("trainees", Trainee.objects.select_related("person", "organization"))
    )
    page = Paginator(internships, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = domain.internship_rows(page, request.user, today)
    return render(
        request, "mentoring/my_internships.html", {"form": form, "page": page, "rows": rows}
    )


def internship_detail(request, pk):
    """The internship with its map, and one trainee's materials at a time (a tab each)."""
    return _detail_page(request, fetch_internship(request.user, pk))


def _detail_page(request, internship, notes_form=None):
    """The internship page; `notes_form` is the trainee's refused notes, shown as typed."""
    shown, selected = _trainee_tabs(request, internship)
    if selected and notes_form is None:
        notes_form = NotesForm(initial={"host_notes": selected.host_notes}, record=selected)
    doc = domain.build_internship_document(
        internship, trainees=[selected] if selected else [], viewer=request.user
    )
    manage, is_open = may_manage(request.user, internship), doc.is_open
    context = {
        "doc": doc,
        "internship": internship,
        "tabs": _tab_hours(shown),
        "part": doc.blocks[0] if doc.blocks else None,
        "can_manage": manage and is_open,
        "is_trainee": bool(selected and selected.person_id == request.user.pk) and is_open,
        "is_mentor": internship.mentor_id == request.user.pk and is_open,
        "moves": domain.stage_moves(internship) if manage else None,
        "problems": domain.closing_problems(internship) if manage and is_open else [],
        "notes_form": notes_form if selected else None,
    }
    return render(request, "mentoring/internship_detail.html", context)


def _trainee_tabs(request, internship):
    """The trainees whose materials the person reads, and the one to show: the one asked for,
    else the person's own, else the first."""
    shown = list(
        visible_trainees(request.user).filter(internship=internship).select_related("person")
    )
    wanted = request.GET.get("trainee", "")
    selected = next((t for t in shown if str(t.pk) == wanted), None) or next(
        (t for t in shown if t.person_id == request.user.pk), shown[0] if shown else None
    )
    return shown, selected


def _tab_hours(shown):
    minutes = domain.minutes_by_trainee(t.pk for t in shown)
    return [(t, domain.format_minutes(minutes.get(t.pk, 0))) for t in shown]


def internship_pdf(request, pk):
    internship = fetch_internship(request.user, pk)
    shown = list(visible_trainees(request.user).filter(internship=internship))
    data = render_internship_pdf(internship, trainees=shown, request=request)
    return pdf_response(data, internship_filename(internship))


# --- Stages and closing --------------------------------------------------------------------------


@require_POST
def internship_stage(request, pk):
    internship = fetch_internship(request.user, pk, edit=True)
    form = StageForm(request.POST, record=internship)
    try:
        if not form.is_valid():
            raise _invalid(form, _("Choose a stage of the internship."))
        data = form.cleaned_data
        domain.set_stage(
            internship,
            data["stage"],
            by=request.user,
            comment=data["comment"],
            revision=form.base_revision,
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        stage = domain.stage_label(internship.stage)
        messages.success(request, _("The internship is at the «%s» stage.") % stage)
    return _to(internship)


@require_POST
def internship_close(request, pk):
    internship = fetch_internship(request.user, pk, edit=True)
    try:
        marked = domain.close(internship, by=request.user)
    except ValidationError as error:
        messages.error(request, _("The internship cannot be completed yet: %s") % _errors(error))
        return _to(internship, anchor="closing")
    messages.success(request, _("The internship is completed."))
    if marked:
        messages.info(request, _("Development plan tasks marked done: %s.") % marked)
    return _to(internship)


# --- The technological map -----------------------------------------------------------------------


def assignment_create(request, pk):
    internship = fetch_internship(request.user, pk, edit=True)
    return _assignment_form(request, internship, Assignment(internship=internship))


def assignment_edit(request, pk):
    assignment = fetch_assignment(request.user, pk, edit=True)
    return _assignment_form(request, assignment.internship, assignment)


def _assignment_form(request, internship, assignment):
    if refused := _refused(request, internship, anchor="map"):
        return refused
    form = AssignmentForm(request.POST or None, instance=assignment, internship=internship)
    if request.method == "POST" and form.is_valid():
        values = {**form.values(), "by": request.user, "revision": form.base_revision}
        try:
            if assignment.pk:
                domain.update_assignment(assignment, **values)
            else:
                domain.add_assignment(internship, **values)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The assignment is saved."))
            return _to(internship, anchor="map")
    context = {"form": form, "assignment": assignment, "internship": internship}
    return render(request, "mentoring/internship_assignment_form.html", context)


@require_POST
def assignment_status(request, pk):
    assignment = fetch_assignment(request.user, pk, edit=True)
    form = AssignmentStatusForm(request.POST, record=assignment)
    try:
        if not form.is_valid():
            raise _invalid(form, _("Choose the assignment's status."))
        status, revision = form.cleaned_data["status"], form.base_revision
        domain.update_assignment(assignment, by=request.user, status=status, revision=revision)
    except ValidationError as error:
        messages.error(request, _errors(error))
    return _to(assignment.internship, anchor="map")


@require_POST
def assignment_delete(request, pk):
    assignment = fetch_assignment(request.user, pk, edit=True)
    try:
        domain.delete_assignment(assignment, by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("The assignment is removed from the map."))
    return _to(assignment.internship, anchor="map")


# --- Notes and the diary -------------------------------------------------------------------------


@require_POST
def trainee_notes(request, pk):
    """The trainee's notes on the host organisation: saved as typed, or with the button. A
    save from a page older than the trainee's record is refused: an autosave gets 409, the
    button shows the page again with the notes as typed."""
    trainee = fetch_trainee(request.user, pk, acting_as=TRAINEE)
    form = NotesForm(request.POST, record=trainee)
    form.is_valid()
    try:
        text = form.cleaned_data.get("host_notes", "")
        domain.save_notes(trainee, text, by=request.user, revision=_revision(form))
    except ConflictError as error:
        if _autosave(request):
            return _conflict(error)
        messages.error(request, _errors(error))
        return _detail_page(request, trainee.internship, notes_form=form)
    except ValidationError as error:
        if _autosave(request):
            return JsonResponse({"saved": False, "errors": error.messages}, status=400)
        messages.error(request, _errors(error))
        return _to(trainee.internship, trainee, "notes")
    if _autosave(request):
        return JsonResponse({"saved": True, "revision": trainee.revision})
    messages.success(request, _("The notes are saved."))
    return _to(trainee.internship, trainee, "notes")


def entry_create(request, pk):
    """A new diary entry. The form carries a token: the first save (an autosave as the trainee
    types, or the button) creates the draft, and later saves with the same token change that
    draft instead of adding another."""
    trainee = fetch_trainee(request.user, pk, acting_as=TRAINEE)
    if refused := _refused(request, trainee.internship, trainee, "diary"):
        return refused
    token = request.POST.get("draft") or uuid.uuid4().hex
    draft_id = request.session.get(DRAFTS_KEY, {}).get(token)
    entry = trainee.entries.filter(pk=draft_id).first() if draft_id else None
    return _entry_form(request, trainee, entry, token)


def entry_edit(request, pk):
    entry = fetch_entry(request.user, pk, acting_as=TRAINEE)
    if refused := _refused(request, entry.trainee.internship, entry.trainee, "diary"):
        return refused
    return _entry_form(request, entry.trainee, entry, token="")


def _entry_form(request, trainee, entry, token):
    if request.method != "POST":
        if entry is None:
            day, start, end = domain.suggest_slot(trainee)
            form = EntryForm(initial={"day": day, "time_from": start, "time_to": end})
        else:
            form = EntryForm.for_entry(entry)
        return _render_entry(request, trainee, entry, form, token)
    form = EntryForm(request.POST, record=entry)
    form.is_valid()
    submit = "submit" in request.POST and not _autosave(request)
    try:
        revision = _revision(form)
        values = {**form.values(), "submit": submit, "by": request.user, "revision": revision}
        entry = domain.save_entry(trainee, **values, entry=entry)
    except ConflictError as error:
        # Another tab saved the entry since this page was opened: nothing stored.
        if _autosave(request):
            return _conflict(error)
        form.add_error(None, error)
        return _render_entry(request, trainee, entry, form, token)
    except ValidationError as error:
        if _autosave(request):
            return JsonResponse({"saved": False, "errors": error.messages}, status=400)
        form.add_error(None, error)
        return _render_entry(request, trainee, entry, form, token)
    if token:
        _remember_draft(request, token, entry)
    if _autosave(request):
        return JsonResponse({"saved": True, "revision": entry.revision})
    messages.success(request, _("The entry is submitted.") if submit else _("The entry is saved."))
    return _to(trainee.internship, trainee, f"entry-{entry.pk}")


def _remember_draft(request, token, entry):
    drafts = dict(request.session.get(DRAFTS_KEY, {}))
    drafts[token] = entry.pk
    request.session[DRAFTS_KEY] = dict(list(drafts.items())[-20:])  # the latest forms only


def _render_entry(request, trainee, entry, form, token):
    context = {
        "form": form,
        "entry": entry,
        "trainee": trainee,
        "internship": trainee.internship,
        "token": token,
    }
    return render(request, "mentoring/internship_entry_form.html", context)


@require_POST
def entry_delete(request, pk):
    entry = fetch_entry(request.user, pk, acting_as=TRAINEE)
    try:
        domain.delete_entry(entry)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("The draft is removed."))
    return _to(entry.trainee.internship, entry.trainee, "diary")


@require_POST
def entry_comment(request, pk):
    entry = fetch_entry(request.user, pk, acting_as=MENTOR)
    form = CommentForm(request.POST)
    form.is_valid()
    try:
        domain.comment_entry(entry, text=form.cleaned_data.get("text", ""), by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("The comment is saved."))
    return _to(entry.trainee.internship, entry.trainee, f"entry-{entry.pk}")


# --- The matrix ----------------------------------------------------------------------------------


def decision_create(request, pk):
    trainee = fetch_trainee(request.user, pk, acting_as=TRAINEE)
    return _decision_form(request, trainee, None)


def decision_edit(request, pk):
    decision = fetch_decision(request.user, pk, acting_as=TRAINEE)
    return _decision_form(request, decision.trainee, decision)


def _decision_form(request, trainee, decision):
    if refused := _refused(request, trainee.internship, trainee, "matrix"):
        return refused
    initial = {}
    if decision is not None:
        initial = {"text": decision.text, "entry": decision.entry_id}
        initial.update({f"c{r.competency_id}": r.self_rating for r in decision.competencies.all()})
    competencies = list(Competency.objects.order_by("position"))
    form = DecisionForm(
        request.POST or None,
        initial=initial,
        trainee=trainee,
        competencies=competencies,
        record=decision,
    )
    if request.method == "POST" and form.is_valid():
        values = {"text": form.cleaned_data["text"], "entry": form.cleaned_data["entry"]}
        values.update(by=request.user, revision=form.base_revision, decision=decision)
        try:
            domain.save_decision(trainee, **values, ratings=form.ratings())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The decision is saved in the matrix."))
            return _to(trainee.internship, trainee, "matrix")
    context = {"form": form, "decision": decision, "trainee": trainee}
    return render(request, "mentoring/internship_decision_form.html", context)


@require_POST
def decision_delete(request, pk):
    decision = fetch_decision(request.user, pk, acting_as=TRAINEE)
    try:
        domain.delete_decision(decision)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("The decision is removed from the matrix."))
    return _to(decision.trainee.internship, decision.trainee, "matrix")


def decision_rate(request, pk):
    """The mentor's rating of the competencies a decision exercised."""
    decision = fetch_decision(request.user, pk, acting_as=MENTOR)
    trainee = decision.trainee
    if refused := _refused(request, trainee.internship, trainee, "matrix"):
        return refused
    rows = list(decision.competencies.select_related("competency"))
    initial = {f"c{r.competency_id}": r.mentor_rating for r in rows}
    competencies = [r.competency for r in rows]
    form = RatingsForm(
        request.POST or None, initial=initial, competencies=competencies, record=decision
    )
    if request.method == "POST" and form.is_valid():
        try:
            revision = form.base_revision
            domain.rate_decision(decision, form.ratings(), by=request.user, revision=revision)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your ratings are saved."))
            return _to(trainee.internship, trainee, "matrix")
    self_ratings = {r.competency_id: r.self_rating for r in rows}
    context = {"form": form, "decision": decision, "trainee": trainee, "self_ratings": self_ratings}
    return render(request, "mentoring/internship_rate_form.html", context)


# --- Final materials and the assessment ----------------------------------------------------------


def trainee_final(request, pk):
    trainee = fetch_trainee(request.user, pk, acting_as=TRAINEE)
    if refused := _refused(request, trainee.internship, trainee, "final"):
        return refused
    form = FinalForm.for_trainee(trainee, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain.save_final(
                trainee, **form.values(), by=request.user, revision=form.base_revision
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The final materials are saved."))
            return _to(trainee.internship, trainee, "final")
    context = {"form": form, "trainee": trainee, "internship": trainee.internship}
    return render(request, "mentoring/internship_final_form.html", context)


def trainee_assess(request, pk):
    """The mentor's assessment on the internship's competencies and conclusion."""
    trainee = fetch_trainee(request.user, pk, acting_as=MENTOR)
    if refused := _refused(request, trainee.internship, trainee, "final"):
        return refused
    competencies = list(trainee.internship.competencies.order_by("position"))
    initial = {f"c{r.competency_id}": r.rating for r in trainee.ratings.all()}
    initial["conclusion"] = trainee.mentor_conclusion
    form = RatingsForm(
        request.POST or None,
        initial=initial,
        competencies=competencies,
        conclusion=True,
        record=trainee,
    )
    if request.method == "POST" and form.is_valid():
        try:
            values = {"conclusion": form.cleaned_data["conclusion"], "ratings": form.ratings()}
            domain.assess(trainee, **values, by=request.user, revision=form.base_revision)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your assessment is saved."))
            return _to(trainee.internship, trainee, "final")
    context = {"form": form, "trainee": trainee, "internship": trainee.internship}
    return render(request, "mentoring/internship_assess_form.html", context)


def trainee_file(request, pk, kind):
    """The report's or the project's file, to whoever reads the trainee's materials."""
    trainee = fetch_trainee(request.user, pk)
    stored = getattr(trainee, f"{kind}_file")
    if not stored:
        raise Http404
    return serve(stored, getattr(trainee, f"{kind}_file_name") or stored.name)
