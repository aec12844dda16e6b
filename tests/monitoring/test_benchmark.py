"""Scale (issue 9): the benchmark and what makes a large district fast.

- the benchmark itself at N = 2,000, failing if scoring is no longer at least 10× faster than
  the naive loop (the regression guard of docs/PERFORMANCE.md);
- the naive baselines give the portal's answers, so the ratios compare like with like;
- a large district's pages, read from the periods' summaries, show what reading every score
  shows, in a number of queries that does not follow the number of organisations;
- the write path (COPY into a temporary table, compared in SQL) and the copy a preview keeps for
  its confirmation change nothing of what is stored or reported.
"""

import json
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.db import transaction
from django.urls import reverse

import monitoring.summaries
from monitoring import naive
from monitoring.analysis import build_indicator_view
from monitoring.benchmark import MEASUREMENTS, run_benchmark
from monitoring.catalogue import default_catalogue
from monitoring.dashboard import SHOWN, Filters, build_dashboard
from monitoring.dossier import _peer_medians
from monitoring.imports import (
    PARSED_FOLDER,
    apply_import,
    dump_parsed,
    load_parsed,
    preview_upload,
    read_workbook,
    validate,
)
from monitoring.methodology import version_for
from monitoring.models import Recommendation, Score, ScoreSummary, Value
from monitoring.recommendations import (
    build_letters,
    build_period_overview,
    draft_recommendations,
    overview_panel,
)
from monitoring.scoring import (
    compute_scores,
    indicator_payloads,
    payload_texts,
    score_period,
)
from monitoring.summaries import _bins, nice_edges
from monitoring.synthetic import (
    generate_period_values,
    generate_values,
    org_codes,
    org_types_for,
    template_cells,
    value_writes,
)
from monitoring.values import ValueWrite, as_decimal, number_text, write_values
from monitoring.workbook import build_template
from tests.conftest import count_queries, make_org
from zelenchuk_portal.charts import _bin_index
from zelenchuk_portal.models import Period

CATALOGUE = default_catalogue()


# --- The benchmark --------------------------------------------------------------------------


@pytest.mark.benchmark
@pytest.mark.django_db
def test_the_benchmark_at_2000_organisations_keeps_scoring_10_times_faster(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    lines = list(run_benchmark(2000, 2, letters=3, naive_orgs=200, naive_letters=1, repeat=1))
    for line in lines:
        print(json.dumps(line, ensure_ascii=False))  # shown when the test fails
    by_name = {line["name"]: line for line in lines}
    assert set(MEASUREMENTS) <= set(by_name)
    for name in MEASUREMENTS:
        line = by_name[name]
        if "skipped" in line:
            continue
        assert line["n"] == 2000 and line["seconds"] > 0 and line["queries"] >= 1
        assert line["naive"]["rows"] >= 1 and line["ratio"] > 0, line
        assert line["peak_rss_mb"] > 0
    # The guard: the portal scores a period at least 10 times faster, per organisation, than
    # reading and writing one organisation at a time (docs/PERFORMANCE.md).
    assert by_name["scoring"]["ratio"] >= 10, by_name["scoring"]
    assert by_name["validation"]["errors_found"] == by_name["validation"]["bad_rows"] == 200
    last = Period.objects.exclude(label="naive").order_by("-start_date").first()
    assert by_name["import"]["values"] == Value.objects.filter(period=last).count() > 80_000
    assert by_name["letters_zip"]["rows"] == 3
    # Pages stay within a fixed number of queries (their growth is checked below).
    for name in ("dashboard", "dossier", "indicator"):
        assert by_name[name]["queries"] < 60, by_name[name]
    assert json.loads(json.dumps(lines)) == lines  # every line prints as JSON


# --- A small scored district, read both ways ------------------------------------------------


def _district(count: int, periods: int = 3):
    codes = org_codes(count)
    types = org_types_for(count)
    organizations = [
        make_org(
            code,
            org_type=kind,
            short_name=f"ОО {code}",
            settlement=f"с. {n % 4}",
            area="rural" if n % 3 else "urban",
        )
        for n, (code, kind) in enumerate(zip(codes, types.tolist(), strict=True))
    ]
    ids = {org.code: org.pk for org in organizations}
    made = []
    for index in range(periods):
        year = 2021 + index
        period = Period.objects.create(
            label=f"{year}/{year + 1}",
            start_date=date(year, 9, 1),
            end_date=date(year + 1, 8, 31),
            monitoring_end=date(year + 1, 6, 30),
        )
        frame = generate_values(CATALOGUE, types, index)
        write_values(
            period,
            value_writes(frame, ids, generate_period_values(CATALOGUE, index)),
            source="official",
        )
        score_period(period, trigger="test")
        made.append(period)
    return organizations, made


@pytest.fixture
def scored(db):
    return _district(60)


@pytest.fixture
def large(monkeypatch):
    """Every district counts as large: pages read the summaries."""
    monkeypatch.setattr(monitoring.summaries, "LARGE", 1)


def _ids(rows):
    return [row.organization_id for row in rows]


def test_a_summarized_dashboard_shows_what_the_scores_show(scored, monkeypatch):
    _organizations, periods = scored
    period = periods[-1]
    for filters in (Filters(), Filters(org_type="school")):
        live = build_dashboard(period, filters, full=True)
        monkeypatch.setattr(monitoring.summaries, "LARGE", 1)
        board = build_dashboard(period, filters)
        monkeypatch.setattr(monitoring.summaries, "LARGE", 10**9)
        assert board.index_bins is not None and live.index_bins is None
        assert board.scored == live.scored
        assert board.level_counts == live.level_counts
        assert _ids(board.heat_page) == _ids(live.heat_page)
        assert board.heat_page.paginator.count == live.heat_page.paginator.count
        for group in ("critical", "falling", "objectivity"):
            assert _ids(getattr(board.risks, group)) == _ids(getattr(live.risks, group))[:SHOWN]
            assert board.risks.counts[group] == len(getattr(live.risks, group))
        assert [(r.organization_id, codes) for r, codes in board.risks.critical_indicators] == [
            (r.organization_id, codes) for r, codes in live.risks.critical_indicators[:SHOWN]
        ]
        assert board.risks.total == live.risks.total
        assert _ids(board.most_improved) == _ids(live.most_improved)
        assert _ids(board.high_effectiveness) == _ids(live.high_effectiveness)[:SHOWN]
        assert board.high_count == len(live.high_effectiveness)
        assert board.completeness == live.completeness
        assert board.trend.periods == live.trend.periods
        assert board.trend.index == pytest.approx(live.trend.index)
        for sg, values in live.trend.subgroups.items():
            assert board.trend.subgroups[sg] == pytest.approx(values)
        counts, outside = board.index_bins
        edges = monitoring.summaries.INDEX_EDGES
        expected = [0] * (len(edges) - 1)
        for value in live.indexes:
            if edges[0] <= value <= edges[-1]:
                expected[_bin_index(edges, value)] += 1
        assert (counts, outside) == (expected, 0)


def test_a_summarized_indicator_page_shows_what_the_scores_show(scored, monkeypatch):
    _organizations, periods = scored
    period = periods[-1]
    for code in ("A1.1", "B4.1", "B1.3"):
        live = build_indicator_view(period, code, Filters())
        monkeypatch.setattr(monitoring.summaries, "LARGE", 1)
        view = build_indicator_view(period, code, Filters())
        monkeypatch.setattr(monitoring.summaries, "LARGE", 10**9)
        assert view.counts == {
            "value": len(live.values),
            "not_assessed": len(live.not_assessed),
            "no_data": len(live.missing),
        }
        assert (view.value_count, view.not_assessed_count, view.missing_count) == (
            live.value_count,
            live.not_assessed_count,
            live.missing_count,
        )
        assert view.median == live.median
        assert [(h.label, h.median, h.count) for h in view.history] == [
            (h.label, h.median, h.count) for h in live.history
        ]
        assert [v.value for v in view.values] == [v.value for v in live.values][:50]
        assert [v.value for v in view.lowest] == [v.value for v in reversed(live.values)][:50]
        assert {i.organization_id for i in view.not_assessed} <= set(_ids(live.not_assessed))
        assert sum(view.bins) == len(live.values)


def test_summarized_medians_of_the_dossier_and_the_letters_are_the_scores_medians(
    scored, monkeypatch
):
    organizations, periods = scored
    period = periods[-1]
    draft_recommendations(period)
    letters = list(Recommendation.objects.filter(period=period).order_by("organization__code"))
    live_letters = build_letters(letters)
    live = {t: _peer_medians(period, t) for t in ("school", "kindergarten", "additional")}
    monkeypatch.setattr(monitoring.summaries, "LARGE", 1)
    for org_type, medians in live.items():
        assert _peer_medians(period, org_type) == medians
    summarized = build_letters(letters)
    assert [(x.index_median, [s.median for s in x.subgroups]) for x in summarized] == [
        (x.index_median, [s.median for s in x.subgroups]) for x in live_letters
    ]


def test_large_pages_cost_the_same_queries_with_more_organisations(scored, large, login, official):
    organizations, periods = scored
    period = periods[-1]
    org = organizations[0]
    urls = [
        reverse("analysis:dashboard", args=[period.pk]),
        reverse("analysis:indicator", args=[period.pk, "B4.1"]),
        reverse("analysis:dossier", args=[org.pk]) + f"?period={period.pk}",
    ]
    client = login(official)
    few = [count_queries(client, url) for url in urls]
    more = [make_org(f"Z{n:03d}", short_name=f"СОШ {n}") for n in range(40)]
    for index, each in enumerate(periods):
        frame = generate_values(CATALOGUE, pd.Series({o.code: o.org_type for o in more}), index)
        write_values(each, value_writes(frame, {o.code: o.pk for o in more}, {}), source="official")
        score_period(each, trigger="test")
    assert ScoreSummary.objects.filter(period=period, org_type="").get().data["scored"] == 100
    assert [count_queries(client, url) for url in urls] == few


def test_the_dashboard_panel_counts_letters_as_the_overview_does(scored):
    _organizations, periods = scored
    period = periods[-1]
    draft_recommendations(period)
    issued = list(Recommendation.objects.filter(period=period).order_by("pk")[:5])
    Recommendation.objects.filter(pk__in=[r.pk for r in issued[:3]]).update(
        status=Recommendation.Status.ISSUED, issued_at=date(2024, 7, 5)
    )
    Recommendation.objects.filter(pk__in=[r.pk for r in issued[3:]]).update(
        status=Recommendation.Status.ISSUED, issued_at=date(2024, 7, 30)
    )
    for today in (date(2024, 7, 1), date(2024, 8, 20)):
        overview = build_period_overview(period, today=today)
        panel = overview_panel(period, today=today, limit=1000)
        assert panel.counts == overview.counts
        assert [row.organization.pk for row in panel.late] == [
            row.organization.pk for row in overview.late
        ]
        assert panel.late_count == len(overview.late)
    assert (
        overview_panel(period, today=date(2024, 8, 20), limit=4).late_more == len(overview.late) - 4
    )


# --- The naive baselines give the portal's answers ------------------------------------------


def test_naive_scoring_stores_the_scores_the_portal_stores(scored):
    organizations, periods = scored
    period = periods[-1]
    columns = ["organization_id", "index", "level", "index_change", "indicators", "risk_flags"]
    columns += ["outliers", "a1", "b5", "preliminary"]
    fast = list(Score.objects.filter(period=period).order_by("organization_id").values(*columns))
    with transaction.atomic():
        naive.score_period(period, sorted(organizations, key=lambda o: o.code))
        slow = list(
            Score.objects.filter(period=period).order_by("organization_id").values(*columns)
        )
        transaction.set_rollback(True)
    assert slow == fast


def test_naive_import_and_validation_agree_with_the_portal(settings, tmp_path, scored, official):
    settings.MEDIA_ROOT = tmp_path / "media"
    organizations, _periods = scored
    period = Period.objects.create(
        label="2030/2031", start_date=date(2030, 9, 1), end_date=date(2031, 8, 31)
    )
    types = pd.Series({o.code: o.org_type for o in organizations})
    frame = generate_values(CATALOGUE, types, 0)
    names = [(o.code, o.short_name) for o in organizations]
    data = build_template(CATALOGUE, names, period.label, template_cells(frame), {})
    assert naive.validate_upload(period, data) == []
    with transaction.atomic():
        counts = naive.import_upload(period, data, source="import", user=official)
        transaction.set_rollback(True)
    record = preview_upload(period, "t.xlsx", data, official)
    summary = apply_import(record, official, rescore=False)
    assert counts["new"] == summary.new == int(frame.notna().to_numpy().sum())


# --- Storing: the same rows, faster ---------------------------------------------------------


def test_payload_texts_are_the_json_of_the_payloads():
    types = org_types_for(40)
    values = generate_values(CATALOGUE, types, 1)
    orgs = pd.DataFrame({"org_type": types.to_numpy()}, index=types.index)
    result = compute_scores(CATALOGUE, orgs, values, generate_period_values(CATALOGUE, 1))
    assert payload_texts(result, CATALOGUE) == [
        json.dumps(p) for p in indicator_payloads(result, CATALOGUE)
    ]


@pytest.mark.parametrize(
    "number",
    [12.0, 78.5, 0.1, 1e-05, 0.00005, 0.00015, 1.23455, 2.5e-4, 1234567.1234, -3.25, 7, 0],
)
def test_number_text_is_the_stored_decimal(number):
    text = number_text(number)
    assert Decimal(text) == as_decimal(number)
    assert len(text.partition(".")[2]) <= 4 and "e" not in text


def test_a_generator_of_writes_is_stored_and_rewritten_like_a_list(period, org_a, org_b):
    first = write_values(
        period,
        (ValueWrite(o.pk, "grad9_total", float(n)) for n, o in enumerate([org_a, org_b], start=10)),
        source="official",
    )
    again = write_values(
        period,
        iter(
            [ValueWrite(org_a.pk, "grad9_total", 10.0), ValueWrite(org_b.pk, "grad9_total", 12.5)]
        ),
        source="official",
    )
    assert (first.new, first.changed, first.unchanged) == (2, 0, 0)
    assert (again.new, again.changed, again.unchanged) == (0, 1, 1)


def test_the_preview_keeps_what_it_read_for_the_confirmation(settings, tmp_path, period, official):
    settings.MEDIA_ROOT = tmp_path / "media"
    org = make_org("0101")
    cells = {("0101", "grad9_total"): 30, ("0101", "grad9_certificate"): 28}
    data = build_template(CATALOGUE, [("0101", org.short_name)], period.label, cells, {})
    record = preview_upload(period, "t.xlsx", data, official)
    kept = list((tmp_path / "media" / PARSED_FOLDER).iterdir())
    assert len(kept) == 1
    summary = apply_import(record, official, rescore=False)
    assert summary.new == 2
    assert list((tmp_path / "media" / PARSED_FOLDER).iterdir()) == []


def test_a_kept_workbook_validates_to_the_same_report():
    codes = ["101", "102", "103", "104"]
    cells = {
        ("101", "grad9_total"): "н/д",
        ("101", "internet_mbps"): "78,5 %",
        ("102", "grad9_certificate"): 31,
        ("102", "grad9_total"): 30,
        ("103", "attestation_valid"): "да",
        ("103", "teachers_total"): 12.5,
        ("104", "mgmt_education"): "нет",
        ("104", "students_total"): "1 200",
    }
    data = build_template(CATALOGUE, [(c, c) for c in codes], "2024/2025", cells, {})
    parsed = read_workbook(data, CATALOGUE)
    again = load_parsed(dump_parsed(parsed))
    first = validate(parsed, CATALOGUE, codes[:3])
    second = validate(again, CATALOGUE, codes[:3])
    assert first.issues and [str(i) for i in second.issues] == [str(i) for i in first.issues]
    assert second.values.equals(first.values)
    assert (second.warnings, second.org_rows) == (first.warnings, first.org_rows)


# --- Summaries: the pure parts --------------------------------------------------------------


def test_summary_bins_count_as_the_chart_counts():
    edges = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    values = np.array([0, 9.99, 10, 55.5, 99.9, 100, 100.01, -1, np.nan])
    expected = [0] * 10
    for value in values[(values >= 0) & (values <= 100)]:
        expected[_bin_index(edges, float(value))] += 1
    assert _bins(values, edges) == (expected, 2)


@pytest.mark.parametrize(("low", "high"), [(0, 100), (3.2, 7.9), (0.0, 0.0), (12, 13), (-5, 40)])
def test_nice_edges_cover_the_values(low, high):
    edges = nice_edges(low, high)
    assert edges[0] <= low and edges[-1] >= high and len(edges) <= 13
    assert all(b > a for a, b in zip(edges, edges[1:], strict=False))


def test_scoring_stores_a_summary_per_type_and_for_all(scored):
    _organizations, periods = scored
    found = dict(ScoreSummary.objects.filter(period=periods[-1]).values_list("org_type", "data"))
    assert set(found) == {"", "school", "kindergarten", "additional"}
    assert found[""]["scored"] == 60 == sum(found[t]["scored"] for t in found if t)
    assert (
        sum(found[""]["levels"].values())
        == Score.objects.filter(period=periods[-1]).exclude(level="").count()
    )
    version = version_for(periods[-1])
    assert set(found[""]["indicators"]) == set(version.indicator_codes)
