from django.urls import path

from . import analysis_views as views

app_name = "analysis"

urlpatterns = [
    path("", views.dashboard_current, name="dashboard_current"),
    path("periods/<int:pk>/", views.dashboard, name="dashboard"),
    path("periods/<int:pk>/indicators/<str:code>/", views.indicator, name="indicator"),
    path("periods/<int:pk>/report/", views.report, name="report"),
    path("periods/<int:pk>/report.pdf", views.report_pdf, name="report_pdf"),
    path("dossier/", views.dossier_home, name="dossier_home"),
    path("dossier/<int:org_pk>/", views.dossier, name="dossier"),
]
