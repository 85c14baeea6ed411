from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from crm.urls import my_day_urlpatterns
from crystalbay import views
from crystalbay.metrics import metrics
from integrations import views as integration_views
from messaging.urls import webhook_urlpatterns

urlpatterns = [
    path("", views.home, name="home"),
    path("health", integration_views.health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("settings/", integration_views.settings_page, name="settings"),
    path("leads/", include("crm.urls")),
    path("my-day/", include(my_day_urlpatterns)),
    path("tours/", include("tours.urls")),
    path("inbox/", include("messaging.urls")),
    path("webhooks/", include(webhook_urlpatterns)),
    path("api/", include("crystalbay.api")),
    path("analytics/", include("analytics.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
