"""Demo records of the management cycle: measures, decisions (with their effect) and targeted
recommendations, for the periods the demo fills. Called by `demo.py` after a period is scored."""

from datetime import date, timedelta

from .decisions import change_status, save_decision
from .measures import save_measure
from .models import Decision, DecisionKind, Measure, MeasureKind, Score

MEASURES = [
    (MeasureKind.SEMINAR, "Семинар «Объективность оценочных процедур: ВПР и ВСОКО»", 10, 12),
    (MeasureKind.WEBINAR, "Вебинар «Программа развития ОО: от анализа к результату»", 11, 20),
    (MeasureKind.COURSE, "Курсы ПК «Управление качеством образования в ОО» (72 ч)", 2, 3),
    (MeasureKind.LANDING, "Педагогический десант в сельские школы района", 3, 15),
]

# (kind, title, owner, targeted indicators chosen among those that scored 0)
DECISIONS = [
    (
        DecisionKind.INTERVIEW,
        "Собеседование с руководителем по результатам мониторинга",
        "начальник управления образования",
    ),
    (
        DecisionKind.TRAINING,
        "Направить руководителя на курсы повышения квалификации и закрепить ментора",
        "главный специалист управления образования",
    ),
    (
        DecisionKind.PROGRAMME,
        "Включить ОО в муниципальную программу поддержки школ с низкими результатами",
        "управление образования",
    ),
]


def _weak_spots(period, limit):
    """Organisations at the critical level, each with the indicators that scored 0."""
    found = []
    scores = Score.objects.filter(period=period, level="critical").select_related(
        "organization", "version"
    )
    for score in scores.order_by("organization__code")[:limit]:
        zeros = [code for code, r in score.results.items() if r[1] == "значение" and r[2] == 0]
        if zeros:
            found.append((score.organization, zeros[:3]))
    return found


def seed_cycle(period, organizations, official, *, closed: bool) -> None:
    """Measures and decisions of a period; closed periods' decisions are carried out."""
    year = period.start_date.year
    for n, (kind, title, month, day) in enumerate(MEASURES):
        starts = date(year + (month < 9), month, day)
        measure = Measure(
            kind=kind,
            title=title,
            period=period,
            starts_on=starts,
            ends_on=starts + timedelta(days=4) if kind == MeasureKind.COURSE else None,
            organiser="Муниципальный методический кабинет управления образования",
        )
        participants = organizations[n::3]
        heads = [org.head for org in participants if org.head]
        save_measure(measure, organizations=participants, people=heads, user=official)
    monitoring_end = period.monitoring_end or period.end_date
    for n, (organization, codes) in enumerate(_weak_spots(period, len(DECISIONS))):
        kind, title, owner = DECISIONS[n]
        decision = Decision(
            period=period,
            number=f"{140 + n}-од",
            date=monitoring_end + timedelta(days=20),
            kind=kind,
            title=title,
            owner=owner,
            due_date=monitoring_end + timedelta(days=120),
        )
        save_decision(
            decision,
            organizations=[organization],
            people=[organization.head] if organization.head else [],
            indicator_codes=codes,
            user=official,
        )
        change_status(decision, Decision.Status.IN_PROGRESS, official)
        if closed and n != 1:  # one decision of each closed period stays overdue
            change_status(decision, Decision.Status.DONE, official, "Выполнено, отчёт приложен.")


def issue_letters(period, official, *, late: tuple[str, ...], unissued: tuple[str, ...]) -> None:
    """Issue the drafted letters: on time, except `late` (issued after the 10 days) and
    `unissued` (still drafts)."""
    from .models import Recommendation
    from .recommendations import due_date, issue_recommendation

    due = due_date(period.monitoring_end) or period.end_date
    letters = Recommendation.objects.filter(period=period, status=Recommendation.Status.DRAFT)
    for n, letter in enumerate(
        letters.select_related("organization").order_by("organization__code")
    ):
        code = letter.organization.code
        if code in unissued:
            continue
        issued_on = due + timedelta(days=12) if code in late else due - timedelta(days=2)
        for item in letter.items.select_related("rule"):
            item.deadline = issued_on + timedelta(days=item.rule.days if item.rule else 90)
            item.save(update_fields=["deadline"])
        issue_recommendation(
            letter,
            number=f"{period.start_date.year + 1}/{310 + n}",
            issued_on=issued_on,
            user=official,
            today=issued_on,
        )
