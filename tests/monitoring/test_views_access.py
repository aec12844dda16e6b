"""Who reaches which monitoring page: scope → 404, role → 403, anonymous → the login page.

Every monitoring view that takes an id is listed here; `test_every_view_with_an_id_is_covered`
fails when a new one is added to `monitoring/urls.py` without an access case.
"""

from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.urls import get_resolver, reverse

from monitoring.imports import preview_upload
from monitoring.methodology import version_for
from monitoring.models import Evidence, ImportRecord, PeriodEvent, SelfReport
from monitoring.selfreports import start_report

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(period, org_a, org_b, principal_a, official):
    """Org A's objects of every kind, and an upload awaiting confirmation."""
    report = start_report(period, org_a)
    evidence = Evidence.objects.create(
        report=report,
        input_code="vsoko_items_done",
        file=ContentFile(PDF, name="prikaz.pdf"),
        file_name="Приказ о ВСОКО.pdf",
        uploaded_by=principal_a,
    )
    record = preview_upload(period, "t.xlsx", b"not a workbook", official)
    return {
        "period": period,
        "org": org_a,
        "report": report,
        "evidence": evidence,
        "record": record,
        "version": version_for(period),
    }


# (name, method, url arguments)
PERIOD_PAGES = [
    ("period_detail", "get", "period"),
    ("template_download", "get", "period"),
    ("import_upload", "post", "period"),
    ("completeness", "get", "period"),
    ("self_report_list", "get", "period"),
    ("period_close", "post", "period"),
    ("period_reopen", "post", "period"),
    ("period_rescore", "post", "period"),
    ("scores_export", "get", "period"),
    ("methodology_edit", "get", "period"),
    ("import_detail", "get", "record"),
    ("import_errors", "get", "record"),
    ("import_confirm", "post", "record"),
    ("import_discard", "post", "record"),
]
ORG_PAGES = [
    ("org_monitoring", "get", "org"),
    ("value_edit", "get", "value"),
    ("self_report", "get", "org"),
    ("self_report", "post", "org"),
    ("self_report_review", "post", "report"),
    ("evidence_upload", "post", "report"),
    ("evidence_download", "get", "evidence"),
]
OTHER_PAGES = [("catalogue", "get", "version")]


def url_of(world, name, kind) -> str:
    period, org = world["period"], world["org"]
    args = {
        "period": [period.pk],
        "record": [world["record"].pk],
        "org": [period.pk, org.pk],
        "value": [period.pk, org.pk, "grad9_total"],
        "report": [world["report"].pk],
        "evidence": [world["evidence"].pk],
        "version": [world["version"].pk],
    }[kind]
    return reverse(f"monitoring:{name}", args=args)


def request(client, method, url):
    return getattr(client, method)(url)


def test_every_view_with_an_id_is_covered():
    resolver = get_resolver().namespace_dict["monitoring"][1]
    names = {p.name for p in resolver.url_patterns if p.pattern.converters}
    covered = {name for name, _m, _k in PERIOD_PAGES + ORG_PAGES + OTHER_PAGES}
    assert names == covered


@pytest.mark.parametrize(("name", "method", "kind"), PERIOD_PAGES + ORG_PAGES + OTHER_PAGES)
def test_anonymous_goes_to_the_login_page(client, world, name, method, kind):
    url = url_of(world, name, kind)
    response = request(client, method, url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={quote(url)}"


@pytest.mark.parametrize(("name", "method", "kind"), PERIOD_PAGES)
@pytest.mark.parametrize("role", ["principal_a", "candidate", "mentor", "expert"])
def test_period_pages_are_for_officials_only(
    request_fixture, login, world, name, method, kind, role
):
    client = login(request_fixture(role))
    response = request(client, method, url_of(world, name, kind))
    assert response.status_code == 403
    assert ImportRecord.objects.get().status == ImportRecord.Status.REJECTED  # nothing confirmed
    assert not PeriodEvent.objects.exists()


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


@pytest.mark.parametrize(
    ("name", "method", "kind", "expected"),
    [
        ("period_detail", "get", "period", 200),
        ("template_download", "get", "period", 200),
        ("import_upload", "post", "period", 302),
        ("completeness", "get", "period", 200),
        ("self_report_list", "get", "period", 200),
        ("period_close", "post", "period", 302),
        ("period_reopen", "post", "period", 302),
        ("period_rescore", "post", "period", 302),
        ("scores_export", "get", "period", 200),
        ("methodology_edit", "get", "period", 200),
        ("import_detail", "get", "record", 200),
        ("import_errors", "get", "record", 200),
        ("import_confirm", "post", "record", 302),
        ("import_discard", "post", "record", 302),
        ("org_monitoring", "get", "org", 200),
        ("value_edit", "get", "value", 200),
        ("self_report", "get", "org", 200),
        ("self_report_review", "post", "report", 302),
        ("evidence_download", "get", "evidence", 200),
        ("catalogue", "get", "version", 200),
    ],
)
def test_an_official_reaches_every_page(login, official, world, name, method, kind, expected):
    response = request(login(official), method, url_of(world, name, kind))
    assert response.status_code == expected


@pytest.mark.parametrize(("name", "method", "kind"), ORG_PAGES)
def test_principal_b_gets_404_on_a_s_objects(login, principal_b, world, name, method, kind):
    response = request(login(principal_b), method, url_of(world, name, kind))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method", "kind"), ORG_PAGES)
@pytest.mark.parametrize("role", ["candidate", "mentor", "expert"])
def test_other_roles_get_403_on_organisation_pages(
    request_fixture, login, world, name, method, kind, role
):
    response = request(login(request_fixture(role)), method, url_of(world, name, kind))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("name", "method", "kind", "expected"),
    [
        ("org_monitoring", "get", "org", 200),
        ("value_edit", "get", "value", 403),  # officials correct values, heads report them
        ("self_report", "get", "org", 200),
        ("self_report", "post", "org", 200),  # an empty submission: the form again, with errors
        ("self_report_review", "post", "report", 403),  # a head does not review his own report
        ("evidence_upload", "post", "report", 302),
        ("evidence_download", "get", "evidence", 200),
        ("catalogue", "get", "version", 200),
    ],
)
def test_principal_a_on_own_organisation(login, principal_a, world, name, method, kind, expected):
    response = request(login(principal_a), method, url_of(world, name, kind))
    assert response.status_code == expected


@pytest.mark.parametrize("role", ["candidate", "mentor", "expert"])
def test_the_catalogue_is_not_for_other_roles(request_fixture, login, world, role):
    response = login(request_fixture(role)).get(url_of(world, "catalogue", "version"))
    assert response.status_code == 403


def test_an_official_does_not_write_the_self_report(login, official, world):
    url = url_of(world, "self_report", "org")
    response = login(official).post(url, {"teachers_trained_3y": "5", "save_draft": "1"})
    assert response.status_code == 403
    world["report"].refresh_from_db()
    assert world["report"].values == {}


def test_principal_b_cannot_write_a_s_self_report(login, principal_b, world):
    url = url_of(world, "self_report", "org")
    client = login(principal_b)
    response = client.post(url, {"teachers_trained_3y": "5", "save_draft": "1"})
    assert response.status_code == 404
    response = client.post(url, {"teachers_trained_3y": "5"}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 404
    world["report"].refresh_from_db()
    assert world["report"].values == {}
    assert SelfReport.objects.filter(organization__code="B02").count() == 0


def test_principal_b_cannot_attach_evidence_to_a_s_report(login, principal_b, world):
    upload = ContentFile(PDF, name="b.pdf")
    response = login(principal_b).post(
        url_of(world, "evidence_upload", "report"), {"file": upload, "input_code": ""}
    )
    assert response.status_code == 404
    assert Evidence.objects.count() == 1


def test_an_official_does_not_attach_evidence(login, official, world):
    upload = ContentFile(PDF, name="o.pdf")
    response = login(official).post(
        url_of(world, "evidence_upload", "report"), {"file": upload, "input_code": ""}
    )
    assert response.status_code == 403
    assert Evidence.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("period_detail", [9999]),
        ("import_detail", [9999]),
        ("catalogue", [9999]),
        ("org_monitoring", ["period", 9999]),
        ("org_monitoring", [9999, "org"]),
        ("self_report_review", [9999]),
        ("evidence_download", [9999]),
    ],
)
def test_missing_objects_are_404_for_officials(login, official, world, name, args):
    args = [
        world["period"].pk if a == "period" else world["org"].pk if a == "org" else a for a in args
    ]
    client = login(official)
    url = reverse(f"monitoring:{name}", args=args)
    method = "post" if name == "self_report_review" else "get"
    assert request(client, method, url).status_code == 404


def test_home_sends_each_person_to_their_page(
    client, login, world, official, principal_a, candidate
):
    period, org = world["period"], world["org"]
    home = reverse("monitoring:home")
    response = login(official).get(home)
    assert response.url == reverse("monitoring:period_detail", args=[period.pk])
    response = login(principal_a).get(home)
    assert response.url == reverse("monitoring:org_monitoring", args=[period.pk, org.pk])
    assert login(candidate).get(home).status_code == 403
