"""Demo mentoring: base sites, partnership agreements and internships in every stage.

Four base sites among the district's strongest organisations (the gymnasium 0103, whose head is
the demo `mentor`; the kindergarten «Родничок»; the schools of Кызыл-Уруп and Даусуз — the
additional-education centres are not strong enough in the demo's monitoring), seven agreements
(one expired) and seven internships told in `demo_stories.py`:

- `principal` (head of 0101) — completed in the previous school year with `mentor`;
- the head of 0119 — completed this year, which marks the «стажировка» task of his development
  plan done;
- the head of 0104 — final stage, final materials being prepared;
- `candidate` (a deputy of 0101 in the reserve) — main stage with `mentor`, diary and matrix;
- three heads of kindergartens — a group internship in the main stage;
- the head of 0116 — remote, main stage, at risk (no diary entry for three weeks, an overdue
  assignment);
- the head of 0111 — preliminary stage: a technological map and notes only.

Everything goes through the functions the pages call (`designate_site`, `save_agreement`,
`create_internship`, `add_assignment`, `set_stage`, `save_entry`, `comment_entry`,
`add_decision`, `rate_decision`, `save_final`, `assess`, `close`), so the demo obeys the users'
rules; then the timestamps those functions take from the clock are moved to the story's days.

Dates follow the demo periods: the story day is today, but no later than late May of the open
period (2025/2026), so the open internships are where a school year leaves them whatever day the
demo is loaded. Running the seed again changes nothing: it does nothing once a base site exists.
"""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from trajectories.models import Competency, PlanComment
from zelenchuk_portal.demo import _person, _role
from zelenchuk_portal.models import Membership, Organization, Period, Role, User

from . import internships as flow
from .agreements import AgreementData, save_agreement
from .assignment import create_internship
from .demo_stories import DEALS, PEOPLE, SITES, STORIES, Diary, Story
from .models import Agreement, BaseSite, Decision, DiaryEntry, Internship, Stage
from .sites import SiteData, designate_site

OPEN_PERIOD = "2025/2026"
MENTOR_POSITION = "ментор базовой площадки"
# The internship is agreed two weeks before it starts; it is closed on the Monday after it ends.
CREATED_BEFORE = timedelta(days=14)
CLOSED_AFTER = timedelta(days=3)


def story_day(today: date | None = None) -> date | None:
    """The demo's «now»: today, kept no later than 22 May of the open demo period (the last
    weeks of its school year). None without that period."""
    period = Period.objects.filter(label=OPEN_PERIOD).first()
    if period is None:
        return None
    today = today or timezone.localdate()
    return min(today, date(period.start_date.year + 1, 5, 22))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _workday(day: date) -> date:
    """The day itself, or the Friday before when it falls on a weekend."""
    return day - timedelta(days=max(day.weekday() - 4, 0))


def _at(day: date, clock: time | str) -> datetime:
    if isinstance(clock, str):
        clock = time.fromisoformat(clock)
    return timezone.make_aware(datetime.combine(day, clock))


def _later(moment: datetime, minutes: int) -> datetime:
    return moment + timedelta(minutes=minutes)


class Seeder:
    """Builds the stories against one story day."""

    def __init__(self, now: date):
        self.now = now
        self.people = {u.username: u for u in User.objects.all()}
        self.official = self.people["official"]
        self.organizations = {o.code: o for o in Organization.objects.all()}
        self.competencies = dict(Competency.objects.values_list("code", "pk"))
        self.sites: dict[str, BaseSite] = {}
        self.agreements: dict[str, Agreement] = {}

    def day(self, offset: int) -> date:
        return self.now + timedelta(days=offset)

    # --- Sites and agreements ---------------------------------------------------------------

    def people_of_sites(self) -> None:
        for p in PEOPLE:
            user = _person(p.login, p.last, p.first, p.patronymic, p.born)
            designated = next(s.designated for s in SITES if s.code == p.organization)
            organization = self.organizations[p.organization]
            _role(user, Role.MENTOR, organization, p.position, self.day(designated))
            self.people[p.login] = user

    def designate(self) -> None:
        for site in SITES:
            organization = self.organizations[site.code]
            designated = _workday(self.day(site.designated))
            data = SiteData(
                designated_on=designated,
                order=site.order,
                themes="\n".join(site.themes),
                capacity=site.capacity,
                mentors=[self.people[login] for login in site.mentors],
                note=site.note,
            )
            self.sites[site.code] = designate_site(
                organization, data, by=self.official, today=designated
            )
            Membership.objects.filter(
                role=Role.MENTOR, organization=organization, position=""
            ).update(position=MENTOR_POSITION)

    def sign(self) -> None:
        for deal in DEALS:
            site = self.sites[deal.site]
            signed = _workday(self.day(deal.signed))
            data = AgreementData(
                number=deal.number,
                signed_on=signed,
                valid_from=signed,
                valid_until=signed + timedelta(days=deal.days - 1),
                base_site=site,
                host_organization=site.organization,
                trainee_organization=self.organizations[deal.trainee_organization],
                other_parties=deal.other_parties,
            )
            agreement = save_agreement(None, data, by=self.official)
            Agreement.objects.filter(pk=agreement.pk).update(created_at=_at(signed, "12:00"))
            self.agreements[deal.number] = agreement

    # --- Internships ------------------------------------------------------------------------

    def internship(self, story: Story) -> Internship:
        start = _monday(self.day(story.start))
        end = start + timedelta(weeks=story.weeks, days=-3)
        mentor = self.people[story.mentor]
        internship = create_internship(
            theme=story.theme,
            form=story.form,
            start_date=start,
            end_date=end,
            base_site=self.sites[story.site],
            mentor=mentor,
            trainees=[self.people[d.login] for d in story.diaries],
            by=self.official,
            agreement=self.agreements[story.agreement],
            competencies=Competency.objects.filter(code__in=story.competencies),
            today=start - CREATED_BEFORE,
        )
        for task in story.tasks:
            flow.add_assignment(
                internship,
                assignee=task.assignee,
                task=task.task,
                expected_result=task.expected,
                deadline=start + timedelta(weeks=task.week, days=task.weekday),
                status=task.status,
                by=mentor,
            )
        trainees = {t.person.username: t for t in internship.trainees.select_related("person")}
        for diary in story.diaries:
            if diary.notes:
                flow.save_notes(trainees[diary.login], diary.notes)
        moments = [_at(start - CREATED_BEFORE, "11:00")]
        if story.stage == Stage.PRELIMINARY:
            self.backdate(internship, moments, [])
            return internship
        flow.set_stage(internship, Stage.MAIN, by=mentor)
        stage_days = [_at(start, "09:00")]
        for diary in story.diaries:
            moments += self.diary(trainees[diary.login], diary, start, mentor)
        if story.stage in (Stage.FINAL, Stage.COMPLETED):
            flow.set_stage(internship, Stage.FINAL, by=mentor)
            stage_days.append(_at(min(start + timedelta(weeks=story.weeks - 1), self.now), "09:00"))
            for diary in story.diaries:
                self.finish(trainees[diary.login], diary, mentor)
        if story.stage == Stage.COMPLETED:
            closed = end + CLOSED_AFTER
            last_comment = PlanComment.objects.order_by("-pk").values_list("pk", flat=True).first()
            flow.close(internship, by=mentor, today=closed)
            PlanComment.objects.filter(pk__gt=last_comment or 0).update(at=_at(closed, "12:00"))
            stage_days.append(_at(closed, "12:00"))
        self.backdate(internship, moments + stage_days, stage_days)
        return internship

    def diary(self, trainee, diary: Diary, start: date, mentor: User) -> list[datetime]:
        """The trainee's entries (the mentor's comments on them) and matrix; returns when each
        was written, for the internship's own timestamps."""
        entries, moments = [], []
        for item in diary.entries:
            day = start + timedelta(weeks=item.week, days=item.weekday)
            entry = flow.save_entry(
                trainee,
                day=day,
                time_from=time.fromisoformat(item.start),
                time_to=time.fromisoformat(item.end),
                activity=item.activity,
                head_actions=item.head_actions,
                reflection=item.reflection,
                submit=not item.draft,
            )
            written = _later(_at(day, item.end), 30)
            commented = None
            if item.comment:
                flow.comment_entry(entry, text=item.comment, by=mentor)
                commented = _at(min(_workday(day + timedelta(days=1)), self.now), "17:00")
                commented = max(commented, _later(written, 60))
            DiaryEntry.objects.filter(pk=entry.pk).update(
                created_at=written, updated_at=commented or written, commented_at=commented
            )
            entries.append(entry)
            moments.append(commented or written)
        for row in diary.rows:
            entry = entries[row.entry]
            decision = flow.add_decision(
                trainee,
                text=row.text,
                ratings={self.competencies[code]: r for code, r in row.ratings.items()},
                entry=entry,
            )
            if row.mentor:
                flow.rate_decision(
                    decision,
                    {self.competencies[code]: r for code, r in row.mentor.items()},
                    by=mentor,
                )
            Decision.objects.filter(pk=decision.pk).update(
                created_at=_later(_at(entry.day, entry.time_to), 45)
            )
        return moments

    def finish(self, trainee, diary: Diary, mentor: User) -> None:
        if diary.final:
            flow.save_final(
                trainee,
                report=diary.final.report,
                project_title=diary.final.project_title,
                project_summary=diary.final.project_summary,
            )
        if diary.verdict:
            flow.assess(
                trainee,
                ratings={self.competencies[c]: r for c, r in diary.verdict.ratings.items()},
                conclusion=diary.verdict.conclusion,
                by=mentor,
            )

    def backdate(self, internship: Internship, moments, stage_days) -> None:
        """Move the clock's timestamps to the story: creation, each change of stage, the
        trainees' last changes."""
        history = list(internship.history)
        for row, moment in zip(history, stage_days, strict=True):
            row["at"] = moment.isoformat()
        last = max(moments)
        Internship.objects.filter(pk=internship.pk).update(
            created_at=moments[0], updated_at=last, history=history
        )
        internship.trainees.update(updated_at=last)

    def seed(self) -> list[Internship]:
        self.people_of_sites()
        self.designate()
        self.sign()
        return [self.internship(story) for story in STORIES]


@transaction.atomic
def seed(stdout=None, today: date | None = None) -> None:
    """Seed the demo's mentoring unless a base site exists already (demo or real data);
    `today` moves the story day (tests)."""
    now = story_day(today)
    seeded = []
    if now is not None and not BaseSite.objects.exists():
        seeded = Seeder(now).seed()
    if stdout:
        stdout.write(
            f"Наставничество: базовых площадок — {len(SITES) if seeded else 0}, "
            f"договоров — {len(DEALS) if seeded else 0}, стажировок — {len(seeded)}."
        )
