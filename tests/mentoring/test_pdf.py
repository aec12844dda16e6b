"""The internship's PDF (the map, each trainee's diary with total hours, the matrix, final
materials) from the page and from `render_internship`."""

import shutil
import subprocess
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from mentoring import internships as domain
from mentoring.models import Assignment, Form
from tests.conftest import make_person
from tests.mentoring.internship_fixtures import (
    add_assignment,
    add_decision,
    add_entry,
    competency,
    make_internship,
    ready_to_close,
    trainee_of,
)
from zelenchuk_portal.models import Role

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="poppler-utils is not installed")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


@pytest.fixture
def trainee_person(org_a):
    return make_person(
        "deputy_a",
        Role.CANDIDATE,
        org_a,
        last_name="Петренко",
        first_name="Анна",
        patronymic="Викторовна",
    )


@pytest.fixture
def completed(mentor, trainee_person):
    """A completed internship with two diary entries (1 h 30 min + 45 min), a comment, a
    decision rated by both, final materials and the mentor's assessment."""
    internship = make_internship(mentor, [trainee_person], theme="ВСОКО: от положения к решениям")
    add_assignment(
        internship,
        mentor,
        task="Изучить циклограмму внутреннего контроля",
        status=Assignment.Status.DONE,
    )
    trainee = trainee_of(internship)
    entry = add_entry(trainee, head_actions="Директор поручила подготовить планы коррекции")
    add_entry(trainee, start=(11, 0), end=(11, 45), head_actions="Разбор урока по карте")
    domain.comment_entry(entry, text="Обратите внимание на протокол", by=mentor)
    decision = add_decision(trainee, entry=entry, text="Назначить ответственных за коррекцию")
    domain.rate_decision(decision, {competency("2.3").pk: 3}, by=mentor)
    ready_to_close(internship, mentor)
    trainee.refresh_from_db()
    trainee.project_summary = "Единый инструмент контроля уроков"
    trainee.save()
    domain.close(internship, by=mentor, today=date(2024, 12, 20))
    return internship


def test_the_pdf_is_served_inline(login, completed, trainee_person):
    response = login(trainee_person).get(reverse("mentoring:internship_pdf", args=[completed.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("inline;")


@needs_pdftotext
def test_the_pdf_holds_the_map_diary_matrix_and_final_materials(login, official, completed):
    text = pdf_text(
        login(official).get(reverse("mentoring:internship_pdf", args=[completed.pk])).content
    )
    assert "Материалы стажировки" in text
    assert "ВСОКО: от положения к решениям" in text
    assert "Технологическая карта стажировки" in text
    assert "Изучить циклограмму внутреннего контроля" in text and "выполнено" in text
    assert "Петренко Анна Викторовна" in text
    assert "Дневник стажировки" in text
    assert "Директор поручила подготовить планы коррекции" in text
    assert "Обратите внимание на протокол" in text
    assert "Итого: 2 ч 15 мин (записей: 2)" in text
    assert "Матрица компетенций и управленческих решений" in text
    assert "Назначить ответственных за коррекцию" in text
    assert "Назначить ответственных за коррекцию запись от 14.10.2024 2 / 3" in text.replace(
        "2/3", "2 / 3"
    )  # the self-rating / the mentor's rating of 2.3 (pdftotext may drop the thin spaces)
    assert "Внедрение карты наблюдения урока" in text and "Проект.pdf" in text
    assert "Единый инструмент контроля уроков" in text
    assert "2 — владею" in text  # the mentor's final rating
    assert "Рекомендуется" in text
    assert "завершена 20.12.2024" in text


@needs_pdftotext
def test_a_head_gets_only_his_or_her_staffs_sections(login, mentor, candidate, principal_a, org_b):
    other = make_person("deputy_b", Role.CANDIDATE, org_b, last_name="Абаева")
    group = make_internship(mentor, [candidate, other], form=Form.GROUP)
    add_entry(trainee_of(group, candidate), head_actions="Запись школы А")
    add_entry(trainee_of(group, other), head_actions="Запись школы Б")
    text = pdf_text(
        login(principal_a).get(reverse("mentoring:internship_pdf", args=[group.pk])).content
    )
    assert "Запись школы А" in text and "Запись школы Б" not in text
    text = pdf_text(login(mentor).get(reverse("mentoring:internship_pdf", args=[group.pk])).content)
    assert "Запись школы А" in text and "Запись школы Б" in text


def test_render_internship_writes_the_pdf(completed, tmp_path):
    out = tmp_path / "internship.pdf"
    stdout = StringIO()
    call_command("render_internship", "--id", str(completed.pk), "--out", str(out), stdout=stdout)
    assert out.read_bytes().startswith(b"%PDF")
    assert completed.theme in stdout.getvalue()
    if PDFTOTEXT:
        assert "Итого: 2 ч 15 мин" in pdf_text(out.read_bytes())


def test_render_internship_explains_an_unknown_id(db, tmp_path):
    out = tmp_path / "none.pdf"
    with pytest.raises(CommandError, match="Нет стажировки с номером 999"):
        call_command("render_internship", "--id", "999", "--out", str(out))
    assert not out.exists()
