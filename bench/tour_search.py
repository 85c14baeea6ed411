"""Benchmark of the tour search against the local SAMO server.

    .venv/bin/python bench/tour_search.py [--iterations 200] [--server postgres://postgres@127.0.0.1:5432]
                                          [--redis redis://127.0.0.1:6379/7]

On a scratch PostgreSQL database and its own Redis database, with the project
in this process (Django's test client: the full middleware stack, no network)
and the local SAMO server in a thread:

1. server time of a cached search (the page, and the JSON API) beside a bare
   Django view behind the same middleware and login — target: cached page under
   15 ms median;
2. overhead of an uncached search over SAMO's own latency, the local server
   delaying every answer by 200 ms: the same SAMO request timed bare (requests)
   and through the page — target: under 10 %;
3. upstream calls made by 50 concurrent identical cold searches — target: 1.

Prints the figures and writes them to ``bench/results/tour_search.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "tour_search.json"
sys.path.insert(0, str(ROOT))

urlpatterns: list = []  # this module is the URLconf: the project's URLs and one bare view


def bare(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed_ms(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def summary(values: list[float]) -> dict:
    return {"median_ms": round(statistics.median(values), 2), "p95_ms": round(percentile(values, 0.95), 2),
            "n": len(values)}


def search_params(start: dt.date, *, nights_till: int = 10, town_from: int = 1344) -> dict:
    return {"town_from": town_from, "state": 22, "checkin_beg": start.isoformat(),
            "checkin_end": (start + dt.timedelta(days=7)).isoformat(), "nights_from": 7, "nights_till": nights_till,
            "adults": 2, "children": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--cold-iterations", type=int, default=15)
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--delay-ms", type=int, default=200)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--database", default="crystalbay_bench_tours")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/7"))
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args()

    import psycopg
    from psycopg import sql

    from integrations.samo.fake import DEFAULT_TOKEN, FakeSamoServer

    server_url = options.server.rstrip("/")
    database = sql.Identifier(options.database)
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
    samo = FakeSamoServer().start()
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "crystalbay.settings", "DATABASE_URL": f"{server_url}/{options.database}",
        "REDIS_URL": options.redis, "DEBUG": "0", "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0", "STATIC_MANIFEST": "0",
        "CELERY_TASK_ALWAYS_EAGER": "1", "SAMO_API_URL": samo.url, "SAMO_OAUTH_TOKEN": DEFAULT_TOKEN,
        "LOG_LEVEL": "WARNING",
    })
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=os.environ,
                       check=True)
        result = run(options, samo)
    finally:
        samo.stop()
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))

    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


def run(options, samo) -> dict:
    import django

    django.setup()
    import requests
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.cache import cache
    from django.db import connections
    from django.test import Client
    from django.urls import path

    import crystalbay.urls
    from tours.forms import TourSearchForm

    urlpatterns.extend([*crystalbay.urls.urlpatterns, path("bench/bare/", bare)])
    settings.ROOT_URLCONF = __name__
    cache.clear()
    user = get_user_model().objects.create_user("bench-agent", password="bench-pass-2026", is_staff=True)  # noqa: S106
    user.groups.add(Group.objects.get(name="agent"))

    def logged_in() -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="ru")
        client.force_login(user)
        return client

    client = logged_in()
    start = dt.date.today() + dt.timedelta(days=20)

    # 1. Cached search beside a bare view.
    params = search_params(start)
    assert client.get("/tours/search/", params).status_code == 200  # fills the cache
    for _ in range(20):  # warm up both paths
        client.get("/bench/bare/")
        client.get("/tours/search/", params)
    calls_before = samo.state.total
    bare_ms = [timed_ms(lambda: client.get("/bench/bare/")) for _ in range(options.iterations)]
    page_ms = [timed_ms(lambda: client.get("/tours/search/", params)) for _ in range(options.iterations)]
    api_ms = [timed_ms(lambda: client.get("/api/v1/tours/search/", params)) for _ in range(options.iterations)]
    assert samo.state.total == calls_before, "a cached search reached SAMO"
    cached = {"bare_view": summary(bare_ms), "search_page": summary(page_ms), "search_api": summary(api_ms)}

    # 2. Uncached search over SAMO's own latency.
    samo.state.delay_ms = options.delay_ms
    session = requests.Session()
    upstream_ms, uncached_ms = [], []
    for i in range(options.cold_iterations):
        cold = search_params(start + dt.timedelta(days=i + 1))
        form = TourSearchForm(cold)
        assert form.is_valid(), form.errors
        samo_params = {"samo_action": "api", "type": "json", "action": "SearchTour_PRICES",
                       "oauth_token": settings.SAMO_OAUTH_TOKEN, **form.to_query().params()}
        upstream_ms.append(timed_ms(lambda p=samo_params: session.get(samo.url, params=p, timeout=10).raise_for_status()))
        before = samo.state.calls.get("SearchTour_PRICES", 0)
        uncached_ms.append(timed_ms(lambda c=cold: client.get("/tours/search/", c)))
        assert samo.state.calls["SearchTour_PRICES"] == before + 1, "the search was not cold"
    overhead = (statistics.median(uncached_ms) - statistics.median(upstream_ms)) / statistics.median(upstream_ms)
    uncached = {"upstream_delay_ms": options.delay_ms, "samo_bare": summary(upstream_ms),
                "search_page_uncached": summary(uncached_ms), "overhead_percent": round(overhead * 100, 2)}

    # 3. Concurrent identical cold searches.
    concurrent_params = search_params(start + dt.timedelta(days=60))
    before = samo.state.calls.get("SearchTour_PRICES", 0)
    barrier = threading.Barrier(options.concurrent)
    statuses: list[int] = []

    def one_search():
        own = logged_in()
        barrier.wait()
        statuses.append(own.get("/tours/search/", concurrent_params).status_code)
        connections.close_all()

    threads = [threading.Thread(target=one_search) for _ in range(options.concurrent)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall_ms = (time.perf_counter() - started) * 1000
    upstream_calls = samo.state.calls.get("SearchTour_PRICES", 0) - before
    concurrent = {"searches": options.concurrent, "ok": statuses.count(200), "upstream_calls": upstream_calls,
                  "wall_ms": round(wall_ms, 1)}

    targets = {
        "cached_page_median_under_15_ms": cached["search_page"]["median_ms"] < 15,
        "uncached_overhead_under_10_percent": uncached["overhead_percent"] < 10,
        "one_upstream_call_for_concurrent_cold_searches": upstream_calls == 1,
    }
    return {
        "benchmark": "tour_search",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "cached": cached,
        "uncached": uncached,
        "concurrent_cold": concurrent,
        "targets_met": targets,
    }


if __name__ == "__main__":
    main()
