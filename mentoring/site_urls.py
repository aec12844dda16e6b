"""Base sites, agreements, matching, assignment and analytics (views in site_views.py)."""

from django.urls import path

from . import site_views as views

urlpatterns = [
    path("sites/", views.site_list, name="site_list"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/<int:pk>/", views.site_detail, name="site_detail"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("sites/<int:pk>/deactivate/", views.site_deactivate, name="site_deactivate"),
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/new/", views.agreement_create, name="agreement_create"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="agreement_edit"),
    path("agreements/<int:pk>/file/", views.agreement_file, name="agreement_file"),
    path("match/", views.match, name="match"),
    path("internships/new/", views.internship_create, name="internship_create"),
    path("analytics/", views.analytics, name="analytics"),
]
