"""The pages the load test's simulated people open, read from the seeded demo district.

Run inside the scratch environment (`scripts/load_test.py` does so, with DATABASE_URL pointing
at the scratch database): `python -m loadtest.catalogue OUT.json`. The locustfile then only
knows URLs, never ids, so it needs neither Django nor the database.

Layout of the JSON: {"password": the demo password, "pages": {login: {page: [url, …]}}}, one
entry per demo login the users sign in as.
Each page is a kind of page (the names the figures are reported under); a user picks one of
its URLs at random each time, so officials spread over several organisations and plans.
"""

import json
import os
import sys
from pathlib import Path

# Officials browse this many organisations' dossiers, letters and plans: enough that the pages
# do not all come from one warm cache line, as many as the demo district reasonably offers.
SPREAD = 12
# The heads the principals' users sign in as (zelenchuk_portal/demo.py: HEAD_LOGINS).
HEADS = ("principal", "principal2")
OFFICIAL = "official"


def build_catalogue() -> dict[str, dict[str, list[str]]]:
    """Map each demo login the load test uses to the URLs of every kind of page it browses.

    Officials: the district dashboard of the latest scored period and its indicator pages,
    dossiers of several organisations, the analytical report page, recommendation letters
    (PDF), development plans (PDF), the reserve report and the mentoring analytics. Heads:
    their organisation's card, dossier and monitoring page, their own plans (page and PDF),
    their letter (PDF), and — the one expected refusal — the other head's dossier (a 404).
    """
    from django.urls import reverse

    from monitoring.methodology import version_for
    from monitoring.models import Recommendation
    from trajectories.models import Plan
    from zelenchuk_portal.models import Organization, Period, Role, User

    period = Period.objects.filter(scores__isnull=False).distinct().order_by("-start_date").first()
    if period is None:
        raise SystemExit("No scored period: run `manage.py seed_demo` first.")
    codes = list(version_for(period).indicators.order_by("position").values_list("code", flat=True))
    codes = codes[:: max(1, len(codes) // SPREAD)][:SPREAD]
    organizations = list(Organization.objects.filter(scores__period=period).order_by("code"))
    sample = organizations[:: max(1, len(organizations) // SPREAD)][:SPREAD]
    issued = Recommendation.objects.filter(period=period, status=Recommendation.Status.ISSUED)
    letters = list(issued.order_by("organization__code").values_list("organization_id", flat=True))

    def letter(org_id):
        return reverse(
            "recommendations:letter_pdf", kwargs={"period_pk": period.pk, "org_pk": org_id}
        )

    def plan_pdfs(plans):
        return [reverse("plans:plan_pdf", args=[pk]) for pk in plans.values_list("pk", flat=True)]

    catalogue = {
        OFFICIAL: {
            "district dashboard": [reverse("analysis:dashboard", args=[period.pk])],
            "indicator page": [
                reverse("analysis:indicator", args=[period.pk, code]) for code in codes
            ],
            "dossier": [reverse("analysis:dossier", args=[org.pk]) for org in sample],
            "analytical report": [reverse("analysis:report", args=[period.pk])],
            "letter PDF": [letter(org_id) for org_id in letters[::3][:SPREAD]],
            "plan PDF": plan_pdfs(Plan.objects.order_by("pk")[:SPREAD]),
            "reserve report": [reverse("reserve:report")],
            "mentoring analytics": [reverse("mentoring:analytics")],
        }
    }
    heads = {login: User.objects.get(username=login) for login in HEADS}
    for login, user in heads.items():
        own = _headed(user, Role.PRINCIPAL)
        other_org = _headed(next(u for name, u in heads.items() if name != login), Role.PRINCIPAL)
        plans = Plan.objects.filter(person=user).order_by("pk")
        catalogue[login] = {
            "organisation card": [own.get_absolute_url()],
            "dossier": [reverse("analysis:dossier", args=[own.pk])],
            "organisation monitoring": [
                reverse("monitoring:org_monitoring", args=[period.pk, own.pk])
            ],
            "plan": [
                reverse("plans:plan_detail", args=[pk]) for pk in plans.values_list("pk", flat=True)
            ],
            "plan PDF": plan_pdfs(plans),
            "letter PDF": [letter(own.pk)] if own.pk in letters else [],
            "other head's dossier (404)": [reverse("analysis:dossier", args=[other_org.pk])],
        }
    # A kind of page with no URL would silently drop out of the mix and out of the figures.
    empty = [f"{login}: {page}" for login, pages in catalogue.items() for page in pages]
    empty = [name for name in empty if not catalogue[name.split(": ")[0]][name.split(": ")[1]]]
    if empty:
        raise SystemExit(f"The demo data offer no URL for: {', '.join(empty)}")
    return catalogue


def _headed(user, role):
    """The organisation `user` heads today."""
    return user.memberships.current().get(role=role).organization


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zelenchuk_portal.settings")
    django.setup()
    from zelenchuk_portal.demo import DEMO_PASSWORD

    catalogue = {"password": DEMO_PASSWORD, "pages": build_catalogue()}
    Path(argv[1]).write_text(json.dumps(catalogue, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv)
