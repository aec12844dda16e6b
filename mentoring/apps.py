from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MentoringConfig(AppConfig):
    name = "mentoring"
    verbose_name = _("Mentoring and internships")

    def ready(self):
        # Monitoring never imports mentoring: the dossier's section comes through its registry,
        # and a mentor's home page through the registry's own.
        from monitoring.dossier import register_section
        from zelenchuk_portal.models import Role
        from zelenchuk_portal.navigation import register_home

        from .dossier import dossier_section

        register_section(_("Internships"), "mentoring/_dossier_section.html", dossier_section)
        register_home(Role.MENTOR, "mentoring:my_internships")
