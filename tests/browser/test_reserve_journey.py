"""The personnel reserve in a real browser.

The official nominates somebody not yet in the registry, enrols him by order, records his
training with the certificate, confirms his readiness (against the evidence, so a comment is
required and first refused without one) and appoints him head of another school. Then a head
nominates a teacher of his school, and the official finds the nomination awaiting approval and
approves it.

Everything happens "today" (the pages date their actions by the day), so the period is the one
containing today.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from reserve.models import Candidacy, ReadinessReview, Status
from tests.conftest import PASSWORD
from tests.reserve.conftest import PDF
from zelenchuk_portal.models import Membership, Period, PeriodStatus, Role, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def this_year(db):
    today = timezone.localdate()
    start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    return Period.objects.create(
        label=f"{start.year}/{start.year + 1}",
        start_date=start,
        end_date=date(start.year + 1, 8, 31),
        status=PeriodStatus.OPEN,
    )


def _go(page, url):
    response = page.goto(url)
    page.wait_for_load_state()
    assert response is not None and response.ok, (url, response and response.status)


def _post(page, button):
    """Click a button that submits a form and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state()


def test_the_official_nominates_enrols_trains_confirms_and_appoints(
    sign_in, page, live_server, tmp_path, settings, official, org_a, org_b, this_year
):
    settings.MEDIA_ROOT = tmp_path / "media"
    url = live_server.url
    today = timezone.localdate()

    # --- Nomination of a person not yet in the registry ---------------------------------------
    sign_in("official", PASSWORD)
    _go(page, f"{url}/reserve/")
    _post(page, page.locator("a[href$='/reserve/new/']").first)
    page.locator("#id_last_name").fill("Гочияев")
    page.locator("#id_first_name").fill("Руслан")
    page.locator("#id_patronymic").fill("Магометович")
    page.locator("#id_birth_date").fill("1988-04-12")
    page.locator("#id_organization").select_option(str(org_a.pk))
    page.locator("#id_position").fill("заместитель директора по УВР")
    page.locator("#id_management_since").fill("2017-09-01")
    page.locator("#id_reason").fill("Руководит методической работой, высокие результаты ОГЭ")
    page.locator("#id_target_position").fill("директор")
    page.locator("#id_target_organization").select_option(str(org_b.pk))
    _post(page, page.locator("main form button[type=submit]"))
    candidacy = Candidacy.objects.get(person__last_name="Гочияев")
    assert page.url.endswith(f"/reserve/{candidacy.pk}/")
    assert candidacy.status == Status.NOMINEE and candidacy.period == this_year
    assert not candidacy.person.has_usable_password()

    # --- Enrolment by order -------------------------------------------------------------------
    page.locator("#enrol summary").click()
    page.locator("#id_enrol_order").fill("Приказ № 48-к")
    page.locator("#id_enrol_on").fill(today.isoformat())
    _post(page, page.locator("#enrol button[type=submit]"))
    candidacy.refresh_from_db()
    assert (candidacy.status, candidacy.enrolment_order) == (Status.ENROLLED, "48-к")
    assert Membership.objects.filter(user=candidacy.person, role=Role.CANDIDATE).exists()

    # --- Training with its certificate --------------------------------------------------------
    _post(page, page.locator(f"a[href$='/reserve/{candidacy.pk}/training/new/']"))
    page.locator("#id_programme").fill("Школа молодого руководителя")
    page.locator("#id_provider").fill("КЧРИПКРО")
    page.locator("#id_hours").fill("72")
    page.locator("#id_start_date").fill((today - timedelta(days=40)).isoformat())
    page.locator("#id_end_date").fill((today - timedelta(days=30)).isoformat())
    certificate = tmp_path / "Удостоверение.pdf"
    certificate.write_bytes(PDF)
    page.locator("#id_document").set_input_files(str(certificate))
    _post(page, page.locator("main form button[type=submit]"))
    assert page.url.endswith(f"/reserve/{candidacy.pk}/")
    training = candidacy.trainings.get()
    assert (training.hours, training.document_name) == (72, "Удостоверение.pdf")
    link = page.locator(f"a[href$='/reserve/training/{training.pk}/document/']")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "Удостоверение.pdf"

    # --- Readiness: 72 h of training but no plan — 43 % by the evidence -----------------------
    assert page.locator("#readiness-score").inner_text().strip() == "43 %"
    page.locator("#id_readiness_ready_0").check()  # ready, against the evidence
    _post(page, page.locator("#readiness-decision button[type=submit]"))
    assert not ReadinessReview.objects.exists()
    assert page.locator("#readiness-decision .invalid-feedback").count() == 1  # the comment
    page.locator("#id_readiness_comment").fill("Успешно исполнял обязанности директора полгода")
    page.locator("#id_readiness_ready_0").check()
    _post(page, page.locator("#readiness-decision button[type=submit]"))
    candidacy.refresh_from_db()
    assert candidacy.status == Status.READY
    review = ReadinessReview.objects.get()
    assert (review.computed_score, review.ready, review.overrides) == (43, True, True)
    assert "Успешно исполнял обязанности директора полгода" in page.locator("#reviews").inner_text()

    # --- Appointment --------------------------------------------------------------------------
    page.locator("#move-appointed summary").click()
    move = page.locator("#move-appointed form")
    assert move.locator("#id_appointed_position").input_value() == "директор"
    assert move.locator("#id_appointed_organization").input_value() == str(org_b.pk)
    _post(page, move.locator("button[type=submit]"))
    candidacy.refresh_from_db()
    assert (candidacy.status, candidacy.appointed_organization, candidacy.left_on) == (
        Status.APPOINTED,
        org_b,
        today,
    )
    assert page.locator("#actions").count() == 0  # nothing more to do
    # Nominated, enrolled, ready (with the official's comment), appointed.
    assert page.locator("#history li").count() == 4


def test_a_head_nominates_and_the_official_approves(
    sign_in, page, live_server, official, principal_a, org_a, this_year
):
    url = live_server.url
    sign_in("principal_a", PASSWORD)
    _go(page, f"{url}/reserve/new/")
    assert page.locator("#id_organization").is_disabled()
    page.locator("#id_last_name").fill("Лайпанова")
    page.locator("#id_first_name").fill("Марина")
    page.locator("#id_position").fill("учитель математики")
    page.locator("#id_reason").fill("Руководит методическим объединением")
    _post(page, page.locator("main form button[type=submit]"))
    candidacy = Candidacy.objects.get(person__last_name="Лайпанова")
    assert candidacy.organization == org_a and candidacy.awaits_approval
    assert page.locator("#actions").count() == 0  # a head waits for the office

    page.context.clear_cookies()
    sign_in("official", PASSWORD)
    _go(page, f"{url}/reserve/?awaiting=on")
    _post(page, page.locator(f"#candidates a[href$='/reserve/{candidacy.pk}/']"))
    _post(page, page.locator("button[name=approve]"))
    candidacy.refresh_from_db()
    assert candidacy.approved_by == official and not candidacy.awaits_approval
    assert page.locator("#enrol").count() == 1
    assert User.objects.filter(last_name="Лайпанова").count() == 1
