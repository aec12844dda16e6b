"""Candidates: nomination, status, training, contests, readiness (views in views.py)."""

urlpatterns = []
