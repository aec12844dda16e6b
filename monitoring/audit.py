"""Monitoring's value history as a part of the district-wide audit log.

Values are written in bulk (`values.write_values`, PostgreSQL COPY), which no model signal sees,
so auditlog never records them. Every write that changes a value stores the previous one in
`ValueChange` instead — who, when, old → new, from which import, sheet and row, and why — and
that table *is* the audit trail of values. This module lets the audit page show it among the
other entries (`zelenchuk_portal.audit.register_source`, called from `MonitoringConfig.ready`).
"""

from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zelenchuk_portal.audit import (
    ACTION_LABELS,
    Action,
    AuditFilters,
    AuditRow,
    AuditSource,
    FieldChange,
    day_bounds,
    people_matching,
    person_name,
    register_source,
)

from .models import InputField, Source, ValueChange

SOURCE_KEY = "monitoring.value"


def value_changes(filters: AuditFilters):
    """The value changes the audit page's filters select (None: the filters exclude values)."""
    if filters.action in ("deleted", "viewed"):  # values are replaced, never deleted or viewed
        return None
    rows = ValueChange.objects.annotate(at=F("changed_at"))
    if filters.person:
        rows = rows.filter(changed_by__in=people_matching(filters.person))
    if filters.action:
        rows = rows.filter(old_value__isnull=filters.action == "created")
    start, end = day_bounds(filters)
    if start:
        rows = rows.filter(changed_at__gte=start)
    if end:
        rows = rows.filter(changed_at__lt=end)
    text = filters.object.strip()
    if text.isdigit():  # an organisation's id, as in its page's address
        rows = rows.filter(organization_id=int(text))
    elif text:
        rows = rows.filter(Q(input_code__iexact=text) | Q(organization__short_name__icontains=text))
    return rows


def _number(value) -> str:
    if value is None:
        return "—"
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def _note(change: ValueChange) -> str:
    parts = [str(Source(change.source).label) if change.source in Source.values else change.source]
    if change.import_record_id and change.import_record:
        where = change.import_record.file_name
        if change.sheet:
            where += f", {change.sheet}"
        if change.row:
            where += ", " + gettext("row %s") % change.row
        parts.append(where)
    if change.reason:
        parts.append(change.reason)
    return " · ".join(parts)


def describe_value_changes(pks: list[int]) -> dict[int, AuditRow]:
    """Audit rows of value changes: three queries however many."""
    changes = list(
        ValueChange.objects.filter(pk__in=pks).select_related(
            "changed_by", "organization", "period", "import_record"
        )
    )
    codes = {change.input_code for change in changes}
    labels = {}
    # The newest version's wording first: a code keeps its meaning across versions.
    for code, label in (
        InputField.objects.filter(code__in=codes)
        .order_by("code", "-version__created_at")
        .values_list("code", "label")
    ):
        labels.setdefault(code, label)
    rows = {}
    for change in changes:
        created = change.old_value is None
        where = change.organization.short_name if change.organization_id else gettext("district")
        rows[change.pk] = AuditRow(
            at=change.changed_at,
            actor=person_name(change.changed_by),
            action=str(ACTION_LABELS[Action.CREATE if created else Action.UPDATE]),
            action_code="created" if created else "changed",
            model=str(SOURCE_LABEL),
            subject=f"{where} · {change.period.label}",
            changes=[
                FieldChange(
                    f"{labels[change.input_code]} ({change.input_code})"
                    if change.input_code in labels
                    else change.input_code,
                    _number(change.old_value),
                    _number(change.new_value),
                )
            ],
            note=_note(change),
        )
    return rows


SOURCE_LABEL = _("indicator value")


def register() -> None:
    register_source(
        AuditSource(
            key=SOURCE_KEY,
            label=SOURCE_LABEL,
            entries=value_changes,
            describe=describe_value_changes,
        )
    )
