"""Derived inputs: numbers the portal computes from its own records.

Monitoring never imports the apps that own those records (trajectories, reserve): each of them
registers a provider here in its `AppConfig.ready()`. A provider takes a period and the
organisations being scored and returns `{organization_id: {input_code: value}}`; an input it
cannot compute for an organisation is simply absent (missing, never 0).
"""

from collections.abc import Callable, Iterable

from zelenchuk_portal.models import Area, Organization, Period

Provider = Callable[[Period, list[Organization]], dict[int, dict[str, float]]]

_PROVIDERS: dict[str, Provider] = {}


def register_provider(name: str, provider: Provider) -> None:
    """Register (or replace) a provider under a stable name, e.g. "trajectories"."""
    _PROVIDERS[name] = provider


def registered_providers() -> dict[str, Provider]:
    return dict(_PROVIDERS)


def derived_values(period: Period, organizations: Iterable[Organization]) -> dict[int, dict]:
    """Every registered provider's values, merged per organisation."""
    organizations = list(organizations)
    merged: dict[int, dict[str, float]] = {}
    for provider in _PROVIDERS.values():
        for org_id, values in provider(period, organizations).items():
            merged.setdefault(org_id, {}).update(values)
    return merged


# The internet speed norm of B4.5 follows from the registry: 50 Mbit/s in rural areas, 100 in
# towns (the norm stated in inputs.csv).
INTERNET_NORM = {Area.RURAL: 50.0, Area.URBAN: 100.0}


def registry_provider(period: Period, organizations: list[Organization]) -> dict[int, dict]:
    return {org.pk: {"internet_norm_mbps": INTERNET_NORM[org.area]} for org in organizations}
