"""Failed-login lockout (django-axes): the page a locked-out person sees.

Axes counts failed logins per username and address (:func:`client_ip`) and, once
``AXES_FAILURE_LIMIT`` is reached, refuses that pair for ``AXES_COOLOFF_TIME`` (settings.py). Its
own response is a bare English sentence; :func:`lockout_response` (``AXES_LOCKOUT_CALLABLE``)
shows a page in the portal's layout that says, in Russian, for how long and what to do.
"""

import math

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.shortcuts import render


def client_ip(request) -> str | None:
    """The address failed logins are counted by (``AXES_CLIENT_IP_CALLABLE``).

    ``REMOTE_ADDR``, unless ``CLIENT_IP_HEADER`` names the header in which the office's reverse
    proxy passes the client's address. Of a list (``X-Forwarded-For``) the last entry is taken:
    the one the proxy itself appended, not one a client sent along.
    """
    if settings.CLIENT_IP_HEADER:
        key = "HTTP_" + settings.CLIENT_IP_HEADER.upper().replace("-", "_")
        forwarded = request.META.get(key, "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")


def lockout_minutes(request=None) -> int:
    """How long a lockout lasts, in whole minutes (rounded up)."""
    return math.ceil(get_cool_off(request).total_seconds() / 60)


def lockout_response(request, original_response=None, credentials=None):
    """The lockout page, with HTTP 429 (Too Many Requests) as axes itself answers."""
    context = {
        "username": get_client_username(request, credentials) or "",
        "minutes": lockout_minutes(request),
        "limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(
        request,
        "registration/locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
