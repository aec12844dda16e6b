from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReserveConfig(AppConfig):
    name = "reserve"
    verbose_name = _("Personnel reserve")

    def ready(self):
        from zelenchuk_portal.models import Role
        from zelenchuk_portal.navigation import register_home

        # A candidate lands on his or her reserve page (status, plan, training), which
        # replaces the plan page trajectories registered.
        register_home(Role.CANDIDATE, "reserve:my_reserve")
