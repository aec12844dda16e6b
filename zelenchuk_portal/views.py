"""Registry pages: home, organisations, people and their roles, periods."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import ProtectedError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .access import (
    fetch_membership,
    fetch_organization,
    fetch_period,
    fetch_person,
    official_required,
)
from .concurrency import ConflictError, save_form
from .forms import MembershipForm, OrganizationFilterForm, OrganizationForm, PeriodForm, PersonForm
from .models import Membership, Organization, Period, Role, User
from .navigation import home_url_for


def home(request):
    """Send each person to the home page of his or her main role."""
    target = home_url_for(request.user)
    if target:
        return redirect(target)
    return render(request, "portal/home.html")


def my_organization(request):
    """A head's own organisation card."""
    organization = request.user.organizations_as(Role.PRINCIPAL).first()
    if organization is None:
        return redirect("my_account")
    return redirect(organization)


def my_account(request):
    memberships = request.user.memberships.current().select_related("organization")
    return render(request, "portal/home.html", {"memberships": memberships})


@official_required
def organization_list(request):
    settlements = Organization.objects.order_by("settlement").values_list("settlement", flat=True)
    form = OrganizationFilterForm(request.GET or None, settlements=sorted(set(settlements)))
    organizations = form.filter(Organization.objects.all()).with_head()
    page = Paginator(organizations.order_by("org_type", "short_name"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/organization_list.html", {"form": form, "page": page})


def organization_detail(request, pk):
    organization = fetch_organization(request.user, pk)
    staff = organization.memberships.current().select_related("user").order_by("role")
    return render(
        request,
        "portal/organization_detail.html",
        {"organization": organization, "staff": staff},
    )


@official_required
def organization_create(request):
    return _edit_organization(request, Organization())


def organization_edit(request, pk):
    return _edit_organization(request, fetch_organization(request.user, pk, edit=True))


def _edit_organization(request, organization):
    form = OrganizationForm(request.POST or None, instance=organization)
    if form.is_valid():
        try:
            organization = save_form(form, request.user)
        except ConflictError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Organisation «%s» saved.") % organization)
            return redirect(organization)
    title = str(organization) if organization.pk else _("New organisation")
    return render(
        request, "portal/form.html", {"form": form, "object": organization, "title": title}
    )


@require_POST
def organization_delete(request, pk):
    organization = fetch_organization(request.user, pk, edit=True)
    try:
        organization.delete()
    except ProtectedError:
        messages.error(
            request,
            _(
                "«%s» cannot be deleted: the portal holds its data (roles, monitoring, plans). "
                "Mark it inactive instead: it will leave the lists and keep its history."
            )
            % organization,
        )
        return redirect(organization)
    messages.success(request, _("Organisation «%s» deleted.") % organization)
    return redirect("organization_list")


@official_required
def person_list(request):
    query = request.GET.get("q", "").strip()
    people = User.objects.prefetch_related("memberships__organization")
    if query:
        people = people.filter(last_name__icontains=query) | people.filter(username=query)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    return render(request, "portal/person_list.html", {"page": page, "query": query})


def person_detail(request, pk):
    person = fetch_person(request.user, pk)
    memberships = person.memberships.select_related("organization").order_by("-end_date")
    return render(
        request, "portal/person_detail.html", {"person": person, "memberships": memberships}
    )


@official_required
def person_create(request):
    return _edit_person(request, User())


def person_edit(request, pk):
    return _edit_person(request, fetch_person(request.user, pk))


def _edit_person(request, person):
    form = PersonForm(request.POST or None, instance=person)
    if form.is_valid():
        try:
            person = save_form(form, request.user)
        except ConflictError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%s saved.") % person)
            return redirect(person)
    title = str(person) if person.pk else _("New person")
    return render(request, "portal/form.html", {"form": form, "object": person, "title": title})


def membership_create(request, person_pk):
    person = fetch_person(request.user, person_pk)
    return _edit_membership(request, Membership(user=person))


def membership_edit(request, pk):
    return _edit_membership(request, fetch_membership(request.user, pk))


def _edit_membership(request, membership):
    form = MembershipForm(request.POST or None, instance=membership)
    if form.is_valid():
        form.save()
        messages.success(request, _("Role saved."))
        return redirect(membership.user)
    title = _("Role of %s") % membership.user
    context = {"form": form, "object": membership, "person": membership.user, "title": title}
    return render(request, "portal/form.html", context)


@official_required
def period_list(request):
    return render(request, "portal/period_list.html", {"periods": Period.objects.all()})


@official_required
def period_create(request):
    return _edit_period(request, Period())


def period_edit(request, pk):
    return _edit_period(request, fetch_period(request.user, pk))


def _edit_period(request, period):
    form = PeriodForm(request.POST or None, instance=period)
    if form.is_valid():
        period = form.save()
        messages.success(request, _("Period %s saved.") % period)
        return redirect("period_list")
    title = _("Period %s") % period if period.pk else _("New period")
    return render(request, "portal/form.html", {"form": form, "object": period, "title": title})
