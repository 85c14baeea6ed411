"""The project's URLs plus two bare Django views for bench/api.py to compare the
API's lead list with, on the same server, database and middleware:

- ``/bench/bare-leads/`` — the same page (50 newest leads the person sees, each
  with its client) read as plain values and written as JSON by hand: no
  framework between the query and the bytes;
- ``/bench/bare/`` — a logged-in view that reads nothing (the floor of any request).
"""

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, JsonResponse
from django.urls import path
from phonenumber_field.phonenumber import PhoneNumber

from crm import access
from crm.models import Lead
from crystalbay.urls import urlpatterns as project_urlpatterns

COLUMNS = ("pk", "client_id", "client__full_name", "client__phone", "client__email", "stage_id", "source",
           "destination_country", "destination_resort", "date_from", "date_to", "nights_from", "nights_to", "adults",
           "children", "budget", "budget_currency", "version", "created_at")


class Encoder(DjangoJSONEncoder):
    def default(self, o):
        return str(o) if isinstance(o, PhoneNumber) else super().default(o)


@login_required
def bare_leads(request):
    leads = access.visible_to(request.user, Lead.objects.all())
    rows = list(leads.order_by("-created_at", "-pk").values_list(*COLUMNS)[:50])
    return JsonResponse({"count": leads.count(), "results": [dict(zip(COLUMNS, row, strict=True)) for row in rows]},
                        encoder=Encoder)


@login_required
def bare(request):
    return HttpResponse(f"<p>{request.user.get_username()}</p>")


urlpatterns = [path("bench/bare-leads/", bare_leads), path("bench/bare/", bare), *project_urlpatterns]
