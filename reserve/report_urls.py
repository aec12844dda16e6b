"""The reserve report and the succession view (views in report_views.py)."""

from django.urls import path

from . import report_views as views

urlpatterns = [
    path("report/", views.report, name="report"),
    path("report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
    path("succession/", views.succession, name="succession"),
    path("succession.xlsx", views.succession_xlsx, name="succession_xlsx"),
]
