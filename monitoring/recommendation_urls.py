"""Targeted recommendations (namespace `recommendations`, under /recommendations/)."""

from django.urls import path

from . import recommendation_views as views

ORG = "periods/<int:period_pk>/organizations/<int:org_pk>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("periods/<int:pk>/", views.period_overview, name="period_overview"),
    path("periods/<int:pk>/draft/", views.period_draft, name="period_draft"),
    path("periods/<int:pk>/letters.zip", views.letters_zip, name="letters_zip"),
    path(ORG, views.org_recommendations, name="org_recommendations"),
    path(f"{ORG}draft/", views.org_draft, name="org_draft"),
    path(f"{ORG}withdraw/", views.org_withdraw, name="org_withdraw"),
    path(f"{ORG}letter.pdf", views.letter_pdf, name="letter_pdf"),
]
