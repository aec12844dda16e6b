"""Candidacies built through the reserve's own API (`reserve.candidacies`), as the pages would.

Helpers (`nominate_in`, `enrol_in`, `new_person`) and fixtures:
- `candidacy`: the cast's candidate (role candidate in school A), nominated by the official on
  NOMINATED and enrolled on ENROLLED by order «15-к»;
- `training` (with a PDF document) and `contest` on it;
- `staff_nomination`: a teacher of school A nominated by principal A, awaiting approval;
- `candidacy_b`: a deputy head of school B, enrolled.
"""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reserve import candidacies as domain
from reserve.models import Candidacy, ContestLevel, ContestResult

NOMINATED = date(2024, 10, 1)
ENROLLED = date(2024, 10, 15)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf_upload(name="Удостоверение.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def new_person(last_name, first_name, patronymic="", birth_date=None):
    return domain.create_person(
        last_name=last_name, first_name=first_name, patronymic=patronymic, birth_date=birth_date
    )


def nominate_in(person, organization, by, *, on=NOMINATED, **extra) -> Candidacy:
    values = {
        "position": "заместитель директора по УВР",
        "reason": "Высокие результаты работы, инициатива в управлении школой",
    }
    values.update(extra)
    return domain.nominate(person=person, organization=organization, by=by, on=on, **values)


def enrol_in(person, organization, official, *, on=ENROLLED, order="15-к", **extra) -> Candidacy:
    candidacy = nominate_in(person, organization, official, **extra)
    domain.enrol(candidacy, order=order, on=on, by=official)
    return candidacy


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def candidacy(candidate, official, org_a, period) -> Candidacy:
    return enrol_in(
        candidate,
        org_a,
        official,
        target_position="директор",
        management_since=date(2019, 9, 1),
    )


@pytest.fixture
def training(candidacy, official):
    return domain.add_training(
        candidacy,
        programme="Управление образовательной организацией",
        provider="КЧРИПКРО",
        hours=36,
        start_date=date(2024, 11, 1),
        end_date=date(2024, 11, 20),
        by=official,
        document=pdf_upload(),
    )


@pytest.fixture
def contest(candidacy, official):
    return domain.add_contest(
        candidacy,
        name="Лидер в образовании",
        level=ContestLevel.MUNICIPAL,
        result=ContestResult.PRIZE,
        held_on=date(2025, 3, 1),
        by=official,
    )


@pytest.fixture
def staff_nomination(principal_a, org_a, period) -> Candidacy:
    person = new_person("Петрова", "Анна", "Сергеевна", date(1990, 5, 4))
    return nominate_in(person, org_a, principal_a, position="учитель математики")


@pytest.fixture
def candidacy_b(official, org_b, period) -> Candidacy:
    person = new_person("Хубиев", "Марат", "Азаматович", date(1985, 2, 11))
    return enrol_in(person, org_b, official)
