"""Internships: map, diary, matrix, final materials, PDF (views in internship_views.py)."""

from django.urls import path

from . import internship_views as views

urlpatterns = [
    path("internships/", views.my_internships, name="my_internships"),
    path("internships/<int:pk>/", views.internship_detail, name="internship_detail"),
    path("internships/<int:pk>/pdf/", views.internship_pdf, name="internship_pdf"),
    path("internships/<int:pk>/stage/", views.internship_stage, name="internship_stage"),
    path("internships/<int:pk>/close/", views.internship_close, name="internship_close"),
    path(
        "internships/<int:pk>/assignments/new/",
        views.assignment_create,
        name="assignment_create",
    ),
    path("assignments/<int:pk>/edit/", views.assignment_edit, name="assignment_edit"),
    path("assignments/<int:pk>/status/", views.assignment_status, name="assignment_status"),
    path("assignments/<int:pk>/delete/", views.assignment_delete, name="assignment_delete"),
    path("trainees/<int:pk>/notes/", views.trainee_notes, name="trainee_notes"),
    path("trainees/<int:pk>/entries/new/", views.entry_create, name="entry_create"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("entries/<int:pk>/delete/", views.entry_delete, name="entry_delete"),
    path("entries/<int:pk>/comment/", views.entry_comment, name="entry_comment"),
    path("trainees/<int:pk>/decisions/new/", views.decision_create, name="decision_create"),
    path("decisions/<int:pk>/edit/", views.decision_edit, name="decision_edit"),
    path("decisions/<int:pk>/delete/", views.decision_delete, name="decision_delete"),
    path("decisions/<int:pk>/rate/", views.decision_rate, name="decision_rate"),
    path("trainees/<int:pk>/final/", views.trainee_final, name="trainee_final"),
    path("trainees/<int:pk>/assessment/", views.trainee_assess, name="trainee_assess"),
    path(
        "trainees/<int:pk>/report-file/",
        views.trainee_file,
        {"kind": "report"},
        name="trainee_report_file",
    ),
    path(
        "trainees/<int:pk>/project-file/",
        views.trainee_file,
        {"kind": "project"},
        name="trainee_project_file",
    ),
]
