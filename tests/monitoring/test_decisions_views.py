"""The measures and decisions pages: who reaches what, forms, files and query counts.

Every view of the `decisions` namespace that takes an id is listed in ID_PAGES;
`test_every_view_with_an_id_is_covered` fails when a new one is added without an access case.
"""

import io
from datetime import date, datetime
from urllib.parse import quote

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse
from django.utils.translation import gettext as _

from monitoring.decisions import change_status
from monitoring.models import (
    Decision,
    DecisionBaseline,
    DecisionEvidence,
    DecisionKind,
    DecisionNote,
    Measure,
    MeasureKind,
    MeasureMaterial,
    Recommendation,
)
from tests.conftest import count_queries, make_org, make_person
from tests.monitoring.test_decisions import new_decision, next_period, put_scores
from zelenchuk_portal.models import Role, User

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
Status = Decision.Status
__all__ = ["next_period"]  # a fixture, imported to be used here


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def make_measure(user, organizations=(), people=(), **fields):
    values = {
        "kind": MeasureKind.SEMINAR,
        "title": "Семинар «Внутренняя система оценки качества»",
        "starts_on": date(2025, 10, 14),
        "organiser": "Методический кабинет управления образования",
    }
    values.update(fields)
    measure = Measure.objects.create(created_by=user, **values)
    measure.organizations.set(organizations)
    measure.people.set(people)
    return measure


@pytest.fixture
def world(period, official, org_a, principal_a):
    """Org A's decision with evidence, and a measure A took part in, with a material."""
    decision = new_decision(period, official, [org_a], ["B4.2"])
    evidence = DecisionEvidence.objects.create(
        decision=decision,
        file=ContentFile(PDF, name="prikaz.pdf"),
        file_name="Приказ № 15-од.pdf",
        uploaded_by=official,
    )
    measure = make_measure(official, [org_a])
    material = MeasureMaterial.objects.create(
        measure=measure,
        file=ContentFile(PDF, name="programma.pdf"),
        file_name="Программа семинара.pdf",
        uploaded_by=official,
    )
    return {"decision": decision, "evidence": evidence, "measure": measure, "material": material}


# (name, method, object)
ID_PAGES = [
    ("decision_detail", "get", "decision"),
    ("decision_edit", "get", "decision"),
    ("decision_edit", "post", "decision"),
    ("decision_status", "post", "decision"),
    ("decision_comment", "post", "decision"),
    ("evidence_upload", "post", "decision"),
    ("evidence_download", "get", "evidence"),
    ("measure_detail", "get", "measure"),
    ("measure_edit", "get", "measure"),
    ("measure_edit", "post", "measure"),
    ("material_upload", "post", "measure"),
    ("material_download", "get", "material"),
]
LIST_PAGES = [
    ("decision_list", "get"),
    ("decision_create", "get"),
    ("decision_create", "post"),
    ("decision_export", "get"),
    ("measure_list", "get"),
    ("measure_create", "get"),
    ("measure_create", "post"),
]
# What a head gets on his or her own organisation's objects: reading yes, writing no.
HEAD_ON_OWN = {
    "decision_detail": 200,
    "evidence_download": 200,
    "measure_detail": 200,
    "material_download": 200,
}
OFFICIAL_GETS = {"get": 200, "post": 302}


def url_of(world, name, kind):
    return reverse(f"decisions:{name}", args=[world[kind].pk])


def call(client, method, url):
    data = {"status": Status.IN_PROGRESS, "text": "комментарий"} if method == "post" else None
    return getattr(client, method)(url, data) if data else getattr(client, method)(url)


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


def test_every_view_with_an_id_is_covered():
    resolver = get_resolver().namespace_dict["decisions"][1]
    with_id = {p.name for p in resolver.url_patterns if p.pattern.converters}
    without = {p.name for p in resolver.url_patterns if not p.pattern.converters}
    assert with_id == {name for name, _m, _k in ID_PAGES}
    assert without == {name for name, _m in LIST_PAGES}


@pytest.mark.parametrize(("name", "method", "kind"), ID_PAGES)
def test_anonymous_goes_to_the_login_page(client, world, name, method, kind):
    url = url_of(world, name, kind)
    response = call(client, method, url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={quote(url)}"


@pytest.mark.parametrize(("name", "method"), LIST_PAGES)
def test_anonymous_goes_to_the_login_page_from_lists(client, name, method):
    url = reverse(f"decisions:{name}")
    assert call(client, method, url).status_code == 302


@pytest.mark.parametrize(("name", "method", "kind"), ID_PAGES)
def test_an_official_reaches_every_page(login, official, world, name, method, kind):
    response = call(login(official), method, url_of(world, name, kind))
    expected = 200 if name == "decision_edit" and method == "post" else OFFICIAL_GETS[method]
    expected = 200 if name == "measure_edit" and method == "post" else expected  # form errors
    assert response.status_code == expected


@pytest.mark.parametrize(("name", "method", "kind"), ID_PAGES)
def test_principal_b_gets_404_on_a_s_objects(login, principal_b, world, name, method, kind):
    response = call(login(principal_b), method, url_of(world, name, kind))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method", "kind"), ID_PAGES)
def test_principal_a_reads_but_does_not_write(login, principal_a, world, name, method, kind):
    response = call(login(principal_a), method, url_of(world, name, kind))
    assert response.status_code == HEAD_ON_OWN.get(name, 403)
    decision = world["decision"]
    decision.refresh_from_db()
    assert decision.status == Status.PLANNED
    assert decision.notes.count() == 1


@pytest.mark.parametrize(("name", "method", "kind"), ID_PAGES)
@pytest.mark.parametrize("role", ["candidate", "mentor", "expert"])
def test_other_roles_get_403(request_fixture, login, world, name, method, kind, role):
    response = call(login(request_fixture(role)), method, url_of(world, name, kind))
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "method"), LIST_PAGES)
@pytest.mark.parametrize(
    ("role", "lists"),
    [("official", 200), ("principal_a", 200), ("candidate", 403), ("mentor", 403)],
)
def test_list_and_create_pages(request_fixture, login, world, name, method, role, lists):
    response = call(login(request_fixture(role)), method, reverse(f"decisions:{name}"))
    if name.endswith(("_list", "_export")):
        assert response.status_code == lists
    elif role == "official":
        assert response.status_code == 200  # the empty form again, with its errors
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("decision_detail", [9999]),
        ("decision_edit", [9999]),
        ("evidence_download", [9999]),
        ("measure_detail", [9999]),
        ("material_download", [9999]),
    ],
)
def test_missing_objects_are_404(login, official, name, args):
    assert login(official).get(reverse(f"decisions:{name}", args=args)).status_code == 404


def test_a_head_personally_at_a_measure_sees_it(login, official, principal_b, world, org_b):
    measure = make_measure(official, people=[principal_b], title="Курсы ДПО")
    client = login(principal_b)
    assert client.get(reverse("decisions:measure_detail", args=[measure.pk])).status_code == 200
    page = client.get(reverse("decisions:measure_list"))
    assert [m.pk for m in page.context["page"]] == [measure.pk]


def test_heads_list_only_their_decisions(login, official, principal_a, world, org_b, period):
    new_decision(period, official, [org_b], [], number="99")
    page = login(principal_a).get(reverse("decisions:decision_list"))
    assert [d.pk for d in page.context["page"]] == [world["decision"].pk]


# --- Forms --------------------------------------------------------------------------------------


def decision_post(org, **extra):
    data = {
        "number": "21-од",
        "date": "2025-09-20",
        "kind": DecisionKind.INTERVIEW,
        "title": "Собеседование с руководителем",
        "organizations": [org.pk],
        "indicator_codes": ["B4.2", "A1.2"],
        "owner": "Начальник управления",
        "due_date": "2025-10-01",
    }
    data.update(extra)
    return data


def test_an_official_records_a_decision(login, official, period, org_a):
    put_scores(period, {org_a: {"B4.2": (50.0, 1.0)}})
    client = login(official)
    url = reverse("decisions:decision_create") + f"?period={period.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, decision_post(org_a))
    decision = Decision.objects.get()
    assert response.url == reverse("decisions:decision_detail", args=[decision.pk])
    assert (decision.period, decision.status, decision.created_by) == (
        period,
        Status.PLANNED,
        official,
    )
    assert decision.indicator_codes == ["A1.2", "B4.2"]
    baseline = dict(DecisionBaseline.objects.values_list("indicator_code", "value"))
    assert baseline == {"A1.2": None, "B4.2": 50.0}
    page = client.get(response.url)
    assert page.status_code == 200
    assert _("The effect will show after the monitoring of the next period.") in page.text


def test_a_decision_answering_recommendations_starts_from_them(login, official, period, org_a):
    recommendation = Recommendation.objects.create(period=period, organization=org_a)
    client = login(official)
    url = reverse("decisions:decision_create") + f"?recommendation={recommendation.pk}"
    form = client.get(url).context["form"]
    assert form.initial["organizations"] == [org_a.pk]
    assert form.period == period
    response = client.post(url, decision_post(org_a, recommendation=recommendation.pk))
    assert response.status_code == 302
    assert Decision.objects.get().recommendation == recommendation


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        (
            {"due_date": "2025-09-19"},
            "due_date",
            _("The due date (%(due)s) cannot be before the order date (%(date)s).")
            % {"due": "19.09.2025", "date": "20.09.2025"},
        ),
        (
            {"indicator_codes": ["B4.2", "X1.1"]},
            "indicator_codes",
            _("There is no indicator «%(code)s» in the methodology of period %(period)s.")
            % {"code": "X1.1", "period": "2024/2025"},
        ),
    ],
)
def test_the_form_explains_what_is_wrong(login, official, period, org_a, extra, field, message):
    url = reverse("decisions:decision_create") + f"?period={period.pk}"
    response = login(official).post(url, decision_post(org_a, **extra))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.text
    assert not Decision.objects.exists()


def test_editing_a_decision(login, official, world, org_a, org_b):
    decision = world["decision"]
    url = reverse("decisions:decision_edit", args=[decision.pk])
    client = login(official)
    assert client.get(url).context["form"].initial["indicator_codes"] == ["B4.2"]
    response = client.post(url, decision_post(org_b, number="15-од/1", indicator_codes=["B4.1"]))
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.number == "15-од/1"
    assert list(decision.organizations.all()) == [org_b]
    assert list(decision.baselines.values_list("organization", "indicator_code")) == [
        (org_b.pk, "B4.1")
    ]


def test_status_changes_through_the_page(login, official, world):
    decision = world["decision"]
    client = login(official)
    url = reverse("decisions:decision_status", args=[decision.pk])
    client.post(url, {"status": Status.CANCELLED, "comment": ""})
    decision.refresh_from_db()
    assert decision.status == Status.PLANNED  # a cancellation needs a reason
    client.post(url, {"status": Status.DONE})
    decision.refresh_from_db()
    assert decision.status == Status.PLANNED  # planned → done is not a step
    client.post(url, {"status": Status.IN_PROGRESS, "comment": "Начато"})
    page = client.get(reverse("decisions:decision_detail", args=[decision.pk]))
    assert page.context["decision"].status == Status.IN_PROGRESS
    assert [s for s, _label in page.context["transitions"]] == [Status.DONE, Status.CANCELLED]
    assert "Начато" in page.text
    messages = [str(m) for m in page.context["messages"]]
    assert _("Say why the decision is cancelled: a comment is required.") in messages


def test_comments_are_notes(login, official, world):
    decision = world["decision"]
    url = reverse("decisions:decision_comment", args=[decision.pk])
    login(official).post(url, {"text": "Руководитель ознакомлен с приказом"})
    login(official).post(url, {"text": "   "})
    note = DecisionNote.objects.filter(decision=decision).last()
    assert (note.text, note.status, note.by) == ("Руководитель ознакомлен с приказом", "", official)
    assert decision.notes.count() == 2


def test_overdue_decisions_are_highlighted(login, official, world):
    decision = world["decision"]  # due 01.12.2025, planned: overdue
    client = login(official)
    page = client.get(reverse("decisions:decision_list"))
    assert page.context["overdue_count"] == 1
    assert "table-danger" in page.text
    change_status(decision, Status.IN_PROGRESS, official)
    change_status(decision, Status.DONE, official)
    page = client.get(reverse("decisions:decision_list"), {"overdue": "on"})
    assert page.context["overdue_count"] == 0
    assert list(page.context["page"]) == []


def test_the_list_filters(login, official, world, period, org_b):
    other = new_decision(period, official, [org_b], [], number="30", kind=DecisionKind.INCENTIVE)
    change_status(other, Status.IN_PROGRESS, official)
    client = login(official)
    url = reverse("decisions:decision_list")

    def found(**params):
        return [d.pk for d in client.get(url, params).context["page"]]

    assert found(kind=DecisionKind.INCENTIVE) == [other.pk]
    assert found(status=Status.PLANNED) == [world["decision"].pk]
    assert found(organization=org_b.pk) == [other.pk]
    assert set(found(period=period.pk)) == {other.pk, world["decision"].pk}


def test_the_register_downloads_as_excel_with_the_list_s_filter(
    login, official, principal_a, world, period, org_b
):
    new_decision(period, official, [org_b], ["B4.1"], number="30", kind=DecisionKind.INCENTIVE)
    url = reverse("decisions:decision_export")

    def rows(client, **params):
        response = client.get(url, params)
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        return [list(row) for row in book.active.iter_rows(values_only=True)]

    everything = rows(login(official))
    assert len(everything) == 3
    header, first = everything[0], everything[-1]
    assert header[0] == _("Order No.")
    assert first[:3] == ["15-од", datetime(2025, 9, 20), "2024/2025"]
    assert first[6:8] == ["B4.2", "Методический кабинет"]
    assert first[-1] == _("yes")  # due 01.12.2025, still planned
    assert [r[0] for r in rows(login(official), kind=DecisionKind.INCENTIVE)[1:]] == ["30"]
    assert [r[0] for r in rows(login(principal_a))[1:]] == ["15-од"]


# --- Files --------------------------------------------------------------------------------------


def test_evidence_accepts_a_pdf_and_refuses_a_fake(login, official, principal_a, world):
    decision = world["decision"]
    client = login(official)
    url = reverse("decisions:evidence_upload", args=[decision.pk])
    client.post(url, {"file": SimpleUploadedFile("../../Отчёт о выполнении.pdf", PDF)})
    client.post(url, {"file": SimpleUploadedFile("virus.pdf", EXE)})
    page = client.get(reverse("decisions:decision_detail", args=[decision.pk]))
    names = [e.file_name for e in decision.evidence.order_by("pk")]
    assert names == ["Приказ № 15-од.pdf", "Отчёт о выполнении.pdf"]
    assert any("virus.pdf" in str(m) for m in page.context["messages"])
    stored = decision.evidence.order_by("pk").last()
    response = login(principal_a).get(reverse("decisions:evidence_download", args=[stored.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]


def test_materials_accept_a_pdf_and_refuse_a_fake(login, official, world):
    measure = world["measure"]
    client = login(official)
    url = reverse("decisions:material_upload", args=[measure.pk])
    client.post(url, {"file": SimpleUploadedFile("Презентация.pdf", PDF)})
    client.post(url, {"file": SimpleUploadedFile("programma.docx", b"PK\x03\x04 not a zip")})
    assert [m.file_name for m in measure.materials.order_by("pk")] == [
        "Программа семинара.pdf",
        "Презентация.pdf",
    ]
    assert not measure.materials.filter(file_name__contains="programma").exists()


# --- Query counts -------------------------------------------------------------------------------


def _district(n, period, official, hub, prefix):
    """n organisations, each with a decision and a measure that also concern `hub`."""
    orgs = [make_org(f"{prefix}{i:02d}") for i in range(n)]
    for i, org in enumerate(orgs):
        make_person(f"head{org.code}", Role.PRINCIPAL, org)
        decision = new_decision(period, official, [org, hub], ["B4.2"], number=f"{prefix}{i}")
        if i % 3 == 0:
            change_status(decision, Status.IN_PROGRESS, official)
        make_measure(official, [org, hub], people=[official], title=f"Семинар {prefix}{i}")
    return orgs


@pytest.mark.parametrize("viewer", ["official", "principal_a"])
@pytest.mark.parametrize("name", ["decision_list", "measure_list"])
def test_lists_run_a_fixed_number_of_queries(
    request_fixture, login, official, period, org_a, viewer, name
):
    _district(3, period, official, org_a, "S")
    client = login(request_fixture(viewer))
    url = reverse(f"decisions:{name}")
    small = count_queries(client, url)
    _district(12, period, official, org_a, "L")
    assert len(client.get(url).context["page"]) == 15
    assert count_queries(client, url) == small


def test_decision_page_runs_a_fixed_number_of_queries(login, official, period, org_a, next_period):
    orgs = _district(3, period, official, org_a, "S")
    decision = Decision.objects.get(number="S1")
    decision.people.add(official)
    put_scores(next_period, {org: {"B4.2": (60.0, 2.0)} for org in [org_a, *orgs]})
    url = reverse("decisions:decision_detail", args=[decision.pk])
    client = login(official)
    small = count_queries(client, url)
    more = _district(12, period, official, org_a, "L")
    decision.organizations.add(*more)
    decision.people.add(*User.objects.filter(username__startswith="headL"))
    put_scores(next_period, {org: {"B4.2": (60.0, 2.0)} for org in more})
    page = client.get(url)
    assert page.context["effect"].ready and len(page.context["effect"].lines) == 14
    assert count_queries(client, url) == small
