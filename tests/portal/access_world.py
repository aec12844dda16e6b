"""The world the access matrix walks: one small district where every kind of object exists
twice — once in school A's scope and once in school B's — built with each app's own test
helpers, so that it is made exactly the way the other tests make it.

The cast is the one of `tests/conftest.py` (same logins, organisations and roles): principal A
heads school A, principal B school B, the candidate works in school A, the mentor (school M03)
mentors only the A-side internship, the expert is assigned only A's self-assessment (and reviewed
only A's plan). Three people complete the world and play no role of their own in the matrix: a
second mentor (school M04), who mentors the B-side internship and reviewed B's plan; a reserve
candidate of school B, B's trainee; and a teacher of school A who trains in the B-side
internship too, a group internship — so that both heads follow it, each reading only his or her
own school's trainee.

Each side's names and texts carry a marker (`A_MARKERS`, `B_MARKERS`): the school's name, the
people's surnames (`make_person` takes the login as the surname), the file names and the
trainees' materials, so that a page showing the other side's can be caught.

District-wide objects (the period, the methodology version, an import, a recommendation rule)
exist once: they belong to no organisation. `build_world()` returns, for every kind of object,
the URL arguments of A's object and of B's (None for district-wide kinds).
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mentoring.models import Form
from monitoring import recommendations
from monitoring.imports import preview_upload
from monitoring.methodology import version_for
from monitoring.models import (
    DecisionEvidence,
    Evidence,
    MeasureMaterial,
    Recommendation,
    RecommendationRule,
    Source,
)
from monitoring.selfreports import start_report
from monitoring.values import ValueWrite, write_values
from reserve import candidacies as reserve_domain
from reserve.models import ContestLevel, ContestResult
from tests.conftest import make_org, make_person
from tests.mentoring.internship_fixtures import (
    add_assignment,
    add_decision,
    add_entry,
    make_internship,
    trainee_of,
)
from tests.mentoring.site_helpers import make_agreement
from tests.monitoring.test_decisions import new_decision
from tests.monitoring.test_decisions_views import make_measure
from tests.monitoring.test_recommendations_drafting import make_rule, make_score
from tests.reserve.conftest import enrol_in, pdf_upload
from tests.trajectories.test_assessments import submit
from tests.trajectories.test_plans import approved_plan
from trajectories import assessments as assessment_domain
from trajectories import plans as plan_domain
from trajectories.deficits import decide_deficit
from trajectories.models import Deficit
from zelenchuk_portal.models import Job, JobStatus, Membership, Period, PeriodStatus, Role

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

# The roles of the matrix, in the order of the table's columns.
ROLES = ("official", "principal_a", "principal_b", "mentor", "candidate", "expert", "anonymous")

# Text that only B's side of the world carries (its schools, people, file names, trainees'
# materials), and only A's. A page someone confined to A's side reads must not show B's, and
# the other way round (regular expressions: "Candidate_b" is not the candidate of school A).
B_MARKERS = (
    "Даусуз",
    "Principal_b",
    "Candidate_b",
    "Mentor_b",
    "Лицей № 4",
    "Приказ Б",
    "стажёра Б",
)
A_MARKERS = (
    "СОШ № 1",
    "Principal_a",
    r"Candidate\b",
    r"Mentor\b",
    "Teacher_a",
    "Гимназия № 3",
    "Приказ А",
    "стажёра А",
)

# Kinds of district-wide objects: one of each, in nobody's scope in particular.
DISTRICT_KINDS = {"period", "import", "version", "rule", "indicator"}


@dataclass
class World:
    people: dict = field(default_factory=dict)  # role → user (anonymous: None)
    args: dict = field(default_factory=dict)  # kind → (A's URL kwargs, B's or None)


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _cast(world: World) -> dict:
    """The shared cast (as in tests/conftest.py) and the two people of B's side."""
    org_a = make_org("A01", short_name="МКОУ «СОШ № 1»", settlement="ст. Зеленчукская")
    org_b = make_org("B02", short_name="МКОУ «СОШ с. Даусуз»", settlement="с. Даусуз", area="rural")
    people = {
        "official": make_person("official", Role.OFFICIAL),
        "principal_a": make_person("principal_a", Role.PRINCIPAL, org_a),
        "principal_b": make_person("principal_b", Role.PRINCIPAL, org_b),
        "mentor": make_person(
            "mentor", Role.MENTOR, make_org("M03", short_name="МКОУ «Гимназия № 3»")
        ),
        "candidate": make_person("candidate", Role.CANDIDATE, org_a),
        "expert": make_person("expert", Role.EXPERT),
        "anonymous": None,
    }
    world.people = people
    period = Period.objects.create(
        label="2024/2025",
        start_date=date(2024, 9, 1),
        end_date=date(2025, 8, 31),
        status=PeriodStatus.OPEN,
    )
    extra = {
        "mentor_b": make_person(
            "mentor_b", Role.MENTOR, make_org("M04", short_name="МКОУ «Лицей № 4»")
        ),
        "candidate_b": make_person("candidate_b", Role.CANDIDATE, org_b),
    }
    return {"org_a": org_a, "org_b": org_b, "period": period, **people, **extra}


def _pair(world: World, kind: str, a, b=None, **const) -> None:
    """Record the URL arguments of A's and B's object of `kind` (objects → {"pk": …})."""

    def kwargs(obj):
        if obj is None:
            return None
        return {**(obj if isinstance(obj, dict) else {"pk": obj.pk}), **const}

    world.args[kind] = (kwargs(a), kwargs(b))


def _registry(world: World, c: dict) -> None:
    """Organisations, people, roles, the period, and a finished background job with a result
    file started by each head (a job belongs to whoever started it, whatever its kind)."""
    _pair(world, "organization", c["org_a"], c["org_b"])
    _pair(world, "person", c["principal_a"], c["principal_b"])
    _pair(world, "person_roles", *({"person_pk": c[p].pk} for p in ("principal_a", "principal_b")))
    _pair(
        world,
        "membership",
        *(Membership.objects.get(user=c[p]) for p in ("principal_a", "principal_b")),
    )
    _pair(world, "period", c["period"])
    jobs = [
        Job.objects.create(
            kind="monitoring.letters_zip",
            status=JobStatus.DONE,
            progress=100,
            started_by=c[starter],
            result_file=ContentFile(b"PK\x05\x06" + b"\x00" * 18, name="letters.zip"),
            result_name="Письма.zip",
            finished_at=timezone.now(),
        )
        for starter in ("principal_a", "principal_b")
    ]
    _pair(world, "job", *jobs)


def _monitoring(world: World, c: dict) -> None:
    period, org_a, org_b, official = c["period"], c["org_a"], c["org_b"], c["official"]
    sides = (("principal_a", org_a, "А"), ("principal_b", org_b, "Б"))
    write_values(
        period,
        [ValueWrite(org.pk, "grad9_total", 40) for org in (org_a, org_b)],
        source=Source.OFFICIAL,
        user=official,
    )
    reports, evidence = [], []
    for head, org, letter in sides:
        report = start_report(period, org)
        reports.append(report)
        evidence.append(
            Evidence.objects.create(
                report=report,
                input_code="vsoko_items_done",
                file=ContentFile(PDF, name="prikaz.pdf"),
                file_name=f"Приказ {letter} о ВСОКО.pdf",
                uploaded_by=c[head],
            )
        )
    _pair(world, "self_report", *reports)
    _pair(world, "evidence", *evidence)
    _pair(world, "import", preview_upload(period, "t.xlsx", b"not a workbook", official))
    _pair(world, "version", version_for(period))
    _pair(world, "org_period", *({"period_pk": period.pk, "org_pk": o.pk} for o in (org_a, org_b)))
    _pair(
        world,
        "org_value",
        *({"period_pk": period.pk, "org_pk": o.pk} for o in (org_a, org_b)),
        code="grad9_total",
    )
    _pair(world, "indicator", {"pk": period.pk}, code="B1.3")
    _pair(world, "dossier", *({"org_pk": o.pk} for o in (org_a, org_b)))

    # Scores and issued letters for both schools (the recommendations world of
    # tests/monitoring/test_recommendations_views.py, with B critical as well).
    RecommendationRule.objects.all().delete()
    rule = make_rule("indicator_points", "B1.3", indicator_code="B1.3", threshold=0, days=30)
    make_rule("level", "critical", level="critical", days=10)
    for org in (org_a, org_b):
        make_score(period, org, index=41.0, level="critical", points={"B1.3": 0.0})
    recommendations.draft_recommendations(period)
    for number, org in (("01-12/77", org_a), ("01-12/78", org_b)):
        letter = Recommendation.objects.get(organization=org)
        recommendations.issue_recommendation(
            letter, number=number, issued_on=timezone.localdate(), user=official
        )
    _pair(world, "rule", rule)

    decisions, decision_files, measures, materials = [], [], [], []
    for head, org, letter in sides:
        decision = new_decision(period, official, [org], ["B4.2"], people=[c[head]])
        decisions.append(decision)
        decision_files.append(
            DecisionEvidence.objects.create(
                decision=decision,
                file=ContentFile(PDF, name="prikaz.pdf"),
                file_name=f"Приказ {letter} № 15-од.pdf",
                uploaded_by=official,
            )
        )
        measure = make_measure(official, [org], title=f"Семинар для школы {letter}")
        measures.append(measure)
        materials.append(
            MeasureMaterial.objects.create(
                measure=measure,
                file=ContentFile(PDF, name="programma.pdf"),
                file_name=f"Программа {letter}.pdf",
                uploaded_by=official,
            )
        )
    _pair(world, "decision", *decisions)
    _pair(world, "decision_evidence", *decision_files)
    _pair(world, "measure", *measures)
    _pair(world, "material", *materials)


def _trajectories(world: World, c: dict) -> None:
    """Each head's submitted self-assessment (an evidence file, one proposed and one confirmed
    deficit) and an approved plan built on the confirmed one, with a task and its evidence. The
    expert rates A's assessment and reviewed A's plan; B's are the second mentor's."""
    period, official = c["period"], c["official"]
    found = {kind: [] for kind in ("assessment", "item", "deficit", "plan", "goal", "task")}
    found.update({"task_evidence": [], "analysis": []})
    for head, reviewer in (("principal_a", c["expert"]), ("principal_b", c["mentor_b"])):
        person = c[head]
        assessment = submit(person, period, default=3, **{"1.1": 0, "2.3": 0})
        item = assessment.items.get(competency__code="1.1")
        item.evidence.save("e.pdf", ContentFile(PDF))
        item.evidence_name = f"Приказ {'А' if head == 'principal_a' else 'Б'}.pdf"
        item.save()
        assessment_domain.assign_expert(assessment, reviewer, official)
        decide_deficit(assessment.deficits.get(competency__code="2.3"), official, confirm=True)
        plan = approved_plan(person, period, reviewer)
        goal = plan.goals.first()
        task = goal.tasks.first()
        evidence = plan_domain.attach_evidence(task, _pdf("Удостоверение.pdf"), person)
        found["assessment"].append(assessment)
        found["item"].append(item)
        found["deficit"].append(assessment.deficits.get(status=Deficit.Status.PROPOSED))
        found["plan"].append(plan)
        found["goal"].append(goal)
        found["task"].append(task)
        found["task_evidence"].append(evidence)
        found["analysis"].append(plan.analyses.first())
    for kind, objects in found.items():
        _pair(world, kind, *objects)


def _materials(trainee, side: str):
    """A trainee's notes, submitted diary entry, matrix decision, report and project, each
    saying whose they are (`side`), so that a page showing them to the wrong head is caught."""
    trainee.host_notes = f"Заметки стажёра {side}"
    trainee.report = f"Отчёт стажёра {side}"
    for name in ("report", "project"):
        getattr(trainee, f"{name}_file").save(f"{name}.pdf", ContentFile(PDF), save=False)
        setattr(trainee, f"{name}_file_name", f"{name}.pdf")
    trainee.save()
    entry = add_entry(trainee, head_actions=f"Дневник стажёра {side}")
    return entry, add_decision(trainee, text=f"Решение стажёра {side}")


def _mentoring(world: World, c: dict) -> None:
    """A's internship: the mentor and the candidate of school A. B's: a group internship of the
    second mentor with the candidate of school B and a teacher of school A — so principal A
    follows B's internship (his or her teacher is in it) but must not read B's trainee's
    materials, nor principal B the teacher's. Each under an agreement with a file, with a map
    line and every trainee's materials."""
    found = {kind: [] for kind in ("site", "agreement", "internship", "assignment", "trainee")}
    found.update({"entry": [], "mentoring_decision": []})
    teacher_a = make_person("teacher_a", Role.CANDIDATE, c["org_a"])
    for mentor, trainees, org, side in (
        (c["mentor"], [c["candidate"]], c["org_a"], "А"),
        (c["mentor_b"], [c["candidate_b"], teacher_a], c["org_b"], "Б"),
    ):
        form = Form.GROUP if len(trainees) > 1 else Form.INDIVIDUAL
        internship = make_internship(mentor, trainees, form=form)
        agreement = make_agreement(internship.base_site, org)
        agreement.file.save("agreement.pdf", ContentFile(PDF), save=False)
        agreement.file_name = "Договор.pdf"
        agreement.save()
        internship.agreement = agreement
        internship.save(update_fields=["agreement"])
        trainee = trainee_of(internship, trainees[0])
        entry, decision = _materials(trainee, side)
        if len(trainees) > 1:
            teacher = trainee_of(internship, teacher_a)
            _materials(teacher, "А")
            _pair(world, "teacher_in_b", teacher)
        found["site"].append(internship.base_site)
        found["agreement"].append(agreement)
        found["internship"].append(internship)
        found["assignment"].append(add_assignment(internship, mentor))
        found["trainee"].append(trainee)
        found["entry"].append(entry)
        found["mentoring_decision"].append(decision)
    for kind, objects in found.items():
        _pair(world, kind, *objects)


def _reserve(world: World, c: dict) -> None:
    """Each school's candidate enrolled in the reserve, with a training document and a contest."""
    found = {"candidacy": [], "training": [], "contest": []}
    for person, org in ((c["candidate"], c["org_a"]), (c["candidate_b"], c["org_b"])):
        candidacy = enrol_in(person, org, c["official"], target_position="директор")
        found["candidacy"].append(candidacy)
        found["training"].append(
            reserve_domain.add_training(
                candidacy,
                programme="Управление образовательной организацией",
                provider="КЧРИПКРО",
                hours=36,
                start_date=date(2024, 11, 1),
                end_date=date(2024, 11, 20),
                by=c["official"],
                document=pdf_upload(),
            )
        )
        found["contest"].append(
            reserve_domain.add_contest(
                candidacy,
                name="Лидер в образовании",
                level=ContestLevel.MUNICIPAL,
                result=ContestResult.PRIZE,
                held_on=date(2025, 3, 1),
                by=c["official"],
            )
        )
    for kind, objects in found.items():
        _pair(world, kind, *objects)


def build_world() -> World:
    world = World()
    cast = _cast(world)
    _registry(world, cast)
    _monitoring(world, cast)
    _trajectories(world, cast)
    _mentoring(world, cast)
    _reserve(world, cast)
    return world
