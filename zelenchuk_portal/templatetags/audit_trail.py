"""`{% record_history obj %}`: a record's change history on its page, for officials only."""

from django import template
from django.db.models import Model

from zelenchuk_portal.audit import history_for

register = template.Library()


@register.inclusion_tag("portal/_history.html", takes_context=True)
def record_history(context, obj):
    """The history card of `obj` (see `audit.history_for`); nothing for anyone but officials,
    who answer for the records, and nothing for a record not stored yet."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(obj, Model) or obj.pk is None or user is None or not user.is_authenticated:
        return {"history": None}
    if not user.is_official:
        return {"history": None}
    return {"history": history_for(obj)}
