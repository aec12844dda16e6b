"""Internships for the tests of the internship pages and rules, built with the models directly
(so that these tests do not depend on the assignment rules of `mentoring/assignment.py`).

The cast of `tests/conftest.py`: the mentor (school M03), the candidate of school A as the
trainee, principal A as the trainee's head. Dates fall within the 2024/2025 period.
"""

from datetime import date, time

from django.core.files.base import ContentFile

from mentoring import internships as domain
from mentoring.models import (
    Activity,
    Assignment,
    BaseSite,
    Form,
    Internship,
    Stage,
    Trainee,
)
from trajectories.models import Competency
from zelenchuk_portal.models import Role

START, END = date(2024, 10, 1), date(2024, 12, 20)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def competency(code: str) -> Competency:
    return Competency.objects.get(code=code)


def base_site_of(mentor) -> BaseSite:
    organization = mentor.organizations_as(Role.MENTOR).first()
    site, _ = BaseSite.objects.get_or_create(
        organization=organization,
        defaults={"designated_on": date(2024, 9, 1), "themes": "ВСОКО", "capacity": 10},
    )
    return site


def make_internship(
    mentor,
    trainees,
    *,
    theme="Внутренняя система оценки качества образования",
    form=Form.INDIVIDUAL,
    stage=Stage.MAIN,
    start=START,
    end=END,
    competencies=("2.3", "4.1"),
    created_by=None,
) -> Internship:
    internship = Internship.objects.create(
        theme=theme,
        form=form,
        start_date=start,
        end_date=end,
        stage=stage,
        base_site=base_site_of(mentor),
        mentor=mentor,
        created_by=created_by or mentor,
    )
    internship.competencies.set(Competency.objects.filter(code__in=competencies))
    for person in trainees:
        membership = person.memberships.exclude(organization=None).first()
        Trainee.objects.create(
            internship=internship, person=person, organization=membership.organization
        )
    return internship


def trainee_of(internship, person=None) -> Trainee:
    trainees = internship.trainees.select_related("internship", "person")
    return trainees.get(person=person) if person else trainees.get()


def add_entry(trainee, day=date(2024, 10, 14), start=(9, 0), end=(10, 30), submit=True, **extra):
    values = {
        "activity": Activity.MEETING,
        "head_actions": "Директор провела совещание по итогам мониторинга",
        "reflection": "Постановка задач со сроками и ответственными",
    }
    values.update(extra)
    return domain.save_entry(
        trainee, day=day, time_from=time(*start), time_to=time(*end), submit=submit, **values
    )


def add_assignment(internship, by, deadline=date(2024, 10, 20), **extra):
    values = {
        "assignee": Assignment.For.TRAINEE,
        "task": "Изучить положение о ВСОКО",
        "expected_result": "Заметки о принимающей организации",
    }
    values.update(extra)
    return domain.add_assignment(internship, deadline=deadline, by=by, **values)


def ready_to_close(internship, mentor) -> Internship:
    """Everything closing needs: the final stage, the map done, and from every trainee a
    submitted entry, the report, the project and the mentor's ratings and conclusion."""
    add_assignment(internship, mentor, status=Assignment.Status.DONE)
    ratings = {c.pk: 2 for c in internship.competencies.all()}
    for trainee in internship.trainees.select_related("internship", "person"):
        if not trainee.entries.filter(is_draft=False).exists():
            add_entry(trainee)
        trainee.report = "Отчёт о стажировке"
        trainee.project_title = "Внедрение карты наблюдения урока"
        trainee.project_file.save("project.pdf", ContentFile(PDF), save=False)
        trainee.project_file_name = "Проект.pdf"
        trainee.save()
        domain.assess(trainee, ratings=ratings, conclusion="Рекомендуется", by=mentor)
    Internship.objects.filter(pk=internship.pk).update(stage=Stage.FINAL)
    internship.refresh_from_db()
    return internship


def add_decision(trainee, ratings=None, **extra):
    ratings = ratings or {competency("2.3").pk: 2, competency("4.1").pk: 1}
    return domain.add_decision(
        trainee,
        text=extra.pop("text", "Назначить ответственных за планы коррекции"),
        ratings=ratings,
        **extra,
    )
