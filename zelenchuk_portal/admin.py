"""The Django admin: a back door for superusers, held to the same two rules as the portal.

- A closed period's records are read-only here too (`ClosedPeriodReadOnly`): the admin can
  neither change nor delete them, and a period's status is never edited here — closing and
  reopening go through the portal (`monitoring.periods`), which records who, when and why.
- An admin save of a record people edit in the portal takes the record's next revision
  (`RevisionedAdmin`), so a portal form opened before it is refused rather than overwriting it.

tests/portal/test_admin_guards.py fails when a model with a period is registered without the
first rule, or a `Revisioned` model without the second.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .concurrency import claim
from .models import Job, Membership, Organization, Period, User


class ClosedPeriodReadOnly:
    """Records of a closed period (or a closed period itself) open read-only in the admin."""

    def period_of(self, obj):
        return obj if isinstance(obj, Period) else getattr(obj, "period", None)

    def is_frozen(self, obj) -> bool:
        period = self.period_of(obj) if obj is not None else None
        return period is not None and period.is_closed

    def has_change_permission(self, request, obj=None):
        return not self.is_frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self.is_frozen(obj) and super().has_delete_permission(request, obj)


class RevisionedAdmin:
    """An admin save moves the record's revision like any other save (see concurrency.py)."""

    def save_model(self, request, obj, form, change):
        claim(obj, None, request.user)  # the admin's change view runs in a transaction
        super().save_model(request, obj, form, change)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(User)
class PersonAdmin(RevisionedAdmin, UserAdmin):
    fieldsets = UserAdmin.fieldsets + ((None, {"fields": ("patronymic", "birth_date", "phone")}),)
    inlines = [MembershipInline]
    search_fields = ["username", "last_name", "first_name"]


@admin.register(Organization)
class OrganizationAdmin(RevisionedAdmin, admin.ModelAdmin):
    list_display = ["code", "short_name", "org_type", "settlement", "area", "is_active"]
    list_filter = ["org_type", "area", "is_active"]
    search_fields = ["code", "short_name", "full_name"]


@admin.register(Period)
class PeriodAdmin(ClosedPeriodReadOnly, admin.ModelAdmin):
    list_display = ["label", "start_date", "end_date", "status"]
    readonly_fields = ["status"]  # closed and reopened in the portal, with a reason


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["kind", "status", "progress", "started_by", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in Job._meta.fields]
