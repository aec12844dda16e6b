"""The access matrix: every URL pattern of the project, for every role, against an explicit table.

`MATRIX` says, for each URL, which kind of object fills its arguments (`access_world.py` builds
every kind once in school A's scope and once in school B's) and what each role gets on A's
object and on B's. The test walks `get_resolver()` itself (the admin site aside), so a URL added
without a line here fails, naming it; a line whose URL is gone fails too.

Outcomes: `200` a page; `file` a 200 with Content-Disposition (a download, a PDF, a workbook);
`302` a redirect to a normal page; `login` a redirect to the login page (an anonymous visitor;
after `logout`, everybody); `403`, `404`, `405`, `400` as the status says. A cell holds one
outcome for both objects (or for the only one: pages without an object, district-wide objects)
or `A/B`, the outcome on A's object and on B's.

`POST` rows are views that accept only POST: they are POSTed with an empty body, and a GET must
not reach them (tried wherever the POST is let through). A GET row whose cell refuses (403, 404,
login) is also POSTed with an empty body, which must be refused the same way: a form view checks
access before it reads the form. A server error fails the test (the test client raises it).
On top of the statuses, nothing a person confined to one side reaches — page, export, PDF — may
show the other side's school, people or trainees' materials (`access_world.A_MARKERS` /
`B_MARKERS`), except the names `SHOWN_ON_PURPOSE` lists.
"""

import copy
import io
import logging
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.portal.access_world import A_MARKERS, B_MARKERS, DISTRICT_KINDS, ROLES, build_world

LOGIN = "login"
OUTCOMES = {"200", "file", "302", LOGIN, "400", "403", "404", "405"}
REFUSED = {"400", "403", "404", "405", LOGIN}
REACHED = {"200", "file", "302"}
PDFTOTEXT = shutil.which("pdftotext")

# [namespace] kind of object ("-": the URL takes no arguments), then one line per URL:
# name, POST for views that accept only POST, and the outcome per role.
MATRIX = """
#                                official principal_a principal_b mentor candidate expert anonymous
[portal] -
    home                       302      302      302      302      302      302      login
    my_account                 200      200      200      200      200      200      login
    my_organization            302      302      302      302      302      302      login
    login                      200      200      200      200      200      200      200
    logout               POST  login    login    login    login    login    login    login
    password_change            200      200      200      200      200      200      login
    password_change_done       200      200      200      200      200      200      login
    organization_list          200      403      403      403      403      403      login
    organization_create        200      403      403      403      403      403      login
[portal] organization
    organization_detail        200      200/404  404/200  403      403      403      login
    organization_edit          200      403      403      403      403      403      login
    organization_delete  POST  302      403      403      403      403      403      login
[portal] -
    person_list                200      403      403      403      403      403      login
    person_create              200      403      403      403      403      403      login
[portal] person
    person_detail              200      403      403      403      403      403      login
    person_edit                200      403      403      403      403      403      login
[portal] person_roles
    membership_create          200      403      403      403      403      403      login
[portal] membership
    membership_edit            200      403      403      403      403      403      login
[portal] -
    period_list                200      403      403      403      403      403      login
    period_create              200      403      403      403      403      403      login
[portal] period
    period_edit                200      403      403      403      403      403      login
[jobs] job
    status                     200      200/404  404/200  404      404      404      login
    result                     file     file/404 404/file 404      404      404      login
[portal] -
    audit_log                  200      403      403      403      403      403      login
    audit_export               file     403      403      403      403      403      login
[monitoring] -
    home                       302      302      302      403      403      403      login
[monitoring] period
    period_detail              200      403      403      403      403      403      login
    template_download          file     403      403      403      403      403      login
    import_upload        POST  302      403      403      403      403      403      login
    completeness               200      403      403      403      403      403      login
    self_report_list           200      403      403      403      403      403      login
    period_close         POST  302      403      403      403      403      403      login
    period_reopen        POST  302      403      403      403      403      403      login
    period_rescore       POST  302      403      403      403      403      403      login
    scores_export              file     403      403      403      403      403      login
    methodology_edit           200      403      403      403      403      403      login
[monitoring] import
    import_detail              200      403      403      403      403      403      login
    import_errors              file     403      403      403      403      403      login
    import_confirm       POST  302      403      403      403      403      403      login
    import_discard       POST  302      403      403      403      403      403      login
[monitoring] version
    catalogue                  200      200      200      403      403      403      login
[monitoring] org_period
    org_monitoring             200      200/404  404/200  403      403      403      login
[monitoring] org_value
    value_edit                 200      403/404  404/403  403      403      403      login
[monitoring] org_period
    self_report                200      200/404  404/200  403      403      403      login
[monitoring] self_report
    self_report_review   POST  302      403/404  404/403  403      403      403      login
    evidence_upload      POST  403      302/404  404/302  403      403      403      login
[monitoring] evidence
    evidence_download          file     file/404 404/file 403      403      403      login
[decisions] -
    decision_list              200      200      200      403      403      403      login
    decision_create            200      403      403      403      403      403      login
    decision_export            file     file     file     403      403      403      login
[decisions] decision
    decision_detail            200      200/404  404/200  403      403      403      login
    decision_edit              200      403/404  404/403  403      403      403      login
    decision_status      POST  302      403/404  404/403  403      403      403      login
    decision_comment     POST  302      403/404  404/403  403      403      403      login
    evidence_upload      POST  302      403/404  404/403  403      403      403      login
[decisions] decision_evidence
    evidence_download          file     file/404 404/file 403      403      403      login
[decisions] -
    measure_list               200      200      200      403      403      403      login
    measure_create             200      403      403      403      403      403      login
[decisions] measure
    measure_detail             200      200/404  404/200  403      403      403      login
    measure_edit               200      403/404  404/403  403      403      403      login
    material_upload      POST  302      403/404  404/403  403      403      403      login
[decisions] material
    material_download          file     file/404 404/file 403      403      403      login
[analysis] -
    dashboard_current          302      403      403      403      403      403      login
[analysis] period
    dashboard                  200      403      403      403      403      403      login
[analysis] indicator
    indicator                  200      403      403      403      403      403      login
[analysis] period
    report                     200      403      403      403      403      403      login
    report_pdf                 file     403      403      403      403      403      login
[analysis] -
    dossier_home               302      302      302      302      302      302      login
[analysis] dossier
    dossier                    200      200/404  404/200  403      403      403      login
[recommendations] -
    home                       302      302      302      403      403      403      login
    rule_list                  200      403      403      403      403      403      login
    rule_create                200      403      403      403      403      403      login
[recommendations] rule
    rule_edit                  200      403      403      403      403      403      login
    rule_toggle          POST  302      403      403      403      403      403      login
    rule_delete          POST  302      403      403      403      403      403      login
[recommendations] period
    period_overview            200      403      403      403      403      403      login
    period_draft         POST  302      403      403      403      403      403      login
    letters_zip                file     403      403      403      403      403      login
[recommendations] org_period
    org_recommendations        200      200/404  404/200  403      403      403      login
    org_draft            POST  302      403/404  404/403  403      403      403      login
    org_withdraw         POST  302      403/404  404/403  403      403      403      login
    letter_pdf                 file     file/404 404/file 403      403      403      login
[assessments] -
    my_assessment              403      302      302      403      302      403      login
    to_rate                    403      403      403      200      403      200      login
    assessment_list            200      403      403      403      403      403      login
    deficit_rule               200      403      403      403      403      403      login
[assessments] assessment
    assessment_detail          200      200/404  404/200  404      404      200/404  login
    assessment_edit            403      302/404  404/302  404      404      403/404  login
    assessment_copy      POST  403      302/404  404/302  404      404      403/404  login
    assessment_pdf             file     file/404 404/file 404      404      file/404 login
    expert_rating              403      403/404  404/403  404      404      200/404  login
    assessment_return    POST  302      403/404  404/403  404      404      302/404  login
    assessment_assign    POST  302      403/404  404/403  404      404      403/404  login
[assessments] item
    evidence_upload      POST  403      302/404  404/302  404      404      403/404  login
    evidence_download          file     file/404 404/file 404      404      file/404 login
    evidence_delete      POST  403      302/404  404/302  404      404      403/404  login
[assessments] deficit
    deficit_decide       POST  302      403/404  404/403  404      404      302/404  login
[plans] -
    plan_list                  200      403      403      403      403      403      login
    my_plan                    403      200      200      403      200      403      login
    review_list                403      403      403      200      403      200      login
    plan_start                 200      200      200      403      200      403      login
[plans] plan
    plan_detail                200      200/404  404/200  404      404      200/404  login
    plan_pdf                   file     file/404 404/file 404      404      file/404 login
    plan_reviewer        POST  302      302/404  404/302  404      404      403/404  login
    plan_status          POST  302      302/404  404/302  404      404      403/404  login
    plan_review          POST  403      403/404  404/403  404      404      302/404  login
    plan_comment         POST  302      302/404  404/302  404      404      302/404  login
    plan_sync            POST  302      302/404  404/302  404      404      403/404  login
    goal_add             POST  302      302/404  404/302  404      404      403/404  login
[plans] goal
    goal_edit                  302      302/404  404/302  404      404      403/404  login
    goal_delete          POST  302      302/404  404/302  404      404      403/404  login
    task_create                302      302/404  404/302  404      404      403/404  login
[plans] task
    task_edit                  302      302/404  404/302  404      404      403/404  login
    task_delete          POST  302      302/404  404/302  404      404      403/404  login
    task_done            POST  302      302/404  404/302  404      404      403/404  login
    evidence_upload      POST  302      302/404  404/302  404      404      403/404  login
[plans] task_evidence
    evidence_download          file     file/404 404/file 404      404      file/404 login
    evidence_delete      POST  302      302/404  404/302  404      404      403/404  login
[plans] analysis
    analysis_edit              200      200/404  404/200  404      404      403/404  login
[trajectories] -
    district                   200      403      403      403      403      403      login
[mentoring] -
    site_list                  200      403      403      302      403      403      login
    site_create                200      403      403      403      403      403      login
[mentoring] site
    site_detail                200      403      403      200/404  403      403      login
    site_edit                  200      403      403      403      403      403      login
    site_deactivate      POST  302      403      403      403      403      403      login
[mentoring] -
    agreement_list             200      403      403      403      403      403      login
    agreement_create           200      403      403      403      403      403      login
[mentoring] agreement
    agreement_detail           200      403      403      200/404  403      403      login
    agreement_edit             200      403      403      403      403      403      login
    agreement_file             file     403      403      file/404 403      403      login
[mentoring] -
    match                      200      403      403      403      403      403      login
    internship_create          200      403      403      403      403      403      login
    analytics                  200      403      403      403      403      403      login
    my_internships             200      200      200      200      200      403      login
[mentoring] internship
    internship_detail          200      200      404/200  200/404  200/404  403      login
    internship_pdf             file     file     404/file file/404 file/404 403      login
    internship_stage     POST  302      403      404/403  302/404  403/404  403      login
    internship_close     POST  302      403      404/403  302/404  403/404  403      login
    assignment_create          200      403      404/403  200/404  403/404  403      login
[mentoring] assignment
    assignment_edit            200      403      404/403  200/404  403/404  403      login
    assignment_status    POST  302      403      404/403  302/404  403/404  403      login
    assignment_delete    POST  302      403      404/403  302/404  403/404  403      login
[mentoring] trainee
    trainee_notes        POST  403      403/404  404/403  403/404  302/404  403      login
    entry_create               403      403/404  404/403  403/404  200/404  403      login
[mentoring] entry
    entry_edit                 403      403/404  404/403  403/404  200/404  403      login
    entry_delete         POST  403      403/404  404/403  403/404  302/404  403      login
    entry_comment        POST  403      403/404  404/403  302/404  403/404  403      login
[mentoring] trainee
    decision_create            403      403/404  404/403  403/404  200/404  403      login
[mentoring] mentoring_decision
    decision_edit              403      403/404  404/403  403/404  200/404  403      login
    decision_delete      POST  403      403/404  404/403  403/404  302/404  403      login
    decision_rate              403      403/404  404/403  200/404  403/404  403      login
[mentoring] trainee
    trainee_final              403      403/404  404/403  403/404  200/404  403      login
    trainee_assess             403      403/404  404/403  200/404  403/404  403      login
    trainee_report_file        file     file/404 404/file file/404 file/404 403      login
    trainee_project_file       file     file/404 404/file file/404 file/404 403      login
[reserve] -
    candidate_list             200      200      200      403      403      403      login
    candidate_export           file     file     file     403      403      403      login
    nominate                   200      200      200      403      403      403      login
    my_reserve                 403      200      200      403      200      403      login
[reserve] candidacy
    candidate_detail           200      200/404  404/200  403      200/404  403      login
    candidate_edit             200      403/404  404/403  403      403/404  403      login
    candidate_approve    POST  302      403/404  404/403  403      403/404  403      login
    candidate_reject     POST  200      403/404  404/403  403      403/404  403      login
    candidate_enrol      POST  200      403/404  404/403  403      403/404  403      login
    candidate_move       POST  302      403/404  404/403  403      403/404  403      login
    readiness_confirm    POST  200      403/404  404/403  403      403/404  403      login
    training_add               200      403/404  404/403  403      403/404  403      login
[reserve] training
    training_edit              200      403/404  404/403  403      403/404  403      login
    training_delete      POST  302      403/404  404/403  403      403/404  403      login
    training_document          file     file/404 404/file 403      file/404 403      login
[reserve] candidacy
    contest_add                200      403/404  404/403  403      403/404  403      login
[reserve] contest
    contest_delete       POST  302      403/404  404/403  403      403/404  403      login
[reserve] -
    report                     200      403      403      403      403      403      login
    report_xlsx                file     403      403      403      403      403      login
    report_pdf                 file     403      403      403      403      403      login
    succession                 200      403      403      403      403      403      login
    succession_xlsx            file     403      403      403      403      403      login
"""

# Pages an anonymous visitor reaches (everything else sends him or her to the login page).
ANONYMOUS_PAGES = {"login"}

# B's internship is a group internship that also trains a teacher of school A: principal A
# follows it (its page, its PDF, its map) as the head of one of its trainees. Nothing else of
# B's side is reached from A's.
SHARED = {
    ("mentoring:internship_detail", "principal_a"),
    ("mentoring:internship_pdf", "principal_a"),
}

# The other side's names a page shows on purpose, by URL and role. Trainees' materials, files and
# everything else stay forbidden.
_CO_TRAINEES_OF_A = ("Даусуз", "Candidate_b", "Mentor_b", "Лицей № 4")  # B's trainee, mentor, host
_CO_TRAINEES_OF_B = ("СОШ № 1", "Teacher_a")  # the teacher of school A and the school
SHOWN_ON_PURPOSE = {
    # A nomination names the position aimed at, in any organisation of the district.
    ("reserve:nominate", "principal_a"): ("Даусуз", "Лицей № 4"),
    ("reserve:nominate", "principal_b"): ("СОШ № 1", "Гимназия № 3"),
    # A group internship names its trainees, their schools, its mentor and host to all it shows
    # to (the list, the page, the PDF; school A's dossier lists the teacher's internship).
    **{
        (f"mentoring:{name}", "principal_a"): _CO_TRAINEES_OF_A
        for name in ("my_internships", "internship_detail", "internship_pdf")
    },
    **{
        (f"mentoring:{name}", "principal_b"): _CO_TRAINEES_OF_B
        for name in ("my_internships", "internship_detail", "internship_pdf")
    },
    ("analysis:dossier", "principal_a"): ("Mentor_b", "Лицей № 4"),
}


@dataclass(frozen=True)
class Row:
    method: str  # "get", or "post" for a view that accepts nothing else
    kind: str | None  # the kind of object filling the URL's arguments (None: no arguments)
    cells: tuple[str, ...]  # per role (ROLES order): "outcome" or "on A's/on B's"


def parse(matrix: str) -> dict[str, Row]:
    table, namespace, kind = {}, "", None
    for line in matrix.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("["):
            section, kind = line[1:].split("] ")
            namespace = "" if section == "portal" else f"{section}:"
            kind = None if kind == "-" else kind
            continue
        name, *cells = line.split()
        method = "post" if cells[0] == "POST" else "get"
        cells = cells[1:] if method == "post" else cells
        assert f"{namespace}{name}" not in table, f"{namespace}{name} is in the matrix twice"
        table[f"{namespace}{name}"] = Row(method, kind, tuple(cells))
    return table


TABLE = parse(MATRIX)


# --- Walking the URL configuration ---------------------------------------------------------------


def walk(patterns=None, namespace=""):
    """(name with its namespaces, pattern) of every URL, the admin site and the static files
    a development server may add aside (the admin has its own permissions; static files are
    public by design)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.callback.__module__ != "django.views.static":
            yield f"{namespace}{entry.name}", entry


PATTERNS = dict(walk())


def url_names() -> list[str]:
    names = [name for name, _pattern in walk()]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, f"URL names used twice, the matrix cannot tell them apart: {duplicates}"
    return sorted(names)


# --- The world, built once for the module ------------------------------------------------------


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("access_media")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media):
    """Built once and rolled back after the module; each test runs in its own savepoint inside,
    so that whatever a POST changes (closing the period…) is gone before the next test."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Every refusal is logged with its traceback; thousands of expected ones only cost time.
    quiet = logging.getLogger("django.request")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast),
            transaction.atomic(),
        ):
            yield build_world()
            transaction.set_rollback(True)
    finally:
        quiet.setLevel(level)


@pytest.fixture(scope="module")
def stored_files(world, media, tmp_path_factory) -> dict[Path, Path]:
    """A copy of every stored file, to put back what a test's POST deleted from the disk (the
    database rolls back with the savepoint; the disk does not)."""
    backup = tmp_path_factory.mktemp("access_media_copy")
    shutil.copytree(media, backup, dirs_exist_ok=True)
    return {media / f.relative_to(backup): f for f in backup.rglob("*") if f.is_file()}


@pytest.fixture
def files_put_back(stored_files):
    yield
    for path, kept in stored_files.items():
        if not path.exists():
            shutil.copy2(kept, path)


# --- Reading a cell and a response ---------------------------------------------------------------


def expected(row: Row, role: str) -> tuple[str, str]:
    """The outcomes on A's and B's object (the same twice where there is one object)."""
    on_a, _slash, on_b = row.cells[ROLES.index(role)].partition("/")
    return on_a, on_b or on_a


def outcome(response) -> str:
    code = response.status_code
    if code == 302:
        return LOGIN if urlsplit(response.url).path == reverse("login") else "302"
    if code == 200 and response.has_header("Content-Disposition"):
        return "file"
    return str(code)


def text_of(response) -> str:
    """What a person reads in a response: the page, or the text of a workbook, PDF or ZIP."""
    data = response.body
    content_type = response.get("Content-Type", "")
    if "spreadsheetml" in content_type:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return " ".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    if content_type == "application/pdf":
        if not PDFTOTEXT:
            return ""
        run = subprocess.run([PDFTOTEXT, "-", "-"], input=data, capture_output=True, check=False)
        return run.stdout.decode(errors="replace")
    if content_type == "application/zip":
        return " ".join(zipfile.ZipFile(io.BytesIO(data)).namelist())
    return data.decode(errors="replace")


# What each role must never see: the other side's names (officials and visitors: nothing).
FORBIDDEN_MARKERS = {
    "principal_a": B_MARKERS,
    "candidate": B_MARKERS,
    "mentor": B_MARKERS,
    "expert": B_MARKERS,
    "principal_b": A_MARKERS,
}


def shown_markers(name: str, role: str, response) -> list[str]:
    allowed = SHOWN_ON_PURPOSE.get((name, role), ())
    markers = [m for m in FORBIDDEN_MARKERS.get(role, ()) if m not in allowed]
    if response.status_code != 200 or not markers:
        return []
    text = text_of(response)
    return [marker for marker in markers if re.search(marker, text)]


@pytest.fixture(scope="module")
def clients(world) -> dict[str, Client]:
    """One client per role, signed in once: a new client loads the whole middleware stack
    (WhiteNoise indexes every static file) on its first request, which would cost more than
    the requests of a test."""
    signed_in = {}
    for role, person in world.people.items():
        client = signed_in[role] = Client()
        if person is not None:
            client.force_login(person)
        client.signed_in_cookies = client.cookies
    return signed_in


@pytest.fixture
def client_for(clients):
    """The role's client as signed in: a test that logged out does not leave it logged out."""

    def _client(role) -> Client:
        client = clients[role]
        client.cookies = copy.copy(client.signed_in_cookies)
        return client

    return _client


def call(client, method, url):
    """The response, read to the end: a file response holds the stored file open until then
    (the test client closes it once read; closing it here instead would close the database
    connection, as at the end of a real request)."""
    response = getattr(client, method)(url)
    response.body = b"".join(response.streaming_content) if response.streaming else response.content
    return response


# --- The tests -----------------------------------------------------------------------------------


def test_every_url_has_a_line_and_every_line_a_url():
    names = set(url_names())
    missing = sorted(names - TABLE.keys())
    stale = sorted(TABLE.keys() - names)
    assert not missing, f"URLs without a line in the access matrix: {missing}"
    assert not stale, f"Lines of the access matrix without a URL: {stale}"


def test_the_matrix_is_well_formed():
    for name, row in TABLE.items():
        assert len(row.cells) == len(ROLES), name
        for cell in row.cells:
            assert set(cell.split("/")) <= OUTCOMES, (name, cell)
            assert "/" not in cell or row.kind not in (None, *DISTRICT_KINDS), (name, cell)
        anonymous = row.cells[ROLES.index("anonymous")]
        assert anonymous == LOGIN or name in ANONYMOUS_PAGES, name


def test_the_matrix_grants_nothing_across_organisations():
    """Nobody confined to one side reaches the other side's object, whatever a line says."""
    for name, row in TABLE.items():
        if row.kind is None or row.kind in DISTRICT_KINDS:
            continue
        for role in FORBIDDEN_MARKERS:
            if (name, role) in SHARED:
                continue
            on_a, on_b = expected(row, role)
            foreign = on_a if role == "principal_b" else on_b
            assert foreign not in REACHED, (name, role, foreign)


# Pages where the markers must be found, or their absence elsewhere would prove nothing: (role,
# URL, whose object, what it shows). A principal reads the trainees of his or her own school in
# B's group internship, and only them.
FOUND = [
    ("official", "organization_list", None, ("Даусуз", "СОШ № 1")),
    ("official", "decisions:decision_export", None, ("Даусуз", "СОШ № 1")),
    ("official", "reserve:candidate_export", None, ("Candidate_b", r"Candidate\b")),
    ("official", "mentoring:internship_pdf", "B", ("стажёра А", "стажёра Б", "Teacher_a")),
    ("principal_a", "mentoring:internship_detail", "B", ("стажёра А",)),
    ("principal_a", "mentoring:internship_pdf", "B", ("стажёра А",)),
    ("principal_b", "mentoring:internship_detail", "B", ("стажёра Б",)),
    ("official", "recommendations:letter_pdf", "B", ("Даусуз",)),
]


@pytest.mark.usefixtures("files_put_back")
@pytest.mark.parametrize(("role", "name", "side", "markers"), FOUND)
def test_the_markers_are_there_to_be_found(world, db, client_for, role, name, side, markers):
    if name.endswith("_pdf") and not PDFTOTEXT:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    kind = TABLE[name].kind
    kwargs = world.args[kind]["AB".index(side)] if kind else {}
    text = text_of(call(client_for(role), "get", reverse(name, kwargs=kwargs)))
    assert [m for m in markers if not re.search(m, text)] == []


TRAINEE_PAGES = sorted(
    n for n, row in TABLE.items() if row.kind == "trainee" and row.method == "get"
)


@pytest.mark.usefixtures("files_put_back")
@pytest.mark.parametrize("name", TRAINEE_PAGES)
def test_a_group_internship_keeps_each_school_s_trainees_apart(world, db, client_for, name):
    """The teacher of school A in B's group internship: principal A reads his or her materials
    as those of the candidate of school A; principal B, who follows the same internship, gets
    404 — the matrix itself checks the reverse on B's trainee."""
    url = reverse(name, kwargs=world.args["teacher_in_b"][0])
    own, _on_b = expected(TABLE[name], "principal_a")
    assert (outcome(call(client_for("principal_a"), "get", url)), name) == (own, name)
    assert (outcome(call(client_for("principal_b"), "get", url)), name) == ("404", name)


@pytest.mark.usefixtures("files_put_back")
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", url_names())
def test_access(world, db, client_for, name, role):
    row = TABLE.get(name)
    if row is None:
        pytest.fail(f"{name} has no line in the access matrix (tests/portal/test_access_matrix.py)")
    assert row.kind is None or row.kind in world.args, f"{name}: add {row.kind} to access_world.py"
    a_args, b_args = world.args[row.kind] if row.kind else ({}, None)
    wanted = set(PATTERNS[name].pattern.converters)
    assert set(a_args) == wanted, f"{name}: the kind {row.kind} does not fill {sorted(wanted)}"
    client = client_for(role)
    failures = []
    for side, kwargs, want in zip("AB", (a_args, b_args), expected(row, role), strict=True):
        if kwargs is None:
            continue
        url = reverse(name, kwargs=kwargs)
        if row.method == "post" and want in REACHED:
            refused = outcome(call(client, "get", url))
            if refused not in REFUSED:
                failures.append(f"GET {url} ({side}'s object) is not refused: {refused}")
        response = call(client, row.method, url)
        got = outcome(response)
        if got != want:
            failures.append(f"{row.method.upper()} {url} ({side}'s object): {got}, not {want}")
        for marker in shown_markers(name, role, response):
            failures.append(f"{url} ({side}'s object) shows {marker!r}")
        if row.method == "get" and want in REFUSED - {"405"}:
            again = outcome(call(client, "post", url))
            if again != want:
                failures.append(f"POST {url} ({side}'s object): {again}, not {want}")
    assert not failures, f"{name} as {role}:\n" + "\n".join(failures)
