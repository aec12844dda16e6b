"""Optimistic locking: when two people edit the same record, the second save is refused.

A record that people edit at the same time (an organisation, a person, a self-report, a letter
of recommendations, a decision, a plan, a candidacy…) carries `revision`, a number that every
guarded save raises by one, and who made that save and when (`Revisioned`). A form carries the
revision it was opened on in a hidden field (`forms.RevisionMixin`); the domain function that
saves the form first *claims* the record inside its transaction:

    UPDATE … SET revision = revision + 1, revised_by = …, revised_at = …
    WHERE id = … AND revision = <the form's revision>

One statement, so it is atomic: of two saves opened on the same revision exactly one updates a
row; the other updates none and gets a `ConflictError` («Запись изменена другим пользователем
(Иванова О. П., 14:32). Ваши изменения не сохранены…»), and its transaction writes nothing. On
PostgreSQL the second UPDATE waits for the first transaction and then re-reads the row, so the
check holds under real concurrency, not only one request after another.

Domain functions take `revision=None` from callers that have no form (commands, the demo,
follow-up work): the record is still claimed — its revision raised, so forms opened before go
stale — but nothing is compared. A form opened on a record that did not exist yet carries 0:
records start at revision 1, so a record somebody else created meanwhile is a conflict too.

Records whose rows are replaced rather than updated (monitoring values) pass their own token
and their own last author to `ConflictError` (see `monitoring/corrections.py`).
"""

from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

# A form opened on a record that does not exist yet carries this revision.
NEW = 0
# Every stored record starts here, so that NEW never matches a stored record.
FIRST = 1
REVISION_FIELDS = frozenset({"revision", "revised_at", "revised_by"})


class Revisioned(models.Model):
    """The revision of a record and who saved that revision, when (for the conflict message)."""

    revision = models.PositiveIntegerField(default=FIRST, editable=False)
    revised_at = models.DateTimeField(null=True, blank=True, editable=False)
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Only `claim` moves a stored record's revision (with its conditional UPDATE). A plain
        # save of a record read earlier would otherwise write back the revision it read, an
        # older one, and let a stale form through; so it updates every other field.
        stored = not self._state.adding and not kwargs.get("force_insert")
        if stored and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in REVISION_FIELDS
            ]
        return super().save(*args, **kwargs)


def _when(moment: datetime) -> str:
    """«14:32» today, «12.03.2025 14:32» another day (local time)."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return local.strftime("%H:%M")
    return f"{date_format(local.date(), 'd.m.Y')} {local:%H:%M}"


def out_of_date_message() -> str:
    return _("The form is out of date: open the record again and repeat your changes.")


def conflict_message(*, who=None, when=None, me=None, deleted: bool = False) -> str:
    """The Russian sentence a refused save shows: who saved first and when, and what to do."""
    if deleted:
        return _(
            "The record was deleted by another user while you were editing it. Your changes "
            "were not saved."
        )
    moment = _when(when) if when else ""
    if who is not None and who == me:
        return _(
            "You changed this record in another tab or window (%(when)s). Your changes here were "
            "not saved: open the record again to see its current version, then make your changes "
            "once more."
        ) % {"when": moment or _("just now")}
    details = ", ".join(part for part in (who.short_name if who else "", moment) if part)
    if details:
        return _(
            "The record was changed by another user (%(details)s). Your changes were not saved: "
            "open the record again to see the new version, then make your changes once more."
        ) % {"details": details}
    return _(
        "The record was changed by another user. Your changes were not saved: open the record "
        "again to see the new version, then make your changes once more."
    )


class ConflictError(ValidationError):
    """Somebody saved the record after the form was opened: nothing of this save is stored.

    `who` (a person or None) and `when` (a datetime or None) name the save that got in first;
    `me` is the person whose save is refused, so that a second tab of the same person is told
    apart from a colleague.
    """

    def __init__(self, message: str | None = None, *, who=None, when=None, me=None, **kwargs):
        self.who, self.when = who, when
        text = message or conflict_message(who=who, when=when, me=me, **kwargs)
        super().__init__(text, code="conflict")

    @classmethod
    def out_of_date(cls) -> "ConflictError":
        """The form carries no revision (a page opened before revisions, a hand-made request)."""
        return cls(out_of_date_message())

    @classmethod
    def for_record(cls, record, me=None) -> "ConflictError":
        """The conflict with the revision now stored for `record` (read afresh)."""
        model = type(record)
        stored = model._default_manager.filter(pk=record.pk).values("revised_by", "revised_at")
        row = stored.first()
        if row is None:
            return cls(deleted=True, me=me)
        who = None
        if row["revised_by"] is not None:
            from django.contrib.auth import get_user_model

            who = get_user_model()._default_manager.filter(pk=row["revised_by"]).first()
        return cls(who=who, when=row["revised_at"], me=me)


def is_conflict(error: ValidationError) -> bool:
    """A refusal because of a newer save (or an out-of-date form), as opposed to bad input."""
    return isinstance(error, ConflictError) or any(
        getattr(e, "code", None) == "conflict" for e in getattr(error, "error_list", [])
    )


def _person(user):
    """Who to record: a signed-in person, or nobody (a command, the demo, a background job)."""
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def claim(record: Revisioned, revision: int | None, user=None) -> None:
    """Take the next revision of `record` for this save, or raise `ConflictError`.

    `revision` is the revision the person's form was opened on (None: no form, do not compare).
    Call it inside the transaction that writes the change, before writing anything, so that a
    refused save writes nothing. A record not stored yet is simply stamped (it is created at
    revision 1), unless the form was opened on an existing one.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim() must run inside the transaction that saves the record.")
    person = _person(user)
    now = timezone.now()
    if record.pk is None or record._state.adding:
        if revision not in (None, NEW):
            raise ConflictError(deleted=True, me=person)
        record.revision, record.revised_at, record.revised_by = FIRST, now, person
        return
    rows = type(record)._default_manager.filter(pk=record.pk)
    if revision is None:
        stored = rows.select_for_update().values_list("revision", flat=True).first()
        if stored is None:
            raise ConflictError(deleted=True, me=person)
        revision = stored
    updated = rows.filter(revision=revision).update(
        revision=revision + 1, revised_at=now, revised_by=person
    )
    if not updated:
        raise ConflictError.for_record(record, me=person)
    record.revision, record.revised_at, record.revised_by = revision + 1, now, person


@contextmanager
def guarded(record: Revisioned, revision: int | None, user=None):
    """`with guarded(letter, form.base_revision, user): <save the forms>` — one transaction
    that claims the record first; a `ConflictError` leaves the database as it was."""
    with transaction.atomic():
        claim(record, revision, user)
        yield record


def save_form(form, user=None):
    """Save a model form of a `Revisioned` record that carries `forms.RevisionMixin`: claim the
    record with the form's revision, then save, in one transaction. Returns the saved record."""
    with guarded(form.instance, form.base_revision, user):
        return form.save()
