"""The recommendations pages: who reaches what, editing and issuing, the letter as PDF and ZIP.

Every view of the `recommendations` namespace that takes an id is listed here;
`test_every_view_with_an_id_is_covered` fails when one is added without an access case.
"""

import io
import shutil
import subprocess
import zipfile
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import get_resolver, reverse
from django.utils import timezone

from monitoring import recommendations as domain
from monitoring.models import Recommendation, RecommendationItem, RecommendationRule
from tests.conftest import count_queries, make_org, make_person
from tests.monitoring.test_recommendations_drafting import make_rule, make_score
from zelenchuk_portal.models import Organization, Role

HEAD = {"last_name": "Иванова", "first_name": "Ольга", "patronymic": "Петровна"}
PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture
def head_a(org_a):
    return make_person("head_a", Role.PRINCIPAL, org_a, **HEAD)


@pytest.fixture
def world(period, org_a, org_b, official, principal_a, principal_b):
    """Org A scored and drafted (B1.3 at 0 and the critical level), org B scored with nothing."""
    RecommendationRule.objects.all().delete()
    rules = [
        make_rule("indicator_points", "B1.3", indicator_code="B1.3", threshold=0, days=30),
        make_rule("level", "critical", level="critical", days=10),
    ]
    period.monitoring_end = timezone.localdate() - timedelta(days=30)
    period.save()
    make_score(period, org_a, index=41.0, level="critical", points={"B1.3": 0.0})
    make_score(period, org_b, index=70.0, level="optimal", points={"B1.3": 2.0})
    domain.draft_recommendations(period)
    return {
        "period": period,
        "org": org_a,
        "rule": rules[0],
        "rules": rules,
        "letter": Recommendation.objects.get(organization=org_a),
    }


def issue(world, user, number="01-12/77"):
    letter = world["letter"]
    domain.issue_recommendation(letter, number=number, issued_on=timezone.localdate(), user=user)
    return letter


# (name, method, kind of url arguments)
RULE_PAGES = [
    ("rule_edit", "get", "rule"),
    ("rule_edit", "post", "rule"),
    ("rule_toggle", "post", "rule"),
    ("rule_delete", "post", "rule"),
]
PERIOD_PAGES = [
    ("period_overview", "get", "period"),
    ("period_draft", "post", "period"),
    ("letters_zip", "get", "period"),
]
ORG_PAGES = [
    ("org_recommendations", "get", "org"),
    ("org_recommendations", "post", "org"),
    ("org_draft", "post", "org"),
    ("org_withdraw", "post", "org"),
    ("letter_pdf", "get", "org"),
]
NO_ID_PAGES = [
    ("home", "get"),
    ("rule_list", "get"),
    ("rule_create", "get"),
    ("rule_create", "post"),
]


def url_of(world, name, kind) -> str:
    args = {
        "rule": [world["rule"].pk],
        "period": [world["period"].pk],
        "org": [world["period"].pk, world["org"].pk],
    }[kind]
    return reverse(f"recommendations:{name}", args=args)


def call(client, method, url, data=None):
    return getattr(client, method)(url, data or {})


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- access --------------------------------------------------------------------------------------


def test_every_view_with_an_id_is_covered():
    resolver = get_resolver().namespace_dict["recommendations"][1]
    names = {p.name for p in resolver.url_patterns if p.pattern.converters}
    covered = {name for name, _m, _k in RULE_PAGES + PERIOD_PAGES + ORG_PAGES}
    assert names == covered


@pytest.mark.parametrize(("name", "method", "kind"), RULE_PAGES + PERIOD_PAGES + ORG_PAGES)
def test_anonymous_goes_to_the_login_page(client, world, name, method, kind):
    url = url_of(world, name, kind)
    response = call(client, method, url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={quote(url)}"


@pytest.mark.parametrize(("name", "method"), NO_ID_PAGES)
def test_anonymous_goes_to_the_login_page_without_ids(client, world, name, method):
    response = call(client, method, reverse(f"recommendations:{name}"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("name", "method", "kind"), RULE_PAGES + PERIOD_PAGES)
@pytest.mark.parametrize("role", ["principal_a", "candidate", "mentor", "expert"])
def test_library_and_period_pages_are_for_officials_only(
    request_fixture, login, world, name, method, kind, role
):
    response = call(login(request_fixture(role)), method, url_of(world, name, kind))
    assert response.status_code == 403
    world["rule"].refresh_from_db()
    assert world["rule"].is_active  # nothing toggled, nothing deleted
    assert Recommendation.objects.count() == 1


@pytest.mark.parametrize(("name", "method"), NO_ID_PAGES[1:])
@pytest.mark.parametrize("role", ["principal_a", "candidate", "expert"])
def test_the_library_is_for_officials_only(request_fixture, login, world, name, method, role):
    response = call(login(request_fixture(role)), method, reverse(f"recommendations:{name}"))
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "method", "kind"), ORG_PAGES)
def test_principal_b_gets_404_on_a_s_letter(login, principal_b, world, name, method, kind):
    issue(world, None)  # even once issued, B never sees A's letter
    response = call(login(principal_b), method, url_of(world, name, kind))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method", "kind"), ORG_PAGES)
@pytest.mark.parametrize("role", ["candidate", "mentor", "expert"])
def test_other_roles_get_403_on_organisation_pages(
    request_fixture, login, world, name, method, kind, role
):
    response = call(login(request_fixture(role)), method, url_of(world, name, kind))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("name", "method", "expected"),
    [
        ("org_recommendations", "get", 200),  # «nothing issued yet»
        ("org_recommendations", "post", 403),  # heads read, the office writes
        ("org_draft", "post", 403),
        ("org_withdraw", "post", 403),
        ("letter_pdf", "get", 404),  # a draft does not exist for the head
    ],
)
def test_principal_a_on_a_draft(login, principal_a, world, name, method, expected):
    response = call(login(principal_a), method, url_of(world, name, "org"))
    assert response.status_code == expected
    assert Recommendation.objects.get().status == Recommendation.Status.DRAFT


@pytest.mark.parametrize(
    ("name", "method", "kind", "expected"),
    [
        ("rule_edit", "get", "rule", 200),
        ("rule_toggle", "post", "rule", 302),
        ("rule_delete", "post", "rule", 302),
        ("period_overview", "get", "period", 200),
        ("period_draft", "post", "period", 302),
        ("letters_zip", "get", "period", 302),  # nothing issued yet: back with a message
        ("org_recommendations", "get", "org", 200),
        ("org_draft", "post", "org", 302),
        ("org_withdraw", "post", "org", 302),  # a draft: refused with a message
        ("letter_pdf", "get", "org", 200),  # the draft, marked «ПРОЕКТ»
    ],
)
def test_an_official_reaches_every_page(login, official, world, name, method, kind, expected):
    response = call(login(official), method, url_of(world, name, kind))
    assert response.status_code == expected


def test_missing_objects_are_404_for_officials(login, official, world):
    client = login(official)
    assert client.get(reverse("recommendations:rule_edit", args=[9999])).status_code == 404
    assert client.get(reverse("recommendations:period_overview", args=[9999])).status_code == 404
    url = reverse("recommendations:org_recommendations", args=[world["period"].pk, 9999])
    assert client.get(url).status_code == 404
    url = reverse("recommendations:letter_pdf", args=[world["period"].pk, make_org("E9").pk])
    assert client.get(url).status_code == 404  # no letter at all


def test_home_sends_each_person_to_their_page(login, world, official, principal_a, candidate):
    period, org = world["period"], world["org"]
    home = reverse("recommendations:home")
    assert login(official).get(home).url == reverse(
        "recommendations:period_overview", args=[period.pk]
    )
    assert login(principal_a).get(home).url == reverse(
        "recommendations:org_recommendations", args=[period.pk, org.pk]
    )
    assert login(candidate).get(home).status_code == 403


# --- the rule library ----------------------------------------------------------------------------

RULE = {
    "title": "B4.1 вакансии",
    "condition": "indicator_points",
    "indicator_code": "в4.1",  # typed with a Cyrillic «в»: the same code
    "threshold": "1",
    "level": "high",  # not read by this condition: cleared
    "periods_running": "1",
    "text": "Устранить кадровый дефицит.",
    "measures": "Целевое обучение.",
    "owner": "руководитель ОО",
    "days": "120",
    "position": "5",
    "is_active": "on",
}


def test_an_official_adds_a_rule(login, official, world):
    client = login(official)
    assert "B1.3" in client.get(reverse("recommendations:rule_list")).content.decode()
    response = client.post(reverse("recommendations:rule_create"), RULE)
    assert response.status_code == 302
    rule = RecommendationRule.objects.get(title="B4.1 вакансии")
    assert (rule.indicator_code, rule.threshold, rule.level, rule.days) == ("B4.1", 1.0, "", 120)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"indicator_code": "Z1.1"}, "Показателя «Z1.1» нет в методике периода."),
        ({"threshold": "3"}, "Порог для показателя — 0 или 1 балл"),
        ({"indicator_code": ""}, "Для этого условия укажите показатель."),
        ({"condition": "subgroup_below", "threshold": "150", "subgroup": "B4"}, "от 0 до 100 %"),
    ],
)
def test_a_wrong_rule_is_refused_in_russian(login, official, world, changes, message):
    response = login(official).post(reverse("recommendations:rule_create"), {**RULE, **changes})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RecommendationRule.objects.filter(title="B4.1 вакансии").exists()


def test_switching_a_rule_off_and_on(login, official, world):
    client = login(official)
    url = url_of(world, "rule_toggle", "rule")
    client.post(url)
    world["rule"].refresh_from_db()
    assert not world["rule"].is_active
    client.post(url)
    world["rule"].refresh_from_db()
    assert world["rule"].is_active


def test_a_rule_used_by_an_issued_letter_is_not_deleted(login, official, world):
    issue(world, official)
    response = login(official).post(url_of(world, "rule_delete", "rule"))
    assert RecommendationRule.objects.filter(pk=world["rule"].pk).exists()
    assert any("только отключить" in m for m in messages_of(response))


# --- drafting, editing and issuing ---------------------------------------------------------------


def test_the_period_button_drafts_every_letter(login, official, world, org_b):
    RecommendationItem.objects.all().delete()
    Recommendation.objects.all().delete()
    response = login(official).post(url_of(world, "period_draft", "period"))
    assert response.status_code == 302
    assert Recommendation.objects.count() == 1  # org B matched nothing
    assert Recommendation.objects.get().items.count() == 2


def formset_data(letter, **overrides):
    """The editor's POST: the letter's fields and every item as it stands, plus changes."""
    items = list(letter.items.all())
    data = {
        "number": letter.number,
        "issued_at": (letter.issued_at or timezone.localdate()).isoformat(),
        "items-TOTAL_FORMS": str(len(items) + 1),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, item in enumerate(items):
        data.update(
            {
                f"items-{n}-id": str(item.pk),
                f"items-{n}-text": item.text,
                f"items-{n}-reason": item.reason,
                f"items-{n}-measures": item.measures,
                f"items-{n}-owner": item.owner,
                f"items-{n}-deadline": item.deadline.isoformat() if item.deadline else "",
            }
        )
    data.update(overrides)
    return data


def test_an_official_edits_adds_and_removes_items(login, official, world):
    letter = world["letter"]
    deadline = (timezone.localdate() + timedelta(days=45)).isoformat()
    data = formset_data(
        letter,
        **{
            "number": "01-12/5",
            "items-0-text": "Провести собеседование 15 июля.",
            "items-0-deadline": deadline,
            "items-1-DELETE": "on",
            "items-2-text": "Принять участие в семинаре для руководителей.",
            "items-2-owner": "руководитель ОО",
            "items-2-deadline": deadline,
        },
    )
    response = login(official).post(url_of(world, "org_recommendations", "org"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    letter.refresh_from_db()
    assert letter.status == Recommendation.Status.DRAFT and letter.number == "01-12/5"
    texts = [i.text for i in letter.items.all()]
    assert texts == [
        "Провести собеседование 15 июля.",
        "Принять участие в семинаре для руководителей.",
    ]
    assert letter.items.last().rule is None


def test_a_deadline_before_the_letter_is_refused(login, official, world):
    letter = world["letter"]
    data = formset_data(letter, **{"items-0-deadline": "2020-01-01", "items-0-text": "Новый текст"})
    response = login(official).post(url_of(world, "org_recommendations", "org"), data)
    assert response.status_code == 200
    assert "Срок 01.01.2020 раньше даты рекомендаций" in response.content.decode()
    assert letter.items.first().text != "Новый текст"  # nothing saved


def test_issuing_from_the_page_and_the_lock(login, official, world):
    letter = world["letter"]
    client = login(official)
    url = url_of(world, "org_recommendations", "org")
    response = client.post(url, formset_data(letter, issue="1", number=""))
    assert any("Укажите исходящий номер письма." in m for m in messages_of(response))
    letter.refresh_from_db()
    assert letter.status == Recommendation.Status.DRAFT

    client.post(url, formset_data(letter, issue="1", number="01-12/77"))
    letter.refresh_from_db()
    assert (letter.status, letter.number, letter.issued_at) == (
        "issued",
        "01-12/77",
        timezone.localdate(),
    )
    # An issued letter is read-only: a POST of changes leaves it as it was.
    response = client.post(url, formset_data(letter, **{"items-0-text": "Изменено"}))
    assert response.status_code == 200
    assert "Изменено" not in [i.text for i in letter.items.all()]
    assert "items-TOTAL_FORMS" not in response.content.decode()  # no editor any more


def test_withdrawing_from_the_page(login, official, world):
    issue(world, official)
    client = login(official)
    url = url_of(world, "org_withdraw", "org")
    client.post(url, {"reason": ""})
    assert Recommendation.objects.get().status == Recommendation.Status.ISSUED
    client.post(url, {"reason": "Исправить срок"})
    letter = Recommendation.objects.get()
    assert letter.status == Recommendation.Status.DRAFT
    assert letter.history[-1]["reason"] == "Исправить срок"
    page = client.get(url_of(world, "org_recommendations", "org")).content.decode()
    assert "Исправить срок" in page


def test_the_head_sees_only_the_issued_letter(login, official, principal_a, world):
    client = login(principal_a)
    url = url_of(world, "org_recommendations", "org")
    page = client.get(url).content.decode()
    assert "01-12/77" not in page
    assert "Текст: B1.3" not in page  # the draft is internal
    issue(world, official)
    page = client.get(url).content.decode()
    assert "01-12/77" in page and "Текст: B1.3" in page and "Текст: critical" in page
    assert client.get(url_of(world, "letter_pdf", "org")).status_code == 200


# --- the overview --------------------------------------------------------------------------------


def test_the_overview_lists_the_late(login, official, world, org_b):
    page = login(official).get(url_of(world, "period_overview", "period")).content.decode()
    late_block = page.split('id="late"')[1].split("</ul>")[0]
    assert world["org"].short_name in late_block and org_b.short_name in late_block


def test_the_overview_says_when_monitoring_end_is_unset(login, official, world):
    world["period"].monitoring_end = None
    world["period"].save()
    page = login(official).get(url_of(world, "period_overview", "period")).content.decode()
    assert reverse("period_edit", args=[world["period"].pk]) in page


def test_the_overview_runs_a_fixed_number_of_queries(login, official, world):
    client = login(official)
    url = url_of(world, "period_overview", "period")

    def grow(codes):
        for code in codes:
            make_score(world["period"], make_org(code), level="critical")
        domain.draft_recommendations(world["period"])

    grow(["C1"])  # 3 organisations
    small = count_queries(client, url)
    grow([f"C{i}" for i in range(2, 11)])  # 12 organisations
    assert (Organization.objects.count(), Recommendation.objects.count()) == (12, 11)
    assert count_queries(client, url) == small


# --- the letter as PDF and ZIP -------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    result = subprocess.run(
        [PDFTOTEXT, "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode().split())


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_letter_pdf_holds_the_names_and_every_recommendation(login, official, head_a, world):
    letter = issue(world, official)
    response = login(head_a).get(url_of(world, "letter_pdf", "org"))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert world["org"].full_name in text
    assert "Руководителю" in text and "Иванова О. П." in text
    assert "Уважаемая Ольга Петровна!" in text
    assert "Исх. № 01-12/77" in text
    for item in letter.items.all():
        assert item.text in text
        assert item.reason in text
    assert "Начальник управления образования" in text
    assert "Управление образования администрации Зеленчукского муниципального района" in text
    assert "ПРОЕКТ" not in text
    assert "B02" not in text and "Даусуз" not in text  # never another organisation


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_a_draft_letter_is_marked(login, official, world):
    text = pdf_text(login(official).get(url_of(world, "letter_pdf", "org")).content)
    assert "ПРОЕКТ" in text


def test_the_zip_holds_one_pdf_per_issued_letter(login, official, world, org_b):
    make_score(world["period"], make_org("C1"), level="critical")
    domain.draft_recommendations(world["period"])
    issue(world, official)
    client = login(official)
    response = client.get(url_of(world, "letters_zip", "period"))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["recommendations_A01_2024-2025.pdf"]
    assert archive.read(archive.namelist()[0]).startswith(b"%PDF")
    response = client.get(url_of(world, "letters_zip", "period"), {"drafts": "1"})
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == ["recommendations_A01_2024-2025.pdf", "recommendations_C1_2024-2025_draft.pdf"]


def test_the_command_writes_the_letter_and_the_zip(world, official, tmp_path):
    out = tmp_path / "letter.pdf"
    call_command(
        "render_recommendations", "--period", "2024/2025", "--org", "A01", "--out", str(out)
    )
    assert out.read_bytes().startswith(b"%PDF")
    issue(world, official)
    archive = tmp_path / "letters.zip"
    call_command("render_recommendations", "--period", "2024/2025", "--out", str(archive))
    assert zipfile.ZipFile(archive).namelist() == ["recommendations_A01_2024-2025.pdf"]


def test_the_command_explains_what_is_missing(world, tmp_path):
    from django.core.management.base import CommandError

    out = str(tmp_path / "x.pdf")
    with pytest.raises(CommandError, match="Нет организации"):
        call_command(
            "render_recommendations", "--period", "2024/2025", "--org", "ZZZ", "--out", out
        )
    with pytest.raises(CommandError, match="нет рекомендаций"):
        call_command(
            "render_recommendations", "--period", "2024/2025", "--org", "B02", "--out", out
        )
    with pytest.raises(CommandError, match="нет выданных"):
        call_command("render_recommendations", "--period", "2024/2025", "--out", out)
    with pytest.raises(CommandError, match="Нет периода"):
        call_command("render_recommendations", "--period", "1999/2000", "--out", out)


def test_deadline_defaults_are_dated_from_today(world):
    deadlines = sorted(i.deadline for i in world["letter"].items.all())
    today = timezone.localdate()
    assert deadlines == [today + timedelta(days=10), today + timedelta(days=30)]
