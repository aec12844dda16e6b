"""Benchmark baselines: the straightforward way, one object at a time through the ORM.

Nothing in the portal calls these functions. `manage.py benchmark` runs each of them next to the
portal's own code for the same work, at a size where they finish, to show what the portal's way
buys (the ratios of `docs/PERFORMANCE.md`). They are what a first version would look like:

- the template written cell by cell with openpyxl, one query per organisation for its values;
- an upload read with openpyxl, every cell checked in a Python loop, one query per organisation
  (does it exist? what is stored?), then `Model.objects.create` per value and per history row;
- scoring that reads each organisation's values, derived inputs and previous index with its own
  queries and stores each score with its own INSERT (the computation itself is the portal's:
  the medians need every organisation at once, and what is measured is the data access);
- pages built from full model instances fetched one organisation or one period at a time;
- letters built one by one, each with its own queries for the peers' medians.

They do the same work as their counterparts and give the same answers
(`tests/monitoring/test_benchmark.py` compares the stored scores and the import's counts), so
the ratio compares like with like — except `reserve_counts`, which leaves out the report's plan
rows (see there). Keep them simple rather than fast: they are the yardstick.
"""

from __future__ import annotations

import io
import re
import statistics
import zipfile
from collections import Counter

import openpyxl

from zelenchuk_portal.models import Organization, Period

from .catalogue import LEVELS, STATUS_NOT_APPLICABLE, STATUS_NOT_ASSESSED, STATUS_VALUE, SUBGROUPS
from .consistency import check_consistency_one
from .methodology import version_for
from .models import Recommendation, RecommendationItem, Score, ScoringRun, Value, ValueChange
from .workbook import (
    CODE_HEADER,
    FIELD_CODE_HEADER,
    FIELD_LABEL_HEADER,
    FIELD_VALUE_HEADER,
    NAME_HEADER,
    SHEET_DATA,
    SHEET_PERIOD,
    column_header,
    template_inputs,
)

_CODE_IN_HEADER = re.compile(r"\(([A-Za-z][A-Za-z0-9_]*)\)\s*$")


def _number(value) -> int | float | None:
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else value


# --- The template ----------------------------------------------------------------------------


def export_template(period: Period, organizations) -> bytes:
    """The pre-filled template: openpyxl cell by cell, one query per organisation."""
    catalogue = version_for(period).catalogue
    inputs = template_inputs(catalogue)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET_DATA
    sheet.append([CODE_HEADER, NAME_HEADER, *map(column_header, inputs)])
    for org in organizations:
        stored = {
            v.input_code: v.value for v in Value.objects.filter(period=period, organization=org)
        }
        sheet.append([org.code, org.short_name, *(_number(stored.get(i.code)) for i in inputs)])
    sheet = book.create_sheet(SHEET_PERIOD)
    sheet.append([FIELD_CODE_HEADER, FIELD_LABEL_HEADER, FIELD_VALUE_HEADER])
    for item in catalogue.period_inputs():
        stored = Value.objects.filter(
            period=period, organization=None, input_code=item.code
        ).first()
        sheet.append([item.code, item.label, _number(stored.value) if stored else None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Reading, validating and storing an upload -------------------------------------------------


def _cell_error(item, raw) -> tuple[float | None, str | None]:
    """(number, error) of one cell, checked the obvious way."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if isinstance(raw, str):
        text = raw.replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if text.endswith("%") and item.type == "percent":
            text = text[:-1]
        try:
            number = float(text)
        except ValueError:
            return None, f"«{raw}» не является числом"
    elif isinstance(raw, bool) or not isinstance(raw, int | float):
        return None, f"«{raw}» не является числом"
    else:
        number = float(raw)
    if item.is_integer and not number.is_integer():
        return None, f"{number:g} должно быть целым числом"
    if (item.min is not None and number < item.min) or (item.max is not None and number > item.max):
        return None, f"{number:g} вне допустимого диапазона"
    return number, None


def read_upload(period: Period, data: bytes) -> tuple[list, dict, list[str]]:
    """([(organization, {code: number, …}), …], {period code: number}, errors) of an upload."""
    catalogue = version_for(period).catalogue
    inputs = catalogue.inputs_by_code
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[SHEET_DATA]
    header = [cell.value for cell in sheet[1]]
    columns = {}
    for position, title in enumerate(header):
        match = _CODE_IN_HEADER.search(str(title or ""))
        if match and match.group(1) in inputs:
            columns[position] = inputs[match.group(1)]
    rows, errors = [], []
    for number, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if not any(cell is not None for cell in cells):
            continue
        code = str(cells[0]).strip() if cells[0] is not None else ""
        org = Organization.objects.filter(code=code, is_active=True).first()
        if org is None:
            errors.append(f"строка {number}: организация «{code}» не найдена")
            continue
        values = {}
        for position, item in columns.items():
            value, error = _cell_error(item, cells[position])
            if error:
                errors.append(f"строка {number}, {item.code}: {error}")
            elif value is not None:
                values[item.code] = value
        merged = {
            v.input_code: float(v.value)
            for v in Value.objects.filter(period=period, organization=org)
        }
        merged.update(values)
        for _left, _right, message in check_consistency_one(merged, catalogue):
            errors.append(f"строка {number}: {message}")
        rows.append((org, values))
    period_values = {}
    if SHEET_PERIOD in book.sheetnames:
        for cells in book[SHEET_PERIOD].iter_rows(min_row=2, values_only=True):
            item = inputs.get(str(cells[0] or "").strip())
            if item is not None and item.scope == "period":
                value, error = _cell_error(item, cells[2])
                if error:
                    errors.append(f"{SHEET_PERIOD}, {item.code}: {error}")
                elif value is not None:
                    period_values[item.code] = value
    return rows, period_values, errors


def validate_upload(period: Period, data: bytes) -> list[str]:
    """Every error of an upload (nothing is stored)."""
    return read_upload(period, data)[2]


def import_upload(period: Period, data: bytes, *, source: str, user=None) -> Counter:
    """Validate, then store value by value: a query for the stored value, `create` for the new
    one and for its history row. Returns the counts of new, changed and unchanged values."""
    from .values import as_decimal

    rows, period_values, errors = read_upload(period, data)
    counts = Counter()
    if errors:
        counts["errors"] = len(errors)
        return counts
    writes = [(org, code, v) for org, values in rows for code, v in values.items()]
    writes += [(None, code, v) for code, v in period_values.items()]
    for org, code, number in writes:
        new = as_decimal(number)
        stored = Value.objects.filter(period=period, organization=org, input_code=code).first()
        if stored is not None and stored.value == new:
            counts["unchanged"] += 1
            continue
        if stored is not None:
            stored.delete()
        Value.objects.create(
            period=period, organization=org, input_code=code, value=new, source=source,
            entered_by=user, sheet=SHEET_DATA if org else SHEET_PERIOD,
        )  # fmt: skip
        ValueChange.objects.create(
            period=period, organization=org, input_code=code, source=source, changed_by=user,
            old_value=stored.value if stored else None, new_value=new,
        )  # fmt: skip
        counts["changed" if stored else "new"] += 1
    return counts


# --- Scoring ---------------------------------------------------------------------------------


def score_period(period: Period, organizations, *, trigger: str = "naive") -> ScoringRun:
    """Scores of `organizations` with a query (or several) per organisation to read and one to
    write; the computation is `scoring.compute_scores`, as in the portal."""
    from .providers import derived_values
    from .scoring import (
        compute_scores,
        find_outliers,
        frames_from_rows,
        indicator_payloads,
    )

    version = version_for(period)
    catalogue = version.catalogue
    previous = period.previous()
    types, rows, previous_index = {}, {}, {}
    for org in organizations:
        values = {
            v.input_code: float(v.value)
            for v in Value.objects.filter(period=period, organization=org)
        }
        for code, value in derived_values(period, [org]).get(org.pk, {}).items():
            if value is not None:
                values[code] = value
        types[org.code], rows[org.code] = org.org_type, values
        if previous is not None:
            before = Score.objects.filter(period=previous, organization=org).first()
            if before is not None and before.index is not None:
                previous_index[org.code] = before.index
    period_values = {
        v.input_code: float(v.value) for v in Value.objects.filter(period=period, organization=None)
    }
    orgs, values = frames_from_rows(types, rows)
    result = compute_scores(catalogue, orgs, values, period_values, previous_index or None)
    outliers = find_outliers(catalogue, orgs, values)
    payloads = indicator_payloads(result, catalogue)
    run = ScoringRun.objects.create(
        period=period, version=version, trigger=trigger, organizations=len(types)
    )
    table = result.orgs
    for org, payload in zip(organizations, payloads, strict=True):
        row = table.loc[org.code]

        def number(name, row=row):
            value = row[name]
            return None if value != value else float(value)

        Score.objects.filter(period=period, organization=org).delete()
        Score.objects.create(
            period=period,
            organization=org,
            version=version,
            run=run,
            index=number("index"),
            level=row["level"] or "",
            group_a=number("group_a"),
            group_b=number("group_b"),
            **{sg.lower(): number(sg) for sg in SUBGROUPS},
            preliminary=bool(row["preliminary"]),
            index_change=number("index_change"),
            risk_flags=row["risk_flags"],
            indicators=payload,
            outliers=outliers.get(org.code, []),
        )
    return run


# --- Pages -----------------------------------------------------------------------------------


def _score(period, org) -> Score | None:
    return Score.objects.filter(period=period, organization=org).first()


def _median(values) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def dashboard(period: Period, organizations) -> dict:
    """The dashboard's figures: each organisation's score (and last period's) fetched alone."""
    previous = period.previous()
    rows = []
    for org in organizations:
        score = _score(period, org)
        if score is None:
            continue
        before = _score(previous, org) if previous else None
        rows.append((org, score, before))
    levels = Counter(score.level for _org, score, _before in rows)
    falling = [
        org
        for org, score, before in rows
        if (score.index_change or 0) < 0 and before and (before.index_change or 0) < 0
    ]
    trend = []
    for each in Period.objects.order_by("start_date"):
        indexes = [_score(each, org) for org in organizations]
        trend.append(_median([s.index for s in indexes if s is not None]))
    ordered = sorted(rows, key=lambda r: (r[0].org_type, r[0].short_name))
    return {
        "levels": [levels.get(level, 0) for level in LEVELS],
        "critical": [org for org, score, _b in rows if score.level == "critical"],
        "falling": falling,
        "objectivity": [
            org for org, s, _b in rows if any(f["kind"] == "objectivity" for f in s.risk_flags)
        ],
        "trend": trend,
        "heat": ordered[:50],
    }


def dossier(organization: Organization, period: Period, organizations) -> dict:
    """A head's dossier: one query per period for the history, one per peer for the medians."""
    history = [(each, _score(each, organization)) for each in Period.objects.order_by("start_date")]
    current = _score(period, organization)
    peers = [_score(period, org) for org in organizations if org.org_type == organization.org_type]
    peers = [s for s in peers if s is not None]
    return {
        "history": [(p.label, s.index) for p, s in history if s is not None],
        "results": current.results if current else {},
        "index_median": _median([s.index for s in peers]),
        "medians": {sg: _median([s.subgroup(sg) for s in peers]) for sg in SUBGROUPS},
    }


def indicator(period: Period, code: str, organizations) -> dict:
    """One indicator across the district: every organisation's score read and unpacked alone,
    for this period and each earlier one."""
    values, not_assessed, missing = [], [], []
    for org in organizations:
        score = _score(period, org)
        value, status, points, _gated, _risk = (score.results if score else {}).get(
            code, [None, STATUS_NOT_APPLICABLE, None, False, False]
        )
        if status == STATUS_VALUE and value is not None:
            values.append((value, org.short_name, points))
        elif status == STATUS_NOT_ASSESSED:
            not_assessed.append(org.short_name)
        elif status != STATUS_NOT_APPLICABLE:
            missing.append(org.short_name)
    history = []
    for each in Period.objects.filter(start_date__lte=period.start_date).order_by("start_date"):
        found = []
        for org in organizations:
            score = _score(each, org)
            value, status, *_rest = (score.results if score else {}).get(code, [None, ""])
            if status == STATUS_VALUE and value is not None:
                found.append(value)
        history.append((each.label, _median(found), len(found)))
    return {
        "values": sorted(values, reverse=True),
        "median": _median([v for v, _n, _p in values]),
        "not_assessed": not_assessed,
        "missing": missing,
        "history": history,
    }


# --- Letters ---------------------------------------------------------------------------------


def build_letter(recommendation: Recommendation, organizations):
    """A head's letter, with the medians of the same type taken one peer score at a time."""
    from .profiles import SUBGROUP_NAMES
    from .recommendations import Letter, LetterItem, SubgroupLine, letter_chart, salutation

    org = Organization.objects.get(pk=recommendation.organization_id)
    period = Period.objects.get(pk=recommendation.period_id)
    head = org.head
    score = _score(period, org)
    peers = [_score(period, p) for p in organizations if p.org_type == org.org_type]
    peers = [s for s in peers if s is not None]

    def median(name):
        found = _median([getattr(s, name) for s in peers])
        return None if found is None else round(found, 1)

    items = RecommendationItem.objects.filter(recommendation=recommendation)
    letter = Letter(
        recommendation=recommendation,
        organization=org,
        period=period,
        is_draft=recommendation.status == Recommendation.Status.DRAFT,
        number=recommendation.number,
        issued_at=recommendation.issued_at,
        head_name=head.short_name if head else "",
        head_full_name=head.full_name if head else "",
        salutation=salutation(head.first_name, head.patronymic) if head else "",
        index=score.index if score else None,
        index_median=median("index"),
        level=score.level if score else "",
        index_change=score.index_change if score else None,
        preliminary=bool(score and score.preliminary),
        subgroups=[
            SubgroupLine(
                sg, SUBGROUP_NAMES[sg], score.subgroup(sg) if score else None, median(sg.lower())
            )
            for sg in SUBGROUPS
        ],  # fmt: skip
        items=[
            LetterItem(n, i.text, i.reason, i.measures, i.owner, i.deadline)
            for n, i in enumerate(items, start=1)
        ],
    )
    letter.chart = letter_chart(letter)
    return letter


def letter_pdf(recommendation: Recommendation, organizations) -> bytes:
    from .recommendations import render_letter_pdf

    return render_letter_pdf(build_letter(recommendation, organizations))


def letters_zip(recommendations, organizations) -> bytes:
    """The ZIP of letters, each letter built with its own queries."""
    from .recommendations import render_letter_pdf

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for recommendation in recommendations:
            letter = build_letter(recommendation, organizations)
            archive.writestr(letter.filename, render_letter_pdf(letter))
    return buffer.getvalue()


# --- The reserve report ------------------------------------------------------------------------


def reserve_counts(period: Period, organizations) -> dict[int, tuple[int, int, int]]:
    """Rows 1, 6 and 7 of the reserve report (in the reserve, enrolled, trained), counted with
    three queries per organisation. Monitoring never imports the reserve app: its models are
    looked up by name. The plan rows (2–5) belong to trajectories and are left out, so this
    baseline does less than the report it is compared with."""
    from django.apps import apps

    candidacy = apps.get_model("reserve", "Candidacy")
    training = apps.get_model("reserve", "Training")
    start, end = period.start_date, period.end_date
    found = {}
    for org in organizations:
        members = candidacy.objects.in_reserve_during(start, end).filter(organization=org)
        enrolled = candidacy.objects.filter(
            organization=org, enrolled_on__gte=start, enrolled_on__lte=end
        )
        trained = training.objects.filter(
            candidacy__organization=org, end_date__gte=start, end_date__lte=end
        ).values("candidacy_id")
        found[org.pk] = (members.count(), enrolled.count(), trained.distinct().count())
    return found
