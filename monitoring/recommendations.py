"""Targeted recommendations (step 6 of the management cycle): rules → drafts → issued letters.

The top of the module is pure: `matching_rules` applies the district's rule library to one head's
results (`ScoreFacts`) and says why each rule matched; `rule_errors` and `deadline_error` check
what officials type. Below the database marker: drafting a period's recommendations from the
stored scores, issuing and withdrawing a letter, the period overview with the 10-day rule, and
`build_letters`, the one builder behind the letter page, its PDF and the ZIP of a period.

Validation messages are Russian text, as in `imports.py`: they are about the district's data.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from monitoring.catalogue import (
    LEVEL_LABELS,
    LEVELS,
    STATUS_VALUE,
    SUBGROUPS,
    Catalogue,
)
from monitoring.formulas import OBJECTIVITY_INDICATOR, FormulaError, parse_risk

INDICATOR_POINTS = "indicator_points"
SUBGROUP_BELOW = "subgroup_below"
LEVEL = "level"
FALLING = "falling"
RISK_FLAG = "risk_flag"
DEFICIT = "deficit"

RISK_CRITICAL = "critical"
RISK_INFO = "info_risk"
RISK_OBJECTIVITY = "objectivity"
RISK_KINDS = {
    RISK_CRITICAL: "критический показатель с нулём баллов",
    RISK_INFO: "информационный показатель в зоне риска",
    RISK_OBJECTIVITY: "объективность результатов не подтверждена",
}

# SCORING.md: targeted recommendations are due within 10 days of the end of monitoring.
DUE_DAYS = 10
# A deadline further than two years from the letter is no plan, and most likely a typo.
MAX_DEADLINE_DAYS = 730
REASON_LENGTH = 300  # RecommendationItem.reason
SUBGROUP_COLUMNS = [sg.lower() for sg in SUBGROUPS]  # Score's fields
_DEFICIT_CODE = re.compile(r"^\d{1,2}(\.\d{1,2})?$")


def format_number(value: float | None, decimals: int = 1) -> str:
    """45.5 → «45,5», 50.0 → «50»: numbers as Russian documents write them."""
    if value is None:
        return "—"
    text = f"{float(value):.{decimals}f}".rstrip("0").rstrip(".")
    return ("0" if text == "-0" else text).replace(".", ",")


def points_word(points: float) -> str:
    """«0 баллов», «1 балл», «2 балла»."""
    n = int(points)
    if n != points:
        return "балла"
    if n % 10 == 1 and n % 100 != 11:
        return "балл"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return "балла"
    return "баллов"


# --- Pure: facts about a head's results and the rules that match them ----------------------------


@dataclass(frozen=True)
class ScoreFacts:
    """What the rules look at for one organisation in one period.

    results: indicator code → [value, status, points, gated, risk], as `Score.results`.
    previous_change: the index change recorded for the previous period (for «two periods
    running»). deficits: the confirmed deficit codes (competency blocks "2" or items "2.3").
    """

    index: float | None = None
    level: str = ""
    subgroups: Mapping[str, float | None] = field(default_factory=dict)
    index_change: float | None = None
    previous_change: float | None = None
    results: Mapping[str, Sequence] = field(default_factory=dict)
    risk_flags: Sequence[Mapping] = ()
    deficits: frozenset[str] = frozenset()


def matching_rules(rules: Iterable, facts: ScoreFacts) -> list[tuple[object, str]]:
    """The rules whose condition holds for `facts`, in the rules' order, each with its reason.

    A rule is anything with the fields of `RecommendationRule` (saved or not). The reason is a
    short Russian text for the letter, e.g. «B1.3: 0 баллов из 2».
    """
    found = []
    for rule in rules:
        check = _CHECKS.get(rule.condition)
        reason = check(rule, facts) if check else None
        if reason:
            found.append((rule, _truncate(reason)))
    return found


def _truncate(text: str, length: int = REASON_LENGTH) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _indicator_points(rule, facts: ScoreFacts) -> str | None:
    result = facts.results.get(rule.indicator_code)
    if not result:
        return None
    _value, status, points, gated = result[:4]
    # Only a value earns points: н/о, н/п and нет данных say nothing about the head's work, and
    # info indicators have no points. A gated 0 is the objectivity rule's business, not this one's.
    if status != STATUS_VALUE or points is None or gated:
        return None
    limit = 0 if rule.threshold is None else rule.threshold
    if points > limit:
        return None
    return f"{rule.indicator_code}: {format_number(points)} {points_word(points)} из 2"


def _subgroup_below(rule, facts: ScoreFacts) -> str | None:
    score = facts.subgroups.get(rule.subgroup)
    if score is None or rule.threshold is None or score >= rule.threshold:
        return None
    return f"{rule.subgroup}: {format_number(score)} % (порог {format_number(rule.threshold)} %)"


def _level(rule, facts: ScoreFacts) -> str | None:
    if not facts.level or facts.level != rule.level:
        return None
    label = LEVEL_LABELS.get(facts.level, facts.level)
    return f"уровень эффективности «{label}» (индекс {format_number(facts.index)})"


def _falling(rule, facts: ScoreFacts) -> str | None:
    change = facts.index_change
    drop = rule.threshold or 0
    if change is None or change >= 0 or -change < drop:
        return None
    if (rule.periods_running or 1) >= 2:
        before = facts.previous_change
        if before is None or before >= 0:
            return None
        return (
            f"индекс снижается два периода подряд: на {format_number(-before)} "
            f"и на {format_number(-change)}"
        )
    return f"индекс снизился на {format_number(-change)} по сравнению с прошлым периодом"


def _risk_flag(rule, facts: ScoreFacts) -> str | None:
    flags = [
        flag
        for flag in facts.risk_flags
        if flag.get("kind") == rule.risk_kind
        and (not rule.indicator_code or flag.get("indicator") == rule.indicator_code)
    ]
    if not flags:
        return None
    if rule.risk_kind == RISK_CRITICAL:
        codes = ", ".join(flag.get("indicator", "") for flag in flags)
        return f"0 баллов по критическим показателям: {codes}"
    return "; ".join(flag.get("text", "") for flag in flags)


def _deficit(rule, facts: ScoreFacts) -> str | None:
    code = rule.deficit_code
    if not code:
        return None
    found = sorted(d for d in facts.deficits if d == code or d.startswith(code + "."))
    if not found:
        return None
    return f"подтверждён профессиональный дефицит: {', '.join(found)}"


_CHECKS: dict[str, Callable] = {
    INDICATOR_POINTS: _indicator_points,
    SUBGROUP_BELOW: _subgroup_below,
    LEVEL: _level,
    FALLING: _falling,
    RISK_FLAG: _risk_flag,
    DEFICIT: _deficit,
}

# The fields each condition reads; the others are cleared when a rule is saved.
CONDITION_FIELDS = {
    INDICATOR_POINTS: ("indicator_code", "threshold"),
    SUBGROUP_BELOW: ("subgroup", "threshold"),
    LEVEL: ("level",),
    FALLING: ("threshold", "periods_running"),
    RISK_FLAG: ("risk_kind", "indicator_code"),
    DEFICIT: ("deficit_code",),
}
CONDITION_BLANKS = {
    "indicator_code": "",
    "subgroup": "",
    "threshold": None,
    "level": "",
    "risk_kind": "",
    "deficit_code": "",
    "periods_running": 1,
}


def normalized_condition(data: Mapping) -> dict:
    """The condition fields of a rule with those its condition does not read cleared."""
    keep = CONDITION_FIELDS.get(data.get("condition"), ())
    return {
        name: (data.get(name) if name in keep else blank)
        for name, blank in CONDITION_BLANKS.items()
    }


def rule_errors(data: Mapping, catalogue: Catalogue) -> dict[str, str]:
    """What is wrong with a rule's condition, per field, in Russian; empty when it is fine.

    `data` holds the fields of `RecommendationRule`; indicators are checked against `catalogue`
    (the methodology of the current period).
    """
    errors: dict[str, str] = {}
    condition = data.get("condition")
    indicators = catalogue.indicators_by_code
    code = (data.get("indicator_code") or "").strip()
    threshold = data.get("threshold")

    def need(name: str, what: str):
        if data.get(name) in (None, ""):
            errors[name] = f"Для этого условия укажите {what}."

    if condition == INDICATOR_POINTS:
        need("indicator_code", "показатель")
        need("threshold", "порог в баллах (0 или 1)")
        if code and code not in indicators:
            errors["indicator_code"] = f"Показателя «{code}» нет в методике периода."
        elif code and indicators[code].rule == "info":
            errors["indicator_code"] = (
                f"{code} — информационный показатель, баллов не получает: выберите условие "
                "«флаг риска» для этого показателя."
            )
        if threshold is not None and threshold not in (0, 1):
            errors["threshold"] = (
                "Порог для показателя — 0 или 1 балл (2 балла — максимум, это не недостаток)."
            )
    elif condition == SUBGROUP_BELOW:
        need("subgroup", "подгруппу")
        need("threshold", "порог в процентах")
        subgroup = data.get("subgroup")
        if subgroup and subgroup not in SUBGROUPS:
            errors["subgroup"] = f"Подгруппы «{subgroup}» нет: допустимы {', '.join(SUBGROUPS)}."
        if threshold is not None and not 0 < threshold <= 100:
            errors["threshold"] = "Порог для подгруппы — от 0 до 100 % (не включая 0)."
    elif condition == LEVEL:
        need("level", "уровень эффективности")
        if data.get("level") and data["level"] not in LEVELS:
            errors["level"] = f"Неизвестный уровень «{data['level']}»."
    elif condition == FALLING:
        if threshold is not None and not 0 <= threshold <= 100:
            errors["threshold"] = (
                "Для снижения индекса порог — минимальное снижение в пунктах, от 0 до 100."
            )
        if data.get("periods_running") not in (1, 2, None):
            errors["periods_running"] = "Число периодов подряд — 1 или 2."
    elif condition == RISK_FLAG:
        need("risk_kind", "вид флага риска")
        kind = data.get("risk_kind")
        if kind and kind not in RISK_KINDS:
            errors["risk_kind"] = f"Неизвестный вид флага риска «{kind}»."
        elif code:
            errors.update(_risk_indicator_errors(kind, code, indicators))
    elif condition == DEFICIT:
        need("deficit_code", "код дефицита: блок (например, 2) или пункт (например, 2.3)")
        deficit = (data.get("deficit_code") or "").strip()
        if deficit and not _DEFICIT_CODE.match(deficit):
            errors["deficit_code"] = (
                f"Код «{deficit}» не похож на код компетенции: укажите блок (2) или пункт (2.3)."
            )
    else:
        errors["condition"] = "Выберите условие правила."
    days = data.get("days")
    if days is not None and not 1 <= days <= MAX_DEADLINE_DAYS:
        errors["days"] = f"Срок — от 1 до {MAX_DEADLINE_DAYS} дней после выдачи рекомендаций."
    return errors


def _risk_indicator_errors(kind: str, code: str, indicators: Mapping) -> dict[str, str]:
    if code not in indicators:
        return {"indicator_code": f"Показателя «{code}» нет в методике периода."}
    indicator = indicators[code]
    if kind == RISK_CRITICAL and not indicator.critical:
        return {"indicator_code": f"{code} не относится к критическим показателям."}
    if kind == RISK_OBJECTIVITY and code != OBJECTIVITY_INDICATOR:
        return {
            "indicator_code": f"Флаг объективности выставляется только по {OBJECTIVITY_INDICATOR}."
        }
    if kind == RISK_INFO:
        try:
            has_risk = indicator.rule == "info" and parse_risk(indicator.params) is not None
        except FormulaError:
            has_risk = False
        if not has_risk:
            return {
                "indicator_code": f"У показателя {code} нет условия риска: флаг не выставляется."
            }
    return {}


def deadline_error(deadline: date | None, issued_on: date) -> str | None:
    """Why a recommendation's deadline does not fit a letter dated `issued_on`, or None."""
    if deadline is None:
        return "Укажите срок исполнения."
    if deadline < issued_on:
        return (
            f"Срок {deadline:%d.%m.%Y} раньше даты рекомендаций ({issued_on:%d.%m.%Y}): "
            "укажите срок не ранее этой даты."
        )
    if deadline > issued_on + timedelta(days=MAX_DEADLINE_DAYS):
        return (
            f"Срок {deadline:%d.%m.%Y} больше чем через два года после даты рекомендаций "
            f"({issued_on:%d.%m.%Y}): проверьте год."
        )
    return None


def due_date(monitoring_end: date | None) -> date | None:
    """The last day to issue a period's recommendations (10 days after monitoring ends)."""
    return monitoring_end + timedelta(days=DUE_DAYS) if monitoring_end else None


# Timeliness of a letter against the 10-day rule.
ON_TIME = "on_time"  # issued by the due date
LATE = "late"  # issued, but after the due date
OVERDUE = "overdue"  # not issued, and the due date has passed («просрочено»)
PENDING = "pending"  # not issued yet, still in time
NO_DEADLINE = "no_deadline"  # the period has no end of monitoring set


def timeliness(first_issued: date | None, due: date | None, today: date) -> str:
    if due is None:
        return NO_DEADLINE
    if first_issued is not None:
        return ON_TIME if first_issued <= due else LATE
    return OVERDUE if today > due else PENDING


# --- Deficits: provided by the apps that confirm them --------------------------------------------
# Monitoring never imports trajectories; the app that confirms deficits registers a source in its
# `AppConfig.ready()`. With none registered, a deficit rule never matches.

DeficitSource = Callable[[object, list[int]], Mapping[int, Iterable[str]]]
_DEFICIT_SOURCES: dict[str, DeficitSource] = {}


def register_deficit_source(func: DeficitSource, name: str | None = None) -> DeficitSource:
    """Register `func(period, organization_ids) -> {org_id: confirmed deficit codes}`."""
    _DEFICIT_SOURCES[name or f"{func.__module__}.{func.__qualname__}"] = func
    return func


def unregister_deficit_source(func_or_name) -> None:
    name = func_or_name if isinstance(func_or_name, str) else None
    for key, func in list(_DEFICIT_SOURCES.items()):
        if key == name or func is func_or_name:
            del _DEFICIT_SOURCES[key]


def confirmed_deficits(period, organization_ids: list[int]) -> dict[int, frozenset[str]]:
    merged: dict[int, set[str]] = {}
    for source in _DEFICIT_SOURCES.values():
        for org_id, codes in source(period, organization_ids).items():
            merged.setdefault(org_id, set()).update(str(c) for c in codes)
    return {org_id: frozenset(codes) for org_id, codes in merged.items()}


# --- Reading and writing (database) --------------------------------------------------------------
# Django is imported lazily below, so that everything above stays a pure module.


def facts_for_period(period, organization_ids: list[int] | None = None) -> dict[int, ScoreFacts]:
    """The stored scores of a period as `ScoreFacts`, per organisation id, in a few queries."""
    from .models import MethodologyVersion, Score
    from .scoring import unpack_payload

    scores = Score.objects.filter(period=period).only(
        "organization_id",
        "version_id",
        "index",
        "level",
        *SUBGROUP_COLUMNS,
        "index_change",
        "risk_flags",
        "indicators",
    )
    if organization_ids is not None:
        scores = scores.filter(organization_id__in=organization_ids)
    scores = list(scores)
    if not scores:
        return {}
    ids = [s.organization_id for s in scores]
    codes = {
        v.pk: v.indicator_codes
        for v in MethodologyVersion.objects.filter(pk__in={s.version_id for s in scores})
    }
    previous = period.previous()
    before = {}
    if previous is not None:
        before = dict(
            Score.objects.filter(period=previous, organization_id__in=ids).values_list(
                "organization_id", "index_change"
            )
        )
    deficits = confirmed_deficits(period, ids)
    return {
        s.organization_id: ScoreFacts(
            index=s.index,
            level=s.level,
            subgroups={sg: s.subgroup(sg) for sg in SUBGROUPS},
            index_change=s.index_change,
            previous_change=before.get(s.organization_id),
            results=unpack_payload(s.indicators, codes[s.version_id]),
            risk_flags=s.risk_flags or [],
            deficits=deficits.get(s.organization_id, frozenset()),
        )
        for s in scores
    }


@dataclass
class DraftSummary:
    scored: int = 0  # organisations with scores, to which the rules were applied
    created: int = 0  # new draft letters
    items: int = 0  # items added to drafts
    issued_kept: int = 0  # organisations whose letter is issued and was left alone


# Drafting reads and writes this many organisations at a time: a region's 40,000 scores, their
# letters and their audit entries never sit in memory all at once (and the audit's look-ups of
# related rows stay within SQLite's limit on the size of a query).
DRAFT_BATCH = 500


def draft_recommendations(period, organizations=None, user=None, *, today=None) -> DraftSummary:
    """Draft each head's recommendations for a period from the active rules and stored scores.

    Call it after scoring. For every scored organisation (or only `organizations`), the rules that
    match are added to its DRAFT letter, created if needed. Issued letters are never touched.
    Re-drafting only adds rules that were never drafted into that letter before, so an
    official's edits and removals survive. Deadlines: the planned issue date of the draft (or
    today) + the rule's days. `user` (who asked) is accepted for symmetry with `score_period`;
    the letter's history records issuing and withdrawal, not drafting.

    One transaction; the work goes `DRAFT_BATCH` organisations at a time, each batch in a few
    bulk statements rather than two per organisation.
    """
    from django.db import transaction
    from django.utils import timezone

    from .models import RecommendationRule, Score

    today = today or timezone.localdate()
    if organizations is None:
        ids = list(
            Score.objects.filter(period=period)
            .order_by("organization_id")
            .values_list("organization_id", flat=True)
        )
    else:
        ids = [o.pk for o in organizations]
    rules = list(RecommendationRule.objects.filter(is_active=True))
    summary = DraftSummary()
    with transaction.atomic():
        for first in range(0, len(ids), DRAFT_BATCH):
            _draft_batch(period, ids[first : first + DRAFT_BATCH], rules, today, summary)
    return summary


def _draft_batch(period, ids: list[int], rules: list, today: date, summary: DraftSummary) -> None:
    from django.db.models import Max
    from django.utils import timezone

    from zelenchuk_portal.audit import audited_bulk_create, audited_bulk_update

    from .models import Recommendation, RecommendationItem

    facts = facts_for_period(period, ids)
    letters = {
        r.organization_id: r
        for r in Recommendation.objects.filter(period=period, organization_id__in=list(facts))
    }
    last_position = dict(
        RecommendationItem.objects.filter(recommendation__in=list(letters.values()))
        .values("recommendation_id")
        .annotate(top=Max("position"))
        .values_list("recommendation_id", "top")
    )
    summary.scored += len(facts)
    created, extended, drafted_now = [], [], []
    for org_id, org_facts in facts.items():
        letter = letters.get(org_id)
        if letter is not None and letter.status == Recommendation.Status.ISSUED:
            summary.issued_kept += 1
            continue
        drafted = set(letter.drafted_rules) if letter else set()
        new = [(r, why) for r, why in matching_rules(rules, org_facts) if r.pk not in drafted]
        if not new:
            continue
        if letter is None:
            letter = Recommendation(period=period, organization_id=org_id)
            created.append(letter)
        else:
            extended.append(letter)
        letter.drafted_rules = sorted(drafted | {rule.pk for rule, _ in new})
        drafted_now.append((letter, new))
    summary.created += len(created)
    now = timezone.now()
    for letter in extended:
        letter.updated_at = now  # bulk_update leaves auto_now fields alone
    audited_bulk_create(Recommendation, created)
    audited_bulk_update(extended, ["drafted_rules", "updated_at"])
    new_items = []
    for letter, new in drafted_now:
        start = (last_position.get(letter.pk) or 0) + 1
        base = letter.issued_at or today
        for offset, (rule, reason) in enumerate(new):
            new_items.append(
                RecommendationItem(
                    recommendation=letter,
                    rule=rule,
                    reason=reason,
                    text=rule.text,
                    measures=rule.measures,
                    owner=rule.owner,
                    deadline=base + timedelta(days=rule.days),
                    position=start + offset,
                )
            )
    audited_bulk_create(RecommendationItem, new_items)
    summary.items += len(new_items)


def stale_items(letter) -> set[int]:
    """Items of a draft drafted by a rule whose condition no longer holds (the scores changed
    since): shown to the official, who decides; drafting never removes anything."""
    from .models import RecommendationRule

    items = [item for item in letter.items.all() if item.rule_id]
    facts = facts_for_period(letter.period, [letter.organization_id]).get(letter.organization_id)
    if not items or facts is None:
        return set()
    rules = RecommendationRule.objects.filter(pk__in={item.rule_id for item in items})
    holding = {rule.pk for rule, _reason in matching_rules(rules, facts)}
    return {item.pk for item in items if item.rule_id not in holding}


def delete_rule(rule) -> None:
    """Delete a rule, unless an issued letter quotes it (then it can only be switched off)."""
    from django.core.exceptions import ValidationError

    from .models import Recommendation, RecommendationItem

    issued = RecommendationItem.objects.filter(
        rule=rule, recommendation__status=Recommendation.Status.ISSUED
    )
    if issued.exists():
        raise ValidationError(
            f"Правило «{rule.title}» использовано в выданных рекомендациях: удалить его нельзя, "
            "его можно только отключить."
        )
    rule.delete()


def group_rules(rules: Iterable, catalogue: Catalogue) -> list[tuple[str, str, list]]:
    """Rules grouped for the library page: (key, title, rules) — first by subgroup (A1…B5, from
    the rule's indicator or subgroup), then level, falling index, risk flags, deficits."""
    from django.utils.translation import gettext as _

    from .profiles import SUBGROUP_NAMES

    indicators = catalogue.indicators_by_code
    groups: dict[str, list] = {}
    for rule in rules:
        subgroup = rule.subgroup if rule.condition == SUBGROUP_BELOW else ""
        if rule.indicator_code:
            known = indicators.get(rule.indicator_code)
            subgroup = known.subgroup if known else rule.indicator_code[:2]
        groups.setdefault(subgroup if subgroup in SUBGROUPS else rule.condition, []).append(rule)
    order = [*SUBGROUPS, LEVEL, FALLING, RISK_FLAG, DEFICIT, INDICATOR_POINTS, SUBGROUP_BELOW]
    titles = {sg: f"{sg} {SUBGROUP_NAMES[sg]}" for sg in SUBGROUPS}
    titles.update(
        {
            LEVEL: _("Effectiveness level"),
            FALLING: _("Falling index"),
            RISK_FLAG: _("Risk flags"),
            DEFICIT: _("Confirmed professional deficits"),
            INDICATOR_POINTS: _("Other indicators"),
            SUBGROUP_BELOW: _("Other subgroups"),
        }
    )
    return [(key, titles[key], groups[key]) for key in order if key in groups]


def has_deficit_sources() -> bool:
    return bool(_DEFICIT_SOURCES)


def first_issued_on(letter) -> date | None:
    """When the head first received this period's recommendations (a re-issue keeps it)."""
    dates = [
        date.fromisoformat(entry["date"])
        for entry in letter.history or []
        if entry.get("action") == "issued" and entry.get("date")
    ]
    if letter.issued_at and letter.status == letter.Status.ISSUED:
        dates.append(letter.issued_at)  # a draft's date is only the planned one
    return min(dates) if dates else None


def history_lines(letter) -> list[dict]:
    """The letter's history for display: dates as dates, newest last."""
    from datetime import datetime

    return [
        {
            **entry,
            "at": datetime.fromisoformat(entry["at"]) if entry.get("at") else None,
            "date": date.fromisoformat(entry["date"]) if entry.get("date") else None,
        }
        for entry in letter.history or []
    ]


def _history_entry(action: str, user, **extra) -> dict:
    from django.utils import timezone

    return {
        "at": timezone.now().isoformat(timespec="seconds"),
        "by": user.short_name if user else "",
        "by_id": user.pk if user else None,
        "action": action,
        **extra,
    }


def issue_errors(letter, items, *, number: str, issued_on: date | None, today: date) -> list[str]:
    """Everything that stops a letter from being issued, in Russian (all at once)."""
    errors = []
    if letter.status != letter.Status.DRAFT:
        errors.append("Рекомендации уже выданы: изменить их можно, только отозвав письмо.")
    if not (number or "").strip():
        errors.append("Укажите исходящий номер письма.")
    if issued_on is None:
        errors.append("Укажите дату письма.")
    elif issued_on > today:
        errors.append(f"Дата письма {issued_on:%d.%m.%Y} ещё не наступила.")
    elif issued_on < letter.period.start_date:
        errors.append(
            f"Дата письма {issued_on:%d.%m.%Y} раньше начала периода {letter.period.label}."
        )
    if not items:
        errors.append("В письме нет ни одной рекомендации: добавьте хотя бы одну.")
    for n, item in enumerate(items, start=1):
        if not item.text.strip():
            errors.append(f"Рекомендация {n}: нет текста.")
        if issued_on is not None and (problem := deadline_error(item.deadline, issued_on)):
            errors.append(f"Рекомендация {n}: {problem}")
    return errors


def issue_recommendation(letter, *, number: str, issued_on: date, user, today=None):
    """Issue a draft: it gets its outgoing number and date and becomes read-only."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    today = today or timezone.localdate()
    items = list(letter.items.all())
    errors = issue_errors(letter, items, number=number, issued_on=issued_on, today=today)
    if errors:
        raise ValidationError(errors)
    letter.status = letter.Status.ISSUED
    letter.number = number.strip()
    letter.issued_at = issued_on
    letter.issued_by = user
    letter.history = [
        *letter.history,
        _history_entry("issued", user, number=letter.number, date=issued_on.isoformat()),
    ]
    letter.save()
    return letter


def withdraw_recommendation(letter, *, reason: str, user):
    """Return an issued letter to draft, for a correction; the reason is kept in its history.

    The first issue date still counts for the 10-day rule (see `first_issued_on`).
    """
    from django.core.exceptions import ValidationError

    if letter.status != letter.Status.ISSUED:
        raise ValidationError("Отозвать можно только выданные рекомендации.")
    if not (reason or "").strip():
        raise ValidationError("Укажите причину отзыва: она сохраняется в истории письма.")
    letter.history = [
        *letter.history,
        _history_entry(
            "withdrawn",
            user,
            number=letter.number,
            date=letter.issued_at.isoformat() if letter.issued_at else "",
            reason=reason.strip(),
        ),
    ]
    letter.status = letter.Status.DRAFT
    letter.issued_at = None
    letter.issued_by = None
    letter.save()
    return letter


# --- The period overview (officials) -------------------------------------------------------------


@dataclass
class OverviewRow:
    organization: object
    index: float | None
    level: str
    status: str  # "none", "draft", "issued"
    items: int
    number: str
    issued_at: date | None
    first_issued: date | None
    timeliness: str

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, "")

    @property
    def is_late(self) -> bool:
        return self.timeliness in (OVERDUE, LATE)


@dataclass
class PeriodOverview:
    period: object
    due: date | None
    today: date
    rows: list[OverviewRow]

    @property
    def late(self) -> list[OverviewRow]:
        """Organisations with no recommendations issued within 10 days of monitoring's end."""
        return [row for row in self.rows if row.is_late]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"none": 0, "draft": 0, "issued": 0}
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def days_left(self) -> int | None:
        return (self.due - self.today).days if self.due else None


def build_period_overview(period, *, today=None) -> PeriodOverview:
    """Every active organisation with its letter's status and timeliness, in three queries."""
    from django.db.models import Count
    from django.utils import timezone

    from zelenchuk_portal.models import Organization

    from .models import Recommendation, Score

    today = today or timezone.localdate()
    due = due_date(period.monitoring_end)
    letters = {
        r.organization_id: r
        for r in Recommendation.objects.filter(period=period).annotate(item_count=Count("items"))
    }
    scores = {
        org_id: (index, level)
        for org_id, index, level in Score.objects.filter(period=period).values_list(
            "organization_id", "index", "level"
        )
    }
    rows = []
    for org in Organization.objects.active().order_by("org_type", "short_name"):
        letter = letters.get(org.pk)
        index, level = scores.get(org.pk, (None, ""))
        first = first_issued_on(letter) if letter else None
        issued = letter is not None and letter.status == Recommendation.Status.ISSUED
        rows.append(
            OverviewRow(
                organization=org,
                index=index,
                level=level or "",
                status="issued" if issued else ("draft" if letter else "none"),
                items=letter.item_count if letter else 0,
                number=letter.number if letter else "",
                issued_at=letter.issued_at if letter else None,
                first_issued=first if issued else None,
                timeliness=timeliness(first if issued else None, due, today),
            )
        )
    return PeriodOverview(period=period, due=due, today=today, rows=rows)


@dataclass
class OverviewPanel:
    """The dashboard's panel of a period's letters: counts, and the first organisations with no
    letter issued in time (`late_count` says how many there are in all)."""

    period: object
    due: date | None
    today: date
    counts: dict[str, int]
    late: list[OverviewRow]
    late_count: int

    @property
    def late_more(self) -> int:
        return max(0, self.late_count - len(self.late))


PANEL_LIMIT = 50


def overview_panel(period, *, today=None, limit: int = PANEL_LIMIT) -> OverviewPanel:
    """`build_period_overview`'s counts and late rows for the dashboard, aggregated in SQL and
    with at most `limit` rows, so that its cost does not follow the number of organisations."""
    from django.db.models import Count
    from django.utils import timezone

    from zelenchuk_portal.models import Organization

    from .models import Recommendation

    today = today or timezone.localdate()
    due = due_date(period.monitoring_end)
    active = Organization.objects.active()
    letters = Recommendation.objects.filter(period=period, organization__in=active)
    by_status = dict(letters.values("status").annotate(n=Count("id")).values_list("status", "n"))
    issued = by_status.get(Recommendation.Status.ISSUED, 0)
    draft = by_status.get(Recommendation.Status.DRAFT, 0)
    counts = {"none": active.count() - issued - draft, "draft": draft, "issued": issued}
    late: list[Organization] = []
    late_count = 0
    issued_late: set[int] = set()
    if due is not None:
        issued_letters = letters.filter(status=Recommendation.Status.ISSUED)
        # Issued after the due date (a re-issue keeps the first date: checked letter by letter,
        # and those are the few issued late).
        issued_late = {
            letter.organization_id
            for letter in issued_letters.filter(issued_at__gt=due).only(
                "organization_id", "history", "issued_at", "status"
            )
            if (first_issued_on(letter) or due) > due
        }
        if today > due:
            # Every organisation without an issued letter is overdue: counted, not listed.
            on_time = issued_letters.exclude(organization_id__in=issued_late)
            late_orgs = active.exclude(pk__in=on_time.values("organization_id"))
            late_count = counts["none"] + counts["draft"] + len(issued_late)
        else:
            late_orgs = active.filter(pk__in=issued_late)
            late_count = len(issued_late)
        late = list(late_orgs.order_by("org_type", "short_name")[:limit])
    rows = [
        OverviewRow(
            org, None, "", "", 0, "", None, None, LATE if org.pk in issued_late else OVERDUE
        )
        for org in late
    ]
    return OverviewPanel(period, due, today, counts, rows, late_count)


# --- For other pages (the dossier) ---------------------------------------------------------------


def recommendations_for(organization, period, *, include_drafts: bool = False):
    """The organisation's letter for the period with its items (`letter.items.all()` is
    prefetched), or None. Heads are shown issued letters only: pass `include_drafts` for
    officials."""
    from .models import Recommendation

    letters = Recommendation.objects.filter(period=period, organization=organization)
    if not include_drafts:
        letters = letters.filter(status=Recommendation.Status.ISSUED)
    return letters.prefetch_related("items").first()


def dossier_section(organization, period, user):
    """The dossier's «targeted recommendations» section: the letter with its items, or None
    when there is nothing the person may see (a head sees issued letters only)."""
    if period is None:
        return None
    letter = recommendations_for(organization, period, include_drafts=user.is_official)
    if letter is None:
        return None
    return {"letter": letter, "items": list(letter.items.all()), "period": period}


# --- The letter: one builder for the page, the PDF and the ZIP -----------------------------------

LETTERHEAD = (
    "Управление образования администрации Зеленчукского муниципального района "
    "Карачаево-Черкесской Республики"
)
LETTERHEAD_PLACE = "ст. Зеленчукская"
SIGNATORY = "Начальник управления образования"


@dataclass
class SubgroupLine:
    code: str
    name: str
    score: float | None
    median: float | None

    @property
    def difference(self) -> float | None:
        if self.score is None or self.median is None:
            return None
        return round(self.score - self.median, 1)


@dataclass
class LetterItem:
    number: int
    text: str
    reason: str
    measures: str
    owner: str
    deadline: date | None


@dataclass
class Letter:
    recommendation: object
    organization: object
    period: object
    is_draft: bool
    number: str
    issued_at: date | None
    head_name: str  # «Иванова О. П.»
    head_full_name: str
    index: float | None
    index_median: float | None
    level: str
    index_change: float | None
    preliminary: bool
    subgroups: list[SubgroupLine]
    items: list[LetterItem]
    chart: str = ""  # server-side SVG, the same on the page and in the PDF
    salutation: str = ""  # «Уважаемая Ольга Петровна!»
    letterhead: str = LETTERHEAD
    place: str = LETTERHEAD_PLACE
    signatory: str = SIGNATORY

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, "")

    @property
    def has_score(self) -> bool:
        return self.index is not None

    @property
    def filename(self) -> str:
        stem = f"recommendations_{self.organization.code}_{self.period.label}"
        if self.is_draft:
            stem += "_draft"
        return re.sub(r"[^\w.-]+", "-", stem) + ".pdf"


def salutation(first_name: str, patronymic: str) -> str:
    """«Уважаемая Ольга Петровна!»: the form of address guessed from the patronymic."""
    if not first_name:
        return ""
    name = " ".join(part for part in (first_name, patronymic) if part)
    ending = (patronymic or "").lower()
    if ending.endswith(("вна", "чна", "кызы")):
        word = "Уважаемая"
    elif ending.endswith(("ич", "оглы", "улы")):
        word = "Уважаемый"
    else:
        word = "Уважаемый(ая)"
    return f"{word} {name}!"


def _median(values: list) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


def _summary_medians(period) -> dict[str, dict[str, float | None]] | None:
    """Per organisation type, the medians of the index and subgroups (keys as Score's fields)
    from the period's summaries, when the district is large; else None."""
    from django.db.models.fields.json import KeyTransform

    from .models import ScoreSummary
    from .summaries import is_large

    found = {
        org_type: (scored, medians)
        for org_type, scored, medians in ScoreSummary.objects.filter(period=period)
        .annotate(scored=KeyTransform("scored", "data"), medians=KeyTransform("medians", "data"))
        .values_list("org_type", "scored", "medians")
    }
    if not is_large({"scored": found.get("", (0, None))[0]}):
        return None
    return {
        org_type: {
            key.lower(): None if value is None else round(value, 1)
            for key, value in medians.items()
        }
        for org_type, (_scored, medians) in found.items()
        if org_type
    }


def build_letters(letters: Sequence) -> list:
    """The letters (`Recommendation` rows of one period) as `Letter`s, in a fixed number of
    queries whatever their count. Medians are over organisations of the same type in the period;
    no other organisation is ever named."""
    from zelenchuk_portal.models import Organization

    from .models import Recommendation, RecommendationItem, Score
    from .profiles import SUBGROUP_NAMES

    letters = list(letters)
    if not letters:
        return []
    period = letters[0].period
    org_ids = [letter.organization_id for letter in letters]
    organizations = Organization.objects.with_head().in_bulk(org_ids)
    items: dict[int | None, list] = {letter.pk: [] for letter in letters}
    saved = [letter.pk for letter in letters if letter.pk is not None]
    for item in RecommendationItem.objects.filter(recommendation__in=saved) if saved else ():
        items[item.recommendation_id].append(item)
    columns = ["organization_id", "organization__org_type", "index", "level", "index_change"]
    columns += ["preliminary", *SUBGROUP_COLUMNS]
    scores = Score.objects.filter(period=period)
    summarized = _summary_medians(period)
    if summarized is not None:
        # A large district: the medians were computed with the scores, so only the letters'
        # own scores are read (not the 40,000 of a region for every ZIP).
        scores = scores.filter(organization_id__in=org_ids)
    rows = list(scores.values(*columns))
    by_org = {row["organization_id"]: row for row in rows}
    medians: dict[str, dict[str, float | None]] = {}
    for org_type in {organizations[i].org_type for i in org_ids}:
        if summarized is not None:
            medians[org_type] = summarized.get(
                org_type, dict.fromkeys(["index", *SUBGROUP_COLUMNS])
            )
            continue
        peers = [row for row in rows if row["organization__org_type"] == org_type]
        medians[org_type] = {
            key: _median([row[key] for row in peers]) for key in ["index", *SUBGROUP_COLUMNS]
        }
    built = []
    for letter in letters:
        org = organizations[letter.organization_id]
        score = by_org.get(org.pk, {})
        median = medians[org.org_type]
        head = org.head
        built.append(
            Letter(
                recommendation=letter,
                organization=org,
                period=period,
                is_draft=letter.status == Recommendation.Status.DRAFT,
                number=letter.number,
                issued_at=letter.issued_at,
                head_name=head.short_name if head else "",
                head_full_name=head.full_name if head else "",
                salutation=salutation(head.first_name, head.patronymic) if head else "",
                index=score.get("index"),
                index_median=median["index"],
                level=score.get("level") or "",
                index_change=score.get("index_change"),
                preliminary=bool(score.get("preliminary")),
                subgroups=[
                    SubgroupLine(sg, SUBGROUP_NAMES[sg], score.get(sg.lower()), median[sg.lower()])
                    for sg in SUBGROUPS
                ],
                items=[
                    LetterItem(n, i.text, i.reason, i.measures, i.owner, i.deadline)
                    for n, i in enumerate(items[letter.pk], start=1)
                ],
            )
        )
    for letter in built:
        letter.chart = letter_chart(letter)
    return built


def build_letter(recommendation) -> Letter:
    """One letter (see `build_letters`)."""
    return build_letters([recommendation])[0]


def letter_chart(letter: Letter) -> str:
    """The head's seven subgroup scores, with the median index of the same type of organisation
    as the reference line and each subgroup's median in its bar's note."""
    from zelenchuk_portal.charts import Bar, ReferenceLine, bar_chart

    if not letter.has_score:
        return ""
    bars = [
        Bar(
            label=line.code,
            value=line.score,
            note=f"медиана {format_number(line.median)}" if line.median is not None else "",
        )
        for line in letter.subgroups
    ]
    references = []
    if letter.index_median is not None:
        references.append(ReferenceLine(letter.index_median, "медиана индекса по району"))
    return bar_chart(
        bars,
        title="Результаты по подгруппам показателей, %",
        unit="%",
        reference_lines=references,
        max_value=100,
    )


def render_letter_pdf(letter: Letter, *, request=None) -> bytes:
    from zelenchuk_portal.pdf import render_pdf

    return render_pdf("pdf/recommendation_letter.html", {"letter": letter}, request=request)


# The ZIP builds and renders this many letters at a time: a region's 40,000 letters (and their
# charts) never sit in memory together.
LETTER_BATCH = 100


def write_letters_zip(period, target, *, include_drafts: bool = False, progress=None) -> int:
    """Write the ZIP of `letters_zip` into `target` (a binary file open for writing, or any
    file-like object), letter by letter; return the number of letters. A job that keeps the
    archive in a file holds one batch of letters in memory, whatever their number."""
    import zipfile

    from .models import Recommendation

    letters = Recommendation.objects.filter(period=period).select_related("period")
    if not include_drafts:
        letters = letters.filter(status=Recommendation.Status.ISSUED)
    ids = list(letters.order_by("organization__code").values_list("pk", flat=True))
    done = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for first in range(0, len(ids), LETTER_BATCH):
            chunk = ids[first : first + LETTER_BATCH]
            rank = {pk: n for n, pk in enumerate(chunk)}
            batch = sorted(letters.filter(pk__in=chunk), key=lambda r: rank[r.pk])
            for letter in build_letters(batch):
                archive.writestr(letter.filename, render_letter_pdf(letter))
                done += 1
                if progress is not None:
                    progress(done, len(ids))
    return done


def letters_zip(period, *, include_drafts: bool = False, progress=None) -> tuple[bytes, int]:
    """A ZIP with one PDF per issued letter of the period (and drafts marked «ПРОЕКТ» if asked);
    returns the archive and the number of letters in it. `progress(done, total)`, if given, is
    called after each letter (the background job shows it). For a region, prefer
    `write_letters_zip` into a file: this returns the whole archive as bytes."""
    import io

    buffer = io.BytesIO()
    count = write_letters_zip(period, buffer, include_drafts=include_drafts, progress=progress)
    return buffer.getvalue(), count
