from . import candidate_urls, report_urls

app_name = "reserve"

urlpatterns = candidate_urls.urlpatterns + report_urls.urlpatterns
