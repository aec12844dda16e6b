"""Base sites, agreements, matching, assignment and analytics (views in site_views.py)."""

urlpatterns = []
