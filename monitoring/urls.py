from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.home, name="home"),
    path("periods/<int:pk>/", views.period_detail, name="period_detail"),
    path("periods/<int:pk>/template.xlsx", views.template_download, name="template_download"),
    path("periods/<int:pk>/import/", views.import_upload, name="import_upload"),
    path("periods/<int:pk>/completeness/", views.completeness, name="completeness"),
    path("periods/<int:pk>/self-reports/", views.self_report_list, name="self_report_list"),
    path("periods/<int:pk>/close/", views.period_close, name="period_close"),
    path("periods/<int:pk>/reopen/", views.period_reopen, name="period_reopen"),
    path("periods/<int:pk>/rescore/", views.period_rescore, name="period_rescore"),
    path("periods/<int:pk>/scores.csv", views.scores_export, name="scores_export"),
    path("periods/<int:pk>/methodology/", views.methodology_edit, name="methodology_edit"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/discard/", views.import_discard, name="import_discard"),
    path("methodology/<int:pk>/", views.catalogue_detail, name="catalogue"),
    path(
        "periods/<int:period_pk>/organizations/<int:org_pk>/",
        views.org_monitoring,
        name="org_monitoring",
    ),
    path(
        "periods/<int:period_pk>/organizations/<int:org_pk>/values/<str:code>/",
        views.value_edit,
        name="value_edit",
    ),
    path(
        "periods/<int:period_pk>/organizations/<int:org_pk>/self-report/",
        views.self_report,
        name="self_report",
    ),
    path("self-reports/<int:pk>/review/", views.self_report_review, name="self_report_review"),
    path("self-reports/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
]
