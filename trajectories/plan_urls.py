from django.urls import path

from . import plan_views as views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("my/", views.my_plan, name="my_plan"),
    path("review/", views.review_list, name="review_list"),
    path("new/", views.plan_start, name="plan_start"),
    path("<int:pk>/", views.plan_detail, name="plan_detail"),
    path("<int:pk>/pdf/", views.plan_pdf, name="plan_pdf"),
    path("<int:pk>/reviewer/", views.plan_reviewer, name="plan_reviewer"),
    path("<int:pk>/status/", views.plan_status, name="plan_status"),
    path("<int:pk>/review/", views.plan_review, name="plan_review"),
    path("<int:pk>/comments/", views.plan_comment, name="plan_comment"),
    path("<int:pk>/deficits/", views.plan_sync, name="plan_sync"),
    path("<int:pk>/goals/new/", views.goal_add, name="goal_add"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/delete/", views.goal_delete, name="goal_delete"),
    path("goals/<int:pk>/tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="task_delete"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("tasks/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("analyses/<int:pk>/edit/", views.analysis_edit, name="analysis_edit"),
]
