"""Pages of base sites, agreements, matching, internship creation and analytics (officials;
a mentor reads his or her own base site and its agreements).

Every view with an id fetches through `site_access.py`: outside the person's scope → 404, in
scope but the wrong role → 403. The rules live in `sites.py`, `agreements.py`, `matching.py`,
`assignment.py` and `analytics.py`.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zelenchuk_portal.access import official_required, require_role
from zelenchuk_portal.excel import excel_response, table_workbook
from zelenchuk_portal.files import serve
from zelenchuk_portal.models import Role

from . import analytics as report
from .agreements import AgreementData, save_agreement
from .assignment import create_internship
from .matching import internship_defaults, suggest_mentors
from .models import Agreement, BaseSite, Internship
from .site_access import fetch_agreement, fetch_site, visible_sites
from .site_forms import (
    AgreementForm,
    AnalyticsFilterForm,
    InternshipForm,
    MatchForm,
    SiteForm,
    SiteOrganizationForm,
)
from .sites import (
    SiteData,
    deactivate_site,
    designate_site,
    latest_scored_period,
    site_card,
    site_mentors,
    suggested_sites,
    update_site,
    with_load,
)

PAGE_SIZE = 50


def _values(form) -> dict:
    """The form's data without the revision it carries (`form.base_revision`, passed apart)."""
    return {k: v for k, v in form.cleaned_data.items() if k != "base_revision"}


def add_errors(form, error: ValidationError) -> None:
    """Put a domain error on the form: each message on its field, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages_ in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages_)


# --- Base sites ----------------------------------------------------------------------------------


def site_list(request):
    """Officials: active and inactive base sites with their load, and the organisations
    monitoring suggests as new ones. A mentor: his or her own site(s), the only one opened."""
    require_role(request.user, Role.OFFICIAL, Role.MENTOR)
    sites = list(with_load(visible_sites(request.user).order_by("organization__short_name")))
    if not request.user.is_official and len(sites) == 1:
        return redirect("mentoring:site_detail", sites[0].pk)
    period = latest_scored_period() if request.user.is_official else None
    context = {
        "active": [s for s in sites if s.is_active],
        "inactive": [s for s in sites if not s.is_active],
        "suggested": suggested_sites(period) if period else [],
        "period": period,
    }
    return render(request, "mentoring/site_list.html", context)


@official_required
def site_create(request):
    """Designate a base site: first the organisation, then its details and mentors."""
    choice = SiteOrganizationForm(request.GET or None)
    if not choice.is_valid():
        context = {"form": choice, "suggested": suggested_sites()}
        return render(request, "mentoring/site_choose.html", context)
    organization = choice.cleaned_data["organization"]
    # A site deactivated earlier is designated anew: the form carries its revision.
    earlier = BaseSite.objects.filter(organization=organization).first()
    form = SiteForm(request.POST or None, organization=organization, record=earlier)
    if request.method == "POST" and form.is_valid():
        try:
            data, revision = SiteData(**_values(form)), form.base_revision
            site = designate_site(organization, data, by=request.user, revision=revision)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("%(name)s is designated a base site.") % {"name": organization}
            )
            return redirect("mentoring:site_detail", site.pk)
    return render(request, "mentoring/site_form.html", {"form": form, "organization": organization})


def site_detail(request, pk):
    site = fetch_site(request.user, pk)
    context = {
        "card": site_card(site),
        "agreements": site.agreements.select_related("host_organization", "trainee_organization"),
        "internships": Internship.objects.visible_to(request.user)
        .filter(base_site=site)
        .select_related("mentor", "agreement")
        .prefetch_related("trainees__person"),
    }
    return render(request, "mentoring/site_detail.html", context)


def site_edit(request, pk):
    site = fetch_site(request.user, pk, edit=True)
    initial = {
        "designated_on": site.designated_on,
        "order": site.order,
        "themes": site.themes,
        "capacity": site.capacity,
        "note": site.note,
        "mentors": site_mentors(site),
    }
    form = SiteForm(
        request.POST or None, initial=initial, organization=site.organization, record=site
    )
    if request.method == "POST" and form.is_valid():
        try:
            data, revision = SiteData(**_values(form)), form.base_revision
            update_site(site, data, by=request.user, revision=revision)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The base site is saved."))
            return redirect("mentoring:site_detail", site.pk)
    context = {"form": form, "organization": site.organization, "site": site}
    return render(request, "mentoring/site_form.html", context)


@require_POST
def site_deactivate(request, pk):
    site = fetch_site(request.user, pk, edit=True)
    try:
        deactivate_site(site, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The base site is deactivated."))
    return redirect("mentoring:site_detail", site.pk)


# --- Agreements ----------------------------------------------------------------------------------


@official_required
def agreement_list(request):
    agreements = Agreement.objects.select_related(
        "base_site__organization", "host_organization", "trainee_organization"
    )
    site = request.GET.get("site", "")
    if site.isdigit():
        agreements = agreements.filter(base_site_id=site)
    context = {
        "page": Paginator(agreements, PAGE_SIZE).get_page(request.GET.get("page")),
    }
    return render(request, "mentoring/agreement_list.html", context)


def _agreement_form(request, agreement: Agreement | None):
    site = request.GET.get("site", "")
    initial = {}
    if agreement is None and site.isdigit():
        found = BaseSite.objects.filter(pk=site).first()
        if found:
            initial = {"base_site": found, "host_organization": found.organization_id}
    form = AgreementForm(
        request.POST or None, request.FILES or None, initial=initial, agreement=agreement
    )
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in _values(form).items() if k != "file"}
        try:
            saved = save_agreement(
                agreement,
                AgreementData(**fields),
                upload=form.cleaned_data["file"],
                by=request.user,
                revision=form.base_revision,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The agreement is saved."))
            return redirect("mentoring:agreement_detail", saved.pk)
    return render(request, "mentoring/agreement_form.html", {"form": form, "agreement": agreement})


@official_required
def agreement_create(request):
    return _agreement_form(request, None)


def agreement_edit(request, pk):
    return _agreement_form(request, fetch_agreement(request.user, pk, edit=True))


def agreement_detail(request, pk):
    agreement = fetch_agreement(request.user, pk)
    context = {
        "agreement": agreement,
        "internships": Internship.objects.visible_to(request.user)
        .filter(agreement=agreement)
        .select_related("mentor")
        .prefetch_related("trainees__person"),
    }
    return render(request, "mentoring/agreement_detail.html", context)


def agreement_file(request, pk):
    agreement = fetch_agreement(request.user, pk)
    if not agreement.file:
        raise Http404
    return serve(agreement.file, agreement.file_name or "agreement")


# --- Matching and assignment ---------------------------------------------------------------------


@official_required
def match(request):
    """Pick a trainee; the mentors who suit him or her, ranked, with the reasons."""
    form = MatchForm(request.GET or None)
    result = suggest_mentors(form.cleaned_data["person"]) if form.is_valid() else None
    return render(request, "mentoring/match.html", {"form": form, "match": result})


def _ids(get, *names) -> dict[str, int]:
    return {name: int(get[name]) for name in names if get.get(name, "").isdigit()}


@official_required
def internship_create(request):
    initial = internship_defaults(**_ids(request.GET, "trainee", "mentor", "base_site"))
    form = InternshipForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = _values(form)
        data["trainees"] = list(data["trainees"])
        try:
            internship = create_internship(**data, by=request.user, revision=form.base_revision)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The internship is created."))
            return redirect(internship)
    return render(request, "mentoring/internship_form.html", {"form": form})


# --- Analytics -----------------------------------------------------------------------------------


@official_required
def analytics(request):
    form = AnalyticsFilterForm(request.GET or None)
    start, end = form.span(report.default_span())
    built = report.build_analytics(start, end)
    table = request.GET.get("table")
    if table:
        sheets = report.chosen_sheets(built, table)
        if not sheets:
            return redirect("mentoring:analytics")
        name = f"nastavnichestvo_{table}_{start:%Y-%m-%d}_{end:%Y-%m-%d}.xlsx"
        return excel_response(table_workbook(sheets, title=_("Mentoring analytics")), name)
    context = {
        "form": form,
        "a": built,
        "filter_query": request.GET.urlencode() if form.is_bound else "",
        "activity_svg": report.activity_chart(built),
        "mentor_svg": report.mentor_chart(built),
    }
    return render(request, "mentoring/analytics.html", context)
