"""Benchmark of the API's lead list beside bare Django views, on a scratch PostgreSQL database.

    .venv/bin/python bench/api.py [--leads 10000] [--requests 200] [--server postgres://postgres@127.0.0.1:5432]

Creates the database, migrates it, runs ``seed_demo --leads N`` (not timed),
serves the project with gunicorn (one sync worker, DEBUG off) and measures, over
HTTP from this process, one request after another, as a logged-in manager (who
sees every lead):

- ``GET /api/v1/leads/?page_size=50`` — a page of 50 leads with their client,
  stage, agent and tags, through DRF (session auth; and with a personal token);
- ``GET /bench/bare-leads/`` — the same 50 leads with their client, read as
  values and written as JSON by a plain Django view: the target is the API at
  40 % of its throughput or better;
- ``GET /bench/bare/`` — a logged-in view that reads nothing.

Prints requests per second and medians, writes ``bench/results/api.json`` and
drops the database again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.kanban import PASSWORD, USERNAME, log_in, manage, server_env  # noqa: E402
from tests.liveserver import gunicorn_server  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "api.json"
TARGET_SHARE = 0.40


def throughput(call, count: int, *, warmup: int = 10) -> dict:
    """Requests per second over ``count`` requests sent one after another, and their median."""
    for _ in range(warmup):
        call()
    samples = []
    started = time.perf_counter()
    for _ in range(count):
        begun = time.perf_counter()
        call()
        samples.append((time.perf_counter() - begun) * 1000)
    elapsed = time.perf_counter() - started
    return {"requests_per_second": round(count / elapsed, 1), "median_ms": round(statistics.median(samples), 2),
            "requests": count}


def measure(base_url: str, *, requests_count: int, token: str) -> dict:
    session = requests.Session()
    log_in(session, base_url)
    with_token = requests.Session()
    with_token.headers["Authorization"] = f"Token {token}"

    def getter(client: requests.Session, path: str, check):
        def call():
            response = client.get(base_url + path, timeout=30)
            response.raise_for_status()
            check(response)
        return call

    def fifty_with_client(response):
        rows = response.json()["results"]
        if len(rows) != 50 or "client" not in rows[0] and "client__full_name" not in rows[0]:
            raise SystemExit(f"unexpected page: {response.text[:300]}")

    api_path = "/api/v1/leads/?page_size=50"
    return {
        "api_session": throughput(getter(session, api_path, fifty_with_client), requests_count),
        "api_token": throughput(getter(with_token, api_path, fifty_with_client), requests_count),
        "bare_leads": throughput(getter(session, "/bench/bare-leads/", fifty_with_client), requests_count),
        "bare_view": throughput(getter(session, "/bench/bare/", lambda response: None), requests_count),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server URL without a database name")
    parser.add_argument("--database", default="crystalbay_bench_api")
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args()

    server = options.server.rstrip("/")
    database = sql.Identifier(options.database)
    database_url = f"{server}/{options.database}"
    env = server_env(database_url=database_url, settings_module="bench.api_settings")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
    try:
        manage(["migrate", "--no-input", "-v0"], env=env)
        seeded = manage(["seed_demo", "--leads", str(options.leads), "--orders", str(options.leads * 3 // 10),
                         "--seed", str(options.seed)], env=env)
        token = manage(["shell", "-c", (
            "from django.contrib.auth.models import Group, User;"
            "from knox.models import AuthToken;"
            f"u = User.objects.create_user({USERNAME!r}, password={PASSWORD!r}, is_staff=True);"
            "u.groups.add(Group.objects.get(name='manager'));"
            "print(AuthToken.objects.create(user=u, expiry=None)[1])"
        )], env=env).splitlines()[-1]
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
        with gunicorn_server(env, ready_path="/accounts/login/") as base_url:
            figures = measure(base_url, requests_count=options.requests, token=token)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))

    share = figures["api_session"]["requests_per_second"] / figures["bare_leads"]["requests_per_second"]
    for name, row in figures.items():
        print(f"{name:>12}: {row['requests_per_second']:>7} req/s, median {row['median_ms']} ms", flush=True)
    print(f"API lead list at {share:.0%} of the bare view's throughput (target ≥ {TARGET_SHARE:.0%})")
    result = {
        "server": "gunicorn, 1 sync worker, DEBUG off; client: python-requests on the same machine, one request at a time",
        "user": "a manager (sees every lead)",
        "leads": options.leads,
        "seeded": seeded,
        **figures,
        "api_share_of_bare_leads": round(share, 3),
        "target_share": TARGET_SHARE,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"→ {options.output}")


if __name__ == "__main__":
    main()
