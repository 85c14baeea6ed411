"""The project's URLs plus ``/bench/bare/``: the floor of a logged-in page on the
same server, database and middleware, for bench/kanban.py to compare with."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from crystalbay.urls import urlpatterns as project_urlpatterns


@login_required
def bare(request):
    return HttpResponse(f"<p>{request.user.get_username()}</p>")


urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
