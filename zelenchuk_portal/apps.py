from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "zelenchuk_portal"
    verbose_name = _("District registry")

    def ready(self):
        from .audit import connect

        connect()
