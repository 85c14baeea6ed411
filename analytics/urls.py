from django.urls import path, re_path

from analytics import views
from analytics.api import AnalyticsSummaryAPIView

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("summary/<str:key>/", views.summary_part, name="summary"),
    path("export/<slug:table>.csv", views.export, name="export"),
    path("surveys/", views.surveys, name="surveys"),
    path("spend/", views.spend, name="spend"),
]

# Wired under /api/v1/analytics/ by crystalbay/urls.py (the contract names it without a trailing slash).
api_urlpatterns = [
    re_path(r"^summary/?$", AnalyticsSummaryAPIView.as_view(), name="api-analytics-summary"),
]
