"""Background jobs (namespace `jobs`, under /jobs/)."""

from django.urls import path

from . import job_views as views

app_name = "jobs"

urlpatterns = [
    path("<int:pk>/", views.job_status, name="status"),
    path("<int:pk>/result/", views.job_result, name="result"),
]
