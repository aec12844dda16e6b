"""Builders for the base site, agreement, matching, assignment and analytics tests: rows written
straight to the database, so that each test states only what it is about."""

from datetime import date, time, timedelta

from mentoring.models import (
    Activity,
    Agreement,
    BaseSite,
    DiaryEntry,
    Form,
    Internship,
    Stage,
    Trainee,
)
from monitoring.methodology import version_for
from monitoring.models import Score, ScoringRun
from trajectories.models import Assessment, AssessmentItem, Competency, Deficit
from zelenchuk_portal.models import Membership, Period, PeriodStatus

TODAY = date(2025, 3, 3)


def make_period(label="2023/2024", start_year=2023) -> Period:
    return Period.objects.create(
        label=label,
        start_date=date(start_year, 9, 1),
        end_date=date(start_year + 1, 8, 31),
        status=PeriodStatus.OPEN,
    )


def make_score(period, organization, *, level="high", index=85.0, risk_flags=(), **subgroups):
    """A stored score; subgroups not given score 60."""
    version = version_for(period)
    run = ScoringRun.objects.filter(period=period).first() or ScoringRun.objects.create(
        period=period, version=version, trigger="test"
    )
    fields = dict.fromkeys(("a1", "a2", "b1", "b2", "b3", "b4", "b5"), 60.0)
    fields.update({code.lower(): value for code, value in subgroups.items()})
    return Score.objects.create(
        period=period,
        organization=organization,
        version=version,
        run=run,
        index=index,
        level=level,
        risk_flags=list(risk_flags),
        **fields,
    )


def make_site(organization, *, capacity=3, active=True) -> BaseSite:
    return BaseSite.objects.create(
        organization=organization,
        designated_on=date(2024, 9, 1),
        order="12-о",
        themes="Управление качеством образования",
        capacity=capacity,
        is_active=active,
    )


def give_role(person, role, organization, **extra) -> Membership:
    return Membership.objects.create(user=person, role=role, organization=organization, **extra)


def assess(person, period, ratings: dict, *, status=Assessment.Status.SUBMITTED) -> Assessment:
    """A self-assessment with `ratings`: {code: self} or {code: (self, expert)}."""
    assessment = Assessment.objects.create(person=person, period=period, status=status)
    by_code = dict(Competency.objects.values_list("code", "pk"))
    items = []
    for code, rating in ratings.items():
        own, expert = rating if isinstance(rating, tuple) else (rating, None)
        items.append(
            AssessmentItem(
                assessment=assessment,
                competency_id=by_code[code],
                self_rating=own,
                expert_rating=expert,
            )
        )
    AssessmentItem.objects.bulk_create(items)
    return assessment


def confirm(assessment, codes=(), blocks=(), *, status=Deficit.Status.CONFIRMED):
    for code in codes:
        competency = Competency.objects.get(code=code)
        Deficit.objects.create(
            assessment=assessment, competency=competency, block=competency.block, status=status
        )
    for block in blocks:
        Deficit.objects.create(assessment=assessment, block=block, status=status)


def make_agreement(site, trainee_org, *, start=date(2024, 9, 1), end=date(2025, 8, 31)):
    return Agreement.objects.create(
        number="5/2024",
        signed_on=start,
        valid_from=start,
        valid_until=end,
        base_site=site,
        host_organization=site.organization,
        trainee_organization=trainee_org,
    )


def make_internship(
    site,
    mentor,
    trainees,
    *,
    by,
    start=date(2025, 1, 13),
    end=date(2025, 4, 30),
    stage=Stage.PRELIMINARY,
    form=Form.INDIVIDUAL,
    agreement=None,
    theme="Внутренняя система оценки качества",
    completed_on=None,
) -> Internship:
    internship = Internship.objects.create(
        theme=theme,
        form=form if len(trainees) < 2 else Form.GROUP,
        start_date=start,
        end_date=end,
        stage=stage,
        base_site=site,
        mentor=mentor,
        agreement=agreement,
        created_by=by,
        completed_on=completed_on,
    )
    for person, organization in trainees:
        Trainee.objects.create(internship=internship, person=person, organization=organization)
    return internship


def write_entry(
    trainee, day, start=(9, 0), end=(10, 30), activity=Activity.OBSERVATION, draft=False
):
    return DiaryEntry.objects.create(
        trainee=trainee,
        day=day,
        time_from=time(*start),
        time_to=time(*end),
        activity=activity,
        head_actions="Провела совещание",
        is_draft=draft,
    )


def days_ago(n: int, today: date = TODAY) -> date:
    return today - timedelta(days=n)
