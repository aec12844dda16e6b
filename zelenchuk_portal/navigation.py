"""Where each role lands after signing in.

Apps higher up register their own home pages in `AppConfig.ready()` (the registry never imports
them), so a mentor lands on his or her internships once mentoring exists.
"""

from django.urls import reverse

from .models import ROLE_PRIORITY, Role

_ROLE_HOMES: dict[str, str] = {Role.OFFICIAL: "organization_list"}


def register_home(role: str, url_name: str) -> None:
    _ROLE_HOMES[role] = url_name


def home_url_for(user) -> str | None:
    """The URL of the person's home page, or None for the generic account page."""
    for role in ROLE_PRIORITY:
        if not user.has_role(role):
            continue
        if role in _ROLE_HOMES:
            return reverse(_ROLE_HOMES[role])
        if role == Role.PRINCIPAL:
            organization = user.organizations_as(Role.PRINCIPAL).first()
            return organization.get_absolute_url() if organization else None
        return reverse("my_account")
    return None
