from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import audit_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", views.my_account, name="my_account"),
    path("my-organization/", views.my_organization, name="my_organization"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("organizations/<int:pk>/edit/", views.organization_edit, name="organization_edit"),
    path("organizations/<int:pk>/delete/", views.organization_delete, name="organization_delete"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:person_pk>/roles/new/", views.membership_create, name="membership_create"),
    path("roles/<int:pk>/edit/", views.membership_edit, name="membership_edit"),
    path("periods/", views.period_list, name="period_list"),
    path("periods/new/", views.period_create, name="period_create"),
    path("periods/<int:pk>/edit/", views.period_edit, name="period_edit"),
    path("jobs/", include("zelenchuk_portal.job_urls")),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/export/", audit_views.audit_export, name="audit_export"),
    path("monitoring/", include("monitoring.urls")),
    path("decisions/", include(("monitoring.decision_urls", "decisions"))),
    path("analysis/", include("monitoring.analysis_urls")),
    path("recommendations/", include(("monitoring.recommendation_urls", "recommendations"))),
    path("assessments/", include("trajectories.assessment_urls")),
    path("plans/", include("trajectories.plan_urls")),
    path("trajectories/", include("trajectories.district_urls")),
    path("mentoring/", include("mentoring.urls")),
    path("reserve/", include("reserve.urls")),
    path("admin/", admin.site.urls),
]
