"""The audit trail: who changed which record, when, from where, and what the values were.

Writing is django-auditlog's: the models listed in `settings.AUDITLOG_INCLUDE_TRACKING_MODELS`
get a `LogEntry` on every create, change and delete (through model signals), and
`AuditMiddleware` names the signed-in person as the actor. This module adds what the portal
needs around it:

- owners: a plan's task, a candidacy's status change or a person's role is shown in the history
  of the record it belongs to; each entry remembers its owners (`OWNERS`, stored in the entry's
  `additional_data`) so that a record's history is one query, even for rows deleted since;
- writes that bypass signals (bulk_create, bulk_update, queryset.update) are logged through
  `audited_bulk_create`, `audited_bulk_update` and `audited_update`;
- `record_view`: an official opening someone's dossier is logged as an access entry;
- reading: `history_for(obj)` (a record's history for its page) and `audit_page` /
  `audit_export_rows` (the district-wide log), in Russian, in a fixed number of queries;
- other sources: monitoring's value history (written in bulk through COPY, outside auditlog)
  joins the district-wide log through `register_source`.

The portal app never imports the apps above it: models are named by their labels.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from ipaddress import ip_address

from auditlog.diff import model_instance_diff
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import F, Q
from django.db.models import Value as V
from django.db.models.query import prefetch_related_objects
from django.db.models.signals import pre_save
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from django.utils.encoding import smart_str
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .lockout import client_ip

Action = LogEntry.Action

ACTION_LABELS = {
    Action.CREATE: pgettext_lazy("audit", "created"),
    Action.UPDATE: pgettext_lazy("audit", "changed"),
    Action.DELETE: pgettext_lazy("audit", "deleted"),
    Action.ACCESS: pgettext_lazy("audit", "viewed"),
}
# How many entries a record's page shows; the rest are on the audit page.
HISTORY_LIMIT = 50
PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
TEXT_LIMIT = 300

# The records whose history includes a child's: child model → paths to its owners.
OWNERS: dict[str, tuple[str, ...]] = {
    "zelenchuk_portal.membership": ("organization", "user"),
    "monitoring.periodevent": ("period",),
    "monitoring.periodmethodology": ("period",),
    "monitoring.evidence": ("report",),
    "monitoring.recommendationitem": ("recommendation",),
    "monitoring.measurematerial": ("measure",),
    "monitoring.decisionnote": ("decision",),
    "monitoring.decisionevidence": ("decision",),
    "trajectories.assessmentitem": ("assessment",),
    "trajectories.deficit": ("assessment",),
    "trajectories.plangoal": ("plan",),
    "trajectories.plantask": ("goal.plan",),
    "trajectories.taskevidence": ("task.goal.plan",),
    "trajectories.deficitanalysis": ("plan",),
    "trajectories.plancomment": ("plan",),
    "reserve.statuschange": ("candidacy",),
    "reserve.training": ("candidacy",),
    "reserve.contest": ("candidacy",),
    "reserve.readinessreview": ("candidacy",),
    "mentoring.agreement": ("base_site",),
    "mentoring.trainee": ("internship",),
    "mentoring.assignment": ("internship",),
    "mentoring.diaryentry": ("trainee.internship",),
    "mentoring.decision": ("trainee.internship",),
    "mentoring.decisioncompetency": ("decision.trainee.internship",),
    "mentoring.finalrating": ("trainee.internship",),
}

# Names for models whose own verbose name is Django's automatic English one.
MODEL_LABELS = {
    "monitoring.periodmethodology": pgettext_lazy("audit", "methodology of a period"),
    "monitoring.periodevent": pgettext_lazy("audit", "closing or reopening of a period"),
    "monitoring.scoringrun": pgettext_lazy("audit", "recomputation of scores"),
    "monitoring.evidence": pgettext_lazy("audit", "self-report evidence file"),
    "monitoring.recommendationitem": pgettext_lazy("audit", "item of the recommendations"),
    "monitoring.measurematerial": pgettext_lazy("audit", "material of a measure"),
    "monitoring.decisionnote": pgettext_lazy("audit", "note on a decision"),
    "monitoring.decisionevidence": pgettext_lazy("audit", "evidence file of a decision"),
    "trajectories.assessmentitem": pgettext_lazy("audit", "item of a self-assessment"),
    "trajectories.plangoal": pgettext_lazy("audit", "goal of a plan"),
    "trajectories.plantask": pgettext_lazy("audit", "task of a plan"),
    "trajectories.taskevidence": pgettext_lazy("audit", "evidence file of a task"),
    "trajectories.deficitanalysis": pgettext_lazy("audit", "analysis of a deficit"),
    "trajectories.plancomment": pgettext_lazy("audit", "comment on a plan"),
    "reserve.statuschange": pgettext_lazy("audit", "change of reserve status"),
    "reserve.readinessreview": pgettext_lazy("audit", "readiness review"),
    "mentoring.assignment": pgettext_lazy("audit", "task of the technological map"),
    "mentoring.decision": pgettext_lazy("audit", "decision in the competency matrix"),
    "mentoring.decisioncompetency": pgettext_lazy("audit", "competency of a decision"),
    "mentoring.finalrating": pgettext_lazy("audit", "final rating"),
}

# Names for fields that have no verbose name of their own (Django's default is English).
FIELD_LABELS = {
    "status": pgettext_lazy("audit", "status"),
    "expert_status": pgettext_lazy("audit", "expert's status"),
    "submitted_at": pgettext_lazy("audit", "submitted at"),
    "submitted_by": pgettext_lazy("audit", "submitted by"),
    "reviewed_at": pgettext_lazy("audit", "reviewed at"),
    "reviewed_by": pgettext_lazy("audit", "reviewed by"),
    "issued_by": pgettext_lazy("audit", "issued by"),
    "approved_by": pgettext_lazy("audit", "approved by"),
    "internship": pgettext_lazy("audit", "internship"),
    "created_at": pgettext_lazy("audit", "created at"),
    "created_by": pgettext_lazy("audit", "created by"),
    "uploaded_at": pgettext_lazy("audit", "uploaded at"),
    "uploaded_by": pgettext_lazy("audit", "uploaded by"),
    "applied_at": pgettext_lazy("audit", "applied at"),
    "decided_at": pgettext_lazy("audit", "decided at"),
    "decided_by": pgettext_lazy("audit", "decided by"),
    "updated_by": pgettext_lazy("audit", "changed by"),
    "commented_at": pgettext_lazy("audit", "commented at"),
    "expert_done_at": pgettext_lazy("audit", "rated at"),
    "done_at": pgettext_lazy("audit", "done on"),
    "at": pgettext_lazy("audit", "at"),
    "by": pgettext_lazy("audit", "by"),
    "period": pgettext_lazy("audit", "period"),
    "organization": pgettext_lazy("audit", "organisation"),
    "person": pgettext_lazy("audit", "person"),
    "version": pgettext_lazy("audit", "methodology version"),
    "assessment": pgettext_lazy("audit", "self-assessment"),
    "plan": pgettext_lazy("audit", "development plan"),
    "goal": pgettext_lazy("audit", "goal"),
    "task": pgettext_lazy("audit", "task"),
    "deficit": pgettext_lazy("audit", "deficit"),
    "decision": pgettext_lazy("audit", "decision"),
    "recommendation": pgettext_lazy("audit", "recommendations"),
    "rule": pgettext_lazy("audit", "rule"),
    "report": pgettext_lazy("audit", "self-report"),
    "measure": pgettext_lazy("audit", "measure"),
    "candidacy": pgettext_lazy("audit", "candidacy"),
    "trainee": pgettext_lazy("audit", "trainee"),
    "competency": pgettext_lazy("audit", "competency"),
    "block": pgettext_lazy("audit", "block"),
    "reason": pgettext_lazy("audit", "reason"),
    "text": pgettext_lazy("audit", "text"),
    "values": pgettext_lazy("audit", "values"),
    "file": pgettext_lazy("audit", "file"),
    "file_name": pgettext_lazy("audit", "file name"),
    "evidence": pgettext_lazy("audit", "evidence file"),
    "evidence_name": pgettext_lazy("audit", "evidence file name"),
    "input_code": pgettext_lazy("audit", "input"),
    "position": pgettext_lazy("audit", "order"),
    "self_rating": pgettext_lazy("audit", "self-rating"),
    "self_comment": pgettext_lazy("audit", "comment of the author"),
    "expert_rating": pgettext_lazy("audit", "expert's rating"),
    "expert_comment": pgettext_lazy("audit", "expert's comment"),
    "trigger": pgettext_lazy("audit", "reason for recomputing"),
    "organizations": pgettext_lazy("audit", "organisations"),
    "action": pgettext_lazy("audit", "action"),
    "checksum": pgettext_lazy("audit", "checksum"),
    "rows": pgettext_lazy("audit", "rows"),
    "values_new": pgettext_lazy("audit", "new values"),
    "values_changed": pgettext_lazy("audit", "changed values"),
    "values_unchanged": pgettext_lazy("audit", "unchanged values"),
    "error_count": pgettext_lazy("audit", "errors"),
    "is_draft": pgettext_lazy("audit", "draft"),
    "outcome": pgettext_lazy("audit", "outcome"),
    "document_name": pgettext_lazy("audit", "document file name"),
    "report_file": pgettext_lazy("audit", "report file"),
    "report_file_name": pgettext_lazy("audit", "report file name"),
    "project_file": pgettext_lazy("audit", "project file"),
    "project_file_name": pgettext_lazy("audit", "project file name"),
}

SYSTEM = pgettext_lazy("audit", "system (a command or a background job)")
NOTHING = "—"


# --- Writing -------------------------------------------------------------------------------------


class AuditMiddleware(AuditlogMiddleware):
    """auditlog's middleware (the signed-in person becomes the actor of every entry), with the
    client's address as the sign-in lockout counts it (`lockout.client_ip`: the socket's, or the
    proxy's header named by `CLIENT_IP_HEADER`) — one setting for both.

    Whatever the header says is checked to be an address: a made-up value would otherwise be
    recorded, or, not being an address at all, break every write of the request.
    """

    @staticmethod
    def _get_remote_addr(request):
        candidates = [client_ip(request) or "", request.META.get("REMOTE_ADDR", "")]
        for candidate in candidates:
            try:
                return str(ip_address(candidate.strip("[]")))
            except ValueError:
                continue
        return None


def _owner_keys(instance) -> dict[str, bool]:
    """{"app.model:pk": True} for each owner of `instance` (see OWNERS)."""
    keys = {}
    for path in OWNERS.get(instance._meta.label_lower, ()):
        *hops, last = path.split(".")
        target = instance
        try:
            for hop in hops:
                target = getattr(target, hop)
                if target is None:
                    break
        except ObjectDoesNotExist:
            continue
        if target is None:
            continue
        relation = target._meta.get_field(last)
        pk = getattr(target, relation.attname)
        if pk is not None:
            keys[f"{relation.related_model._meta.label_lower}:{pk}"] = True
    return keys


def owner_key(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def _additional_data(self):
    owners = _owner_keys(self)
    return {"owners": owners} if owners else None


def connect() -> None:
    """Complete auditlog's registration (called from `ready()`, after auditlog's own).

    - auditlog diffs a created or deleted record over all its fields, reverse relations
      included («notes: monitoring.DecisionNote.None»): those are left out;
    - it stores what a model's `get_additional_data()` returns: the method is added to the
      models that have owners, here in one place, so that no app's models know of the audit.
    """
    for item in settings.AUDITLOG_INCLUDE_TRACKING_MODELS:
        model = apps.get_model(item["model"])
        reverse = [f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete]
        auditlog.unregister(model)
        auditlog.register(
            model,
            exclude_fields=[*item.get("exclude_fields", ()), *reverse],
            m2m_fields=item.get("m2m_fields", ()),
        )
    for label in OWNERS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        if not hasattr(model, "get_additional_data"):
            model.get_additional_data = _additional_data


def _log_many(pairs: list[tuple], action: int, fields: Iterable[str] | None = None) -> int:
    """Entries for (old, new) pairs written without signals: one INSERT for all of them."""
    if not pairs:
        return 0
    sample = pairs[0][1] if pairs[0][1] is not None else pairs[0][0]
    model = type(sample)
    if not auditlog.contains(model):
        return 0
    instances = [new if new is not None else old for old, new in pairs]
    # Names (__str__) and owners often read a foreign key: load each kind once, not per row.
    forward = [f.name for f in model._meta.concrete_fields if f.many_to_one]
    prefetch_related_objects(instances, *forward)
    content_type = ContentType.objects.get_for_model(model)
    use_json = settings.AUDITLOG_STORE_JSON_CHANGES
    entries = []
    for (old, new), instance in zip(pairs, instances, strict=True):
        changes = model_instance_diff(
            old, new, fields_to_check=fields, use_json_for_changes=use_json
        )
        if not changes:
            continue
        owners = _owner_keys(instance)
        entry = LogEntry(
            content_type=content_type,
            object_pk=smart_str(instance.pk),
            object_id=instance.pk,
            object_repr=smart_str(instance),
            action=action,
            changes=changes,
            additional_data={"owners": owners} if owners else None,
        )
        # bulk_create sends no signals: send the one through which auditlog's context (the
        # middleware, `set_actor`) fills in the actor, the address and the correlation id.
        pre_save.send(
            sender=LogEntry, instance=entry, raw=False, using="default", update_fields=None
        )
        entries.append(entry)
    LogEntry.objects.bulk_create(entries)
    return len(entries)


def audited_bulk_create(model, objs: Iterable, **kwargs) -> list:
    """`model.objects.bulk_create(objs)`, with a "created" entry for each row."""
    created = model.objects.bulk_create(list(objs), **kwargs)
    _log_many([(None, obj) for obj in created if obj.pk is not None], Action.CREATE)
    return created


def audited_bulk_update(objs: Iterable, fields: list[str], **kwargs) -> int:
    """`Model.objects.bulk_update(objs, fields)`, with old → new of each row that changed.

    The stored rows are read first (one query): callers change the instances in place.
    """
    objs = list(objs)
    if not objs:
        return 0
    model = type(objs[0])
    before = model._base_manager.in_bulk([obj.pk for obj in objs])
    count = model.objects.bulk_update(objs, fields, **kwargs)
    _log_many([(before.get(obj.pk), obj) for obj in objs], Action.UPDATE, fields)
    return count


def audited_update(queryset, **values) -> int:
    """`queryset.update(**values)`, with old → new of each row it changed."""
    model = queryset.model
    before = {obj.pk: obj for obj in queryset}
    if not before:
        return 0
    count = model._base_manager.filter(pk__in=list(before)).update(**values)
    after = model._base_manager.in_bulk(list(before))
    _log_many([(before[pk], after[pk]) for pk in before if pk in after], Action.UPDATE)
    return count


def record_view(user, obj, page: str, **details) -> LogEntry | None:
    """Log that an official opened `obj`'s `page` (a dossier): who, when, from where, which.

    Only officials' views are logged: a head reading his or her own dossier is not an access to
    someone else's personal data. Details (the period shown…) go to the entry's data.
    """
    if not user.is_authenticated or not user.is_official:
        return None
    data = {"page": page, **{key: smart_str(value) for key, value in details.items()}}
    return LogEntry.objects.log_create(
        obj, action=Action.ACCESS, force_log=True, actor=user, additional_data=data
    )


# --- Reading: names and values -------------------------------------------------------------------


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class AuditRow:
    at: dt.datetime
    actor: str
    action: str
    action_code: str  # created, changed, deleted, viewed: for the badge's colour
    model: str
    subject: str
    changes: list[FieldChange] = field(default_factory=list)
    note: str = ""
    address: str = ""
    own: bool = True  # about the record itself, not one of its children


def model_label(model) -> str:
    """A model's name in Russian."""
    if model is None:
        return gettext("removed kind of record")
    label = model._meta.label_lower
    if label in MODEL_LABELS:
        return str(MODEL_LABELS[label])
    return str(model._meta.verbose_name)


def field_label(model, name: str) -> str:
    """A field's name in Russian: its verbose name, or ours where Django's is automatic."""
    try:
        found = model._meta.get_field(name)
    except (FieldDoesNotExist, AttributeError):
        return str(FIELD_LABELS.get(name, name))
    verbose = getattr(found, "verbose_name", None)
    if isinstance(verbose, Promise):
        return str(verbose)
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    return gettext(verbose or name)


def person_name(user) -> str:
    if user is None:
        return str(SYSTEM)
    return user.full_name or user.username


def _truncate(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _number(value) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return smart_str(value)
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    else:
        number = number.normalize()
    return formats.number_format(number, use_l10n=True)


def _moment(text) -> str:
    moment = parse_datetime(str(text))
    if moment is None:
        return smart_str(text)
    if timezone.is_naive(moment):  # auditlog keeps times as naive UTC
        moment = timezone.make_aware(moment, dt.UTC)
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


class _Names:
    """Names of the records that changes refer to by id: one query per kind of record."""

    def __init__(self):
        self.wanted: dict[type, set] = defaultdict(set)
        self.found: dict[type, dict] = {}

    def want(self, model, value) -> None:
        if value not in (None, "", "None"):
            self.wanted[model].add(smart_str(value))

    def load(self) -> None:
        for model, keys in self.wanted.items():
            pks = set()
            for key in keys:
                try:
                    pks.add(model._meta.pk.to_python(key))
                except Exception:  # an id of another type (the model changed since): unnamed
                    continue
            related = [f.name for f in model._meta.concrete_fields if f.many_to_one]
            rows = model._base_manager.select_related(*related).in_bulk(pks)
            self.found[model] = {smart_str(pk): smart_str(obj) for pk, obj in rows.items()}

    def name(self, model, value) -> str:
        if value in (None, "", "None"):
            return NOTHING
        return self.found.get(model, {}).get(
            smart_str(value), gettext("deleted record No. %s") % value
        )


def _model_field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _plain(value) -> object:
    """A value as stored by auditlog: JSON values, or text in entries written before JSON."""
    if isinstance(value, str) and value in ("None", ""):
        return None
    return value


def _display(found, value, names: _Names) -> str:
    """One value for people: choices by label, records by name, dates as dates."""
    value = _plain(value)
    if value is None:
        return NOTHING
    if found is None:
        return _truncate(smart_str(value))
    if found.many_to_one or found.one_to_one:
        return names.name(found.related_model, value)
    if getattr(found, "choices", None):
        choices = {smart_str(key): label for key, label in found.flatchoices}
        return str(choices.get(smart_str(value), value))
    if isinstance(found, models.BooleanField):
        truthy = value is True or smart_str(value) == "True"
        return gettext("yes") if truthy else gettext("no")
    if isinstance(found, models.DateTimeField):
        return _moment(value)
    if isinstance(found, models.DateField):
        day = parse_date(str(value)[:10])
        return formats.date_format(day, "SHORT_DATE_FORMAT") if day else smart_str(value)
    if isinstance(found, models.TimeField):
        moment = parse_time(str(value))
        return moment.strftime("%H:%M") if moment else smart_str(value)
    if isinstance(found, models.FileField):
        return smart_str(value).rsplit("/", 1)[-1]
    if isinstance(found, models.DecimalField | models.FloatField | models.IntegerField):
        return _number(value)
    if isinstance(found, models.JSONField):
        return _truncate(_json_text(value))
    return _truncate(smart_str(value))


def _json_value(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _json_text(value) -> str:
    value = _json_value(value)
    if isinstance(value, list):
        return ", ".join(smart_str(item) for item in value) or NOTHING
    if isinstance(value, dict):
        return "; ".join(f"{key}: {item}" for key, item in value.items()) or NOTHING
    return smart_str(value)


def _points_to(found, owner, values) -> bool:
    """Whether a change only names the record whose history is shown (a note's decision)."""
    if owner is None or not (found.many_to_one or found.one_to_one):
        return False
    model, pk = owner
    return found.related_model is model and {_plain(v) for v in values[:2]} <= {None, pk}


def _changes(model, changes: dict | None, names: _Names, owner=None) -> list[FieldChange]:
    """An entry's changes for people, in the model's field order; a JSON object key by key.

    `owner` (model, pk): the record whose history this is; a child's link to it is left out.
    """
    if not changes:
        return []
    order = {f.name: n for n, f in enumerate(model._meta.get_fields())} if model else {}
    result = []
    for name in sorted(changes, key=lambda n: (order.get(n, len(order)), n)):
        values = changes[name]
        found = _model_field(model, name)
        label = field_label(model, name)
        if isinstance(values, dict) and values.get("type") == "m2m":
            objects = ", ".join(values.get("objects", [])) or NOTHING
            if values.get("operation") == "add":
                result.append(FieldChange(label, NOTHING, gettext("added: %s") % objects))
            else:
                result.append(FieldChange(label, gettext("removed: %s") % objects, NOTHING))
            continue
        if found is not None and (getattr(found, "primary_key", False) or not found.concrete):
            continue  # a created record's id, or a reverse relation, says nothing to a reader
        old, new = (list(values) + [None, None])[:2]
        if found is not None and _points_to(found, owner, [old, new]):
            continue
        if isinstance(found, models.JSONField):
            old, new = _json_value(_plain(old)), _json_value(_plain(new))
            if isinstance(old, dict | None) and isinstance(new, dict | None) and (old or new):
                old, new = old or {}, new or {}
                for key in sorted(set(old) | set(new)):
                    if old.get(key) != new.get(key):
                        result.append(
                            FieldChange(
                                f"{label}: {key}",
                                _json_text(old.get(key)) if key in old else NOTHING,
                                _json_text(new.get(key)) if key in new else NOTHING,
                            )
                        )
                continue
        result.append(FieldChange(label, _display(found, old, names), _display(found, new, names)))
    return result


def _want_names(model, changes: dict | None, names: _Names) -> None:
    for name, values in (changes or {}).items():
        found = _model_field(model, name)
        if found is None or not (found.many_to_one or found.one_to_one):
            continue
        if isinstance(values, list | tuple):
            for value in values[:2]:
                names.want(found.related_model, _plain(value))


def _note(entry: LogEntry) -> str:
    """What an access entry says about the page that was opened."""
    data = entry.additional_data or {}
    page = data.get("page")
    if not page:
        return ""
    text = str(PAGE_LABELS.get(page, page))
    if data.get("period"):
        text += " · " + gettext("period %s") % data["period"]
    return text


PAGE_LABELS = {"dossier": pgettext_lazy("audit", "the head's dossier")}
_ACTION_CODE_NAMES = {
    Action.CREATE: "created",
    Action.UPDATE: "changed",
    Action.DELETE: "deleted",
    Action.ACCESS: "viewed",
}


def _shown(action: int, changes: list[FieldChange]) -> list[FieldChange]:
    """A created record lists the fields it was given, a deleted one those it had: not the
    empty ones."""
    if action == Action.CREATE:
        return [c for c in changes if c.new != NOTHING]
    if action == Action.DELETE:
        return [c for c in changes if c.old != NOTHING]
    return changes


def describe_entries(entries: list[LogEntry], owner=None) -> list[AuditRow]:
    """Audit rows for log entries (their actor and content type selected with them).

    `owner`: the record whose history they make, if any (its own rows are marked `own`).
    """
    own = (type(owner), owner.pk) if owner is not None else None
    names = _Names()
    for entry in entries:
        _want_names(entry.content_type.model_class(), entry.changes, names)
    names.load()
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        code = _ACTION_CODE_NAMES.get(entry.action, "changed")
        # An actor deleted since keeps the e-mail auditlog copied into the entry.
        actor = person_name(entry.actor) if entry.actor_id else entry.actor_email
        rows.append(
            AuditRow(
                at=entry.timestamp,
                actor=actor or str(SYSTEM),
                action=str(ACTION_LABELS.get(entry.action, entry.action)),
                action_code=code,
                model=model_label(model),
                subject=entry.object_repr,
                changes=_shown(entry.action, _changes(model, entry.changes, names, own)),
                note=_note(entry),
                address=entry.remote_addr or "",
                own=own is None or (model is own[0] and entry.object_id == own[1]),
            )
        )
    return rows


# --- A record's history --------------------------------------------------------------------------


@dataclass
class History:
    rows: list[AuditRow]
    more: bool
    model_key: str
    object_id: int


def _children_of(label: str) -> list[str]:
    """Labels of the models whose entries `label`'s history includes."""
    found = []
    for child, paths in OWNERS.items():
        for path in paths:
            try:
                model = apps.get_model(child)
            except LookupError:
                break
            target = model
            for hop in path.split("."):
                target = target._meta.get_field(hop).related_model
            if target._meta.label_lower == label:
                found.append(child)
                break
    return found


def _content_types(labels: Iterable[str]) -> list[ContentType]:
    wanted = []
    for label in labels:
        try:
            wanted.append(apps.get_model(label))
        except LookupError:
            continue
    return list(ContentType.objects.get_for_models(*wanted).values()) if wanted else []


def entries_for(obj) -> models.QuerySet:
    """Change entries of `obj` and of the records it owns (a plan's tasks…), newest first."""
    label = obj._meta.label_lower
    own = ContentType.objects.get_for_model(type(obj))
    scope = Q(content_type=own, object_id=obj.pk)
    children = _content_types(_children_of(label))
    if children:
        scope |= Q(content_type__in=children, additional_data__owners__has_key=owner_key(obj))
    return (
        LogEntry.objects.filter(scope)
        .exclude(action=Action.ACCESS)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )


def history_for(obj, limit: int = HISTORY_LIMIT) -> History:
    """The latest changes of a record and of what it owns, in Russian, for its page.

    A fixed number of queries however long the history: the entries (one), then one per kind of
    record their changes name (people, organisations, periods…).
    """
    entries = list(entries_for(obj)[: limit + 1])
    rows = describe_entries(entries[:limit], owner=obj)
    return History(
        rows=rows,
        more=len(entries) > limit,
        model_key=obj._meta.label_lower,
        object_id=obj.pk,
    )


# --- The district-wide log -----------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    person: str = ""
    model: str = ""  # a model's label ("trajectories.plan") or a source's key ("values")
    action: str = ""  # created, changed, deleted, viewed
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    object: str = ""  # an id (with a model: the record and what it owns) or part of a name


ACTION_CODES = {"created": Action.CREATE, "changed": Action.UPDATE, "deleted": Action.DELETE}
ACTION_CODES["viewed"] = Action.ACCESS


@dataclass(frozen=True)
class AuditSource:
    """Another table kept as an audit trail (monitoring's value history), joined to the log.

    `entries(filters)` returns a queryset of that table filtered by the log's filters (or None
    when they exclude it) with `at` (when) and `pk`; `describe(pks)` makes their rows, in a fixed
    number of queries.
    """

    key: str
    label: object
    entries: Callable[[AuditFilters], models.QuerySet | None]
    describe: Callable[[list], dict]


_SOURCES: dict[str, AuditSource] = {}


def register_source(source: AuditSource) -> None:
    """Join another audit table to the district-wide log (from an app's `ready()`)."""
    _SOURCES[source.key] = source


def model_choices() -> list[tuple[str, str]]:
    """Kinds of records the log can be filtered by: audited models and joined sources."""
    choices = [(m._meta.label_lower, model_label(m)) for m in auditlog.get_models()]
    choices += [(key, str(source.label)) for key, source in _SOURCES.items()]
    return sorted(choices, key=lambda pair: pair[1].lower())


def people_matching(text: str):
    """People a filter's text names: an id, a login, or part of a surname."""
    from .models import User

    text = text.strip()
    if text.isdigit():
        return User.objects.filter(pk=int(text))
    return User.objects.filter(Q(username__iexact=text) | Q(last_name__icontains=text))


def day_bounds(filters: AuditFilters) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The filter's dates as local midnights: from the start of the first day to the end of
    the last."""
    start = end = None
    if filters.date_from:
        start = timezone.make_aware(dt.datetime.combine(filters.date_from, dt.time.min))
    if filters.date_to:
        end = timezone.make_aware(dt.datetime.combine(filters.date_to, dt.time.min))
        end += dt.timedelta(days=1)
    return start, end


def log_entries(filters: AuditFilters) -> models.QuerySet | None:
    """auditlog's entries matching the filters (None when the filters choose another source)."""
    if filters.model in _SOURCES:
        return None
    entries = LogEntry.objects.all()
    if filters.person:
        entries = entries.filter(actor__in=people_matching(filters.person))
    if filters.action:
        entries = entries.filter(action=ACTION_CODES[filters.action])
    start, end = day_bounds(filters)
    if start:
        entries = entries.filter(timestamp__gte=start)
    if end:
        entries = entries.filter(timestamp__lt=end)
    model = None
    if filters.model:
        try:
            model = apps.get_model(filters.model)
        except (LookupError, ValueError):
            return entries.none()
    text = filters.object.strip()
    if model is not None and text.isdigit():
        own = ContentType.objects.get_for_model(model)
        scope = Q(content_type=own, object_id=int(text))
        children = _content_types(_children_of(model._meta.label_lower))
        if children:
            key = f"{model._meta.label_lower}:{int(text)}"
            scope |= Q(content_type__in=children, additional_data__owners__has_key=key)
        return entries.filter(scope)
    if model is not None:
        entries = entries.filter(content_type=ContentType.objects.get_for_model(model))
    if text.isdigit():
        entries = entries.filter(object_id=int(text))
    elif text:
        entries = entries.filter(object_repr__icontains=text)
    return entries


LOG_SOURCE = "log"


def _merged(filters: AuditFilters):
    """(at, source, pk) of every matching row of every source, newest first, as one query."""
    parts = []
    entries = log_entries(filters)
    if entries is not None:
        parts.append(entries.annotate(at=F("timestamp"), audit_source=V(LOG_SOURCE)))
    for key, source in _SOURCES.items():
        if filters.model and filters.model != key:
            continue
        rows = source.entries(filters)
        if rows is not None:
            parts.append(rows.annotate(audit_source=V(key)))
    parts = [part.order_by().values_list("at", "audit_source", "pk") for part in parts]
    if not parts:
        return LogEntry.objects.none().values_list("timestamp", "object_pk", "pk")
    merged = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return merged.order_by("-at", "-pk")


def _rows(keys: list[tuple]) -> list[AuditRow]:
    """Audit rows for (at, source, pk) keys, in their order: a fixed number of queries."""
    by_source: dict[str, list] = defaultdict(list)
    for _at, source, pk in keys:
        by_source[source].append(pk)
    described: dict[tuple, AuditRow] = {}
    if by_source.get(LOG_SOURCE):
        entries = LogEntry.objects.filter(pk__in=by_source[LOG_SOURCE]).select_related(
            "actor", "content_type"
        )
        entries = list(entries)
        for entry, row in zip(entries, describe_entries(entries), strict=True):
            described[(LOG_SOURCE, entry.pk)] = row
    for key, pks in by_source.items():
        if key in _SOURCES:
            for pk, row in _SOURCES[key].describe(pks).items():
                described[(key, pk)] = row
    return [described[(source, pk)] for _at, source, pk in keys if (source, pk) in described]


def audit_page(filters: AuditFilters, number) -> Page:
    """One page of the district-wide log; its `rows` are the page's audit rows."""
    page = Paginator(_merged(filters), PAGE_SIZE).get_page(number)
    page.rows = _rows(list(page.object_list))
    return page


def audit_export_rows(filters: AuditFilters, chunk: int = 1000) -> Iterator[list]:
    """Rows of the log's Excel export: one per changed field (at most EXPORT_LIMIT entries)."""
    merged = _merged(filters)
    for start in range(0, EXPORT_LIMIT, chunk):
        keys = list(merged[start : start + chunk])
        for row in _rows(keys):
            at = timezone.localtime(row.at)
            head = [at, row.actor, row.action, row.model, row.subject]
            tail = [row.note, row.address]
            if not row.changes:
                yield [*head, "", "", "", *tail]
            for change in row.changes:
                yield [*head, change.label, change.old, change.new, *tail]
        if len(keys) < chunk:
            return


EXPORT_HEADERS = (
    _("When"),
    _("Who"),
    _("Action"),
    _("Kind of record"),
    _("Record"),
    _("Field"),
    _("Was"),
    _("Became"),
    _("Note"),
    _("Address"),
)
