"""The reserve report and the succession view (views in report_views.py)."""

urlpatterns = []
