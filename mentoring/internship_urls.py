"""Internships: map, diary, matrix, final materials, PDF (views in internship_views.py)."""

urlpatterns = []
