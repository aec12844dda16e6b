"""Self-assessments (mounted at /assessments/, namespace `assessments`)."""

from django.urls import path

from . import assessment_views as views

app_name = "assessments"
urlpatterns = [
    path("my/", views.my_assessment, name="my_assessment"),
    path("to-rate/", views.to_rate, name="to_rate"),
    path("district/", views.assessment_list, name="assessment_list"),
    path("deficit-rule/", views.deficit_rule, name="deficit_rule"),
    path("<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("<int:pk>/edit/", views.assessment_edit, name="assessment_edit"),
    path("<int:pk>/copy/", views.assessment_copy, name="assessment_copy"),
    path("<int:pk>/pdf/", views.assessment_pdf, name="assessment_pdf"),
    path("<int:pk>/rate/", views.expert_rating, name="expert_rating"),
    path("<int:pk>/return/", views.assessment_return, name="assessment_return"),
    path("<int:pk>/assign/", views.assessment_assign, name="assessment_assign"),
    path("items/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("items/<int:pk>/evidence/file/", views.evidence_download, name="evidence_download"),
    path("items/<int:pk>/evidence/delete/", views.evidence_delete, name="evidence_delete"),
    path("deficits/<int:pk>/decide/", views.deficit_decide, name="deficit_decide"),
]
