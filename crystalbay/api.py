"""The REST API's URLs, mounted at ``/api/``: one router every app's viewsets
are registered into (``/api/v1/``), the apps' single views beside it, the
public booking form, and the OpenAPI schema with its docs (served from the
project's own static files: drf-spectacular-sidecar).
"""

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, include, path, re_path, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import routers

from analytics.urls import api_urlpatterns as analytics_api_urlpatterns
from crm.api.clients import ClientViewSet
from crm.api.leads import LeadViewSet, PipelineViewSet, StageViewSet
from crm.api.orders import OrderViewSet
from crm.api.public import PublicLeadIntakeView
from crm.api.tasks import NoteViewSet, TaskViewSet
from messaging.api import ConversationViewSet
from messaging.urls import api_urlpatterns as messaging_api_urlpatterns
from tours.api import OfferViewSet, TourSearchAPIView


@csrf_exempt  # it changes nothing: a POST to a wrong address gets the same JSON 404
def not_found(request):
    """Any other address under /api/: a JSON 404 like the API's own (a client reads
    JSON, not the site's HTML page), or the address with its missing slash."""
    with_slash = f"{request.path}/"
    if not request.path.endswith("/"):
        try:
            if resolve(with_slash).func is not not_found:
                return HttpResponsePermanentRedirect(with_slash)
        except Resolver404:
            pass
    return JsonResponse({"detail": _("Not found.")}, status=404)


router = routers.DefaultRouter()
router.register("clients", ClientViewSet, basename="api-client")
router.register("leads", LeadViewSet, basename="api-lead")
router.register("pipelines", PipelineViewSet, basename="api-pipeline")
router.register("stages", StageViewSet, basename="api-stage")
router.register("orders", OrderViewSet, basename="api-order")
router.register("tasks", TaskViewSet, basename="api-task")
router.register("notes", NoteViewSet, basename="api-note")
router.register("offers", OfferViewSet, basename="api-offer")
router.register("conversations", ConversationViewSet, basename="api-conversation")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/tours/search/", TourSearchAPIView.as_view(), name="api-tours-search"),
    path("v1/", include(messaging_api_urlpatterns)),
    path("v1/analytics/", include(analytics_api_urlpatterns)),
    path("public/v1/leads", PublicLeadIntakeView.as_view(), name="api-public-leads"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    re_path(r"^.*$", not_found),
]
