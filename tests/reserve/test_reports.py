"""The reserve report's numbers against a hand-built reserve covering every row and edge.

The builders here (`make_candidacy`, `make_plan`, `add_training`, the `reserve` fixture) are
shared with the report's page, command and provider tests.
"""

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reserve.models import Candidacy, Status, Training
from reserve.reports import (
    LABELS,
    NUMBERS,
    ROWS,
    build_reserve_report,
    completion_row,
    report_csv,
    report_sheets,
)
from tests.conftest import make_org, make_person
from trajectories.models import Plan, PlanGoal, PlanTask, ResourceKind, TaskForm
from zelenchuk_portal.models import Period, PeriodStatus, Role

START, END = date(2024, 9, 1), date(2025, 8, 31)  # the `period` fixture: 2024/2025


# --- Builders ------------------------------------------------------------------------------------


def make_candidacy(
    person,
    organization,
    period,
    by,
    *,
    nominated,
    enrolled=None,
    left=None,
    status=None,
    target=None,
    position="Заместитель директора по УВР",
):
    """A candidacy written directly (the report reads rows; the flow is tested elsewhere)."""
    if status is None:
        status = Status.ENROLLED if enrolled else Status.NOMINEE
    return Candidacy.objects.create(
        person=person,
        period=period,
        organization=organization,
        position=position,
        reason="Высокие результаты работы",
        target_organization=target,
        target_position="Директор" if target else "",
        nominated_on=nominated,
        nominated_by=by,
        approved_on=nominated,
        approved_by=by,
        status=status,
        enrolment_order="№ 12-к" if enrolled else "",
        enrolled_on=enrolled,
        left_on=left,
    )


def make_plan(person, period, done, total, *, done_on=date(2025, 3, 1), late=0):
    """A plan with `total` tasks, `done` of them done on `done_on` and `late` more done after
    the period's end (on 10.09.2025)."""
    plan = Plan.objects.create(person=person, period=period, status=Plan.Status.APPROVED)
    if not total:
        return plan
    goal = PlanGoal.objects.create(plan=plan, text="Развить компетенцию")
    tasks = []
    for n in range(total):
        if n < done:
            finished = done_on
        elif n < done + late:
            finished = date(2025, 9, 10)
        else:
            finished = None
        tasks.append(
            PlanTask(
                goal=goal,
                text=f"Задача {n + 1}",
                form=TaskForm.COURSES,
                resource=ResourceKind.EXTERNAL,
                deadline=date(2025, 5, 1),
                done=finished is not None,
                done_at=finished,
            )
        )
    PlanTask.objects.bulk_create(tasks)
    return plan


def add_training(candidacy, end, *, start=None, hours=36, by=None):
    return Training.objects.create(
        candidacy=candidacy,
        programme="Управление образовательной организацией",
        provider="КЧРИПКРО",
        hours=hours,
        start_date=start or end,
        end_date=end,
        created_by=by or candidacy.nominated_by,
    )


def earlier_period() -> Period:
    """2023/2024, the period before the `period` fixture (closed)."""
    return Period.objects.get_or_create(
        label="2023/2024",
        defaults={
            "start_date": date(2023, 9, 1),
            "end_date": date(2024, 8, 31),
            "status": PeriodStatus.CLOSED,
        },
    )[0]


@pytest.fixture
def reserve(period, official):
    """Four schools and a reserve in which every row and edge of RESERVE.md shows.

    | person           | org | in the reserve in 2024/25      | plan on 31.08.2025 | 6 | 7  |
    |------------------|-----|--------------------------------|--------------------|---|----|
    | full             | A   | enrolled 2023, in training     | 4/4 = 100 % → 3    |   | ✓  |
    | fifty            | A   | enrolled 15.09.2024            | 2/4 = 50 % → 4     | ✓ | ¹  |
    | ninety           | A   | enrolled 01.2024               | 9/10 = 90 % → 4    |   | ✓  |
    | enrolled_removed | A   | enrolled 01.10, removed 01.03  | no plan            | ✓ |    |
    | left_on_start    | A   | removed on 01.09.2024: counted | no plan            |   |    |
    | nominee          | A   | never enrolled: not counted    | —                  |   | ✓  |
    | ninety_five      | B   | enrolled 2023                  | 19/20 = 95 % → 4a  |   | ²  |
    | forty_nine       | B   | enrolled 2023                  | 49/100 = 49 % → 5  |   |    |
    | no_tasks         | B   | enrolled 2023                  | no tasks: 0 % → 5  |   |    |
    | on_end           | B   | enrolled 31.08.2025            | no plan            | ✓ |    |
    | enrolled_after   | B   | enrolled 01.09.2025: not       | (ignored)          |   |    |
    | late             | C   | enrolled 2023, ready           | 3/4 = 75 % → 4 ³   |   | ✓  |
    | no_plan          | C   | enrolled 2023                  | no plan            |   |    |
    | appointed        | C   | appointed 01.02.2025           | 2/2 = 100 % → 3    |   |    |
    | moved            | A→C | removed from A 01.12.2024, enrolled from C 01.02.2025:     |
    |                  |     | counted once, in C             | no plan            | ✓ |    |
    | removed_before   | D   | removed 31.08.2024: not        | (ignored)          |   | ⁴  |

    ¹ training ended 01.09.2025, the day after the period; ² ended 31.08.2024, the day before;
    ³ the fourth task was done on 10.09.2025, after the period's end; ⁴ ended in 2024. ninety's
    two trainings of the period count once; full's ends on 31.08.2025, ninety's first on
    01.09.2024 (both inside).
    """
    earlier = earlier_period()
    orgs = {code: make_org(code) for code in "ABCD"}
    people = {}

    def person(name, org, enrolled, *, nominated, left=None, status=None):
        user = make_person(name, None)
        people[name] = make_candidacy(
            user,
            orgs[org],
            period if nominated >= START else earlier,  # the period of the nomination
            official,
            nominated=nominated,
            enrolled=enrolled,
            left=left,
            status=status,
        )
        return user

    full = person(
        "full", "A", date(2023, 10, 1), status=Status.TRAINING, nominated=date(2023, 9, 20)
    )
    fifty = person("fifty", "A", date(2024, 9, 15), nominated=date(2024, 9, 2))
    ninety = person("ninety", "A", date(2024, 1, 10), nominated=date(2023, 12, 1))
    person(
        "enrolled_removed",
        "A",
        date(2024, 10, 1),
        left=date(2025, 3, 1),
        status=Status.REMOVED,
        nominated=date(2024, 9, 10),
    )
    person(
        "left_on_start",
        "A",
        date(2024, 2, 1),
        left=START,
        status=Status.REMOVED,
        nominated=date(2024, 1, 15),
    )
    person("nominee", "A", None, nominated=date(2025, 2, 1))
    ninety_five = person("ninety_five", "B", date(2023, 11, 1), nominated=date(2023, 10, 1))
    forty_nine = person("forty_nine", "B", date(2023, 11, 1), nominated=date(2023, 10, 1))
    no_tasks = person("no_tasks", "B", date(2023, 11, 1), nominated=date(2023, 10, 1))
    person("on_end", "B", END, nominated=date(2025, 6, 1))
    enrolled_after = person("enrolled_after", "B", date(2025, 9, 1), nominated=date(2025, 8, 1))
    late = person("late", "C", date(2023, 11, 1), status=Status.READY, nominated=date(2023, 10, 1))
    person("no_plan", "C", date(2023, 11, 1), nominated=date(2023, 10, 1))
    appointed = person(
        "appointed",
        "C",
        date(2023, 11, 1),
        left=date(2025, 2, 1),
        status=Status.APPOINTED,
        nominated=date(2023, 10, 1),
    )
    moved = make_person("moved", None)
    people["moved_from_a"] = make_candidacy(
        moved,
        orgs["A"],
        earlier,
        official,
        nominated=date(2023, 9, 15),
        enrolled=date(2023, 10, 1),
        left=date(2024, 12, 1),
        status=Status.REMOVED,
    )
    people["moved_to_c"] = make_candidacy(
        moved, orgs["C"], period, official, nominated=date(2025, 1, 10), enrolled=date(2025, 2, 1)
    )
    removed_before = person(
        "removed_before",
        "D",
        date(2023, 10, 1),
        left=date(2024, 8, 31),
        status=Status.REMOVED,
        nominated=date(2023, 9, 10),
    )

    make_plan(full, period, 4, 4)
    make_plan(fifty, period, 2, 4)
    make_plan(ninety, period, 9, 10)
    make_plan(ninety_five, period, 19, 20)
    make_plan(forty_nine, period, 49, 100)
    make_plan(no_tasks, period, 0, 0)
    make_plan(late, period, 3, 4, late=1)
    make_plan(appointed, period, 2, 2)
    make_plan(removed_before, period, 1, 1)
    make_plan(enrolled_after, period, 1, 1)
    make_plan(ninety, earlier, 0, 3)  # another period's plan never counts

    add_training(people["full"], END)
    add_training(people["fifty"], date(2025, 9, 1), start=date(2025, 8, 20))
    add_training(people["ninety"], START, start=date(2024, 8, 25))
    add_training(people["ninety"], date(2024, 12, 1))  # the same candidacy counts once
    add_training(people["ninety_five"], date(2024, 8, 31))
    add_training(people["nominee"], date(2025, 3, 1))
    add_training(people["late"], date(2025, 5, 5))
    add_training(people["removed_before"], date(2024, 6, 1))
    return {"orgs": orgs, "candidacies": people, "earlier": earlier}


EXPECTED = {"1": 13, "2": 8, "3": 2, "4": 3, "4a": 1, "5": 2, "6": 4, "7": 4}
EXPECTED_BY_ORG = {
    "A": {"1": 5, "2": 3, "3": 1, "4": 2, "4a": 0, "5": 0, "6": 2, "7": 3},
    "B": {"1": 4, "2": 3, "3": 0, "4": 0, "4a": 1, "5": 2, "6": 1, "7": 0},
    "C": {"1": 4, "2": 2, "3": 1, "4": 1, "4a": 0, "5": 0, "6": 1, "7": 1},
}


# --- The rows -------------------------------------------------------------------------------------


def test_rows_are_the_orders_wordings_in_order():
    assert NUMBERS == ("1", "2", "3", "4", "4a", "5", "6", "7")
    assert LABELS["1"] == "общее количество лиц, зачисленных в резерв управленческих кадров"
    assert LABELS["4"] == (
        "из них, выполнившие планы индивидуального развития за отчетный период в объеме "
        "от 50 до 90%"
    )
    assert LABELS["4a"] == (
        "из них, выполнившие планы индивидуального развития за отчетный период в объеме "
        "от 90 до 100% (не достигшие 100%)"
    )
    assert LABELS["7"] == (
        "количество претендентов для включения в кадровый резерв, прошедших обучение "
        "в отчетный период"
    )
    assert len(ROWS) == 8


@pytest.mark.parametrize(
    ("completion", "row"),
    [(0, "5"), (49, "5"), (50, "4"), (75, "4"), (90, "4"), (91, "4a"), (99, "4a"), (100, "3")],
)
def test_completion_rows_by_hand(completion, row):
    assert completion_row(completion) == row


def test_the_hand_built_reserve(period, reserve):
    report = build_reserve_report(period)
    assert report.values == EXPECTED
    lines = {line.code: line for line in report.organizations}
    assert set(lines) == {"A", "B", "C"}  # D had nobody in the period
    for code, expected in EXPECTED_BY_ORG.items():
        assert dict(lines[code].cells) == expected, code


def test_completion_rows_add_up_to_row_2_everywhere(period, reserve):
    report = build_reserve_report(period)
    values = report.values
    assert values["3"] + values["4"] + values["4a"] + values["5"] == values["2"]
    assert values["2"] <= values["1"]
    for line in report.organizations:
        parts = sum(line.value(n) for n in ("3", "4", "4a", "5"))
        assert parts == line.value("2"), line.code
    for number in NUMBERS:  # the organisations add up to the district
        assert sum(line.value(number) for line in report.organizations) == values[number]


def test_another_period_counts_its_own_people(reserve):
    report = build_reserve_report(reserve["earlier"])
    # In 2023/24: full, ninety, left_on_start, ninety_five, forty_nine, no_tasks, late, no_plan,
    # appointed, moved (from A) and removed_before (removed on its last day).
    assert report.value("1") == 11
    assert report.value("2") == 1  # ninety's plan of 2023/24, no tasks done
    assert report.value("5") == 1
    assert report.value("6") == 11  # the same eleven were all enrolled within 2023/24
    assert report.value("7") == 2  # ninety_five (31.08.2024) and removed_before (01.06.2024)


def test_an_empty_reserve_reports_zeros(period):
    report = build_reserve_report(period)
    assert report.values == dict.fromkeys(NUMBERS, 0)
    assert report.organizations == []


def test_a_later_status_change_does_not_rewrite_the_period(period, reserve):
    """Row 1 follows the dates, not today's status: somebody removed after the period's end
    was in the reserve during it."""
    full = reserve["candidacies"]["full"]
    full.status, full.left_on = Status.REMOVED, date(2025, 10, 1)
    full.save()
    assert build_reserve_report(period).values == EXPECTED


def test_queries_do_not_grow_with_the_reserve(period, official, reserve):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            build_reserve_report(period)
        return len(captured.captured_queries)

    few = queries()
    for n in range(15):
        org = make_org(f"X{n:02}")
        person = make_person(f"extra{n}", Role.CANDIDATE, org)
        candidacy = make_candidacy(
            person, org, period, official, nominated=START, enrolled=date(2024, 10, 1)
        )
        make_plan(person, period, n % 5, 4)
        add_training(candidacy, date(2025, 1, 15))
    assert queries() == few == 5


# --- Files from the same builder ----------------------------------------------------------------


def test_csv_rows_in_order_with_4a(period, reserve):
    rows = list(csv.reader(io.StringIO(report_csv(build_reserve_report(period)))))
    assert rows[0] == ["row", "label", "value"]
    assert rows[1:] == [[n, LABELS[n], str(EXPECTED[n])] for n in NUMBERS]


def test_sheets_hold_the_same_numbers(period, reserve):
    report = build_reserve_report(period)
    district, by_org = report_sheets(report)
    assert [row[0] for row in district.rows] == list(NUMBERS)
    assert {row[0]: row[2] for row in district.rows} == EXPECTED
    rows = list(by_org.rows)
    assert [row[0] for row in rows[:-1]] == ["A", "B", "C"]
    assert rows[-1][2:] == [EXPECTED[n] for n in NUMBERS]
