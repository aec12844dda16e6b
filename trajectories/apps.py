from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrajectoriesConfig(AppConfig):
    name = "trajectories"
    verbose_name = _("Development trajectories")

    def ready(self):
        # Monitoring never imports trajectories: this app hands it its numbers, deficit codes,
        # report summary and dossier section through monitoring's registries.
        from monitoring.dossier import register_section
        from monitoring.providers import register_provider
        from monitoring.recommendations import register_deficit_source
        from monitoring.reports import register_deficit_summary

        from .dossier import dossier_section
        from .providers import deficit_codes, deficit_summary, monitoring_inputs

        register_provider("trajectories", monitoring_inputs)
        register_deficit_source(deficit_codes, name="trajectories")
        register_deficit_summary(deficit_summary)
        register_section(
            _("Professional development"), "trajectories/_dossier_section.html", dossier_section
        )

        from zelenchuk_portal.models import Role
        from zelenchuk_portal.navigation import register_home

        register_home(Role.EXPERT, "assessments:to_rate")
        register_home(Role.CANDIDATE, "plans:my_plan")
