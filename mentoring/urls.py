from . import internship_urls, site_urls

app_name = "mentoring"

urlpatterns = site_urls.urlpatterns + internship_urls.urlpatterns
