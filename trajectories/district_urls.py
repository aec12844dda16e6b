from django.urls import path

from . import district_views as views

app_name = "trajectories"

urlpatterns = [
    path("district/", views.district, name="district"),
]
