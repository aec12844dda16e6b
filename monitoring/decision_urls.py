"""Measures, events and management decisions (namespace `decisions`, under /decisions/)."""

from django.urls import path

from . import decision_views as views

urlpatterns = [
    path("", views.decision_list, name="decision_list"),
    path("new/", views.decision_create, name="decision_create"),
    path("export.xlsx", views.decision_export, name="decision_export"),
    path("<int:pk>/", views.decision_detail, name="decision_detail"),
    path("<int:pk>/edit/", views.decision_edit, name="decision_edit"),
    path("<int:pk>/status/", views.decision_status, name="decision_status"),
    path("<int:pk>/comment/", views.decision_comment, name="decision_comment"),
    path("<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("measures/", views.measure_list, name="measure_list"),
    path("measures/new/", views.measure_create, name="measure_create"),
    path("measures/<int:pk>/", views.measure_detail, name="measure_detail"),
    path("measures/<int:pk>/edit/", views.measure_edit, name="measure_edit"),
    path("measures/<int:pk>/materials/", views.material_upload, name="material_upload"),
    path("materials/<int:pk>/", views.material_download, name="material_download"),
]
