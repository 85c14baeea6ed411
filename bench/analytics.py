"""Benchmark of the analytics dashboard and the summary API on a scratch PostgreSQL database.

    .venv/bin/python bench/analytics.py [--leads 300000] [--orders 100000] [--requests 30] [--keep]

Creates the database, migrates it, runs ``seed_demo --leads N --orders M``
(not timed; about a minute and a half at the default size), then serves the
project with gunicorn (one sync worker, DEBUG off, no model configured: the
plain summary) and times over HTTP, as a logged-in manager (every row, the
heaviest scope), twice: with every request computing its figures
(``ANALYTICS_CACHE_SECONDS=0``: "computed") and as deployed, figures kept for a
minute (the default: "kept", the first request of each view computes them):

- ``GET /analytics/`` — the dashboard, default period (the last 30 days, beside the 30 before);
- ``GET /analytics/?preset=12m`` and ``?preset=all`` — the same page over the last 12 months and all time;
- ``GET /api/v1/analytics/summary`` — all time (the contract's default), and the last 30 days;
- ``GET /bench/bare/`` — a bare Django view on the same server, database and middleware.

Then, inside Django (figures computed), each of those views once more with
every query timed: how many, the time in SQL and the slowest (``--no-profile``
skips it).

Prints medians and 95th percentiles and writes ``bench/results/analytics.json``.
``--keep`` keeps the seeded database for the next run (which then skips seeding).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.kanban import manage, server_env, timed  # noqa: E402
from tests.liveserver import gunicorn_server  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "analytics.json"
USERNAME, PASSWORD = "bench-analytics-manager", "bench-Pass-2026"


def log_in(session: requests.Session, base_url: str) -> None:
    page = session.get(f"{base_url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(f"{base_url}/accounts/login/", timeout=30,
                 data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
                 headers={"Referer": f"{base_url}/accounts/login/"}).raise_for_status()
    if "sessionid" not in session.cookies:
        raise SystemExit("Could not log in the benchmark user.")


def measure(base_url: str, *, requests_count: int) -> dict:
    session = requests.Session()
    log_in(session, base_url)
    today = dt.date.today()
    month_ago = (today - dt.timedelta(days=29)).isoformat()

    def getter(path: str):
        def call():
            response = session.get(f"{base_url}{path}", timeout=60)
            response.raise_for_status()
            return response
        return call

    paths = {
        "dashboard_30_days": "/analytics/",
        "dashboard_12_months": "/analytics/?preset=12m",
        "dashboard_all_time": "/analytics/?preset=all",
        "summary_api_all_time": "/api/v1/analytics/summary",
        "summary_api_30_days": f"/api/v1/analytics/summary?date_from={month_ago}&date_to={today.isoformat()}",
        "bare_view": "/bench/bare/",
    }
    summary = getter(paths["summary_api_all_time"])().json()
    return {
        "all_time": {key: summary[key] for key in ("revenue_kzt", "orders", "clients", "active_clients", "leads",
                                                  "conversion_rate")},
        **{name: timed(getter(path), requests_count) for name, path in paths.items()},
    }


PROFILED = {
    "dashboard_30_days": "/analytics/",
    "dashboard_12_months": "/analytics/?preset=12m",
    "dashboard_all_time": "/analytics/?preset=all",
    "summary_api_all_time": "/api/v1/analytics/summary",
}


def profile_here() -> dict:
    """Each of ``PROFILED`` as the manager inside Django, figures computed (after
    one warm-up request): the whole time, the time in SQL, the number of
    queries and the slowest three."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1", HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(get_user_model().objects.get(username=USERNAME))
    found = {}
    for name, path in PROFILED.items():
        client.get(path)
        queries: list[dict] = []

        def timed_query(execute, sql, params, many, context, queries=queries):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                queries.append({"ms": round((time.perf_counter() - started) * 1000, 1), "sql": sql[:160]})

        with connection.execute_wrapper(timed_query):
            started = time.perf_counter()
            response = client.get(path)
            total_ms = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        found[name] = {"total_ms": round(total_ms, 1), "sql_ms": round(sum(q["ms"] for q in queries), 1),
                       "queries": len(queries), "slowest": sorted(queries, key=lambda q: -q["ms"])[:3]}
    return found


def profile(env: dict[str, str]) -> dict:
    result = subprocess.run([sys.executable, __file__, "--profile-here"], cwd=ROOT, env=env, capture_output=True,
                            text=True)
    if result.returncode:
        raise SystemExit(f"profiling failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout)


def main() -> None:
    if sys.argv[1:] == ["--profile-here"]:
        print(json.dumps(profile_here(), ensure_ascii=False))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=300_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server URL without a database name")
    parser.add_argument("--database", default="crystalbay_bench_analytics")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database (and reuse a kept one)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-profile", dest="profile", action="store_false",
                        help="only time over HTTP; do not profile the queries inside Django")
    options = parser.parse_args()

    server = options.server.rstrip("/")
    database = sql.Identifier(options.database)
    database_url = f"{server}/{options.database}"
    env = server_env(database_url=database_url, settings_module="bench.kanban_settings", OPENAI_API_KEY="")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [options.database]).fetchone()
        if exists and not options.keep:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(database))
            exists = None
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
    try:
        manage(["migrate", "--no-input", "-v0"], env=env)
        with psycopg.connect(database_url) as connection:
            leads = connection.execute("SELECT count(*) FROM crm_lead").fetchone()[0]
        seeded = "kept from an earlier run"
        if leads < options.leads:
            seeded = manage(["seed_demo", "--leads", str(options.leads), "--orders", str(options.orders),
                             "--seed", str(options.seed)], env=env)
        manage(["shell", "-c", (
            "from django.contrib.auth.models import Group, User;"
            f"u, _ = User.objects.get_or_create(username={USERNAME!r}, defaults={{'is_staff': True}});"
            f"u.set_password({PASSWORD!r}); u.save(); u.groups.add(Group.objects.get(name='manager'))"
        )], env=env)
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
            counts = {table: connection.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                      .fetchone()[0] for table in ("crm_lead", "crm_order", "crm_client")}
        row = {"seeded": seeded, "rows": counts}
        for label, seconds in (("computed", "0"), ("kept", "60")):
            with gunicorn_server({**env, "ANALYTICS_CACHE_SECONDS": seconds}, ready_path="/accounts/login/") as url:
                row[label] = measure(url, requests_count=options.requests)
        if options.profile:
            row["profile"] = profile({**env, "ANALYTICS_CACHE_SECONDS": "0"})
    finally:
        if not options.keep:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))

    for label in ("computed", "kept"):
        for name, figures in row[label].items():
            if "median_ms" in figures:
                print(f"{label:<9} {name:<22} median {figures['median_ms']:>7} ms   p95 {figures['p95_ms']:>7} ms")
    for name, part in row.get("profile", {}).items():
        print(f"inside Django, {name}: {part['total_ms']} ms, of which SQL {part['sql_ms']} ms in "
              f"{part['queries']} queries; slowest:")
        for query in part["slowest"]:
            print(f"    {query['ms']:>6} ms  {query['sql'][:110]}")
    result = {
        "server": "gunicorn, 1 sync worker, DEBUG off; client: python-requests on the same machine",
        "user": "a manager (every row)",
        **row,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"→ {options.output}")


if __name__ == "__main__":
    main()
