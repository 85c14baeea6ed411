"""The project's URLs plus ``/bench/bare-webhook/``: a POST that reads the JSON body
and answers like our webhook does, but stores nothing — the floor on the same
server, middleware and database settings for bench/webhooks.py to compare with."""

import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crystalbay.urls import urlpatterns as project_urlpatterns


@csrf_exempt
@require_POST
def bare_webhook(request):
    json.loads(request.body)
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare-webhook/", bare_webhook), *project_urlpatterns]
