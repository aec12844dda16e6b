"""Partnership agreements: the term, the file checked by content, expiry."""

from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from mentoring.agreements import AgreementData, expired, save_agreement
from mentoring.models import Agreement
from tests.mentoring.site_helpers import make_agreement, make_site

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def site(mentor):
    return make_site(mentor.memberships.get().organization)


def data(site, trainee_org, **changes) -> AgreementData:
    values = {
        "number": " 14/2025 ",
        "signed_on": date(2025, 1, 10),
        "valid_from": date(2025, 1, 10),
        "valid_until": date(2025, 12, 31),
        "base_site": site,
        "host_organization": site.organization,
        "trainee_organization": trainee_org,
        "other_parties": "",
    }
    values.update(changes)
    return AgreementData(**values)


@pytest.mark.django_db
def test_an_agreement_is_saved_with_its_file_under_a_random_name(site, org_a):
    upload = SimpleUploadedFile("../Договор № 14.pdf", PDF)
    agreement = save_agreement(None, data(site, org_a), upload=upload)
    assert agreement.number == "14/2025"
    assert agreement.file_name == "Договор № 14.pdf"
    stored = Path(agreement.file.path)
    assert stored.read_bytes() == PDF and "Договор" not in stored.name
    replaced = save_agreement(
        agreement, data(site, org_a), upload=SimpleUploadedFile("new.pdf", PDF)
    )
    assert not stored.exists() and Path(replaced.file.path).exists()
    assert Agreement.objects.count() == 1


@pytest.mark.django_db
def test_a_term_ending_before_it_starts_is_refused(site, org_a):
    with pytest.raises(ValidationError) as caught:
        save_agreement(None, data(site, org_a, valid_until=date(2024, 12, 31), number=""))
    assert caught.value.message_dict == {
        "number": [_("Enter the agreement's number.")],
        "valid_until": [
            _("The term ends (%(end)s) before it starts (%(start)s).")
            % {"end": "31.12.2024", "start": "10.01.2025"}
        ],
    }
    assert not Agreement.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_a_document_is_refused_and_nothing_changes(site, org_a):
    agreement = make_agreement(site, org_a)
    with pytest.raises(ValidationError) as caught:
        save_agreement(
            agreement,
            data(site, org_a, number="99"),
            upload=SimpleUploadedFile("agreement.pdf", EXE),
        )
    assert list(caught.value.message_dict) == ["file"]
    agreement.refresh_from_db()
    assert agreement.number == "5/2024" and not agreement.file


@pytest.mark.django_db
def test_an_agreement_is_expired_the_day_after_its_term(site, org_a):
    agreement = make_agreement(site, org_a, end=date(2025, 2, 28))
    assert not agreement.is_expired(date(2025, 2, 28))
    assert agreement.is_expired(date(2025, 3, 1))
    assert list(expired(Agreement.objects.all(), date(2025, 3, 1))) == [agreement]
    assert not expired(Agreement.objects.all(), date(2025, 2, 28)).exists()
