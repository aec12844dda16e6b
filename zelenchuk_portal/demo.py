"""The demo district: organisations, people, roles and periods of a plausible Zelenchuksky district.

Names of organisations and people are invented, in the style of the district's real registry.
Everything is keyed on codes and logins, so running the seed again changes nothing.
"""

from datetime import date
from functools import cache

from django.contrib.auth.hashers import make_password

from .models import (
    Area,
    Membership,
    Organization,
    OrganizationType,
    Period,
    PeriodStatus,
    Role,
    User,
)

DEMO_PASSWORD = "zelenchuk-demo"

# (code, short name, full-name tail, settlement, area, head: surname, name, patronymic, birth year)
SCHOOLS = [
    (
        "0101",
        "МКОУ «СОШ № 1 ст. Зеленчукской»",
        "«Средняя общеобразовательная школа № 1 ст. Зеленчукской»",
        "ст. Зеленчукская",
        Area.URBAN,
        ("Кравченко", "Ольга", "Петровна", 1974),
    ),
    (
        "0102",
        "МКОУ «СОШ № 2 ст. Зеленчукской»",
        "«Средняя общеобразовательная школа № 2 ст. Зеленчукской»",
        "ст. Зеленчукская",
        Area.URBAN,
        ("Байрамуков", "Руслан", "Хасанович", 1979),
    ),
    (
        "0103",
        "МКОУ «Гимназия № 3 ст. Зеленчукской»",
        "«Гимназия № 3 ст. Зеленчукской»",
        "ст. Зеленчукская",
        Area.URBAN,
        ("Семенова", "Наталья", "Викторовна", 1968),
    ),
    (
        "0104",
        "МКОУ «СОШ № 4 ст. Зеленчукской»",
        "«Средняя общеобразовательная школа № 4 ст. Зеленчукской»",
        "ст. Зеленчукская",
        Area.URBAN,
        ("Узденова", "Фатима", "Магомедовна", 1983),
    ),
    (
        "0105",
        "МКОУ «СОШ № 1 ст. Исправной»",
        "«Средняя общеобразовательная школа № 1 ст. Исправной»",
        "ст. Исправная",
        Area.RURAL,
        ("Гочияев", "Ахмат", "Борисович", 1961),
    ),
    (
        "0106",
        "МКОУ «СОШ № 2 ст. Исправной»",
        "«Средняя общеобразовательная школа № 2 ст. Исправной»",
        "ст. Исправная",
        Area.RURAL,
        ("Литвиненко", "Светлана", "Ивановна", 1970),
    ),
    (
        "0107",
        "МКОУ «СОШ ст. Кардоникской»",
        "«Средняя общеобразовательная школа ст. Кардоникской»",
        "ст. Кардоникская",
        Area.RURAL,
        ("Лайпанова", "Зульфа", "Азретовна", 1976),
    ),
    (
        "0108",
        "МКОУ «СОШ № 2 ст. Кардоникской»",
        "«Средняя общеобразовательная школа № 2 ст. Кардоникской»",
        "ст. Кардоникская",
        Area.RURAL,
        ("Ткаченко", "Игорь", "Николаевич", 1965),
    ),
    (
        "0109",
        "МКОУ «СОШ ст. Сторожевой»",
        "«Средняя общеобразовательная школа ст. Сторожевой»",
        "ст. Сторожевая",
        Area.RURAL,
        ("Мищенко", "Людмила", "Анатольевна", 1958),
    ),
    (
        "0110",
        "МКОУ «СОШ № 2 ст. Сторожевой»",
        "«Средняя общеобразовательная школа № 2 ст. Сторожевой»",
        "ст. Сторожевая",
        Area.RURAL,
        ("Хубиев", "Мурат", "Казбекович", 1981),
    ),
    (
        "0111",
        "МКОУ «СОШ п. Архыз»",
        "«Средняя общеобразовательная школа п. Архыз»",
        "п. Архыз",
        Area.RURAL,
        ("Текеева", "Лейла", "Шамильевна", 1987),
    ),
    (
        "0112",
        "МКОУ «СОШ с. Даусуз»",
        "«Средняя общеобразовательная школа с. Даусуз»",
        "с. Даусуз",
        Area.RURAL,
        ("Джанибеков", "Рашид", "Османович", 1972),
    ),
    (
        "0113",
        "МКОУ «СОШ а. Кызыл-Уруп»",
        "«Средняя общеобразовательная школа а. Кызыл-Уруп»",
        "а. Кызыл-Уруп",
        Area.RURAL,
        ("Эбзеева", "Марьям", "Хамитовна", 1966),
    ),
    (
        "0114",
        "МКОУ «СОШ с. Маруха»",
        "«Средняя общеобразовательная школа с. Маруха»",
        "с. Маруха",
        Area.RURAL,
        ("Коркмазов", "Альберт", "Юсуфович", 1963),
    ),
    (
        "0115",
        "МКОУ «СОШ с. Хасаут-Греческое»",
        "«Средняя общеобразовательная школа с. Хасаут-Греческое»",
        "с. Хасаут-Греческое",
        Area.RURAL,
        ("Пантелиди", "Елена", "Георгиевна", 1975),
    ),
    (
        "0116",
        "МКОУ «СОШ с. Ильичёвское»",
        "«Средняя общеобразовательная школа с. Ильичёвское»",
        "с. Ильичёвское",
        Area.RURAL,
        ("Бондаренко", "Татьяна", "Сергеевна", 1980),
    ),
    (
        "0117",
        "МКОУ «ООШ с. Нижняя Ермоловка»",
        "«Основная общеобразовательная школа с. Нижняя Ермоловка»",
        "с. Нижняя Ермоловка",
        Area.RURAL,
        ("Шевченко", "Галина", "Михайловна", 1962),
    ),
    (
        "0118",
        "МКОУ «ООШ п. Нижний Архыз»",
        "«Основная общеобразовательная школа п. Нижний Архыз»",
        "п. Нижний Архыз",
        Area.RURAL,
        ("Салпагарова", "Аминат", "Ибрагимовна", 1985),
    ),
    (
        "0119",
        "МКОУ «СОШ а. Кардоникский»",
        "«Средняя общеобразовательная школа а. Кардоникский»",
        "а. Кардоникский",
        Area.RURAL,
        ("Чотчаев", "Ислам", "Махтиевич", 1978),
    ),
    (
        "0120",
        "МКОУ «НОШ п. Загедан»",
        "«Начальная общеобразовательная школа п. Загедан»",
        "п. Загедан",
        Area.RURAL,
        ("Васильева", "Ирина", "Алексеевна", 1969),
    ),
]

KINDERGARTENS = [
    (
        "0201",
        "МКДОУ «Детский сад «Солнышко» ст. Зеленчукской»",
        "«Детский сад «Солнышко» ст. Зеленчукской»",
        "ст. Зеленчукская",
        Area.URBAN,
        ("Карпенко", "Марина", "Владимировна", 1977),
    ),
    (
        "0202",
        "МКДОУ «Детский сад «Родничок» ст. Зеленчукской»",
        "«Детский сад «Родничок» ст. Зеленчукской»",
        "ст. Зеленчукская",
        Area.URBAN,
        ("Абайханова", "Зарема", "Руслановна", 1984),
    ),
    (
        "0203",
        "МКДОУ «Детский сад «Сказка» ст. Зеленчукской»",
        "«Детский сад «Сказка» ст. Зеленчукской»",
        "ст. Зеленчукская",
        Area.URBAN,
        ("Полякова", "Елена", "Юрьевна", 1971),
    ),
    (
        "0204",
        "МКДОУ «Детский сад «Ромашка» ст. Зеленчукской»",
        "«Детский сад «Ромашка» ст. Зеленчукской»",
        "ст. Зеленчукская",
        Area.URBAN,
        ("Гербекова", "Халимат", "Османовна", 1966),
    ),
    (
        "0205",
        "МКДОУ «Детский сад «Колокольчик» ст. Исправной»",
        "«Детский сад «Колокольчик» ст. Исправной»",
        "ст. Исправная",
        Area.RURAL,
        ("Руденко", "Оксана", "Петровна", 1982),
    ),
    (
        "0206",
        "МКДОУ «Детский сад «Березка» ст. Исправной»",
        "«Детский сад «Березка» ст. Исправной»",
        "ст. Исправная",
        Area.RURAL,
        ("Мельник", "Валентина", "Ивановна", 1959),
    ),
    (
        "0207",
        "МКДОУ «Детский сад «Теремок» ст. Кардоникской»",
        "«Детский сад «Теремок» ст. Кардоникской»",
        "ст. Кардоникская",
        Area.RURAL,
        ("Каракетова", "Мадина", "Хасановна", 1988),
    ),
    (
        "0208",
        "МКДОУ «Детский сад «Ласточка» ст. Сторожевой»",
        "«Детский сад «Ласточка» ст. Сторожевой»",
        "ст. Сторожевая",
        Area.RURAL,
        ("Кириченко", "Надежда", "Степановна", 1973),
    ),
    (
        "0209",
        "МКДОУ «Детский сад «Радуга» п. Архыз»",
        "«Детский сад «Радуга» п. Архыз»",
        "п. Архыз",
        Area.RURAL,
        ("Биджиева", "Айшат", "Муссаевна", 1980),
    ),
    (
        "0210",
        "МКДОУ «Детский сад «Улыбка» а. Кызыл-Уруп»",
        "«Детский сад «Улыбка» а. Кызыл-Уруп»",
        "а. Кызыл-Уруп",
        Area.RURAL,
        ("Аджиева", "Фатима", "Аслановна", 1975),
    ),
    (
        "0211",
        "МКДОУ «Детский сад «Звёздочка» с. Даусуз»",
        "«Детский сад «Звёздочка» с. Даусуз»",
        "с. Даусуз",
        Area.RURAL,
        ("Батчаева", "Зухра", "Умаровна", 1964),
    ),
    (
        "0212",
        "МКДОУ «Детский сад «Чебурашка» с. Хасаут-Греческое»",
        "«Детский сад «Чебурашка» с. Хасаут-Греческое»",
        "с. Хасаут-Греческое",
        Area.RURAL,
        ("Христофориди", "Анна", "Павловна", 1986),
    ),
]

ADDITIONAL = [
    (
        "0301",
        "МКУ ДО «ЦДТ ст. Зеленчукской»",
        "«Центр детского творчества ст. Зеленчукской»",
        "ст. Зеленчукская",
        Area.URBAN,
        ("Федоренко", "Ирина", "Васильевна", 1967),
    ),
    (
        "0302",
        "МКУ ДО «ДЮСШ Зеленчукского района»",
        "«Детско-юношеская спортивная школа Зеленчукского района»",
        "ст. Зеленчукская",
        Area.URBAN,
        ("Шидаков", "Анзор", "Магометович", 1976),
    ),
    (
        "0303",
        "МКУ ДО «Станция юных натуралистов»",
        "«Станция юных натуралистов» ст. Исправной",
        "ст. Исправная",
        Area.RURAL,
        ("Гриценко", "Любовь", "Николаевна", 1962),
    ),
]

FULL_NAME_PREFIX = {
    OrganizationType.SCHOOL: "Муниципальное казённое общеобразовательное учреждение ",
    OrganizationType.KINDERGARTEN: "Муниципальное казённое дошкольное образовательное учреждение ",
    OrganizationType.ADDITIONAL: "Муниципальное казённое учреждение дополнительного образования ",
}

POSITION = {
    OrganizationType.SCHOOL: "директор",
    OrganizationType.KINDERGARTEN: "заведующий",
    OrganizationType.ADDITIONAL: "директор",
}

# The demo logins of the README: (login, surname, name, patronymic, birth date, roles), where a
# role is (role, organisation code or None, position).
DEMO_ACCOUNTS = [
    (
        "official",
        "Агеева",
        "Марина",
        "Сергеевна",
        date(1975, 3, 14),
        [(Role.OFFICIAL, None, "главный специалист управления образования")],
    ),
    (
        "expert",
        "Боташева",
        "Лариса",
        "Хызыровна",
        date(1970, 9, 2),
        [(Role.EXPERT, None, "методист муниципального методического кабинета")],
    ),
    (
        "candidate",
        "Петренко",
        "Анна",
        "Викторовна",
        date(1990, 5, 21),
        [(Role.CANDIDATE, "0101", "заместитель директора по учебно-воспитательной работе")],
    ),
]

PERIODS = [
    ("2021/2022", date(2021, 9, 1), date(2022, 8, 31), PeriodStatus.CLOSED),
    ("2022/2023", date(2022, 9, 1), date(2023, 8, 31), PeriodStatus.CLOSED),
    ("2023/2024", date(2023, 9, 1), date(2024, 8, 31), PeriodStatus.CLOSED),
    ("2024/2025", date(2024, 9, 1), date(2025, 8, 31), PeriodStatus.CLOSED),
    ("2025/2026", date(2025, 9, 1), date(2026, 8, 31), PeriodStatus.OPEN),
]

# Demo logins for heads: the head of 0101 is `principal`, of 0102 `principal2`; the head of the
# gymnasium 0103 (a strong school) is also the district's demo `mentor`.
HEAD_LOGINS = {"0101": "principal", "0102": "principal2", "0103": "mentor"}


def _person(username, last, first, patronymic, birth_date):
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "last_name": last,
            "first_name": first,
            "patronymic": patronymic,
            "birth_date": birth_date,
        },
    )
    if created:
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    return user


@cache
def _demo_password_hash() -> str:
    # Hashing is deliberately slow (about half a second); every demo login shares one password,
    # so it is hashed once per run.
    return make_password(DEMO_PASSWORD)


def _role(user, role, organization, position, start=None):
    Membership.objects.get_or_create(
        user=user,
        role=role,
        organization=organization,
        end_date=None,
        defaults={"position": position, "start_date": start},
    )


def seed(stdout=None) -> None:
    """Create (or leave as they are) the demo district's registry."""
    for label, start, end, status in PERIODS:
        Period.objects.get_or_create(
            label=label,
            defaults={
                "start_date": start,
                "end_date": end,
                "status": status,
                "monitoring_end": date(end.year, 6, 30),
            },
        )
    catalogue = [
        (OrganizationType.SCHOOL, SCHOOLS),
        (OrganizationType.KINDERGARTEN, KINDERGARTENS),
        (OrganizationType.ADDITIONAL, ADDITIONAL),
    ]
    for org_type, rows in catalogue:
        for index, (code, short, tail, settlement, area, head) in enumerate(rows):
            organization, _ = Organization.objects.get_or_create(
                code=code,
                defaults={
                    "short_name": short,
                    "full_name": FULL_NAME_PREFIX[org_type] + tail,
                    "org_type": org_type,
                    "settlement": settlement,
                    "area": area,
                },
            )
            last, first, patronymic, born = head
            login = HEAD_LOGINS.get(code, f"head{code}")
            user = _person(login, last, first, patronymic, date(born, 1 + index % 12, 10))
            appointed = date(min(born + 35 + index % 10, 2020), 9, 1)
            _role(user, Role.PRINCIPAL, organization, POSITION[org_type], appointed)
            if login == "mentor":
                _role(user, Role.MENTOR, organization, "ментор базовой площадки")
    for username, last, first, patronymic, born, roles in DEMO_ACCOUNTS:
        user = _person(username, last, first, patronymic, born)
        for role, code, position in roles:
            organization = Organization.objects.get(code=code) if code else None
            _role(user, role, organization, position)
    if stdout:
        stdout.write(
            f"Реестр: {Organization.objects.count()} организаций, "
            f"{User.objects.count()} человек, {Period.objects.count()} периодов."
        )
