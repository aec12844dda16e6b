"""Optimistic locking (`zelenchuk_portal/concurrency.py`): two people editing the same record —
the second save is refused with the message and nothing is silently overwritten.

The mechanism first (claim, the message, plain saves that must not write an older revision
back, a real race on PostgreSQL), then the registry's forms as people use them: the page
opened twice, the first save kept, the second refused.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from tests.concurrency import opened_revision, page_text
from tests.conftest import make_org, make_person
from zelenchuk_portal.concurrency import (
    FIRST,
    NEW,
    ConflictError,
    claim,
    conflict_message,
    guarded,
    out_of_date_message,
)
from zelenchuk_portal.models import Organization, Role, User


@pytest.fixture
def colleague(db):
    return make_person(
        "colleague", Role.OFFICIAL, last_name="Петренко", first_name="Анна", patronymic="Ивановна"
    )


# --- The mechanism -------------------------------------------------------------------------------


def test_a_new_record_starts_at_revision_one(org_a):
    assert org_a.revision == FIRST
    assert Organization.objects.get(pk=org_a.pk).revision == FIRST


def test_claim_takes_the_next_revision_and_records_who_and_when(org_a, official):
    with transaction.atomic():
        claim(org_a, FIRST, official)
    stored = Organization.objects.get(pk=org_a.pk)
    assert (stored.revision, stored.revised_by) == (2, official)
    assert timezone.now() - stored.revised_at < timedelta(minutes=1)
    assert (org_a.revision, org_a.revised_by) == (2, official)  # the instance follows


def test_a_stale_revision_is_refused_and_names_who_saved_first(org_a, official, colleague):
    mine = Organization.objects.get(pk=org_a.pk)
    with guarded(org_a, FIRST, colleague):
        org_a.short_name = "Сохранено первым"
        org_a.save()
    mine.short_name = "Сохранено вторым"
    with pytest.raises(ConflictError) as caught, guarded(mine, FIRST, official):
        mine.save()
    stored = Organization.objects.get(pk=org_a.pk)
    assert stored.short_name == "Сохранено первым" and stored.revision == 2
    message = caught.value.messages[0]
    assert message == conflict_message(who=colleague, when=stored.revised_at, me=official)
    assert "Петренко А. И." in message
    assert timezone.localtime(stored.revised_at).strftime("%H:%M") in message
    assert caught.value.code == "conflict"


def test_a_refused_save_writes_nothing_it_did_before_the_refusal(org_a, official):
    with transaction.atomic():
        claim(org_a, FIRST, official)
    with pytest.raises(ConflictError), transaction.atomic():
        Organization.objects.filter(pk=org_a.pk).update(address="записано до проверки")
        claim(org_a, FIRST, official)
    assert Organization.objects.get(pk=org_a.pk).address == ""


def test_the_same_persons_other_tab_is_named_as_such(org_a, official):
    first, second = (Organization.objects.get(pk=org_a.pk) for _ in range(2))
    with transaction.atomic():
        claim(first, FIRST, official)
    with pytest.raises(ConflictError) as caught, transaction.atomic():
        claim(second, FIRST, official)
    assert caught.value.messages == [
        conflict_message(who=official, when=first.revised_at, me=official)
    ]
    assert caught.value.messages != [conflict_message(who=official, when=first.revised_at)]


def test_a_save_of_another_day_gives_the_date_too(org_a, colleague, official):
    earlier = timezone.now() - timedelta(days=3)
    Organization.objects.filter(pk=org_a.pk).update(
        revision=5, revised_by=colleague, revised_at=earlier
    )
    error = ConflictError.for_record(org_a, me=official)
    assert timezone.localtime(earlier).strftime("%d.%m.%Y %H:%M") in error.messages[0]


def test_a_form_opened_on_nothing_conflicts_with_a_record_created_meanwhile(org_a, official):
    with pytest.raises(ConflictError), transaction.atomic():
        claim(org_a, NEW, official)
    fresh = Organization(code="N01", short_name="Новая", full_name="Новая", org_type="school")
    with transaction.atomic():
        claim(fresh, NEW, official)  # a new record is only stamped
    assert (fresh.revision, fresh.revised_by) == (FIRST, official)


def test_a_deleted_record_is_reported_as_deleted(official):
    org = make_org("D01")
    copy = Organization.objects.get(pk=org.pk)
    org.delete()
    with pytest.raises(ConflictError) as caught, transaction.atomic():
        claim(copy, FIRST, official)
    assert caught.value.messages == [conflict_message(deleted=True)]


def test_claim_without_a_revision_still_moves_it(org_a):
    """Commands and follow-up work have no form: nothing to compare, but forms opened before
    their change go stale."""
    with transaction.atomic():
        claim(org_a, None)
    stored = Organization.objects.get(pk=org_a.pk)
    assert (stored.revision, stored.revised_by) == (2, None)


@pytest.mark.django_db(transaction=True)
def test_claim_outside_a_transaction_is_a_programming_error(org_a, official):
    with pytest.raises(RuntimeError):
        claim(org_a, FIRST, official)


def test_a_plain_save_never_writes_an_older_revision_back(org_a, official):
    old = Organization.objects.get(pk=org_a.pk)
    with transaction.atomic():
        claim(org_a, FIRST, official)
    old.address = "ул. Ленина, 1"
    old.save()  # a path that does not claim: the fields change, the revision stays
    stored = Organization.objects.get(pk=org_a.pk)
    assert (stored.address, stored.revision, stored.revised_by) == ("ул. Ленина, 1", 2, official)
    with pytest.raises(ConflictError), transaction.atomic():
        claim(old, FIRST, official)  # so the stale revision is still refused


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)"
)
@pytest.mark.django_db(transaction=True)
def test_two_transactions_at_once_one_wins(org_a, official, colleague):
    """Two saves opened on the same revision, really at the same time: the second UPDATE waits
    for the first transaction, re-reads the row and updates nothing."""
    holding, done = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                claim(Organization.objects.get(pk=org_a.pk), FIRST, official)
                holding.set()
                done.wait(5)  # keep the row locked while the second save tries
        finally:
            connection.close()

    def second():
        try:
            holding.wait(5)
            with transaction.atomic():
                timer = threading.Timer(0.5, done.set)  # let the first commit while we wait
                timer.start()
                claim(Organization.objects.get(pk=org_a.pk), FIRST, colleague)
            outcome["second"] = "saved"
        except ConflictError as error:
            outcome["second"] = error.messages[0]
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    stored = Organization.objects.get(pk=org_a.pk)
    assert (stored.revision, stored.revised_by) == (2, official)
    assert outcome["second"] == conflict_message(who=official, when=stored.revised_at, me=colleague)


# --- The registry's forms ------------------------------------------------------------------------


def _organization_form(org, **changes):
    data = {
        "code": org.code,
        "short_name": org.short_name,
        "full_name": org.full_name,
        "org_type": org.org_type,
        "settlement": org.settlement,
        "area": org.area,
        "address": org.address,
        "is_active": "on",
    }
    return {**data, **changes}


def test_organisation_edited_in_two_browsers(client, official, colleague, org_a):
    from django.test import Client

    url = reverse("organization_edit", args=[org_a.pk])
    client.force_login(colleague)
    other = Client()
    other.force_login(official)
    first_page, second_page = client.get(url), other.get(url)
    first = client.post(
        url,
        {
            **_organization_form(org_a, address="ул. Первая"),
            "base_revision": opened_revision(first_page),
        },
    )
    assert first.status_code == 302
    second = other.post(
        url,
        {
            **_organization_form(org_a, address="ул. Вторая"),
            "base_revision": opened_revision(second_page),
        },
    )
    assert second.status_code == 200
    stored = Organization.objects.get(pk=org_a.pk)
    assert stored.address == "ул. Первая"
    expected = conflict_message(who=colleague, when=stored.revised_at, me=official)
    assert expected in page_text(second)
    assert 'value="ул. Вторая"' in page_text(second)  # the refused input stays on the page


def test_person_edited_twice_in_two_tabs(login, official, principal_a):
    client = login(official)
    url = reverse("person_edit", args=[principal_a.pk])
    tab_one, tab_two = client.get(url), client.get(url)
    form = {
        "last_name": principal_a.last_name,
        "first_name": principal_a.first_name,
        "patronymic": "",
        "username": principal_a.username,
        "email": "",
        "phone": "",
        "is_active": "on",
    }
    saved = client.post(url, {**form, "phone": "+7 111", "base_revision": opened_revision(tab_one)})
    assert saved.status_code == 302
    refused = client.post(
        url, {**form, "phone": "+7 222", "base_revision": opened_revision(tab_two)}
    )
    assert refused.status_code == 200
    stored = User.objects.get(pk=principal_a.pk)
    assert stored.phone == "+7 111"
    assert conflict_message(who=official, when=stored.revised_at, me=official) in page_text(refused)


def test_a_broken_revision_is_refused_and_an_absent_one_is_not_compared(login, official, org_a):
    client = login(official)
    url = reverse("organization_edit", args=[org_a.pk])
    broken = client.post(url, {**_organization_form(org_a, address="x"), "base_revision": "abc"})
    assert broken.status_code == 200
    assert out_of_date_message() in page_text(broken)
    assert Organization.objects.get(pk=org_a.pk).address == ""
    # A client that knows nothing of revisions (a script) saves as a command would.
    assert client.post(url, _organization_form(org_a, address="y")).status_code == 302
    assert Organization.objects.get(pk=org_a.pk).revision == 2


def test_a_new_organisation_form_carries_revision_zero(login, official):
    page = login(official).get(reverse("organization_create"))
    assert opened_revision(page) == str(NEW)
