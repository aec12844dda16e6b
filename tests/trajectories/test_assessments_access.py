"""Who reaches which self-assessment page: scope → 404, role → 403, anonymous → the login page.

Every view of the `assessments` namespace that takes an id is listed in ID_PAGES;
`test_every_view_with_an_id_is_covered` fails when one is added without an access case.
"""

from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.urls import get_resolver, reverse

from tests.conftest import make_person
from tests.trajectories.test_assessments import submit
from trajectories import assessments as domain
from trajectories.models import Assessment, Deficit
from zelenchuk_portal.models import Role

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

# (url name, method, which object the id names)
ID_PAGES = [
    ("assessment_detail", "get", "assessment"),
    ("assessment_pdf", "get", "assessment"),
    ("assessment_edit", "get", "assessment"),
    ("assessment_copy", "post", "assessment"),
    ("expert_rating", "get", "assessment"),
    ("assessment_return", "post", "assessment"),
    ("assessment_assign", "post", "assessment"),
    ("evidence_download", "get", "item"),
    ("evidence_upload", "post", "item"),
    ("evidence_delete", "post", "item"),
    ("deficit_decide", "post", "deficit"),
]
PLAIN_PAGES = [
    ("my_assessment", (Role.PRINCIPAL, Role.CANDIDATE)),
    ("to_rate", (Role.EXPERT, Role.MENTOR)),
    ("assessment_list", (Role.OFFICIAL,)),
    ("deficit_rule", (Role.OFFICIAL,)),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(period, principal_a, expert, official):
    """A's submitted assessment, assigned to the expert, with evidence and a proposed deficit."""
    assessment = submit(principal_a, period, default=3, **{"1.1": 0})
    target = assessment.items.get(competency__code="1.1")
    target.evidence.save("e.pdf", ContentFile(PDF))
    target.evidence_name = "Приказ.pdf"
    target.save()
    domain.assign_expert(assessment, expert, official)
    return {
        "assessment": assessment,
        "item": target,
        "deficit": assessment.deficits.get(),
    }


def url_of(world, name, kind):
    return reverse(f"assessments:{name}", args=[world[kind].pk])


def call(client, method, url):
    return getattr(client, method)(url)


@pytest.fixture
def person(request):
    return request.getfixturevalue


def test_every_view_with_an_id_is_covered():
    resolver = get_resolver().namespace_dict["assessments"][1]
    with_id = {p.name for p in resolver.url_patterns if p.pattern.converters}
    without = {p.name for p in resolver.url_patterns if not p.pattern.converters}
    assert with_id == {name for name, _m, _k in ID_PAGES}
    assert without == {name for name, _roles in PLAIN_PAGES}


@pytest.mark.parametrize(("name", "method", "kind"), ID_PAGES)
def test_anonymous_goes_to_the_login_page(client, world, name, method, kind):
    url = url_of(world, name, kind)
    response = call(client, method, url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={quote(url)}"


@pytest.mark.parametrize(("name", "_roles"), PLAIN_PAGES)
def test_anonymous_goes_to_the_login_page_from_lists(client, db, name, _roles):
    url = reverse(f"assessments:{name}")
    assert client.get(url).url == f"{reverse('login')}?next={quote(url)}"


@pytest.mark.parametrize(("name", "method", "kind"), ID_PAGES)
@pytest.mark.parametrize("who", ["principal_b", "candidate", "mentor", "other_expert"])
def test_out_of_scope_gets_404(login, world, person, name, method, kind, who):
    """Another school's head, a candidate of the same school, a mentor or an expert who is not
    assigned: none learns that A's assessment exists."""
    user = make_person("expert2", Role.EXPERT) if who == "other_expert" else person(who)
    response = call(login(user), method, url_of(world, name, kind))
    assert response.status_code == 404
    assessment = Assessment.objects.get(pk=world["assessment"].pk)
    assert assessment.status == Assessment.Status.SUBMITTED
    assert assessment.expert_id == world["assessment"].expert_id


@pytest.mark.parametrize(("name", "method", "kind"), ID_PAGES)
def test_a_draft_is_private_even_to_officials_and_the_expert(
    login, period, principal_a, official, expert, name, method, kind
):
    assessment = domain.start_assessment(principal_a, period)
    objects = {
        "assessment": assessment,
        "item": assessment.items.first(),
        "deficit": Deficit.objects.create(assessment=assessment, block=1),
    }
    Assessment.objects.filter(pk=assessment.pk).update(expert=expert)
    for viewer in (official, expert):
        response = call(login(viewer), method, url_of(objects, name, kind))
        assert response.status_code == 404


# In scope, but not the right relationship to the assessment → 403.
WRONG_ROLE = [
    ("assessment_edit", "official"),
    ("assessment_copy", "official"),
    ("evidence_upload", "official"),
    ("evidence_delete", "official"),
    ("expert_rating", "official"),
    ("assessment_edit", "expert"),
    ("evidence_upload", "expert"),
    ("assessment_assign", "expert"),
    ("expert_rating", "principal_a"),
    ("assessment_return", "principal_a"),
    ("assessment_assign", "principal_a"),
    ("deficit_decide", "principal_a"),
]


@pytest.mark.parametrize(("name", "who"), WRONG_ROLE)
def test_wrong_role_gets_403(login, world, person, name, who):
    method, kind = next((m, k) for n, m, k in ID_PAGES if n == name)
    response = call(login(person(who)), method, url_of(world, name, kind))
    assert response.status_code == 403
    assessment = Assessment.objects.get(pk=world["assessment"].pk)
    assert assessment.status == Assessment.Status.SUBMITTED
    assert Deficit.objects.get(pk=world["deficit"].pk).status == Deficit.Status.PROPOSED


@pytest.mark.parametrize(("name", "roles"), PLAIN_PAGES)
@pytest.mark.parametrize("who", ["official", "principal_a", "candidate", "mentor", "expert"])
def test_list_pages_by_role(login, period, person, name, roles, who):
    user = person(who)
    response = login(user).get(reverse(f"assessments:{name}"))
    allowed = any(user.has_role(role) for role in roles)
    assert (response.status_code in (200, 302)) if allowed else response.status_code == 403


# Who may do what, in scope.
ALLOWED = [
    ("assessment_detail", "principal_a", 200),
    ("assessment_detail", "expert", 200),
    ("assessment_detail", "official", 200),
    ("assessment_pdf", "principal_a", 200),
    ("assessment_pdf", "official", 200),
    ("evidence_download", "principal_a", 200),
    ("evidence_download", "expert", 200),
    ("evidence_download", "official", 200),
    ("expert_rating", "expert", 200),
    ("assessment_assign", "official", 302),
    ("assessment_return", "expert", 302),
    ("assessment_return", "official", 302),
    ("deficit_decide", "expert", 302),
    ("deficit_decide", "official", 302),
]


@pytest.mark.parametrize(("name", "who", "status"), ALLOWED)
def test_the_right_people_get_in(login, world, person, name, who, status):
    method, kind = next((m, k) for n, m, k in ID_PAGES if n == name)
    response = call(login(person(who)), method, url_of(world, name, kind))
    assert response.status_code == status


def test_a_mentor_assigned_as_expert_sees_and_rates(login, world, mentor, official):
    assessment = world["assessment"]
    domain.assign_expert(assessment, mentor, official)
    rating_url = reverse("assessments:expert_rating", args=[assessment.pk])
    client = login(mentor)
    assert client.get(rating_url).status_code == 200
    assert rating_url in client.get(reverse("assessments:to_rate")).content.decode()


def test_the_replaced_expert_loses_access(login, world, expert, official):
    assessment = world["assessment"]
    domain.assign_expert(assessment, make_person("expert3", Role.EXPERT), official)
    url = reverse("assessments:assessment_detail", args=[assessment.pk])
    assert login(expert).get(url).status_code == 404


def test_the_author_keeps_seeing_own_assessment_in_every_state(login, world, principal_a):
    url = reverse("assessments:assessment_detail", args=[world["assessment"].pk])
    assert login(principal_a).get(url).status_code == 200
