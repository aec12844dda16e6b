from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self):
        from zelenchuk_portal.models import Role
        from zelenchuk_portal.navigation import register_home

        from .providers import register_provider, registry_provider

        register_provider("registry", registry_provider)
        register_home(Role.OFFICIAL, "analysis:dashboard_current")
        register_home(Role.PRINCIPAL, "analysis:dossier_home")

        from .cycle import connect

        connect()

        from .audit import register as register_audit

        register_audit()

        from .jobs import register

        register()
