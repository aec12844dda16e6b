from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Membership, Organization, Period, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(User)
class PersonAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + ((None, {"fields": ("patronymic", "birth_date", "phone")}),)
    inlines = [MembershipInline]
    search_fields = ["username", "last_name", "first_name"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["code", "short_name", "org_type", "settlement", "area", "is_active"]
    list_filter = ["org_type", "area", "is_active"]
    search_fields = ["code", "short_name", "full_name"]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["label", "start_date", "end_date", "status"]
