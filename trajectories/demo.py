"""Demo trajectories: self-assessments, expert ratings, deficits and development plans for the
periods 2023/2024, 2024/2025 and 2025/2026, then the periods rescored so that monitoring's A1.4
and A1.5 reflect them.

Ratings follow each school's monitoring results (`monitoring.models.Score`): a head of a strong
school rates higher, a block next to a weak subgroup lower, and everyone a little higher each year.
Deficits follow the district's rule (an item rated ≤ 1, a block below 60 % of its maximum), on the
expert's ratings where the expert rated. Plans are in every state of their flow. In the open
period the demo's own people stand where the browser journeys pick them up: `principal` has a
half-filled draft, `principal2` a submitted assessment awaiting the expert, `candidate` a plan on
review.

Everything is derived from seeded random generators keyed on the period and the login, so the
demo is the same on every machine. A period that already has assessments is left as it is, so
running the seed again changes nothing.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from monitoring.models import Score
from monitoring.scoring import score_period
from zelenchuk_portal.models import Organization, Period, PeriodStatus, Role, User

from .deficits import Rated, find_deficits
from .models import (
    MAX_RATING,
    Assessment,
    AssessmentItem,
    Competency,
    Deficit,
    DeficitAnalysis,
    Plan,
    PlanComment,
    PlanGoal,
    PlanTask,
    ResourceKind,
    TaskForm,
)
from .providers import heads, role_holders

DEMO_PERIODS = ("2023/2024", "2024/2025", "2025/2026")
# The district's rule at its defaults (DOMAIN.md): the demo writes its decisions as the expert
# would have taken them under it.
ITEM_MAX = 1
BLOCK_MIN_PERCENT = 60
# Which monitoring subgroups speak to each competency block: a block next to a weak subgroup is
# rated lower. A1 the head's own preparation, A2 the reserve, B1/B2 pupils' results, B3 pupils
# with special needs, B4 conditions, B5 career guidance and additional education.
BLOCK_SUBGROUPS = {1: ("a2", "b4"), 2: ("b1", "b2"), 3: ("b3", "b5"), 4: ("b4",), 5: ("b4",)}
SPECIAL = {"principal", "principal2", "mentor", "candidate"}
Status, Expert = Assessment.Status, Assessment.ExpertStatus
PlanStatus, Outcome = Plan.Status, DeficitAnalysis.Outcome
# The open period's story, by login: (assessment status, expert status, plan status). The demo
# `principal` is halfway through a draft, `principal2` waits for the expert, the candidate's plan
# is on review with the mentor. The head of 0111, whose recommendation letter is still a draft,
# has a confirmed deficit in block 2, so the district's deficit rule adds its item to the letter.
OPEN_STORY = {
    "principal": (Status.DRAFT, None, ""),
    "principal2": (Status.SUBMITTED, Expert.WAITING, ""),
    "candidate": (Status.SUBMITTED, Expert.DONE, PlanStatus.ON_REVIEW),
    "mentor": (Status.SUBMITTED, Expert.DONE, PlanStatus.APPROVED),
    "head0111": (Status.SUBMITTED, Expert.DONE, PlanStatus.DRAFT),
}
WEAK_BLOCK = {"head0111": 2}

# Tasks by competency block: (task, form, kind of resource, responsible). The goal's competency
# becomes the task's direction. «{me}» is the person's short name.
TASKS = {
    1: [
        (
            "Пройти курсы повышения квалификации «Управление персоналом образовательной "
            "организации» (72 ч)",
            TaskForm.COURSES,
            ResourceKind.EXTERNAL,
            "ЦНППМ КЧР",
        ),
        (
            "Разработать положение о наставничестве и план адаптации молодых педагогов",
            TaskForm.SELF_STUDY,
            ResourceKind.INTERNAL,
            "{me}, заместитель директора по УВР",
        ),
        (
            "Пройти стажировку на базовой площадке МКОУ «Гимназия № 3 ст. Зеленчукской» по теме "
            "«Распределённое лидерство в управленческой команде»",
            TaskForm.INTERNSHIP,
            ResourceKind.EXTERNAL,
            "{me}",
        ),
        (
            "Провести педагогический совет по распределению полномочий в управленческой команде",
            TaskForm.SEMINAR,
            ResourceKind.INTERNAL,
            "{me}",
        ),
    ],
    2: [
        (
            "Изучить методические рекомендации Рособрнадзора по повышению объективности ВПР и "
            "составить план мер для ОО",
            TaskForm.SELF_STUDY,
            ResourceKind.PERSONAL,
            "{me}",
        ),
        (
            "Принять участие в муниципальном семинаре «Объективность оценочных процедур: ВПР и "
            "ВСОКО»",
            TaskForm.SEMINAR,
            ResourceKind.EXTERNAL,
            "муниципальный методический кабинет",
        ),
        (
            "Обновить положение о ВСОКО и циклограмму внутришкольного контроля",
            TaskForm.SELF_STUDY,
            ResourceKind.INTERNAL,
            "{me}, заместитель директора по УВР",
        ),
        (
            "Пройти курсы ПК «Управление качеством образования в ОО» (72 ч)",
            TaskForm.COURSES,
            ResourceKind.EXTERNAL,
            "ЦНППМ КЧР",
        ),
    ],
    3: [
        (
            "Разработать с рабочей группой проект программы развития ОО на 2025–2030 годы",
            TaskForm.SELF_STUDY,
            ResourceKind.INTERNAL,
            "{me}",
        ),
        (
            "Участвовать в вебинаре «Программа развития ОО: от анализа к результату»",
            TaskForm.WEBINAR,
            ResourceKind.EXTERNAL,
            "{me}",
        ),
        (
            "Провести ревизию локальных нормативных актов ОО и привести их в соответствие с ФОП",
            TaskForm.SELF_STUDY,
            ResourceKind.INTERNAL,
            "{me}, заместитель директора по УВР",
        ),
        (
            "Пройти стажировку по созданию безопасной и развивающей образовательной среды",
            TaskForm.INTERNSHIP,
            ResourceKind.EXTERNAL,
            "{me}",
        ),
    ],
    4: [
        (
            "Пройти обучение по программе «Контрактная система в сфере закупок (44-ФЗ)»",
            TaskForm.COURSES,
            ResourceKind.EXTERNAL,
            "{me}",
        ),
        (
            "Разработать положение о стимулирующих выплатах с измеримыми критериями эффективности",
            TaskForm.SELF_STUDY,
            ResourceKind.INTERNAL,
            "{me}, главный бухгалтер",
        ),
        (
            "Менторские консультации по управлению финансовыми рисками и выполнению "
            "муниципального задания",
            TaskForm.MENTORING,
            ResourceKind.EXTERNAL,
            "{me}",
        ),
    ],
    5: [
        (
            "Обновить официальный сайт ОО и госпаблик в соответствии с требованиями "
            "законодательства",
            TaskForm.SELF_STUDY,
            ResourceKind.INTERNAL,
            "{me}, ответственный за сайт",
        ),
        (
            "Участвовать в вебинаре «Цифровые сервисы управления ОО: ФГИС «Моя школа» и "
            "электронный документооборот»",
            TaskForm.WEBINAR,
            ResourceKind.EXTERNAL,
            "{me}",
        ),
        (
            "Подготовить публикацию об опыте ОО для районной газеты и сайта управления образования",
            TaskForm.OTHER,
            ResourceKind.PROFESSIONAL,
            "{me}",
        ),
    ],
    6: [
        (
            "Выступить с докладом на августовском совещании педагогических работников района",
            TaskForm.SEMINAR,
            ResourceKind.PROFESSIONAL,
            "{me}",
        ),
        (
            "Принять участие в муниципальном конкурсе «Руководитель года»",
            TaskForm.CONTEST,
            ResourceKind.PROFESSIONAL,
            "{me}",
        ),
        (
            "Пройти онлайн-курс по стратегическому управлению и командообразованию",
            TaskForm.SELF_STUDY,
            ResourceKind.PERSONAL,
            "{me}",
        ),
        (
            "Менторская сессия «Делегирование полномочий членам управленческой команды»",
            TaskForm.MENTORING,
            ResourceKind.EXTERNAL,
            "{me}",
        ),
    ],
}

SUCCESSES = [
    "Разработанные документы приняты педагогическим советом и применяются в работе.",
    "Опыт представлен на районном методическом объединении руководителей.",
    "Управленческая команда распределила зоны ответственности, решения готовятся быстрее.",
]
PROBLEMS = [
    "Недостаточно времени на самообразование в период подготовки к ГИА.",
    "Часть мероприятий перенесена организатором на следующий учебный год.",
    "Не хватает опыта применения новых инструментов в небольшой сельской школе.",
]
USES = [
    "Транслировать опыт на августовском совещании и в сетевом сообществе руководителей района.",
    "Включить наработки в программу развития ОО и план внутришкольного контроля.",
]
SOLUTIONS = [
    "Спланировать самообразование на летний период, закрепить ответственных заместителей.",
    "Перенести невыполненные задачи в план следующего периода, согласовать сроки с ментором.",
]
DISMISS_COMMENTS = [
    "Оценка занижена: по документам и результатам ОО компетенция сформирована.",
    "Владение подтверждено на собеседовании, дефицит не подтверждаю.",
]
REVIEW_COMMENTS = [
    "Уточните сроки стажировки и укажите базовую площадку.",
    "Задачи соответствуют дефицитам; добавьте ожидаемый результат по курсам.",
    "Согласовано. Прошу приложить подтверждающие документы по мере выполнения.",
]


def _rng(*parts) -> random.Random:
    # A string seed is hashed with SHA-512: the same numbers on every machine and run.
    return random.Random(":".join(str(p) for p in parts))


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _day(period: Period, month: int, day: int) -> date:
    """A day of the academic year: September–December of its first year, then the next."""
    year = period.start_date.year + (month < 9)
    return min(max(date(year, month, day), period.start_date), period.end_date)


@dataclass
class Rater:
    """How one person rates him- or herself in one period, and how the expert sees it."""

    base: float
    offsets: dict[int, float]
    overconfidence: float


def _rater(rng: random.Random, score: Score | None, step: int, candidate: bool) -> Rater:
    index = score.index if score and score.index is not None else 55.0
    base = (1.25 if candidate else 1.5) + 1.1 * index / 100 + 0.12 * step
    offsets = {}
    for block in range(1, 7):
        related = [getattr(score, sg) for sg in BLOCK_SUBGROUPS.get(block, ())] if score else []
        related = [v for v in related if v is not None]
        lean = 0.8 * (sum(related) / len(related) - index) / 100 if related else 0.0
        offsets[block] = lean + rng.gauss(0, 0.25)
    return Rater(base, offsets, overconfidence=0.2 if index < 50 else 0.08)


def _rate(rng: random.Random, rater: Rater, block: int) -> int:
    value = rater.base + rater.offsets[block] + rng.gauss(0, 0.45)
    return int(min(MAX_RATING, max(0, round(value))))


def _expert_rate(rng: random.Random, rater: Rater, own: int) -> int:
    roll = rng.random()
    if roll < rater.overconfidence:
        return max(0, own - 1)
    if roll > 0.93:
        return min(MAX_RATING, own + 1)
    return own


@dataclass
class Found:
    """A deficit the rule finds."""

    competency: Competency | None
    block: int
    reason: str


def _find_deficits(items: list[AssessmentItem], by_pk: dict[int, Competency]) -> list[Found]:
    """The district's rule (`deficits.find_deficits`, default thresholds) on the demo's items."""
    by_code = {c.code: c for c in by_pk.values()}
    rated = [
        Rated(
            by_pk[i.competency_id].code,
            by_pk[i.competency_id].block,
            i.self_rating,
            i.expert_rating,
        )
        for i in items
    ]
    return [
        Found(None if p.is_block else by_code[p.code], p.block, p.reason)
        for p in find_deficits(rated, item_max=ITEM_MAX, block_min_percent=BLOCK_MIN_PERCENT)
    ]


class PeriodSeeder:
    """Seeds one period's assessments and plans."""

    def __init__(self, period: Period, step: int, people: dict, competencies: list[Competency]):
        self.period = period
        self.step = step
        self.is_open = period.status == PeriodStatus.OPEN
        self.people = people  # login → User
        self.competencies = competencies
        self.by_pk = {c.pk: c for c in competencies}
        self.block_names = {c.block: c.block_name for c in competencies}
        self.scores = {s.organization_id: s for s in Score.objects.filter(period=period)}
        self.expert = people.get("expert")
        self.mentor = people.get("mentor")

    # --- who does what ----------------------------------------------------------------------

    def cast(self) -> list[tuple[User, Organization, bool]]:
        """(person, organisation, is a candidate) for everyone followed in the period."""
        organizations = {o.pk: o for o in Organization.objects.active()}
        users = {u.pk: u for u in self.people.values()}
        cast = []
        for org_id, person_id in heads(self.period).items():
            if org_id in organizations and person_id in users:
                cast.append((users[person_id], organizations[org_id], False))
        cast.sort(key=lambda row: row[1].code)
        for org_id, person_id in role_holders(self.period, Role.CANDIDATE).items():
            if org_id in organizations and person_id in users:
                cast.append((users[person_id], organizations[org_id], True))
        return cast

    def states(self, n: int, login: str) -> tuple[str, str | None, str]:
        """(assessment status, expert status or None, plan status or "") for the n-th person."""
        if self.is_open:
            if login in OPEN_STORY:
                return OPEN_STORY[login]
            pattern = [
                ("", None, ""),
                (Status.SUBMITTED, Expert.DONE, PlanStatus.APPROVED),
                (Status.SUBMITTED, Expert.WAITING, ""),
                (Status.DRAFT, None, ""),
                (Status.SUBMITTED, Expert.DONE, PlanStatus.ON_REVIEW),
                (Status.SUBMITTED, Expert.IN_PROGRESS, ""),
                (Status.SUBMITTED, Expert.DONE, PlanStatus.DRAFT),
                (Status.RETURNED, Expert.IN_PROGRESS, ""),
                (Status.SUBMITTED, Expert.DONE, PlanStatus.APPROVED),
                (Status.SUBMITTED, Expert.DONE, PlanStatus.ON_REVIEW),
            ]
            return pattern[n % len(pattern)]
        if login == "candidate":  # the candidate's first plan carried over, the second done
            plan = PlanStatus.CARRIED_OVER if self.step == 0 else PlanStatus.DONE
            return (Status.SUBMITTED, Expert.DONE, plan)
        if login not in SPECIAL and n % 9 == 4:
            return ("", None, "")  # no self-assessment that year
        if login not in SPECIAL and n % 7 == 3:
            return (Status.SUBMITTED, Expert.WAITING, "")  # the expert never got to it
        closed = [PlanStatus.DONE, PlanStatus.CARRIED_OVER, PlanStatus.DONE, PlanStatus.APPROVED]
        return (Status.SUBMITTED, Expert.DONE, closed[n % len(closed)])

    def rater_for(self, person: User, organization: Organization, candidate: bool) -> Rater:
        rng = _rng("rater", self.period.label, person.username)
        rater = _rater(rng, self.scores.get(organization.pk), self.step, candidate)
        if self.is_open and person.username in WEAK_BLOCK:
            rater.offsets[WEAK_BLOCK[person.username]] -= 0.9
        return rater

    def expert_for(self, n: int, person: User) -> User | None:
        if n % 5 == 2 and self.mentor and person != self.mentor:
            return self.mentor
        return self.expert if person != self.expert else self.mentor

    # --- writing ----------------------------------------------------------------------------

    def seed(self) -> tuple[int, int]:
        assessments = plans = 0
        for n, (person, organization, candidate) in enumerate(self.cast()):
            status, expert_status, plan_status = self.states(n, person.username)
            if not status:
                continue
            assessment = self.assessment(n, person, organization, candidate, status, expert_status)
            assessments += 1
            if plan_status:
                confirmed = list(
                    assessment.deficits.filter(status=Deficit.Status.CONFIRMED).select_related(
                        "competency"
                    )
                )
                if confirmed:
                    self.plan(n, person, organization, assessment, confirmed, plan_status)
                    plans += 1
        return assessments, plans

    def assessment(self, n, person, organization, candidate, status, expert_status) -> Assessment:
        rng = _rng("ratings", self.period.label, person.username)
        rater = self.rater_for(person, organization, candidate)
        submitted = _day(self.period, 10, 3 + n % 25)
        expert = self.expert_for(n, person) if expert_status else None
        assessment = Assessment.objects.create(
            person=person,
            period=self.period,
            organization=organization,
            status=status,
            expert=expert if expert_status != Expert.WAITING or n % 2 or self.is_open else None,
            expert_status=expert_status or Expert.WAITING,
        )
        items = []
        for k, competency in enumerate(self.competencies):
            own = _rate(rng, rater, competency.block)
            if status == Status.DRAFT:
                # A half-filled draft: the first blocks rated, the rest still empty.
                own = own if k < 12 else None
            item = AssessmentItem(assessment=assessment, competency=competency, self_rating=own)
            if own is not None and own <= ITEM_MAX and k % 3 == 0:
                item.self_comment = "Нужна методическая поддержка, опыта пока недостаточно."
            if expert_status == Expert.DONE or (expert_status == Expert.IN_PROGRESS and k < 15):
                item.expert_rating = _expert_rate(rng, rater, own)
            items.append(item)
        AssessmentItem.objects.bulk_create(items)
        if status == Status.DRAFT:
            return assessment
        history = [self._event(person, submitted, "submitted")]
        assessment.submitted_at = _at(submitted)
        if assessment.expert_id:
            history.append(
                self._event(
                    self.people.get("official"),
                    submitted + timedelta(days=2),
                    "expert_assigned",
                    assessment.expert.full_name,
                )
            )
        decided_on = _day(self.period, 11, 10 + n % 15)
        if expert_status == Expert.DONE:
            assessment.expert_done_at = _at(decided_on, 15)
            history.append(self._event(assessment.expert, decided_on, "expert_done"))
        if status == Status.RETURNED:
            history.append(
                self._event(
                    assessment.expert,
                    submitted + timedelta(days=12),
                    "returned",
                    "Приложите подтверждающие документы к оценкам «3» по блоку 2.",
                )
            )
        assessment.history = history
        assessment.save()
        self.deficits(n, assessment, items, decided_on)
        return assessment

    def _event(self, user, day, action, comment="") -> dict:
        by = (user.full_name or user.username) if user else ""
        return {"at": _at(day, 11).isoformat(), "by": by, "action": action, "comment": comment}

    def deficits(self, n, assessment, items, decided_on) -> None:
        found = _find_deficits(items, self.by_pk)
        decided = assessment.expert_status == Expert.DONE
        rng = _rng("decisions", self.period.label, assessment.person.username)
        blocks_confirmed = set()
        rows = []
        for f in sorted(found, key=lambda f: f.competency is not None):  # blocks first
            deficit = Deficit(
                assessment=assessment, competency=f.competency, block=f.block, reason=f.reason
            )
            if decided:
                deficit.decided_at = _at(decided_on, 15)
                deficit.decided_by = assessment.expert
                if f.competency is None:
                    deficit.status = Deficit.Status.CONFIRMED
                    blocks_confirmed.add(f.block)
                elif f.block in blocks_confirmed:
                    deficit.status = Deficit.Status.DISMISSED
                    deficit.comment = f"Учтён в дефиците блока {f.block}: работа по блоку в целом."
                elif rng.random() < 0.15:
                    deficit.status = Deficit.Status.DISMISSED
                    deficit.comment = rng.choice(DISMISS_COMMENTS)
                else:
                    deficit.status = Deficit.Status.CONFIRMED
            rows.append(deficit)
        Deficit.objects.bulk_create(rows)

    def plan(self, n, person, organization, assessment, confirmed, status) -> Plan:
        rng = _rng("plan", self.period.label, person.username)
        reviewer = self.mentor if n % 2 and person != self.mentor else self.expert
        if person.username == "candidate":
            reviewer = self.mentor
        created = _day(self.period, 11, 25)
        plan = Plan.objects.create(
            person=person,
            period=self.period,
            organization=organization,
            assessment=assessment,
            status=status,
            reviewer=reviewer if status != PlanStatus.DRAFT or n % 2 else None,
        )
        history = [self._plan_event(person, created, PlanStatus.DRAFT, "created")]
        if plan.reviewer_id:
            history.append(
                self._plan_event(person, created, PlanStatus.DRAFT, "reviewer", reviewer.short_name)
            )
        flow = {
            PlanStatus.DRAFT: [],
            PlanStatus.ON_REVIEW: [PlanStatus.ON_REVIEW],
            PlanStatus.APPROVED: [PlanStatus.ON_REVIEW, PlanStatus.APPROVED],
        }.get(status, [PlanStatus.ON_REVIEW, PlanStatus.APPROVED, status])
        days = [_day(self.period, 12, 5), _day(self.period, 12, 20), _day(self.period, 6, 20)]
        for step, day in zip(flow, days, strict=False):
            approving = step == PlanStatus.APPROVED
            note = rng.choice(REVIEW_COMMENTS) if approving else ""
            by = reviewer if approving else person
            history.append(self._plan_event(by, day, step, "status", note))
        plan.history = history
        plan.save(update_fields=["history"])
        if status in (PlanStatus.ON_REVIEW, PlanStatus.APPROVED) and reviewer:
            PlanComment.objects.create(plan=plan, text=rng.choice(REVIEW_COMMENTS), by=reviewer)
        self.goals(rng, plan, person, confirmed, status)
        return plan

    def _plan_event(self, user, day, status, event, comment="") -> dict:
        return {
            "at": _at(day, 12).isoformat(),
            "by": user.pk if user else None,
            "by_name": user.short_name if user else "",
            "status": status,
            "event": event,
            "comment": comment,
        }

    def goals(self, rng, plan, person, confirmed, status) -> None:
        tasks, analyses = [], []
        months = [1, 2, 3, 4, 5]
        for position, deficit in enumerate(confirmed, start=1):
            if deficit.competency_id:
                name = f"{deficit.competency.code} {deficit.competency.name}"
                text = f"Развить компетенцию «{name}»"
                direction = deficit.competency.name
            else:
                name = f"блок {deficit.block} «{self.block_names[deficit.block]}»"
                text = (
                    f"Развить компетенции блока {deficit.block} «{self.block_names[deficit.block]}»"
                )
                direction = self.block_names[deficit.block]
            goal = PlanGoal.objects.create(plan=plan, deficit=deficit, text=text, position=position)
            library = TASKS[deficit.block]
            picked = rng.sample(library, k=min(len(library), 2 + (position % 2)))
            goal_tasks = []
            for k, (task, form, resource, responsible) in enumerate(picked):
                deadline = _day(self.period, months[(position + k) % len(months)], 10 + 5 * k)
                goal_tasks.append(
                    PlanTask(
                        goal=goal,
                        text=task,
                        direction=direction[:300],
                        form=form,
                        resource=resource,
                        deadline=deadline,
                        responsible=responsible.format(me=person.short_name)[:200],
                        position=k + 1,
                    )
                )
            done = self._done(rng, status, len(goal_tasks), position)
            for k, item in enumerate(goal_tasks):
                if k < done:
                    item.done = True
                    item.done_at = max(
                        self.period.start_date, item.deadline - timedelta(days=3 + k)
                    )
            tasks += goal_tasks
            analyses.append(self._analysis(rng, plan, deficit, name, status, done, len(goal_tasks)))
        PlanTask.objects.bulk_create(tasks)
        DeficitAnalysis.objects.bulk_create(analyses)

    @staticmethod
    def _done(rng, status, total, position) -> int:
        if status == PlanStatus.DONE:
            return total
        if status == PlanStatus.CARRIED_OVER:
            return total if position % 2 else total // 2
        if status == PlanStatus.APPROVED:
            return rng.randint(0, total)
        return 0

    def _analysis(self, rng, plan, deficit, name, status, done, total) -> DeficitAnalysis:
        analysis = DeficitAnalysis(plan=plan, deficit=deficit)
        if status not in (PlanStatus.DONE, PlanStatus.CARRIED_OVER):
            return analysis
        closed = done == total
        if closed:
            analysis.results = (
                f"Выполнены все задачи ({total}); компетенции направления «{name}» применяются "
                "в управленческой практике."
            )
        else:
            analysis.results = (
                f"Выполнено {done} из {total} задач; дефицит «{name}» преодолён частично."
            )
        analysis.successes = rng.choice(SUCCESSES)
        analysis.problems = rng.choice(PROBLEMS)
        analysis.use_of_successes = rng.choice(USES)
        analysis.solutions = rng.choice(SOLUTIONS)
        analysis.outcome = Outcome.CLOSED if closed else Outcome.CARRIED_OVER
        return analysis


def _rescore(periods: list[Period], official: User | None) -> None:
    """Score the seeded periods again, oldest first (each index change reads the one before).

    A closed period is opened on this object only, as `monitoring.demo` does; the follow-up
    work (drafting recommendations) runs for the open period only, so that closed periods do
    not gain letters that were never issued in their time.
    """
    for period in sorted(periods, key=lambda p: p.start_date):
        closed = period.is_closed
        period.status = PeriodStatus.OPEN
        try:
            score_period(period, trigger="seed_demo", user=official, follow_up=not closed)
        finally:
            if closed:
                period.status = PeriodStatus.CLOSED


@transaction.atomic
def seed(stdout=None) -> None:
    """Seed the demo periods that have no assessments yet, then rescore them."""
    periods = list(Period.objects.filter(label__in=DEMO_PERIODS).order_by("start_date"))
    people = {u.username: u for u in User.objects.all()}
    competencies = list(Competency.objects.order_by("position"))
    seeded, assessments, plans = [], 0, 0
    for step, period in enumerate(periods):
        if Assessment.objects.filter(period=period).exists():
            continue  # already seeded (or real data): leave it as it is
        made = PeriodSeeder(period, step, people, competencies).seed()
        assessments, plans = assessments + made[0], plans + made[1]
        seeded.append(period)
    if seeded:
        _rescore(seeded, people.get("official"))
    if stdout:
        stdout.write(
            f"Траектории: периодов — {len(seeded)}, самооценок — {assessments}, планов — {plans}."
        )
