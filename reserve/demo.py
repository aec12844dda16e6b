"""The demo reserve: thirty candidacies over the demo periods 2021/2022–2025/2026, then monitoring
rescored so that the dossiers show A2.2–A2.4.

Every candidacy goes through the reserve's own functions (`candidacies.nominate`, `approve`,
`reject`, `enrol`, `change_status`, `add_training`, `add_contest`, `confirm_readiness`), so the
demo obeys the rules users do. The story, by status:

- appointed: four deputies of 2021–2023 who became heads of schools and kindergartens whose
  heads retired. They are the registry's current heads of 0207, 0202, 0110 and 0118, so
  `record_head_changes` — the one change this module makes to the registry — dates their
  headship from the appointment and records the retired predecessors (born 1955–1957);
- removed: a move to another region, a removal at the person's own request (she is nominated
  again two years later), a plan not fulfilled two years running, and a head's nomination the
  official rejected;
- ready: five people, each targeting a school or kindergarten whose head is 60 or older, so that
  the succession view shows some old heads covered and others at risk;
- in training: among them the demo `candidate` (a deputy of 0101, nominated by the demo
  `principal`), and one whose readiness the official overrode (ready by the evidence, not yet by
  the official's judgement);
- enrolled by the latest order; nominees: two heads' nominations awaiting approval (`principal`,
  `principal2`) and one approved nomination awaiting the enrolment order.

Development plans: the reserve's people get a self-assessment and a plan in each trajectories
demo period (2023/2024–2025/2026) they spend in the reserve, made by trajectories' own demo
seeder (`trajectories.demo.PeriodSeeder`), so their goals answer the expert's confirmed deficits
exactly as everybody else's do. Before 2023/2024 the district kept no plans in the portal.

Running the seed again changes nothing: a reserve that already has candidacies is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from monitoring.scoring import score_period
from trajectories.demo import DEMO_PERIODS, PeriodSeeder
from trajectories.models import Assessment, Competency, Deficit, Plan, PlanTask
from trajectories.plans import set_task_done
from zelenchuk_portal.demo import POSITION
from zelenchuk_portal.models import Membership, Organization, Period, PeriodStatus, Role, User

from .candidacies import (
    add_contest,
    add_training,
    approve,
    change_status,
    confirm_readiness,
    create_person,
    enrol,
    nominate,
    reject,
)
from .models import (
    Candidacy,
    ContestLevel,
    ContestResult,
    ReadinessReview,
    Status,
    StatusChange,
)

PlanStatus = Plan.Status
Level, Result = ContestLevel, ContestResult
# Scoring runs of this module are told apart from the other demos' by their trigger.
TRIGGER = "seed_demo_reserve"

# --- The registry: heads who came from the reserve -------------------------------------------

# (organisation code, the registry's current head, appointed on, the retired predecessor:
# surname, name, patronymic, birth date, in post since)
HEAD_CHANGES = [
    (
        "0207",
        "head0207",
        date(2022, 9, 1),
        ("Гаврилова", "Нина", "Фёдоровна", date(1957, 3, 4)),
        date(1999, 9, 1),
    ),
    (
        "0118",
        "head0118",
        date(2023, 8, 28),
        ("Кубанова", "Халимат", "Сеитовна", date(1956, 5, 18)),
        date(1995, 9, 1),
    ),
    (
        "0110",
        "head0110",
        date(2023, 8, 31),
        ("Лысенко", "Виктор", "Иванович", date(1955, 8, 14)),
        date(2001, 9, 1),
    ),
    (
        "0202",
        "head0202",
        date(2023, 8, 25),
        ("Зайцева", "Лидия", "Михайловна", date(1957, 11, 20)),
        date(1998, 9, 1),
    ),
]


def record_head_changes() -> int:
    """The registry's side of the four appointments from the reserve (the only change this
    module makes to the registry): the appointee's headship starts on the day of appointment
    instead of the registry demo's 2020, and the retired predecessor held the post until the
    day before. Returns the number of predecessors added; changes nothing the second time.

    The appointments fall before 2023/2024, the first period with self-assessments and plans,
    so every period's head (`trajectories.providers.heads`) stays the person whose assessments
    the trajectories demo wrote.
    """
    added = 0
    for code, login, appointed, (last, first, patronymic, born), since in HEAD_CHANGES:
        headship = Membership.objects.filter(
            user__username=login, role=Role.PRINCIPAL, organization__code=code, end_date=None
        ).first()
        if headship is None:  # not the demo registry: leave it alone
            continue
        if headship.start_date != appointed:
            headship.start_date = appointed
            headship.save(update_fields=["start_date"])
        predecessor = _person(Person(last, first, patronymic, born))
        _, created = Membership.objects.get_or_create(
            user=predecessor,
            role=Role.PRINCIPAL,
            organization=headship.organization,
            defaults={
                "position": POSITION[headship.organization.org_type],
                "start_date": since,
                "end_date": appointed - timedelta(days=1),
            },
        )
        added += created
    return added


# --- The story -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    last: str
    first: str
    patronymic: str
    born: date


# Training programmes of the district's providers: (programme, provider, hours).
KCHRIPKRO = (
    "РГБУ ДПО «Карачаево-Черкесский республиканский институт повышения квалификации работников "
    "образования» (КЧРИПКРО)"
)
ACADEMY = "ФГАОУ ДПО «Академия Минпросвещения России»"
KCHGU = "ФГБОУ ВО «Карачаево-Черкесский государственный университет им. У. Д. Алиева», центр ДПО"
COURSES = {
    "fgos": (
        "Управление общеобразовательной организацией в условиях реализации обновлённых ФГОС и ФОП",
        KCHRIPKRO,
        72,
    ),
    "young": (
        "Школа молодого руководителя: управление образовательной организацией",
        KCHRIPKRO,
        72,
    ),
    "reserve": ("Школа управленческого резерва: лидерство и управление изменениями", ACADEMY, 108),
    "management": (
        "Менеджмент в образовании: управление общеобразовательной организацией",
        ACADEMY,
        144,
    ),
    "quality": (
        "Управление качеством образования: ВСОКО и объективность оценочных процедур",
        KCHRIPKRO,
        36,
    ),
    "preschool": (
        "Управление дошкольной образовательной организацией в условиях реализации ФОП ДО",
        KCHRIPKRO,
        72,
    ),
    "preschool_finance": (
        "Финансово-хозяйственная деятельность дошкольной образовательной организации",
        KCHRIPKRO,
        36,
    ),
    "finance": (
        "Финансовый менеджмент в ОО: план ФХД и выполнение муниципального задания",
        KCHRIPKRO,
        48,
    ),
    "procurement": (
        "Контрактная система в сфере закупок товаров, работ, услуг для обеспечения "
        "государственных и муниципальных нужд (44-ФЗ)",
        KCHGU,
        144,
    ),
    "digital": (
        "Цифровая трансформация управления школой: ФГИС «Моя школа» и электронный документооборот",
        ACADEMY,
        24,
    ),
    "mentoring": (
        "Наставничество в образовательной организации: организация работы с молодыми педагогами",
        ACADEMY,
        36,
    ),
    "upbringing": (
        "Управление воспитательной системой ОО: рабочая программа воспитания и «Движение первых»",
        ACADEMY,
        36,
    ),
    "methods": (
        "Методическое сопровождение педагогов: от диагностики дефицитов к индивидуальному "
        "образовательному маршруту",
        KCHRIPKRO,
        36,
    ),
    "additional": (
        "Управление организацией дополнительного образования детей: персонифицированное "
        "финансирование и навигатор",
        ACADEMY,
        72,
    ),
    "projects": ("Проектное управление в образовании", KCHGU, 36),
    "sport": (
        "Управление спортивной школой: программы спортивной подготовки по федеральным стандартам",
        "ФГБУ «Федеральный центр организационно-методического обеспечения физического воспитания»",
        72,
    ),
    "safety": (
        "Антитеррористическая защищённость и комплексная безопасность образовательной организации",
        "ГКУ «Учебно-методический центр по ГО и ЧС Карачаево-Черкесской Республики»",
        16,
    ),
}

# The education office's enrolment orders, one a year, by number as the field holds it (the
# pages write «приказ № 87-к от 15.11.2021»).
ORDERS = {
    date(2021, 11, 15): "87-к",
    date(2022, 11, 21): "112-к",
    date(2023, 11, 20): "131-к",
    date(2024, 11, 18): "118-к",
    date(2025, 11, 17): "126-к",
    date(2026, 6, 22): "74-к",
}

DEPUTY = "заместитель директора по учебно-воспитательной работе"
DEPUTY_UPBRINGING = "заместитель директора по воспитательной работе"
SENIOR_TEACHER = "старший воспитатель"
HEAD_POST = "директор"
KINDERGARTEN_HEAD = "заведующий"
READY_COMMENT = (
    "Подтверждаю готовность: план индивидуального развития выполнен, обучение пройдено, "
    "результаты организации растут."
)


@dataclass(frozen=True)
class Story:
    """One candidacy from nomination to its present status.

    `who`: a login of the registry demo or a new Person. `by`: "official" or "head" (of the
    person's organisation). `events`, in order: ("training", day), ("review", day, ready,
    comment), ("appointed", day, position, code, comment), ("removed", day, reason),
    ("rejected", day, reason). `plans`: {period label: plan status} for the trajectories demo
    periods in which the person has a development plan.
    """

    who: str | Person
    code: str
    position: str
    since: date | None
    by: str
    nominated: date
    reason: str
    target: tuple[str, str | None] = ("", None)
    approved: date | None = None  # a head's nomination; None: still awaiting
    enrolled: date | None = None
    trainings: tuple = ()  # (course key, start, end)
    contests: tuple = ()  # (name, level, result, day)
    events: tuple = ()
    plans: dict = field(default_factory=dict)


Y1, Y2, Y3 = "2023/2024", "2024/2025", "2025/2026"
DONE, CARRIED, APPROVED, REVIEW = (
    PlanStatus.DONE,
    PlanStatus.CARRIED_OVER,
    PlanStatus.APPROVED,
    PlanStatus.ON_REVIEW,
)

KOCHKAROVA = Person("Кочкарова", "Фатима", "Азретовна", date(1986, 9, 3))

STORIES = [
    # --- 2021/2022 -------------------------------------------------------------------------
    Story(
        "head0207",
        "0201",
        "заместитель заведующего по воспитательно-методической работе",
        date(2016, 9, 1),
        "official",
        date(2021, 10, 5),
        "Руководит методической службой детского сада, который под её руководством стал "
        "муниципальной инновационной площадкой; победитель муниципального этапа конкурса "
        "«Воспитатель года — 2021».",
        target=(KINDERGARTEN_HEAD, "0207"),
        enrolled=date(2021, 11, 15),
        trainings=(
            ("preschool", date(2022, 1, 17), date(2022, 1, 28)),
            ("preschool_finance", date(2022, 4, 4), date(2022, 4, 8)),
        ),
        contests=(
            (
                "Воспитатель года Карачаево-Черкесии — 2022",
                Level.REGIONAL,
                Result.PRIZE,
                date(2022, 3, 24),
            ),
        ),
        events=(
            ("training", date(2022, 1, 17)),
            (
                "appointed",
                date(2022, 9, 1),
                KINDERGARTEN_HEAD,
                "0207",
                "Назначена заведующим в связи с выходом на пенсию Гавриловой Н. Ф.; "
                "кандидатура одобрена аттестационной комиссией (протокол № 4 от 25.08.2022).",
            ),
        ),
    ),
    Story(
        "head0118",
        "0105",
        DEPUTY,
        date(2014, 9, 1),
        "official",
        date(2021, 10, 5),
        "Стабильно высокие результаты ГИА по курируемым предметам, руководит школьным "
        "методическим советом; инициатор программы «Школа полного дня».",
        target=(HEAD_POST, "0118"),
        enrolled=date(2021, 11, 15),
        trainings=(
            ("management", date(2022, 2, 14), date(2022, 4, 29)),
            ("quality", date(2023, 2, 6), date(2023, 2, 10)),
        ),
        events=(
            ("training", date(2022, 2, 14)),
            (
                "appointed",
                date(2023, 8, 28),
                HEAD_POST,
                "0118",
                "Назначена директором в связи с выходом на пенсию Кубановой Х. С.; "
                "кандидатура одобрена аттестационной комиссией (протокол № 5 от 24.08.2023).",
            ),
        ),
    ),
    Story(
        Person("Сидоренко", "Олег", "Викторович", date(1979, 4, 17)),
        "0106",
        DEPUTY,
        date(2011, 9, 1),
        "official",
        date(2021, 10, 5),
        "Высокие результаты учащихся на ГИА по физике и математике; руководит районным "
        "методическим объединением учителей физики.",
        target=(HEAD_POST, None),
        enrolled=date(2021, 11, 15),
        trainings=(("fgos", date(2022, 3, 14), date(2022, 3, 25)),),
        events=(
            ("training", date(2022, 3, 14)),
            (
                "removed",
                date(2023, 1, 16),
                "Переезд на постоянное место жительства в Ставропольский край, увольнение в "
                "порядке перевода (заявление от 09.01.2023).",
            ),
        ),
    ),
    Story(
        Person("Мартыненко", "Сергей", "Петрович", date(1978, 11, 2)),
        "0104",
        DEPUTY,
        date(2012, 9, 1),
        "official",
        date(2021, 10, 5),
        "Многолетний опыт руководства учебной работой; руководит районным методическим "
        "объединением заместителей директоров по УВР.",
        target=(HEAD_POST, "0105"),
        enrolled=date(2021, 11, 15),
        trainings=(
            ("fgos", date(2022, 10, 3), date(2022, 10, 14)),
            ("finance", date(2024, 11, 11), date(2024, 11, 22)),
            ("digital", date(2025, 10, 13), date(2025, 10, 16)),
        ),
        events=(
            ("training", date(2022, 10, 3)),
            ("review", date(2026, 6, 26), True, READY_COMMENT),
        ),
        plans={Y1: CARRIED, Y2: DONE, Y3: DONE},
    ),
    # --- 2022/2023 -------------------------------------------------------------------------
    Story(
        "head0110",
        "0109",
        DEPUTY_UPBRINGING,
        date(2013, 9, 1),
        "official",
        date(2022, 10, 10),
        "Организатор военно-патриотического клуба и первичного отделения «Движения первых»; "
        "опыт исполнения обязанностей директора в период отпуска руководителя.",
        target=(HEAD_POST, "0110"),
        enrolled=date(2022, 11, 21),
        trainings=(("reserve", date(2023, 1, 16), date(2023, 3, 31)),),
        contests=(("Педагог-наставник года", Level.MUNICIPAL, Result.WINNER, date(2023, 4, 12)),),
        events=(
            ("training", date(2023, 1, 16)),
            (
                "appointed",
                date(2023, 8, 31),
                HEAD_POST,
                "0110",
                "Назначен директором в связи с выходом на пенсию Лысенко В. И. по итогам "
                "собеседования в управлении образования (протокол № 2 от 28.08.2023).",
            ),
        ),
    ),
    Story(
        "head0202",
        "0203",
        SENIOR_TEACHER,
        date(2015, 9, 1),
        "official",
        date(2022, 10, 10),
        "Руководит методической работой детского сада; автор муниципальной программы "
        "ранней профориентации дошкольников.",
        target=(KINDERGARTEN_HEAD, "0202"),
        enrolled=date(2022, 11, 21),
        trainings=(("preschool", date(2023, 2, 6), date(2023, 2, 17)),),
        events=(
            ("training", date(2023, 2, 6)),
            (
                "appointed",
                date(2023, 8, 25),
                KINDERGARTEN_HEAD,
                "0202",
                "Назначена заведующим в связи с выходом на пенсию Зайцевой Л. М.; "
                "кандидатура одобрена аттестационной комиссией (протокол № 5 от 24.08.2023).",
            ),
        ),
    ),
    Story(
        KOCHKAROVA,
        "0113",
        DEPUTY,
        date(2019, 9, 1),
        "head",
        date(2022, 10, 3),
        "Успешно руководит учебной работой второй год; под её руководством школа улучшила "
        "результаты ВПР по русскому языку.",
        target=(HEAD_POST, None),
        approved=date(2022, 10, 10),
        enrolled=date(2022, 11, 21),
        trainings=(("young", date(2023, 3, 13), date(2023, 3, 24)),),
        events=(
            ("training", date(2023, 3, 13)),
            (
                "removed",
                date(2024, 3, 11),
                "По собственному желанию: отпуск по уходу за ребёнком до трёх лет "
                "(заявление от 04.03.2024).",
            ),
        ),
        plans={Y1: (APPROVED, 40)},
    ),
    Story(
        Person("Бостанова", "Альбина", "Казбековна", date(1988, 10, 25)),
        "0301",
        "заместитель директора по учебно-воспитательной работе",
        date(2021, 9, 1),
        "official",
        date(2022, 10, 10),
        "Организовала работу муниципального опорного центра дополнительного образования и "
        "навигатора; охват детей дополнительным образованием вырос до 82 %.",
        target=(HEAD_POST, "0303"),
        enrolled=date(2022, 11, 21),
        trainings=(
            ("additional", date(2023, 2, 13), date(2023, 2, 22)),
            ("projects", date(2025, 4, 7), date(2025, 4, 11)),
        ),
        events=(("training", date(2023, 2, 13)),),
        plans={Y1: DONE, Y2: CARRIED, Y3: APPROVED},
    ),
    # --- 2023/2024 -------------------------------------------------------------------------
    Story(
        "candidate",
        "0101",
        DEPUTY,
        date(2018, 9, 1),
        "head",
        date(2023, 10, 2),
        "Успешно руководит работой с одарёнными детьми, куратор центра «Точка роста»; "
        "результаты ВПР по курируемым предметам выше районных.",
        target=("директор общеобразовательной организации", None),
        approved=date(2023, 10, 9),
        enrolled=date(2023, 11, 20),
        trainings=(
            ("young", date(2024, 3, 11), date(2024, 3, 22)),
            ("quality", date(2025, 10, 20), date(2025, 10, 24)),
        ),
        contests=(
            (
                "Лидеры образования Карачаево-Черкесии",
                Level.REGIONAL,
                Result.PARTICIPANT,
                date(2025, 4, 17),
            ),
        ),
        events=(("training", date(2024, 1, 15)),),
    ),
    Story(
        Person("Байчорова", "Аминат", "Руслановна", date(1986, 2, 14)),
        "0112",
        DEPUTY,
        date(2017, 9, 1),
        "official",
        date(2023, 10, 9),
        "Под её руководством учебной работой школа вышла из числа школ с низкими "
        "результатами; эксперт предметной комиссии ГИА.",
        target=(HEAD_POST, "0114"),
        enrolled=date(2023, 11, 20),
        trainings=(
            ("reserve", date(2024, 2, 5), date(2024, 4, 19)),
            ("procurement", date(2025, 3, 3), date(2025, 3, 28)),
        ),
        contests=(
            (
                "Учитель года Карачаево-Черкесии — 2024",
                Level.REGIONAL,
                Result.PRIZE,
                date(2024, 4, 18),
            ),
        ),
        events=(
            ("training", date(2024, 1, 15)),
            ("review", date(2026, 6, 26), True, READY_COMMENT),
        ),
        plans={Y1: DONE, Y2: DONE, Y3: DONE},
    ),
    Story(
        Person("Хапаева", "Марина", "Борисовна", date(1977, 3, 30)),
        "0109",
        DEPUTY,
        date(2010, 9, 1),
        "head",
        date(2023, 10, 2),
        "Опытный заместитель директора, фактически руководит учебной работой школы; "
        "рекомендуется как преемник директора.",
        target=(HEAD_POST, "0109"),
        approved=date(2023, 10, 9),
        enrolled=date(2023, 11, 20),
        trainings=(
            ("fgos", date(2024, 1, 15), date(2024, 1, 26)),
            ("finance", date(2024, 10, 14), date(2024, 10, 25)),
        ),
        events=(
            ("training", date(2024, 1, 15)),
            (
                "review",
                date(2025, 6, 20),
                True,
                "Готова к назначению: план выполнен, обучение пройдено. Рекомендована на "
                "должность директора МКОУ «СОШ ст. Сторожевой» после выхода действующего "
                "руководителя на пенсию.",
            ),
        ),
        plans={Y1: DONE, Y2: DONE, Y3: APPROVED},
    ),
    Story(
        Person("Евтушенко", "Наталья", "Викторовна", date(1975, 7, 7)),
        "0205",
        SENIOR_TEACHER,
        date(2013, 9, 1),
        "head",
        date(2023, 10, 2),
        "Руководит методической работой детского сада, наставник молодых воспитателей.",
        target=(KINDERGARTEN_HEAD, "0206"),
        approved=date(2023, 10, 9),
        enrolled=date(2023, 11, 20),
        trainings=(("preschool", date(2024, 2, 12), date(2024, 2, 22)),),
        events=(("training", date(2024, 2, 12)),),
        plans={Y1: CARRIED, Y2: (APPROVED, 50), Y3: (APPROVED, 95)},
    ),
    Story(
        Person("Головко", "Андрей", "Николаевич", date(1983, 12, 5)),
        "0116",
        DEPUTY,
        date(2018, 9, 1),
        "official",
        date(2023, 10, 9),
        "Рекомендован методическим советом района: руководит школьной службой медиации, "
        "организовал сетевое взаимодействие школы с ДЮСШ.",
        target=(HEAD_POST, None),
        enrolled=date(2023, 11, 20),
        trainings=(("safety", date(2024, 2, 5), date(2024, 2, 6)),),
        events=(
            ("training", date(2024, 2, 5)),
            (
                "review",
                date(2025, 5, 26),
                False,
                "Не готов: план индивидуального развития не выполнен второй год подряд, "
                "обучение по управленческим программам не пройдено.",
            ),
            (
                "removed",
                date(2025, 6, 30),
                "Не выполнил план индивидуального развития за 2023/2024 и 2024/2025 учебные "
                "годы (решение комиссии, протокол № 3 от 27.06.2025).",
            ),
        ),
        plans={Y1: (APPROVED, 30), Y2: (APPROVED, 25)},
    ),
    # --- 2024/2025 -------------------------------------------------------------------------
    Story(
        Person("Ерёменко", "Виталий", "Сергеевич", date(1988, 6, 30)),
        "0119",
        "учитель физической культуры",
        None,
        "head",
        date(2024, 10, 7),
        "Руководит школьным спортивным клубом; победитель муниципального этапа конкурса "
        "«Учитель года — 2024».",
        events=(
            (
                "rejected",
                date(2024, 10, 21),
                "Нет опыта управленческой работы; рекомендовано включить во внутренний резерв "
                "школы на должность заместителя директора по воспитательной работе.",
            ),
        ),
    ),
    Story(
        Person("Трофимов", "Денис", "Алексеевич", date(1987, 4, 8)),
        "0102",
        DEPUTY_UPBRINGING,
        date(2019, 9, 1),
        "head",
        date(2024, 9, 23),
        "Выстроил систему воспитательной работы школы, руководит первичным отделением "
        "«Движения первых»; школа — победитель муниципального смотра «Лучший школьный музей».",
        target=(HEAD_POST, None),
        approved=date(2024, 9, 30),
        enrolled=date(2024, 11, 18),
        trainings=(("upbringing", date(2025, 2, 10), date(2025, 2, 14)),),
        events=(("training", date(2025, 1, 20)),),
        plans={Y2: CARRIED, Y3: APPROVED},
    ),
    Story(
        Person("Эркенова", "Зульфия", "Магометовна", date(1991, 5, 19)),
        "0111",
        DEPUTY,
        date(2020, 9, 1),
        "official",
        date(2024, 10, 14),
        "Молодой руководитель: организовала работу школы по программе «Школа Минпросвещения "
        "России», школа достигла базового уровня.",
        target=(HEAD_POST, None),
        enrolled=date(2024, 11, 18),
        trainings=(("young", date(2025, 3, 10), date(2025, 3, 21)),),
        events=(("training", date(2025, 1, 20)),),
        plans={Y2: DONE, Y3: APPROVED},
    ),
    Story(
        Person("Пономаренко", "Ольга", "Ивановна", date(1984, 12, 1)),
        "0103",
        "методист, руководитель методического объединения учителей начальных классов",
        None,
        "head",
        date(2024, 10, 1),
        "Руководит методическим объединением гимназии, автор районного методического "
        "пособия по формированию функциональной грамотности.",
        target=("заместитель директора по учебно-воспитательной работе", None),
        approved=date(2024, 10, 7),
        enrolled=date(2024, 11, 18),
        trainings=(("methods", date(2025, 2, 3), date(2025, 2, 7)),),
        events=(("training", date(2025, 2, 3)),),
        plans={Y2: APPROVED, Y3: REVIEW},
    ),
    Story(
        Person("Каппушев", "Рустам", "Хусейович", date(1985, 3, 15)),
        "0302",
        "заместитель директора по спортивной работе",
        date(2017, 9, 1),
        "official",
        date(2024, 10, 14),
        "Воспитанники спортивной школы — призёры первенств Юга России; организовал работу "
        "центра тестирования ГТО района.",
        target=(HEAD_POST, None),
        enrolled=date(2024, 11, 18),
        trainings=(("sport", date(2025, 3, 3), date(2025, 3, 14)),),
        events=(("training", date(2025, 3, 3)),),
        plans={Y2: APPROVED, Y3: APPROVED},
    ),
    Story(
        Person("Джатдоева", "Лариса", "Хасановна", date(1982, 8, 21)),
        "0210",
        SENIOR_TEACHER,
        date(2016, 9, 1),
        "official",
        date(2024, 10, 14),
        "Руководит методической работой детского сада — региональной пилотной площадки по "
        "внедрению ФОП ДО.",
        target=(KINDERGARTEN_HEAD, "0211"),
        enrolled=date(2024, 11, 18),
        trainings=(
            ("preschool", date(2025, 1, 20), date(2025, 1, 31)),
            ("mentoring", date(2025, 10, 13), date(2025, 10, 17)),
        ),
        events=(
            ("training", date(2025, 1, 20)),
            ("review", date(2026, 6, 29), True, READY_COMMENT),
        ),
        plans={Y2: DONE, Y3: DONE},
    ),
    Story(
        Person("Кравец", "Елена", "Александровна", date(1980, 1, 27)),
        "0106",
        DEPUTY_UPBRINGING,
        date(2015, 9, 1),
        "official",
        date(2024, 10, 14),
        "Школа под её руководством воспитательной работой — победитель регионального конкурса "
        "программ воспитания; наставник молодых классных руководителей.",
        target=(HEAD_POST, "0108"),
        enrolled=date(2024, 11, 18),
        trainings=(("reserve", date(2025, 2, 3), date(2025, 4, 18)),),
        contests=(("Педагог-наставник года", Level.MUNICIPAL, Result.WINNER, date(2025, 4, 9)),),
        events=(("training", date(2025, 2, 3)), ("review", date(2026, 6, 29), True, READY_COMMENT)),
        plans={Y2: CARRIED, Y3: DONE},
    ),
    Story(
        Person("Лайпанов", "Ислам", "Муратович", date(1990, 9, 12)),
        "0107",
        DEPUTY,
        date(2023, 9, 1),
        "official",
        date(2024, 10, 14),
        "Молодой руководитель: под его руководством учебной работой школа вошла в число "
        "лучших в районе по итогам ВПР.",
        target=(HEAD_POST, "0117"),
        enrolled=date(2024, 11, 18),
        trainings=(
            ("young", date(2025, 3, 10), date(2025, 3, 21)),
            ("quality", date(2025, 11, 10), date(2025, 11, 14)),
        ),
        events=(
            ("training", date(2025, 1, 13)),
            (
                "review",
                date(2026, 6, 29),
                False,
                "Показатели готовности высокие, однако стаж управленческой работы менее трёх "
                "лет. До решения о назначении — стажировка на базовой площадке МКОУ «Гимназия "
                "№ 3 ст. Зеленчукской» в 2026/2027 учебном году.",
            ),
        ),
        plans={Y2: DONE, Y3: DONE},
    ),
    # --- 2025/2026 -------------------------------------------------------------------------
    Story(
        KOCHKAROVA,
        "0113",
        DEPUTY,
        date(2019, 9, 1),
        "head",
        date(2025, 10, 6),
        "Вернулась к работе после отпуска по уходу за ребёнком; выдвигается повторно, "
        "руководит учебной работой школы.",
        target=(HEAD_POST, None),
        approved=date(2025, 10, 13),
        enrolled=date(2025, 11, 17),
        trainings=(("quality", date(2026, 2, 9), date(2026, 2, 13)),),
        events=(("training", date(2026, 1, 19)),),
        plans={Y3: APPROVED},
    ),
    Story(
        Person("Саввиди", "Елена", "Константиновна", date(1983, 1, 22)),
        "0115",
        DEPUTY,
        date(2018, 9, 1),
        "official",
        date(2025, 10, 6),
        "Руководит учебной работой малокомплектной школы; организовала сетевое обучение по "
        "профильным предметам с гимназией № 3.",
        target=(HEAD_POST, None),
        enrolled=date(2025, 11, 17),
        trainings=(("fgos", date(2026, 2, 2), date(2026, 2, 13)),),
        events=(("training", date(2026, 2, 2)),),
        plans={Y3: APPROVED},
    ),
    Story(
        Person("Дорошенко", "Юлия", "Валерьевна", date(1989, 11, 11)),
        "0208",
        SENIOR_TEACHER,
        date(2021, 9, 1),
        "head",
        date(2025, 10, 6),
        "Руководит методической работой детского сада, организовала консультационный центр "
        "для родителей детей раннего возраста.",
        target=(KINDERGARTEN_HEAD, None),
        approved=date(2025, 10, 13),
        enrolled=date(2025, 11, 17),
        trainings=(("mentoring", date(2026, 3, 2), date(2026, 3, 6)),),
        events=(("training", date(2026, 3, 2)),),
        plans={Y3: REVIEW},
    ),
    Story(
        Person("Гербеков", "Азамат", "Рашидович", date(1992, 4, 3)),
        "0119",
        DEPUTY,
        date(2021, 9, 1),
        "official",
        date(2026, 5, 12),
        "Молодой руководитель, победитель муниципального конкурса «Педагогический дебют»; "
        "руководит центром «Точка роста».",
        target=(HEAD_POST, None),
        enrolled=date(2026, 6, 22),
    ),
    Story(
        Person("Литовченко", "Марина", "Андреевна", date(1987, 8, 9)),
        "0116",
        DEPUTY_UPBRINGING,
        date(2020, 9, 1),
        "official",
        date(2026, 5, 12),
        "Организовала работу школьного театра и медиацентра; школа — победитель "
        "муниципального конкурса воспитательных систем.",
        target=(HEAD_POST, None),
        enrolled=date(2026, 6, 22),
    ),
    Story(
        Person("Гочияева", "Зарина", "Ахматовна", date(1993, 2, 17)),
        "0209",
        SENIOR_TEACHER,
        date(2022, 9, 1),
        "head",
        date(2026, 4, 20),
        "Руководит методической работой детского сада; детский сад — победитель "
        "муниципального конкурса «Лучшая развивающая предметно-пространственная среда».",
        target=(KINDERGARTEN_HEAD, None),
        approved=date(2026, 5, 12),
        enrolled=date(2026, 6, 22),
    ),
    Story(
        Person("Власенко", "Игорь", "Дмитриевич", date(1981, 6, 16)),
        "0108",
        DEPUTY,
        date(2014, 9, 1),
        "official",
        date(2026, 8, 25),
        "Руководит учебной работой школы, эксперт аттестационной комиссии района.",
        target=(HEAD_POST, "0108"),
    ),
    Story(
        Person("Шаповалова", "Ирина", "Андреевна", date(1989, 7, 28)),
        "0101",
        "учитель математики, руководитель школьного методического объединения",
        None,
        "head",
        date(2026, 8, 20),
        "Руководит методическим объединением учителей математики, высокие результаты ЕГЭ "
        "выпускников; готовит команду школы к конкурсу управленческих команд.",
    ),
    Story(
        Person("Кипкеева", "Саида", "Азаматовна", date(1994, 1, 9)),
        "0102",
        DEPUTY,
        date(2022, 9, 1),
        "head",
        date(2026, 8, 24),
        "Молодой руководитель: организовала работу школы по подготовке к ГИА, результаты ОГЭ "
        "по математике выше районных.",
        target=(HEAD_POST, None),
    ),
]


# --- Writing ---------------------------------------------------------------------------------


def _person(who: Person) -> User:
    """The person with this name and birth date, registered as an official registers somebody
    nominated by name (`create_person`) when he or she is not yet in the registry."""
    found = User.objects.filter(
        last_name=who.last, first_name=who.first, patronymic=who.patronymic, birth_date=who.born
    ).first()
    return found or create_person(
        last_name=who.last, first_name=who.first, patronymic=who.patronymic, birth_date=who.born
    )


def _at(day: date, hour: int = 11) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _seed_plans(people: list[User], organizations: dict[str, Organization]) -> int:
    """Self-assessments and development plans of the reserve's people, by trajectories' own
    demo seeder, in the periods each story names; a person who already has an assessment of the
    period (the demo `candidate`, the heads) keeps it. Returns the number of plans."""
    everyone = {u.username: u for u in User.objects.all()}
    competencies = list(Competency.objects.order_by("position"))
    periods = Period.objects.filter(label__in=DEMO_PERIODS).order_by("start_date")
    made = 0
    for step, period in enumerate(periods):
        seeder = PeriodSeeder(period, step, everyone, competencies)
        taken = set(Assessment.objects.filter(period=period).values_list("person_id", flat=True))
        for n, (story, person) in enumerate(zip(STORIES, people, strict=True), start=40):
            status = story.plans.get(period.label)
            if status is None or person.pk in taken:
                continue
            organization = organizations[story.code]
            assessment = seeder.assessment(
                n,
                person,
                organization,
                True,
                Assessment.Status.SUBMITTED,
                Assessment.ExpertStatus.DONE,
            )
            confirmed = list(
                assessment.deficits.filter(status=Deficit.Status.CONFIRMED).select_related(
                    "competency"
                )
            )
            if confirmed:
                status, progress = status if isinstance(status, tuple) else (status, None)
                plan = seeder.plan(n, person, organization, assessment, confirmed, status)
                if progress is not None:
                    _set_progress(plan, progress)
                made += 1
            taken.add(person.pk)
    return made


def _set_progress(plan: Plan, percent: int) -> None:
    """Leave `percent` of an approved plan's tasks done (the earliest deadlines first), marked
    as the owner marks them (`trajectories.plans.set_task_done`), each a few days before its
    deadline."""
    tasks = list(
        PlanTask.objects.filter(goal__plan=plan)
        .select_related("goal__plan__period")
        .order_by("deadline", "pk")
    )
    keep = round(len(tasks) * percent / 100)
    for k, task in enumerate(tasks):
        done = k < keep
        if task.done != done:
            day = max(plan.period.start_date, task.deadline - timedelta(days=3))
            set_task_done(task, done, plan.person, today=day)


def _play(story: Story, person: User, organizations, official: User) -> Candidacy:
    """Nominate, approve, enrol, train and move one candidacy through its events."""
    organization = organizations[story.code]
    head = organization.head
    by = official if story.by == "official" else head
    target_position, target_code = story.target
    candidacy = nominate(
        person=person,
        organization=organization,
        position=story.position,
        reason=story.reason,
        by=by,
        on=story.nominated,
        target_position=target_position,
        target_organization=organizations[target_code] if target_code else None,
        management_since=story.since,
    )
    if story.approved:
        approve(candidacy, by=official, on=story.approved)
    if story.enrolled:
        enrol(candidacy, order=ORDERS[story.enrolled], on=story.enrolled, by=official)
    for key, start, end in story.trainings:
        programme, provider, hours = COURSES[key]
        add_training(
            candidacy,
            programme=programme,
            provider=provider,
            hours=hours,
            start_date=start,
            end_date=end,
            by=official,
        )
    for name, level, result, day in story.contests:
        add_contest(candidacy, name=name, level=level, result=result, held_on=day, by=official)
    for kind, day, *rest in story.events:
        _event(candidacy, kind, day, rest, organizations, official)
    return candidacy


def _event(candidacy, kind, day, rest, organizations, official) -> None:
    if kind == "training":
        first = candidacy.trainings.order_by("start_date").first()
        comment = (
            f"Направление на обучение по программе «{first.programme}» "
            f"(с {first.start_date:%d.%m.%Y})."
            if first
            else ""
        )
        change_status(candidacy, Status.TRAINING, on=day, by=official, comment=comment)
    elif kind == "review":
        ready, comment = rest
        review = confirm_readiness(candidacy, ready=ready, comment=comment, by=official, today=day)
        # The review is dated the day the official decided, not the day the demo ran.
        ReadinessReview.objects.filter(pk=review.pk).update(at=_at(day, 15))
    elif kind == "appointed":
        position, code, comment = rest
        change_status(
            candidacy,
            Status.APPOINTED,
            on=day,
            by=official,
            comment=comment,
            position=position,
            organization=organizations[code],
        )
    elif kind == "removed":
        change_status(candidacy, Status.REMOVED, on=day, by=official, comment=rest[0])
    elif kind == "rejected":
        reject(candidacy, by=official, on=day, reason=rest[0])
    else:  # a typo in STORIES must not pass silently
        raise ValueError(f"unknown event {kind!r}")


def _backdate_changes(candidacies: list[Candidacy]) -> None:
    """Date each recorded change at its own day (the history shows when it was recorded)."""
    changes = list(StatusChange.objects.filter(candidacy__in=candidacies))
    for change in changes:
        change.at = _at(change.on)
    StatusChange.objects.bulk_update(changes, ["at"])


def _rescore(official: User | None) -> list[Period]:
    """Score again every period from the first one with somebody in the reserve, oldest first
    (each period's index change reads the one before), as `trajectories.demo` does: a closed
    period is opened on this object only, and the follow-up work runs for the open period
    only."""
    first = Candidacy.objects.filter(enrolled_on__isnull=False).order_by("enrolled_on").first()
    if first is None:
        return []
    periods = list(Period.objects.filter(end_date__gte=first.enrolled_on).order_by("start_date"))
    for period in periods:
        closed = period.is_closed
        period.status = PeriodStatus.OPEN
        try:
            score_period(period, trigger=TRIGGER, user=official, follow_up=not closed)
        finally:
            if closed:
                period.status = PeriodStatus.CLOSED
    return periods


@transaction.atomic
def seed(stdout=None) -> None:
    """Seed the demo reserve unless the reserve already has candidacies, then rescore."""
    official = User.objects.filter(username="official").first()
    organizations = {o.code: o for o in Organization.objects.all()}
    ready = official is not None and all(s.code in organizations for s in STORIES)
    if Candidacy.objects.exists() or not ready:
        if stdout:
            stdout.write("Кадровый резерв: добавлено кандидатур — 0.")
        return
    record_head_changes()
    people = [
        _person(s.who) if isinstance(s.who, Person) else User.objects.get(username=s.who)
        for s in STORIES
    ]
    plans = _seed_plans(people, organizations)
    candidacies = [
        _play(story, person, organizations, official)
        for story, person in zip(STORIES, people, strict=True)
    ]
    _backdate_changes(candidacies)
    periods = _rescore(official)
    if stdout:
        appointed = sum(c.status == Status.APPOINTED for c in candidacies)
        stdout.write(
            f"Кадровый резерв: добавлено кандидатур — {len(candidacies)}, назначено — "
            f"{appointed}, планов развития — {plans}, пересчитано периодов — {len(periods)}."
        )
