"""A candidacy's way through the reserve: nomination, approval, enrolment, status, training,
contests and the official's confirmation of readiness.

Every writing function validates first and raises a `ValidationError` with Russian messages
(keyed by the field at fault where there is one, so that forms show the message next to it) and
writes nothing on error. Every change of status is recorded as a dated `StatusChange` with who
made it and why.

The status flow (MOVES): претендент → зачислен (`enrol`, after an official's approval) →
проходит подготовку ⇄ готов к назначению → назначен / исключён. Appointing somebody who is not
marked ready takes a comment that confirms the decision; a removal takes its reason.

Who may call what (404/403) is decided in `access.py`; this module checks what the order says
about people: an official approves a head's nomination, a head nominates his or her own staff.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mentoring.models import Trainee
from trajectories.models import Plan
from zelenchuk_portal.audit import audited_update
from zelenchuk_portal.concurrency import claim
from zelenchuk_portal.files import check_upload, safe_name
from zelenchuk_portal.models import Membership, Organization, Period, Role, User

from .models import (
    IN_RESERVE,
    Candidacy,
    Contest,
    ContestLevel,
    ContestResult,
    ReadinessReview,
    Status,
    StatusChange,
    Training,
)
from .readiness import (
    Hint,
    Readiness,
    latest_plan,
    readiness,
    young_leader_eligible,
    young_leader_hints,
)

# Where each status may go next (`change_status`); enrolment has its own function, `enrol`.
MOVES: dict[str, tuple[str, ...]] = {
    Status.NOMINEE: (Status.REMOVED,),
    Status.ENROLLED: (Status.TRAINING, Status.READY, Status.APPOINTED, Status.REMOVED),
    Status.TRAINING: (Status.READY, Status.APPOINTED, Status.REMOVED),
    Status.READY: (Status.TRAINING, Status.APPOINTED, Status.REMOVED),
    Status.APPOINTED: (),
    Status.REMOVED: (),
}


def _d(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _status_label(status: str) -> str:
    return str(dict(Status.choices).get(status, status))


def _text(value) -> str:
    return (value or "").strip()


def _raise(errors: dict[str, list[str]] | list[str]) -> None:
    if errors:
        raise ValidationError(errors)


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


# --- Reading -------------------------------------------------------------------------------------


def allowed_moves(candidacy: Candidacy) -> tuple[str, ...]:
    """The statuses `change_status` can move the candidacy to now."""
    return MOVES.get(candidacy.status, ())


def period_of(day: date) -> Period | None:
    """The reporting period whose dates contain `day` (the latest one, should two overlap)."""
    return (
        Period.objects.filter(start_date__lte=day, end_date__gte=day)
        .order_by("-start_date")
        .first()
    )


def last_change_day(candidacy: Candidacy) -> date:
    """The day of the candidacy's latest recorded event: a later move may not be dated before."""
    days = [candidacy.nominated_on, candidacy.enrolled_on, candidacy.approved_on]
    days.append(candidacy.changes.order_by("-on").values_list("on", flat=True).first())
    return max(day for day in days if day)


@dataclass(frozen=True)
class HistoryEntry:
    on: date
    at: datetime | None
    status: str
    label: str
    by: User
    comment: str
    event: str  # "status" or "approved"


def history(candidacy: Candidacy) -> list[HistoryEntry]:
    """The candidacy's dated changes of status, oldest first, with the approval of a head's
    nomination in its place (an approval changes no status, so it is no `StatusChange`)."""
    entries = [
        HistoryEntry(c.on, c.at, c.status, c.get_status_display(), c.by, c.comment, "status")
        for c in candidacy.changes.select_related("by")
    ]
    if candidacy.approved_on and candidacy.approved_by_id != candidacy.nominated_by_id:
        approval = HistoryEntry(
            candidacy.approved_on,
            None,
            Status.NOMINEE,
            _("nomination approved"),
            candidacy.approved_by,
            "",
            "approved",
        )
        # Right after the nomination; the stable sort by day then puts it among later events.
        entries.insert(1 if entries else 0, approval)
        entries.sort(key=lambda entry: entry.on)
    return entries


# --- Nomination ----------------------------------------------------------------------------------


def _nomination_errors(
    *, person, organization, position, reason, by, on, period, management_since
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not _text(position):
        _add(errors, "position", _("State the person's current position."))
    if not _text(reason):
        _add(errors, "reason", _("State the reason for the nomination."))
    if organization is not None and not organization.is_active:
        _add(errors, "organization", _("The organisation «%s» is closed.") % organization)
    if (
        organization is not None
        and not by.is_official
        and not by.organizations_as(Role.PRINCIPAL).filter(pk=organization.pk).exists()
    ):
        _add(errors, "organization", _("A head nominates people of his or her own organisation."))
    if management_since and on and management_since > on:
        _add(
            errors,
            "management_since",
            _("Managerial experience cannot start after the nomination date (%(date)s).")
            % {"date": _d(on)},
        )
    if period is None:
        _add(
            errors,
            "on",
            _("No reporting period contains %(date)s: add the period first.") % {"date": _d(on)},
        )
    elif not period.start_date <= on <= period.end_date:
        _add(
            errors,
            "on",
            _("The nomination date %(date)s is outside the period %(period)s.")
            % {"date": _d(on), "period": period.label},
        )
    if person is not None and person.pk and period is not None:
        errors.update(_person_errors(person, period))
    return errors


def _person_errors(person: User, period: Period) -> dict[str, list[str]]:
    if Candidacy.objects.filter(person=person, period=period).exists():
        return {
            "person": [
                _("%(person)s has already been nominated to the reserve in %(period)s.")
                % {"person": person.full_name or person.username, "period": period.label}
            ]
        }
    active = Candidacy.objects.filter(person=person).active().order_by("-nominated_on").first()
    if active:
        return {
            "person": [
                _(
                    "%(person)s is already a reserve candidate (nominated on %(date)s, status "
                    "«%(status)s»): appoint or remove him or her first."
                )
                % {
                    "person": person.full_name or person.username,
                    "date": _d(active.nominated_on),
                    "status": active.get_status_display(),
                }
            ]
        }
    return {}


def nominate(
    *,
    person: User,
    organization: Organization,
    position: str,
    reason: str,
    by: User,
    on: date,
    period: Period | None = None,
    target_position: str = "",
    target_organization: Organization | None = None,
    management_since: date | None = None,
) -> Candidacy:
    """Nominate `person` to the reserve from his or her current `organization` and `position`.

    `period` defaults to the period whose dates contain `on`. One nomination per person and
    period, and none while the person has an active candidacy. An official's nomination is
    approved at once; a head's (of his or her own staff only) waits for `approve`.
    """
    period = period or period_of(on)
    _raise(
        _nomination_errors(
            person=person,
            organization=organization,
            position=position,
            reason=reason,
            by=by,
            on=on,
            period=period,
            management_since=management_since,
        )
    )
    approved = by.is_official
    try:
        with transaction.atomic():
            candidacy = Candidacy.objects.create(
                person=person,
                period=period,
                organization=organization,
                position=_text(position),
                management_since=management_since,
                reason=_text(reason),
                target_position=_text(target_position),
                target_organization=target_organization,
                nominated_on=on,
                nominated_by=by,
                approved_on=on if approved else None,
                approved_by=by if approved else None,
            )
            StatusChange.objects.create(candidacy=candidacy, status=Status.NOMINEE, on=on, by=by)
    except IntegrityError:  # nominated twice at once: the constraint keeps one
        raise ValidationError(
            _person_errors(person, period) or _("The nomination could not be saved.")
        ) from None
    return candidacy


# Logins are Latin: the passport-style transliteration of each Cyrillic letter («-»: dropped).
_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_LATIN = "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya"
_TRANSLIT = dict(zip(_CYRILLIC, _LATIN.split(), strict=True))


def username_for(last_name: str, first_name: str, patronymic: str = "") -> str:
    """A free login such as «ivanova.op» (then «ivanova.op2»…) for a person entered by name."""

    def latin(text: str) -> str:
        letters = "".join(_TRANSLIT.get(c, c) for c in text.lower()).replace("-", "")
        return re.sub(r"[^a-z0-9]", "", letters)

    initials = "".join(latin(p)[:1] for p in (first_name, patronymic) if p)
    base = ".".join(p for p in (latin(last_name)[:30], initials) if p) or "person"
    taken = set(User.objects.filter(username__istartswith=base).values_list("username", flat=True))
    taken = {name.lower() for name in taken}
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}{number}"
    return name


def create_person(
    *, last_name: str, first_name: str, patronymic: str = "", birth_date: date | None = None
) -> User:
    """Register somebody entered by name: a unique login and no usable password (an official
    sets one on the person's card when he or she is to sign in)."""
    errors: dict[str, list[str]] = {}
    if not _text(last_name):
        _add(errors, "last_name", _("Enter the new person's last name."))
    if not _text(first_name):
        _add(errors, "first_name", _("Enter the new person's first name."))
    if birth_date and birth_date > timezone.localdate():
        _add(errors, "birth_date", _("The date of birth is in the future."))
    _raise(errors)
    person = User(
        username=username_for(last_name, first_name, patronymic),
        last_name=_text(last_name),
        first_name=_text(first_name),
        patronymic=_text(patronymic),
        birth_date=birth_date,
    )
    person.set_unusable_password()
    person.save()
    return person


def nominate_new_person(
    *,
    last_name: str,
    first_name: str,
    patronymic: str = "",
    birth_date: date | None = None,
    **nomination,
) -> Candidacy:
    """Register a person entered by name and nominate him or her, in one transaction: when the
    nomination is refused, the person is not registered either."""
    with transaction.atomic():
        person = create_person(
            last_name=last_name,
            first_name=first_name,
            patronymic=patronymic,
            birth_date=birth_date,
        )
        return nominate(person=person, **nomination)


def update_nomination(
    candidacy: Candidacy,
    *,
    by: User,
    position: str,
    reason: str,
    target_position: str = "",
    target_organization: Organization | None = None,
    management_since: date | None = None,
    revision: int | None = None,
) -> Candidacy:
    """Correct the nomination's details (the person, organisation, period and dates stay).

    Refused (`ConflictError`) when the candidacy changed after `revision`, the revision of the
    page the correction was made on.
    """
    errors = _nomination_errors(
        person=None,
        organization=None,
        position=position,
        reason=reason,
        by=by,
        on=candidacy.nominated_on,
        period=candidacy.period,
        management_since=management_since,
    )
    errors.pop("on", None)  # the nomination date is not being changed
    _raise(errors)
    candidacy.position = _text(position)
    candidacy.reason = _text(reason)
    candidacy.target_position = _text(target_position)
    candidacy.target_organization = target_organization
    candidacy.management_since = management_since
    with transaction.atomic():
        claim(candidacy, revision, by)
        candidacy.save()
    return candidacy


def _official(by: User, message: str) -> None:
    if not by.is_official:
        raise ValidationError(message)


def _awaiting(candidacy: Candidacy, by: User, on: date) -> dict[str, list[str]]:
    _official(by, _("Only a district official decides on a head's nomination."))
    if not candidacy.awaits_approval:
        raise ValidationError(_("This nomination does not await approval."))
    errors: dict[str, list[str]] = {}
    if on < candidacy.nominated_on:
        _add(
            errors,
            "on",
            _("The decision date %(date)s is before the nomination date %(nominated)s.")
            % {"date": _d(on), "nominated": _d(candidacy.nominated_on)},
        )
    return errors


def approve(candidacy: Candidacy, *, by: User, on: date, revision: int | None = None) -> None:
    """An official approves a head's nomination; the person may then be enrolled."""
    with transaction.atomic():
        current = Candidacy.objects.select_for_update().get(pk=candidacy.pk)
        claim(current, revision, by)  # first: a stale page is told so, whatever else is wrong
        _raise(_awaiting(current, by, on))
        current.approved_on, current.approved_by = on, by
        current.save(update_fields=["approved_on", "approved_by", "updated_at"])
    candidacy.refresh_from_db()


def reject(
    candidacy: Candidacy, *, by: User, on: date, reason: str, revision: int | None = None
) -> None:
    """An official rejects a head's nomination: the candidacy ends as removed, with the reason."""
    with transaction.atomic():
        current = Candidacy.objects.select_for_update().get(pk=candidacy.pk)
        claim(current, revision, by)
        errors = _awaiting(current, by, on)
        if not _text(reason):
            _add(errors, "reason", _("State why the nomination is rejected."))
        _raise(errors)
        _leave(current, Status.REMOVED, on=on, by=by, comment=_text(reason))
    candidacy.refresh_from_db()


# --- Enrolment and status ------------------------------------------------------------------------


def enrol(
    candidacy: Candidacy,
    *,
    order: str,
    on: date,
    by: User,
    comment: str = "",
    revision: int | None = None,
) -> None:
    """Enrol an approved nominee by the order `order` of `on`: status «зачислен», and the person
    gets the reserve candidate's role in the organisation (unless he or she holds it already).
    Refused (`ConflictError`) when the candidacy changed after `revision`."""
    with transaction.atomic():
        current = (
            Candidacy.objects.select_for_update().select_related("person").get(pk=candidacy.pk)
        )
        claim(current, revision, by)
        if current.status != Status.NOMINEE:
            raise ValidationError(
                _("Only a nominee can be enrolled; the candidate is «%(status)s».")
                % {"status": current.get_status_display()}
            )
        if current.approved_on is None:
            raise ValidationError(
                _("The head's nomination awaits an official's approval: approve it first.")
            )
        errors: dict[str, list[str]] = {}
        if not order_number(order):
            _add(errors, "order", _("Enter the number of the enrolment order."))
        if on is None:
            _add(errors, "on", _("Enter the date of enrolment."))
        elif on < current.nominated_on:
            _add(
                errors,
                "on",
                _("The enrolment date %(date)s is before the nomination date %(nominated)s.")
                % {"date": _d(on), "nominated": _d(current.nominated_on)},
            )
        _raise(errors)
        current.status = Status.ENROLLED
        current.enrolment_order = order_number(order)
        current.enrolled_on = on
        current.save(update_fields=["status", "enrolment_order", "enrolled_on", "updated_at"])
        StatusChange.objects.create(
            candidacy=current, status=Status.ENROLLED, on=on, by=by, comment=_text(comment)
        )
        _grant_candidate_role(current, on)
    candidacy.refresh_from_db()


def order_number(order: str) -> str:
    """The order's number as pages print it after «приказ №»: «Приказ № 15-к» → «15-к»."""
    return re.sub(r"^(приказ\s*(№\s*)?|№\s*)", "", _text(order), flags=re.IGNORECASE)


def _grant_candidate_role(candidacy: Candidacy, on: date) -> None:
    holds = Membership.objects.filter(
        user=candidacy.person_id,
        role=Role.CANDIDATE,
        organization=candidacy.organization_id,
        end_date__isnull=True,
    ).exists()
    if not holds:
        Membership.objects.create(
            user_id=candidacy.person_id,
            role=Role.CANDIDATE,
            organization_id=candidacy.organization_id,
            position=candidacy.position,
            start_date=on,
        )


def _leave(candidacy: Candidacy, status: str, *, on: date, by: User, comment: str, **fields):
    """End the candidacy (appointed or removed) on `on` and the person's candidate role with it."""
    candidacy.status = status
    candidacy.left_on = on
    if status == Status.REMOVED:
        candidacy.removal_reason = comment
    for name, value in fields.items():
        setattr(candidacy, name, value)
    candidacy.save()
    StatusChange.objects.create(candidacy=candidacy, status=status, on=on, by=by, comment=comment)
    ended = Membership.objects.filter(
        Q(start_date__isnull=True) | Q(start_date__lte=on),
        user=candidacy.person_id,
        role=Role.CANDIDATE,
        end_date__isnull=True,
    )
    audited_update(ended, end_date=on)


def move_errors(
    candidacy: Candidacy,
    status: str,
    *,
    on: date | None,
    comment: str = "",
    position: str = "",
    organization: Organization | None = None,
) -> dict[str, list[str]]:
    """Why the candidacy cannot move to `status` on `on` (empty: it can)."""
    if status not in allowed_moves(candidacy):
        return {
            "__all__": [
                _("A candidate who is «%(current)s» cannot become «%(new)s».")
                % {"current": candidacy.get_status_display(), "new": _status_label(status)}
            ]
        }
    errors: dict[str, list[str]] = {}
    if on is None:
        _add(errors, "on", _("Enter the date."))
    else:
        last = last_change_day(candidacy)
        if on < last:
            _add(
                errors,
                "on",
                _("The date %(date)s is before the candidacy's last recorded change (%(last)s).")
                % {"date": _d(on), "last": _d(last)},
            )
    if status == Status.APPOINTED:
        if not _text(position):
            _add(errors, "position", _("State the position the person is appointed to."))
        if organization is None:
            _add(errors, "organization", _("Choose the organisation the person is appointed to."))
        if candidacy.status != Status.READY and not _text(comment):
            _add(
                errors,
                "comment",
                _(
                    "%(person)s is not marked ready for appointment: confirm the decision to "
                    "appoint him or her with a comment."
                )
                % {"person": candidacy.person.short_name},
            )
    if status == Status.REMOVED and not _text(comment):
        _add(errors, "comment", _("State the reason for the removal."))
    return errors


def change_status(
    candidacy: Candidacy,
    status: str,
    *,
    on: date,
    by: User,
    comment: str = "",
    position: str = "",
    organization: Organization | None = None,
    revision: int | None = None,
) -> None:
    """Move the candidacy along MOVES on `on`, recording who, when and why.

    APPOINTED needs the position and organisation (and, from a status other than READY, a
    comment that confirms the decision); REMOVED needs the reason. Both end the person's time
    in the reserve (`left_on`) and his or her candidate role. A move made on a page opened
    before the candidacy last changed (`revision`) is refused with a `ConflictError`: the
    official decided on what he or she saw, which is no longer so.
    """
    with transaction.atomic():
        current = (
            Candidacy.objects.select_for_update().select_related("person").get(pk=candidacy.pk)
        )
        claim(current, revision, by)
        _raise(
            move_errors(
                current,
                status,
                on=on,
                comment=comment,
                position=position,
                organization=organization,
            )
        )
        comment = _text(comment)
        if status == Status.APPOINTED:
            _leave(
                current,
                status,
                on=on,
                by=by,
                comment=comment,
                appointed_position=_text(position),
                appointed_organization=organization,
            )
        elif status == Status.REMOVED:
            _leave(current, status, on=on, by=by, comment=comment)
        else:
            _set_status(current, status, on=on, by=by, comment=comment)
    candidacy.refresh_from_db()


def _set_status(candidacy: Candidacy, status: str, *, on: date, by: User, comment: str) -> None:
    candidacy.status = status
    candidacy.save(update_fields=["status", "updated_at"])
    StatusChange.objects.create(candidacy=candidacy, status=status, on=on, by=by, comment=comment)


# --- Training and contests -----------------------------------------------------------------------


def _training_errors(programme, provider, hours, start_date, end_date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not _text(programme):
        _add(errors, "programme", _("Enter the training programme."))
    if not _text(provider):
        _add(errors, "provider", _("Enter who provided the training."))
    if hours is None:
        _add(errors, "hours", _("Enter the number of hours."))
    elif isinstance(hours, bool) or not isinstance(hours, int) or hours <= 0:
        _add(
            errors,
            "hours",
            _("The number of hours must be a positive whole number; %(hours)s is not.")
            % {"hours": hours},
        )
    if start_date is None:
        _add(errors, "start_date", _("Enter the start date of the training."))
    if end_date is None:
        _add(errors, "end_date", _("Enter the end date of the training."))
    if start_date and end_date and end_date < start_date:
        _add(
            errors,
            "end_date",
            _("The training ends (%(end)s) before it starts (%(start)s).")
            % {"end": _d(end_date), "start": _d(start_date)},
        )
    return errors


def _checked_document(document, errors: dict[str, list[str]]):
    """The upload renamed to a random storage name with its safe display name, or None."""
    if not document:
        return None, ""
    try:
        kind = check_upload(document)
    except ValidationError as error:
        errors.setdefault("document", []).extend(error.messages)
        return None, ""
    display = safe_name(document.name, kind)
    document.name = f"{uuid.uuid4().hex}.{kind.extension}"
    return document, display


def add_training(
    candidacy: Candidacy,
    *,
    programme: str,
    provider: str,
    hours: int,
    start_date: date,
    end_date: date,
    by: User,
    document=None,
) -> Training:
    """Record a completed course or programme (hours > 0, end on or after the start), with an
    optional document checked by its content and served only through an access-checked view."""
    errors = _training_errors(programme, provider, hours, start_date, end_date)
    document, display = _checked_document(document, errors)
    _raise(errors)
    return Training.objects.create(
        candidacy=candidacy,
        programme=_text(programme),
        provider=_text(provider),
        hours=hours,
        start_date=start_date,
        end_date=end_date,
        document=document or "",
        document_name=display,
        created_by=by,
    )


def update_training(
    training: Training,
    *,
    programme: str,
    provider: str,
    hours: int,
    start_date: date,
    end_date: date,
    by: User,
    document=None,
) -> Training:
    """Correct a training record; a new document replaces the old one."""
    errors = _training_errors(programme, provider, hours, start_date, end_date)
    document, display = _checked_document(document, errors)
    _raise(errors)
    old = training.document.name if document and training.document else None
    training.programme, training.provider = _text(programme), _text(provider)
    training.hours, training.start_date, training.end_date = hours, start_date, end_date
    if document:
        training.document, training.document_name = document, display
    training.save()
    if old:
        training.document.storage.delete(old)
    return training


def delete_training(training: Training, by: User) -> None:
    """Remove a training record and its document file."""
    if training.document:
        training.document.delete(save=False)
    training.delete()


def add_contest(
    candidacy: Candidacy, *, name: str, level: str, result: str, held_on: date, by: User
) -> Contest:
    """Record the candidate's participation in a professional contest."""
    errors: dict[str, list[str]] = {}
    if not _text(name):
        _add(errors, "name", _("Enter the name of the contest."))
    if level not in ContestLevel.values:
        _add(errors, "level", _("Choose the contest's level."))
    if result not in ContestResult.values:
        _add(errors, "result", _("Choose the result."))
    if held_on is None:
        _add(errors, "held_on", _("Enter the date of the contest."))
    _raise(errors)
    return Contest.objects.create(
        candidacy=candidacy, name=_text(name), level=level, result=result, held_on=held_on
    )


def delete_contest(contest: Contest, by: User) -> None:
    contest.delete()


# --- Readiness -----------------------------------------------------------------------------------


def confirm_readiness(
    candidacy: Candidacy,
    *,
    ready: bool,
    comment: str,
    by: User,
    today: date | None = None,
    revision: int | None = None,
) -> ReadinessReview:
    """An official confirms or overrides the readiness computed from the evidence.

    The computed score and breakdown are stored with the decision. Deciding against the
    evidence needs a comment. «Ready» moves an enrolled or training candidate to READY; «not
    ready» moves a READY one back to TRAINING (both dated `today`).
    """
    today = today or timezone.localdate()
    comment = _text(comment)
    with transaction.atomic():
        current = (
            Candidacy.objects.select_for_update().select_related("person").get(pk=candidacy.pk)
        )
        claim(current, revision, by)
        if current.status not in IN_RESERVE:
            raise ValidationError(
                _("Readiness is reviewed for people in the reserve; the candidate is «%(status)s».")
                % {"status": current.get_status_display()}
            )
        computed = readiness(current, today=today)
        if ready != computed.ready_by_evidence and not comment:
            raise ValidationError(
                {
                    "comment": _(
                        "Your decision differs from the evidence (readiness %(score)s): explain "
                        "it in a comment."
                    )
                    % {"score": computed.score_text}
                }
            )
        target = _readiness_move(current.status, ready)
        if target:
            errors = move_errors(current, target, on=today, comment=comment)
            if errors:
                raise ValidationError(sum(errors.values(), []))
            _set_status(current, target, on=today, by=by, comment=comment)
        review = ReadinessReview.objects.create(
            candidacy=current,
            computed_score=computed.score or 0,
            computed_ready=computed.ready_by_evidence,
            breakdown=computed.as_json(),
            ready=ready,
            comment=comment,
            by=by,
        )
    candidacy.refresh_from_db()
    return review


def _readiness_move(status: str, ready: bool) -> str | None:
    if ready and status in (Status.ENROLLED, Status.TRAINING):
        return Status.READY
    if not ready and status == Status.READY:
        return Status.TRAINING
    return None


# --- The candidate's page ------------------------------------------------------------------------


@dataclass
class CandidatePage:
    """Everything the candidate's page (and the candidate's own page) shows of one candidacy."""

    candidacy: Candidacy
    history: list[HistoryEntry]
    plan: Plan | None  # the latest, with `completion`, `task_count` and `done_count`
    trainings: list[Training]
    contests: list[Contest]
    internships: list  # the person's traineeships (mentoring), latest first
    readiness: Readiness
    reviews: list[ReadinessReview]
    hints: list[Hint]
    eligible: bool | None
    moves: tuple[str, ...]

    @property
    def in_reserve(self) -> bool:
        return self.candidacy.status in IN_RESERVE

    @property
    def training_hours(self) -> int:
        return sum(t.hours for t in self.trainings)


def person_internships(person) -> list[Trainee]:
    """The person's internships as a trainee (mentoring), latest first, in one query."""
    return list(
        Trainee.objects.filter(person=person)
        .select_related("internship__mentor", "internship__base_site__organization")
        .order_by("-internship__start_date", "-pk")
    )


def candidate_page(candidacy: Candidacy, today: date | None = None) -> CandidatePage:
    """The candidacy's history, plan, training, contests, readiness and reviews (a fixed number
    of queries)."""
    today = today or timezone.localdate()
    hints = young_leader_hints(candidacy, today)
    return CandidatePage(
        candidacy=candidacy,
        history=history(candidacy),
        plan=latest_plan(candidacy.person, today),
        trainings=list(candidacy.trainings.all()),
        contests=list(candidacy.contests.all()),
        internships=person_internships(candidacy.person),
        readiness=readiness(candidacy, today),
        reviews=list(candidacy.readiness_reviews.select_related("by")),
        hints=hints,
        eligible=young_leader_eligible(hints),
        moves=allowed_moves(candidacy),
    )
