"""Who reaches which candidacy, training record and contest.

Every view of `reserve/candidate_urls.py` that takes an id is listed in ID_PAGES;
`test_every_view_with_an_id_is_covered` fails when one is added without an access case. The
world: the cast's candidate (school A) in the reserve, with a training record (and its
document) and a contest.
"""

from datetime import date
from urllib.parse import quote

import pytest
from django.urls import reverse

from reserve import candidate_urls
from reserve.access import fetch_candidacy
from reserve.models import Candidacy, Contest, ReadinessReview, Status, StatusChange, Training
from tests.conftest import make_person
from tests.reserve.conftest import enrol_in, new_person
from zelenchuk_portal.models import Membership, Role

# (name, method, object, who may: view | manage)
ID_PAGES = [
    ("candidate_detail", "get", "candidacy", "view"),
    ("candidate_edit", "get", "candidacy", "manage"),
    ("candidate_edit", "post", "candidacy", "manage"),
    ("candidate_approve", "post", "candidacy", "manage"),
    ("candidate_reject", "post", "candidacy", "manage"),
    ("candidate_enrol", "post", "candidacy", "manage"),
    ("candidate_move", "post", "candidacy", "manage"),
    ("readiness_confirm", "post", "candidacy", "manage"),
    ("training_add", "get", "candidacy", "manage"),
    ("training_add", "post", "candidacy", "manage"),
    ("training_edit", "get", "training", "manage"),
    ("training_edit", "post", "training", "manage"),
    ("training_delete", "post", "training", "manage"),
    ("training_document", "get", "training", "view"),
    ("contest_add", "get", "candidacy", "manage"),
    ("contest_add", "post", "candidacy", "manage"),
    ("contest_delete", "post", "contest", "manage"),
]
# (name, the roles that reach it)
LIST_PAGES = [
    ("candidate_list", {"official", "principal_a"}),
    ("candidate_export", {"official", "principal_a"}),
    ("nominate", {"official", "principal_a"}),
    ("my_reserve", {"principal_a", "candidate"}),
]
MAY = {
    "official": {"view", "manage"},
    "principal_a": {"view"},  # the candidate works in his or her school
    "candidate": {"view"},  # it is his or her own candidacy
}


@pytest.fixture
def world(candidacy, training, contest):
    return {"candidacy": candidacy, "training": training, "contest": contest}


@pytest.fixture
def colleague(org_a):
    """Another reserve candidate of school A: sees only his or her own candidacy."""
    return make_person("colleague", Role.CANDIDATE, org_a)


@pytest.fixture
def roleless(db):
    return make_person("nobody", None)


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


def url_of(world, name, kind):
    return reverse(f"reserve:{name}", args=[world[kind].pk])


def call(client, method, url):
    if method == "get":
        return client.get(url)
    data = {
        "status": Status.REMOVED,
        "on": "2025-03-01",
        "comment": "Переезд",
        "reason": "Переезд",
        "order": "7-к",
        "ready": "0",
        "position": "заместитель директора",
        "name": "Конкурс",
        "level": "municipal",
        "result": "winner",
        "held_on": "2025-03-01",
        "programme": "Курс",
        "provider": "ИПК",
        "hours": "16",
        "start_date": "2025-02-01",
        "end_date": "2025-02-02",
    }
    return client.post(url, data)


def test_every_view_with_an_id_is_covered():
    patterns = candidate_urls.urlpatterns
    with_id = {p.name for p in patterns if p.pattern.converters}
    without = {p.name for p in patterns if not p.pattern.converters}
    assert with_id == {name for name, *_rest in ID_PAGES}
    assert without == {name for name, _roles in LIST_PAGES}


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
def test_anonymous_goes_to_the_login_page(client, world, name, method, kind, needs):
    url = url_of(world, name, kind)
    response = call(client, method, url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={quote(url)}"


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
@pytest.mark.parametrize("who", ["official", "principal_a", "candidate"])
def test_who_may_act_on_the_candidacy(
    request_fixture, login, world, name, method, kind, needs, who
):
    response = call(login(request_fixture(who)), method, url_of(world, name, kind))
    if needs in MAY[who]:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
@pytest.mark.parametrize("who", ["principal_b", "colleague"])
def test_people_outside_the_candidacy_get_404(
    request_fixture, login, world, name, method, kind, needs, who
):
    """Principal B (another school), a candidate of the same school who is somebody else."""
    response = call(login(request_fixture(who)), method, url_of(world, name, kind))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
@pytest.mark.parametrize("who", ["expert", "mentor", "roleless"])
def test_roles_outside_the_reserve_get_403(
    request_fixture, login, world, name, method, kind, needs, who
):
    response = call(login(request_fixture(who)), method, url_of(world, name, kind))
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "roles"), LIST_PAGES)
@pytest.mark.parametrize(
    "who", ["official", "principal_a", "candidate", "expert", "mentor", "roleless"]
)
def test_list_pages_by_role(request_fixture, login, world, name, roles, who):
    response = login(request_fixture(who)).get(reverse(f"reserve:{name}"))
    assert response.status_code == (200 if who in roles else 403)


@pytest.mark.parametrize(("name", "roles"), LIST_PAGES)
def test_anonymous_goes_to_the_login_page_from_lists(client, name, roles):
    response = client.get(reverse(f"reserve:{name}"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_nothing_changes_when_access_is_refused(login, world, principal_a, principal_b, expert):
    candidacy = world["candidacy"]
    for who in (principal_a, principal_b, expert):
        client = login(who)
        for name, method, kind, _needs in ID_PAGES:
            if method == "post":
                call(client, method, url_of(world, name, kind))
    candidacy.refresh_from_db()
    assert (
        candidacy.status == Status.ENROLLED and candidacy.position == "заместитель директора по УВР"
    )
    assert StatusChange.objects.filter(candidacy=candidacy).count() == 2
    assert Training.objects.count() == 1 and Contest.objects.count() == 1
    assert not ReadinessReview.objects.exists()


# --- Scope ---------------------------------------------------------------------------------------


def visible(user) -> set[int]:
    return set(Candidacy.objects.visible_to(user).values_list("pk", flat=True))


def test_scope_of_each_role(
    official,
    principal_a,
    principal_b,
    candidate,
    colleague,
    expert,
    candidacy,
    candidacy_b,
    staff_nomination,
):
    everybody = {candidacy.pk, candidacy_b.pk, staff_nomination.pk}
    assert visible(official) == everybody
    assert visible(principal_a) == {candidacy.pk, staff_nomination.pk}
    assert visible(principal_b) == {candidacy_b.pk}
    assert visible(candidate) == {candidacy.pk}
    assert visible(colleague) == set()
    assert visible(expert) == set()


def test_a_head_who_left_the_post_no_longer_sees_the_school_s_candidates(
    principal_a, candidacy, org_a
):
    Membership.objects.filter(user=principal_a, role=Role.PRINCIPAL).update(
        start_date=date(2015, 9, 1), end_date=date(2024, 12, 31)
    )
    principal_a = type(principal_a).objects.get(pk=principal_a.pk)  # roles are cached per object
    assert visible(principal_a) == set()


def test_a_head_sees_his_or_her_own_candidacy_from_another_school(
    official, principal_b, org_a, period
):
    """A head nominated to the reserve from school A, now heading school B."""
    own = enrol_in(principal_b, org_a, official)
    other = enrol_in(new_person("Иванова", "Ольга"), org_a, official)
    assert visible(principal_b) == {own.pk}
    assert fetch_candidacy(principal_b, own.pk) == own
    assert other.pk not in visible(principal_b)
