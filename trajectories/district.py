"""The district overview of professional development for a period (officials).

Who has not submitted a self-assessment, confirmed deficits by block and by item, development
plans by status and completion, overdue tasks. One builder feeds the page and its Excel
downloads. The people followed are the period's heads of active organisations and reserve
candidates (`providers.district_people`), the same people as the analytical report's section 5.
A fixed number of queries whatever the size of the district: the work per person is done on plain
rows in Python.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from statistics import mean

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zelenchuk_portal.charts import Bar, bar_chart
from zelenchuk_portal.excel import Sheet
from zelenchuk_portal.models import Membership, Period, Role

from .dossier import PLAN_URL, completion, url_or_none
from .models import Assessment, Competency, Deficit, Plan, PlanTask, TaskForm
from .providers import reference_day

# Plans still being drawn up or carried out: their unfinished tasks can be overdue. A plan that is
# done or closed with carry-over has settled its unfinished tasks in the analytical section.
OPEN_PLAN_STATUSES = (Plan.Status.DRAFT, Plan.Status.ON_REVIEW, Plan.Status.APPROVED)
ROWS_ON_PAGE = 100  # longer lists are cut on the page; their Excel download has every row
# Completion bands of the distribution: (label, lowest %, highest %).
COMPLETION_BANDS = (("0 %", 0, 0), ("1–49 %", 1, 49), ("50–99 %", 50, 99), ("100 %", 100, 100))


@dataclass
class Person:
    person_id: int
    name: str
    roles: list[str] = field(default_factory=list)  # «head», «reserve candidate»
    organizations: list[str] = field(default_factory=list)

    @property
    def role_text(self) -> str:
        return ", ".join(self.roles)

    @property
    def organization_text(self) -> str:
        return "; ".join(self.organizations)


@dataclass
class MissingRow:
    person: Person
    status: str  # the assessment's status, "" when there is none
    state: str  # its label: no self-assessment / draft / returned for revision


@dataclass
class BlockRow:
    block: int
    name: str
    item_deficits: int
    block_deficits: int
    people: int

    @property
    def total(self) -> int:
        return self.item_deficits + self.block_deficits


@dataclass
class ItemRow:
    code: str
    name: str
    block: int
    deficits: int  # confirmed deficits on this item (one per person)


@dataclass
class PlanRow:
    plan_id: int
    person: Person
    status: str
    status_label: str
    tasks: int
    done: int
    url: str | None = None

    @property
    def completion(self) -> int | None:
        return completion(self.done, self.tasks)


@dataclass
class TaskRow:
    person: Person
    text: str
    form_label: str
    deadline: date
    days_overdue: int
    plan_status_label: str
    url: str | None = None


@dataclass
class DistrictOverview:
    period: Period
    today: date
    people: int  # heads and reserve candidates followed
    submitted: int
    missing: list[MissingRow]
    blocks: list[BlockRow]
    items: list[ItemRow]
    people_with_deficits: int
    plans: list[PlanRow]
    plan_statuses: list[tuple[str, str, int]]  # (status, label, plans)
    completion_mean: float | None
    completion_bands: list[tuple[str, int]]
    overdue: list[TaskRow]

    @property
    def total_deficits(self) -> int:
        return sum(b.total for b in self.blocks)

    @property
    def missing_page(self) -> list[MissingRow]:
        return self.missing[:ROWS_ON_PAGE]

    @property
    def plans_page(self) -> list[PlanRow]:
        return self.plans[:ROWS_ON_PAGE]

    @property
    def overdue_page(self) -> list[TaskRow]:
        return self.overdue[:ROWS_ON_PAGE]

    @property
    def rows_on_page(self) -> int:
        return ROWS_ON_PAGE


def _people(period: Period) -> dict[int, Person]:
    """The heads of active organisations and the reserve candidates of the period, named."""
    labels = {Role.PRINCIPAL: _("head"), Role.CANDIDATE: _("reserve candidate")}
    rows = (
        Membership.objects.current(reference_day(period))
        .filter(
            Q(role=Role.PRINCIPAL, organization__is_active=True) | Q(role=Role.CANDIDATE),
            organization__isnull=False,
        )
        .order_by("user__last_name", "user__first_name", "user_id", "role", "organization__code")
        .values_list(
            "user_id",
            "role",
            "organization__short_name",
            "user__last_name",
            "user__first_name",
            "user__patronymic",
            "user__username",
        )
    )
    people: dict[int, Person] = {}
    for person_id, role, org_name, last, first, patronymic, username in rows:
        name = " ".join(p for p in (last, first, patronymic) if p) or username
        person = people.setdefault(person_id, Person(person_id, name))
        if labels[role] not in person.roles:
            person.roles.append(labels[role])
        if org_name not in person.organizations:
            person.organizations.append(org_name)
    return people


def _missing(period, people) -> tuple[int, list[MissingRow]]:
    states = {
        Assessment.Status.DRAFT: _("draft"),
        Assessment.Status.RETURNED: _("returned for revision"),
    }
    status_of = dict(Assessment.objects.filter(period=period).values_list("person_id", "status"))
    missing = []
    for person_id, person in people.items():
        status = status_of.get(person_id)
        if status != Assessment.Status.SUBMITTED:
            state = states.get(status, _("no self-assessment"))
            missing.append(MissingRow(person, status or "", state))
    return len(people) - len(missing), missing


def _deficits(period, people) -> tuple[list[BlockRow], list[ItemRow], int]:
    competencies = list(
        Competency.objects.order_by("position").values_list("code", "name", "block", "block_name")
    )
    rows = Deficit.objects.filter(
        assessment__period=period,
        assessment__status=Assessment.Status.SUBMITTED,
        status=Deficit.Status.CONFIRMED,
    ).values_list("assessment__person_id", "block", "competency__code")
    items, block_level, item_level = Counter(), Counter(), Counter()
    persons: dict[int, set[int]] = defaultdict(set)
    for person_id, block, code in rows:
        if person_id not in people:
            continue
        persons[block].add(person_id)
        if code:
            items[code] += 1
            item_level[block] += 1
        else:
            block_level[block] += 1
    names = {block: block_name for _code, _name, block, block_name in competencies}
    blocks = [
        BlockRow(block, name, item_level[block], block_level[block], len(persons[block]))
        for block, name in names.items()
    ]
    item_rows = [ItemRow(code, name, block, items[code]) for code, name, block, _b in competencies]
    everyone = set().union(*persons.values()) if persons else set()
    return blocks, item_rows, len(everyone)


def _plans(period, people) -> list[PlanRow]:
    plans = (
        Plan.objects.filter(period=period)
        .order_by()
        .values("pk", "person_id", "status")
        .annotate(
            tasks=Count("goals__tasks"),
            done=Count("goals__tasks", filter=Q(goals__tasks__done=True)),
        )
    )
    labels = dict(Plan.Status.choices)
    rows = [
        PlanRow(
            p["pk"],
            people[p["person_id"]],
            p["status"],
            str(labels.get(p["status"], p["status"])),
            p["tasks"],
            p["done"],
            url_or_none(PLAN_URL, p["pk"]),
        )
        for p in plans
        if p["person_id"] in people
    ]
    order = list(Plan.Status.values)
    rows.sort(key=lambda r: (order.index(r.status), r.person.name, r.plan_id))
    return rows


def _overdue(period, people, today) -> list[TaskRow]:
    tasks = (
        PlanTask.objects.filter(
            goal__plan__period=period,
            goal__plan__status__in=OPEN_PLAN_STATUSES,
            done=False,
            deadline__lt=today,
        )
        .order_by("deadline", "pk")
        .values_list(
            "text",
            "form",
            "deadline",
            "goal__plan_id",
            "goal__plan__person_id",
            "goal__plan__status",
        )
    )
    forms, statuses = dict(TaskForm.choices), dict(Plan.Status.choices)
    return [
        TaskRow(
            person=people[person_id],
            text=text,
            form_label=str(forms.get(form, form)),
            deadline=deadline,
            days_overdue=(today - deadline).days,
            plan_status_label=str(statuses.get(status, status)),
            url=url_or_none(PLAN_URL, plan_id),
        )
        for text, form, deadline, plan_id, person_id, status in tasks
        if person_id in people
    ]


def build_district_overview(period: Period, today: date | None = None) -> DistrictOverview:
    """Everything the district page shows for `period`; `today` decides what is overdue."""
    today = today or timezone.localdate()
    people = _people(period)
    submitted, missing = _missing(period, people)
    blocks, items, with_deficits = _deficits(period, people)
    plans = _plans(period, people)
    counts = Counter(p.status for p in plans)
    percents = [p.completion for p in plans if p.completion is not None]
    bands = [
        (label, sum(1 for v in percents if low <= v <= high))
        for label, low, high in COMPLETION_BANDS
    ]
    return DistrictOverview(
        period=period,
        today=today,
        people=len(people),
        submitted=submitted,
        missing=missing,
        blocks=blocks,
        items=items,
        people_with_deficits=with_deficits,
        plans=plans,
        plan_statuses=[(s, str(label), counts[s]) for s, label in Plan.Status.choices],
        completion_mean=round(mean(percents), 1) if percents else None,
        completion_bands=bands,
        overdue=_overdue(period, people, today),
    )


# --- Charts and Excel ----------------------------------------------------------------------------


def blocks_chart(overview: DistrictOverview):
    bars = [Bar(f"{b.block}. {b.name}", b.total) for b in overview.blocks]
    return bar_chart(bars, title=_("Confirmed deficits by competency block"), decimals=0)


def items_chart(overview: DistrictOverview):
    """Only the items with a confirmed deficit: 31 bars of which most are zero say little."""
    bars = [Bar(f"{i.code} {i.name}", i.deficits) for i in overview.items if i.deficits]
    if not bars:
        return ""
    return bar_chart(bars, title=_("Confirmed deficits by competency"), decimals=0)


def district_sheets(overview: DistrictOverview) -> dict[str, Sheet]:
    """Each table of the page as an Excel sheet, by the name its download link uses."""
    return {
        "missing": Sheet(
            _("Not submitted"),
            [_("Person"), _("Role"), _("Organisation"), _("Self-assessment")],
            [
                [r.person.name, r.person.role_text, r.person.organization_text, r.state]
                for r in overview.missing
            ],
        ),
        "blocks": Sheet(
            _("Deficits by block"),
            [
                _("Block"),
                _("Competency block"),
                _("Item deficits"),
                _("Block deficits"),
                _("Confirmed deficits"),
                _("People"),
            ],
            [
                [b.block, b.name, b.item_deficits, b.block_deficits, b.total, b.people]
                for b in overview.blocks
            ],
        ),
        "items": Sheet(
            _("Deficits by item"),
            [_("Code"), _("Competency"), _("Block"), _("Confirmed deficits")],
            [[i.code, i.name, i.block, i.deficits] for i in overview.items],
        ),
        "plans": Sheet(
            _("Development plans"),
            [
                _("Person"),
                _("Role"),
                _("Organisation"),
                _("Status"),
                _("Tasks"),
                _("Done"),
                _("Completion, %"),
            ],
            [
                [
                    p.person.name,
                    p.person.role_text,
                    p.person.organization_text,
                    p.status_label,
                    p.tasks,
                    p.done,
                    p.completion,
                ]
                for p in overview.plans
            ],
        ),
        "overdue": Sheet(
            _("Overdue tasks"),
            [
                _("Person"),
                _("Organisation"),
                _("Task"),
                _("Form or method"),
                _("Deadline"),
                _("Days overdue"),
                _("Plan status"),
            ],
            [
                [
                    t.person.name,
                    t.person.organization_text,
                    t.text,
                    t.form_label,
                    t.deadline,
                    t.days_overdue,
                    t.plan_status_label,
                ]
                for t in overview.overdue
            ],
        ),
    }
