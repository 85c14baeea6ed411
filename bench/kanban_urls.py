"""The project's URLs plus ``/bench/bare/``: the floor of a logged-in page on the
same server, database and middleware, for bench/kanban.py to compare with; and
``/bench/pids/``: the server's process and its PostgreSQL backend, whose CPU
time bench/kanban.py reads around a run of requests."""

import os

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path

from crystalbay.urls import urlpatterns as project_urlpatterns


@login_required
def bare(request):
    return HttpResponse(f"<p>{request.user.get_username()}</p>")


@login_required
def pids(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    return JsonResponse({"server": os.getpid(), "postgres": backend})


urlpatterns = [path("bench/bare/", bare), path("bench/pids/", pids), *project_urlpatterns]
