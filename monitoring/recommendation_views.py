"""Targeted recommendations pages (namespace `recommendations`).

Officials keep the rule library, draft, edit and issue each head's letter; a head reads his or
her own issued letter and downloads it. Every view with an id fetches through a helper below:
outside the person's scope → 404, in scope but the wrong role → 403.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zelenchuk_portal.access import require_role
from zelenchuk_portal.concurrency import ConflictError, guarded
from zelenchuk_portal.jobs import announce, latest_job, run_job
from zelenchuk_portal.models import Period, Role
from zelenchuk_portal.pdf import content_disposition, pdf_response

from . import recommendations as domain
from .access import fetch_org_period, fetch_period
from .jobs import LETTERS_ZIP
from .methodology import version_for
from .models import Recommendation, RecommendationItem, RecommendationRule
from .recommendation_forms import ItemFormSet, LetterForm, RuleForm, WithdrawForm

# --- Access: one helper per object type ----------------------------------------------------------


def fetch_rule(user, pk) -> RecommendationRule:
    require_role(user, Role.OFFICIAL)
    return get_object_or_404(RecommendationRule, pk=pk)


def fetch_letter(user, period_pk, org_pk, *, edit: bool = False):
    """The period, the organisation and its letter (None if there is none): officials see
    every letter; a head sees his or her own organisation's, and only once it is issued."""
    period, organization = fetch_org_period(user, period_pk, org_pk)
    if edit:
        require_role(user, Role.OFFICIAL)  # after the scope check: B gets 404 on A's letter
    letters = Recommendation.objects.filter(period=period, organization=organization)
    if not user.is_official:
        letters = letters.filter(status=Recommendation.Status.ISSUED)
    return period, organization, letters.first()


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _catalogue():
    period = Period.objects.current()
    if period is None:
        from .methodology import default_version

        return default_version().catalogue
    return version_for(period).catalogue


# --- Where to start ------------------------------------------------------------------------------


def home(request):
    """Officials go to the current period's overview; a head to his or her letter."""
    period = Period.objects.current()
    if period is None:
        raise PermissionDenied
    if request.user.is_official:
        return redirect("recommendations:period_overview", period.pk)
    organization = request.user.organizations_as(Role.PRINCIPAL).first()
    if organization is None:
        raise PermissionDenied
    return redirect("recommendations:org_recommendations", period.pk, organization.pk)


# --- The rule library ----------------------------------------------------------------------------


def rule_list(request):
    require_role(request.user, Role.OFFICIAL)
    issued = RecommendationItem.objects.filter(
        rule=OuterRef("pk"), recommendation__status=Recommendation.Status.ISSUED
    )
    rules = list(RecommendationRule.objects.annotate(in_issued=Exists(issued)))
    context = {
        "groups": domain.group_rules([r for r in rules if r.is_active], _catalogue()),
        "inactive": [r for r in rules if not r.is_active],
        "deficit_sources": domain.has_deficit_sources(),
        "risk_kinds": domain.RISK_KINDS,
    }
    return render(request, "recommendations/rule_list.html", context)


def rule_create(request):
    require_role(request.user, Role.OFFICIAL)
    return _rule_form(request, RecommendationRule(position=_next_position()))


def rule_edit(request, pk):
    return _rule_form(request, fetch_rule(request.user, pk))


def _next_position() -> int:
    last = RecommendationRule.objects.order_by("-position").values_list("position", flat=True)
    return (last.first() or 0) + 10


def _rule_form(request, rule):
    form = RuleForm(request.POST or None, instance=rule, catalogue=_catalogue())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Rule «%s» saved.") % rule.title)
        return redirect("recommendations:rule_list")
    return render(request, "recommendations/rule_form.html", {"form": form, "rule": rule})


@require_POST
def rule_toggle(request, pk):
    rule = fetch_rule(request.user, pk)
    rule.is_active = not rule.is_active
    rule.save(update_fields=["is_active", "updated_at"])
    if rule.is_active:
        messages.success(request, _("Rule «%s» is in use again.") % rule.title)
    else:
        messages.info(request, _("Rule «%s» is no longer used for new drafts.") % rule.title)
    return redirect("recommendations:rule_list")


@require_POST
def rule_delete(request, pk):
    rule = fetch_rule(request.user, pk)
    try:
        domain.delete_rule(rule)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Rule «%s» deleted.") % rule.title)
    return redirect("recommendations:rule_list")


# --- A period ------------------------------------------------------------------------------------


def period_overview(request, pk):
    period = fetch_period(request.user, pk)
    context = {
        "overview": domain.build_period_overview(period),
        "periods": Period.objects.all(),
        "job": latest_job(period, LETTERS_ZIP, request.user),
    }
    return render(request, "recommendations/period_overview.html", context)


@require_POST
def period_draft(request, pk):
    period = fetch_period(request.user, pk)
    summary = domain.draft_recommendations(period, user=request.user)
    _report_draft(request, summary)
    return redirect("recommendations:period_overview", period.pk)


def _report_draft(request, summary):
    if summary.scored == 0:
        messages.warning(request, _("There are no scores for this period yet: nothing to draft."))
        return
    messages.success(
        request,
        _(
            "Drafted: %(created)s new letters, %(items)s new recommendations. "
            "Issued letters were left as they are (%(kept)s)."
        )
        % {"created": summary.created, "items": summary.items, "kept": summary.issued_kept},
    )


def letters_zip(request, pk):
    """The ZIP of the period's letters: handed over at once when it is made in the request,
    else prepared by a worker while the overview shows its progress and then the link."""
    period = fetch_period(request.user, pk)
    include_drafts = request.GET.get("drafts") == "1"
    job = run_job(
        LETTERS_ZIP,
        user=request.user,
        target=period,
        period_id=period.pk,
        include_drafts=include_drafts,
    )
    if job.is_done:  # made in this request: hand it over at once, as before
        with job.result_file.open("rb") as archive:
            response = HttpResponse(archive.read(), content_type="application/zip")
        response["Content-Disposition"] = content_disposition(job.result_name, attachment=True)
        return response
    announce(request, job)
    return redirect("recommendations:period_overview", period.pk)


# --- An organisation's letter --------------------------------------------------------------------


def org_recommendations(request, period_pk, org_pk):
    period, organization, letter = fetch_letter(request.user, period_pk, org_pk)
    if not request.user.is_official:
        if request.method == "POST":
            raise PermissionDenied  # heads read their letter; the office writes it
        return _render_letter(request, period, organization, letter)
    letter = letter or Recommendation(period=period, organization=organization)
    if request.method == "POST":
        if letter.status == Recommendation.Status.DRAFT:
            return _save_letter(request, letter)
        messages.error(request, _("The letter is issued and read-only: withdraw it to correct it."))
    return _render_editor(request, letter)


def _render_letter(request, period, organization, letter):
    context = {
        "period": period,
        "organization": organization,
        "letter": domain.build_letter(letter) if letter else None,
    }
    return render(request, "recommendations/org_letter.html", context)


def _render_editor(request, letter, letter_form=None, formset=None):
    saved = letter.pk is not None
    letter_form = letter_form or LetterForm(instance=letter)
    if formset is None and letter.status == Recommendation.Status.DRAFT:
        formset = ItemFormSet(letter=letter, letter_date=letter_form.letter_date())
    built = domain.build_letter(letter)
    context = {
        "period": letter.period,
        "organization": letter.organization,
        "recommendation": letter,
        "letter": built,
        "letter_form": letter_form,
        "formset": formset,
        "stale": domain.stale_items(letter) if saved else set(),
        "history": domain.history_lines(letter),
        "withdraw_form": WithdrawForm(),
    }
    return render(request, "recommendations/org_editor.html", context)


def _save_letter(request, letter):
    letter_form = LetterForm(request.POST, instance=letter)
    formset = ItemFormSet(request.POST, letter=letter, letter_date=letter_form.letter_date())
    if not (letter_form.is_valid() and formset.is_valid()):
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
        return _render_editor(request, letter, letter_form, formset)
    try:
        with guarded(letter, letter_form.base_revision, request.user):
            letter_form.save()
            formset.save_items()
    except ConflictError as error:  # another official saved the letter since this page opened
        letter_form.refuse(error)
        return _render_editor(request, letter, letter_form, formset)
    back = redirect("recommendations:org_recommendations", letter.period_id, letter.organization_id)
    if "issue" not in request.POST:
        messages.success(request, _("Draft saved."))
        return back
    try:
        domain.issue_recommendation(
            letter, number=letter.number, issued_on=letter.issued_at, user=request.user
        )
    except ValidationError as error:
        messages.error(request, _("The draft is saved but not issued: %s") % _errors(error))
    else:
        messages.success(request, _("Recommendations issued: № %s.") % letter.number)
    return back


@require_POST
def org_draft(request, period_pk, org_pk):
    period, organization, _letter = fetch_letter(request.user, period_pk, org_pk, edit=True)
    summary = domain.draft_recommendations(period, [organization], user=request.user)
    if summary.issued_kept:
        messages.info(request, _("The letter is issued: it was left as it is."))
    elif summary.items:
        messages.success(request, _("%s new recommendations added to the draft.") % summary.items)
    else:
        messages.info(request, _("No new rule matches this organisation's results."))
    return redirect("recommendations:org_recommendations", period.pk, organization.pk)


@require_POST
def org_withdraw(request, period_pk, org_pk):
    period, organization, letter = fetch_letter(request.user, period_pk, org_pk, edit=True)
    if letter is None:
        raise Http404
    form = WithdrawForm(request.POST)
    try:
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        domain.withdraw_recommendation(letter, reason=reason, user=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.info(request, _("The letter is withdrawn and can be edited again."))
    return redirect("recommendations:org_recommendations", period.pk, organization.pk)


def letter_pdf(request, period_pk, org_pk):
    _period, _organization, letter = fetch_letter(request.user, period_pk, org_pk)
    if letter is None:
        raise Http404  # a head's draft does not exist for him or her
    built = domain.build_letter(letter)
    return pdf_response(domain.render_letter_pdf(built, request=request), built.filename)
