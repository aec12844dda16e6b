"""Candidates: nomination, status, training, contests, readiness (views in views.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.candidate_list, name="candidate_list"),
    path("export/", views.candidate_export, name="candidate_export"),
    path("new/", views.nominate, name="nominate"),
    path("my/", views.my_reserve, name="my_reserve"),
    path("<int:pk>/", views.candidate_detail, name="candidate_detail"),
    path("<int:pk>/edit/", views.candidate_edit, name="candidate_edit"),
    path("<int:pk>/approve/", views.candidate_approve, name="candidate_approve"),
    path("<int:pk>/reject/", views.candidate_reject, name="candidate_reject"),
    path("<int:pk>/enrol/", views.candidate_enrol, name="candidate_enrol"),
    path("<int:pk>/status/", views.candidate_move, name="candidate_move"),
    path("<int:pk>/readiness/", views.readiness_confirm, name="readiness_confirm"),
    path("<int:pk>/training/new/", views.training_add, name="training_add"),
    path("training/<int:pk>/edit/", views.training_edit, name="training_edit"),
    path("training/<int:pk>/delete/", views.training_delete, name="training_delete"),
    path("training/<int:pk>/document/", views.training_document, name="training_document"),
    path("<int:pk>/contests/new/", views.contest_add, name="contest_add"),
    path("contests/<int:pk>/delete/", views.contest_delete, name="contest_delete"),
]
