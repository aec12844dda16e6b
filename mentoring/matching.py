"""Matching: which mentors suit a trainee, ranked, each with the reason in Russian.

The trainee's needs are his or her confirmed deficits: those of the latest SUBMITTED
self-assessment, as competency items. A block deficit («блок 4») stands for every item of its
block, since the expert found the whole block weak.

For each deficit item the mentor's fit is seen two ways (see docs/mentoring-matching.md):

- the mentor's own mastery of it: his or her rating of the item in the latest submitted
  self-assessment — the expert's rating where the expert rated it, otherwise the self-rating
  (the rule `trajectories.deficits.Rated` applies to deficits); 2 «владею» and 3 «владею на
  высоком уровне» are strengths;
- the mentor's organisation's monitoring: its latest score (level and index) and the subgroup
  scores that speak to the item's block (`trajectories.assessments.BLOCK_SUBGROUPS`, the mapping
  the self-assessment comparison uses); a subgroup scoring 80 or more is a strength.

Candidates are the people holding the mentor role today at active base sites, except anyone who
works in the trainee's own organisation (assignment refuses those). Ranking, best first:

1. a free place at the base site (a full site is listed last, not hidden);
2. deficit items the mentor masters (rated 2 or 3);
3. of them, items mastered at a high level (rated 3);
4. the mean score of the related monitoring subgroups over the deficit items;
5. the organisation's level, then its index; then the name.

`rank_mentors` is pure (plain rows in, suggestions out); `suggest_mentors` reads the rows in a
fixed number of queries.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from monitoring.catalogue import LEVEL_LABELS, LEVELS, SUBGROUPS
from monitoring.models import Score
from trajectories.assessments import BLOCK_SUBGROUPS
from trajectories.deficits import Rated
from trajectories.models import MAX_RATING, Assessment, AssessmentItem, Competency, Deficit
from zelenchuk_portal.charts import format_number
from zelenchuk_portal.models import Membership, Organization, User

from .assignment import trainee_organization
from .models import BaseSite, Trainee
from .sites import OPEN_STAGES, mentor_memberships

STRENGTH = 2  # «2 — владею»: a rating from which a mentor can pass the competency on
HIGH = MAX_RATING  # «3 — владею на высоком уровне, могу транслировать опыт»
STRONG_SUBGROUP = 80  # a subgroup score (0–100) from which the organisation is strong there


@dataclass(frozen=True)
class DeficitItem:
    """A competency item the trainee needs (an item deficit, or an item of a block deficit)."""

    competency_id: int
    code: str
    block: int
    name: str = ""


@dataclass(frozen=True)
class MentorRow:
    """A mentor at a base site, as the ranking sees him or her."""

    person_id: int
    name: str
    site_id: int
    organization_id: int
    organization: str
    ratings: Mapping[str, int]  # competency code → rating (expert's where present, else own)
    level: str = ""  # the organisation's latest level; "" when never scored
    index: float | None = None
    subgroups: Mapping[str, float | None] = field(default_factory=dict)  # "A1" → score 0–100
    capacity: int = 0
    load: int = 0  # trainees of the site's open internships

    @property
    def free(self) -> int:
        return max(self.capacity - self.load, 0)


@dataclass
class Suggestion:
    mentor: MentorRow
    high: list[str]  # deficit items the mentor rates 3
    good: list[str]  # deficit items the mentor rates 2
    subgroups: list[tuple[str, float]]  # related subgroups scoring ≥ STRONG_SUBGROUP
    subgroup_fit: float  # mean related subgroup score over the deficit items (0 when unknown)
    total: int  # deficit items

    @property
    def covered(self) -> int:
        return len(self.high) + len(self.good)

    @property
    def free(self) -> int:
        return self.mentor.free

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.mentor.level, "")

    @property
    def reason(self) -> str:
        """Why the mentor is suggested, in Russian: what he or she masters of the deficits,
        where the organisation is strong, its level and index."""
        parts = []
        if self.total:
            parts.append(
                ngettext(
                    "covers %(covered)s of %(total)s deficit competency",
                    "covers %(covered)s of %(total)s deficit competencies",
                    self.total,
                )
                % {"covered": self.covered, "total": self.total}
            )
        if self.high:
            parts.append(_("masters at a high level: %(codes)s") % {"codes": ", ".join(self.high)})
        if self.good:
            parts.append(_("masters: %(codes)s") % {"codes": ", ".join(self.good)})
        if self.subgroups:
            shown = ", ".join(f"{code} {format_number(score)}" for code, score in self.subgroups)
            parts.append(_("strong monitoring subgroups: %(list)s") % {"list": shown})
        if self.mentor.level:
            parts.append(
                _("organisation — %(level)s level, index %(index)s")
                % {"level": self.level_label, "index": format_number(self.mentor.index)}
            )
        else:
            parts.append(_("organisation — no monitoring results"))
        return "; ".join(parts)


def _level_rank(level: str) -> int:
    """4 for «высокий» … 1 for «критический», 0 when never scored."""
    return len(LEVELS) - LEVELS.index(level) if level in LEVELS else 0


def _subgroup_fit(
    deficits: Sequence[DeficitItem], mentor: MentorRow, mapping: Mapping[int, Sequence[str]]
) -> tuple[float, list[tuple[str, float]]]:
    per_item, strong = [], {}
    for item in deficits:
        scores = [mentor.subgroups.get(code) for code in mapping.get(item.block, ())]
        scores = [s for s in scores if s is not None]
        per_item.append(sum(scores) / len(scores) if scores else 0.0)
        for code in mapping.get(item.block, ()):
            score = mentor.subgroups.get(code)
            if score is not None and score >= STRONG_SUBGROUP:
                strong[code] = score
    fit = sum(per_item) / len(per_item) if per_item else 0.0
    return fit, sorted(strong.items(), key=lambda pair: SUBGROUPS.index(pair[0]))


def rank_mentors(
    deficits: Sequence[DeficitItem],
    mentors: Iterable[MentorRow],
    *,
    mapping: Mapping[int, Sequence[str]] = BLOCK_SUBGROUPS,
) -> list[Suggestion]:
    """Every mentor as a suggestion, best first (the order of the module docstring). Pure."""
    deficits = list(deficits)
    suggestions = []
    for mentor in mentors:
        high = [d.code for d in deficits if mentor.ratings.get(d.code, -1) >= HIGH]
        good = [d.code for d in deficits if STRENGTH <= mentor.ratings.get(d.code, -1) < HIGH]
        fit, strong = _subgroup_fit(deficits, mentor, mapping)
        suggestions.append(Suggestion(mentor, high, good, strong, fit, len(deficits)))
    suggestions.sort(
        key=lambda s: (
            s.free == 0,
            -s.covered,
            -len(s.high),
            -round(s.subgroup_fit, 6),
            -_level_rank(s.mentor.level),
            -(s.mentor.index or 0.0),
            s.mentor.name,
            s.mentor.site_id,
        )
    )
    return suggestions


# --- Reading the rows ----------------------------------------------------------------------------


def latest_submitted(person_ids: Iterable[int]) -> dict[int, int]:
    """{person id: id of his or her latest SUBMITTED self-assessment} (one query)."""
    rows = (
        Assessment.objects.filter(
            person_id__in=list(person_ids), status=Assessment.Status.SUBMITTED
        )
        .order_by("person_id", "-period__start_date", "-pk")
        .values_list("person_id", "pk")
    )
    found: dict[int, int] = {}
    for person_id, pk in rows:
        found.setdefault(person_id, pk)
    return found


def deficit_items(person_ids: Iterable[int]) -> dict[int, list[DeficitItem]]:
    """{person id: his or her confirmed deficits as competency items}, from each person's latest
    submitted self-assessment; a block deficit brings every item of the block. Three queries
    whatever the number of people; people with none are absent."""
    assessments = latest_submitted(person_ids)
    owner = {pk: person_id for person_id, pk in assessments.items()}
    rows = Deficit.objects.filter(
        assessment_id__in=list(owner), status=Deficit.Status.CONFIRMED
    ).values_list("assessment_id", "competency_id", "block")
    wanted: dict[int, tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
    for assessment_id, competency_id, block in rows:
        items, blocks = wanted[owner[assessment_id]]
        if competency_id:
            items.add(competency_id)
        else:
            blocks.add(block)
    if not wanted:
        return {}
    framework = list(
        Competency.objects.order_by("position").values_list("pk", "code", "block", "name")
    )
    return {
        person_id: [
            DeficitItem(pk, code, block, name)
            for pk, code, block, name in framework
            if pk in items or block in blocks
        ]
        for person_id, (items, blocks) in wanted.items()
    }


def mentor_ratings(person_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{mentor id: {competency code: rating}} from each mentor's latest submitted
    self-assessment, the expert's rating where present (two queries)."""
    assessments = latest_submitted(person_ids)
    owner = {pk: person_id for person_id, pk in assessments.items()}
    rows = AssessmentItem.objects.filter(assessment_id__in=list(owner)).values_list(
        "assessment_id", "competency__code", "competency__block", "self_rating", "expert_rating"
    )
    ratings: dict[int, dict[str, int]] = defaultdict(dict)
    for assessment_id, code, block, own, expert in rows:
        rating = Rated(code, block, own, expert).rating
        if rating is not None:
            ratings[owner[assessment_id]][code] = rating
    return ratings


def latest_scores(organization_ids: Iterable[int]) -> dict[int, dict]:
    """{organisation id: its latest score as a dict: level, index, subgroups} (one query)."""
    columns = [sg.lower() for sg in SUBGROUPS]
    rows = (
        Score.objects.filter(organization_id__in=list(organization_ids))
        .order_by("organization_id", "-period__start_date")
        .values("organization_id", "level", "index", *columns)
    )
    found: dict[int, dict] = {}
    for row in rows:
        found.setdefault(
            row["organization_id"],
            {
                "level": row["level"] or "",
                "index": row["index"],
                "subgroups": {sg: row[sg.lower()] for sg in SUBGROUPS},
            },
        )
    return found


def site_loads() -> dict[int, int]:
    """{base site id: trainees of its open internships} (one query)."""
    return dict(
        Trainee.objects.filter(internship__stage__in=OPEN_STAGES)
        .order_by()
        .values("internship__base_site_id")
        .annotate(n=Count("pk"))
        .values_list("internship__base_site_id", "n")
    )


def mentor_rows(trainee: User, organization: Organization | None) -> list[MentorRow]:
    """The candidates: mentor-role holders today at active base sites, except the trainee and
    anyone working in the trainee's organisation. Five queries whatever their number."""
    memberships = (
        mentor_memberships().filter(organization__base_site__is_active=True).exclude(user=trainee)
    )
    if organization is not None:
        colleagues = Membership.objects.current().filter(organization=organization)
        memberships = memberships.exclude(user__in=colleagues.values("user_id"))
    memberships = list(
        memberships.select_related("user", "organization__base_site").order_by(
            "user__last_name", "pk"
        )
    )
    ratings = mentor_ratings({m.user_id for m in memberships})
    scores = latest_scores({m.organization_id for m in memberships})
    loads = site_loads()
    rows = []
    for m in memberships:
        site = m.organization.base_site
        score = scores.get(m.organization_id, {"level": "", "index": None, "subgroups": {}})
        rows.append(
            MentorRow(
                person_id=m.user_id,
                name=m.user.full_name or m.user.username,
                site_id=site.pk,
                organization_id=m.organization_id,
                organization=m.organization.short_name,
                ratings=ratings.get(m.user_id, {}),
                level=score["level"],
                index=score["index"],
                subgroups=score["subgroups"],
                capacity=site.capacity,
                load=loads.get(site.pk, 0),
            )
        )
    return rows


@dataclass
class Match:
    trainee: User
    organization: Organization | None
    deficits: list[DeficitItem]
    suggestions: list[Suggestion]


def suggest_mentors(trainee: User) -> Match:
    """The matching page's content for one trainee, in a fixed number of queries (nine)."""
    organization = trainee_organization(trainee)
    deficits = deficit_items([trainee.pk]).get(trainee.pk, [])
    return Match(
        trainee, organization, deficits, rank_mentors(deficits, mentor_rows(trainee, organization))
    )


def internship_defaults(
    *, trainee: int | None = None, mentor: int | None = None, base_site: int | None = None
) -> dict:
    """Initial values of the internship form opened by «Assign» on the matching page: the mentor,
    the base site and its first theme, the trainee, and his or her deficit items as the
    competencies the internship develops."""
    initial: dict = {}
    if mentor is not None:
        initial["mentor"] = mentor
    if base_site is not None:
        initial["base_site"] = base_site
        site = BaseSite.objects.filter(pk=base_site).first()
        if site is not None and site.theme_list:
            initial["theme"] = site.theme_list[0]
    if trainee is not None and User.objects.filter(pk=trainee).exists():
        initial["trainees"] = [trainee]
        initial["competencies"] = [
            item.competency_id for item in deficit_items([trainee]).get(trainee, [])
        ]
    return initial
