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

        # Monitoring never imports the reserve: the reserve hands it the A2.2–A2.4 inputs and
        # the dossier's section through monitoring's registries.
        from monitoring.dossier import register_section
        from monitoring.providers import register_provider

        from .dossier import dossier_section
        from .providers import monitoring_inputs

        register_provider("reserve", monitoring_inputs)
        register_section(_("Personnel reserve"), "reserve/_dossier_section.html", dossier_section)
