"""The REST API's URLs, mounted at ``/api/``: one router every app's viewsets
are registered into (``/api/v1/``), the apps' single views beside it, the
public booking form, and the OpenAPI schema with its docs (served from the
project's own static files: drf-spectacular-sidecar).
"""

from csp import constants as csp
from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, include, path, re_path, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import routers
from rest_framework.permissions import IsAuthenticated

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
    # The schema and its docs are for people who are signed in: the schema is a 403
    # without a session or token, the docs send a visitor to the login page.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api-schema"),
    # The split view serves Swagger UI's settings as a script of its own (?script): no inline script.
    path("docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    # ReDoc styles itself with <style> elements it writes (styled-components) and searches in a
    # worker it makes from a blob: allowed on this page alone. (Its "powered by" logo from
    # cdn.redoc.ly stays refused.)
    path("redoc/", csp_update({"style-src": [csp.UNSAFE_INLINE], "worker-src": ["blob:"]})(
        login_required(SpectacularRedocView.as_view(url_name="api-schema"))), name="api-redoc"),
    re_path(r"^[\s\S]*$", not_found),  # [\s\S]: an address with a newline is a JSON 404 too
]
