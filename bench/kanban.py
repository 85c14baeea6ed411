"""Benchmark of the lead board and the move endpoint on a scratch PostgreSQL database.

    .venv/bin/python bench/kanban.py [--sizes 1000 10000 100000] [--requests 40] [--server postgres://postgres@127.0.0.1:5432]

For each size: creates the database, migrates it, runs ``seed_demo --leads N``
(not timed), then serves the project with gunicorn (one sync worker, DEBUG off)
and times, over HTTP from this process, as a logged-in manager (who sees every
lead, the heaviest board):

- ``GET /leads/`` — the whole board page;
- ``GET /bench/bare/`` — a bare Django view on the same server, database and
  middleware (session, auth: one query for the session, one for the user), the
  floor any page pays;
- ``POST /leads/<id>/move/`` — a drag of a card to the next column and back,
  as htmx sends it, with the version it read.

Prints medians and 95th percentiles, writes ``bench/results/kanban.json`` and
drops the database again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
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

from tests.liveserver import gunicorn_server  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "kanban.json"
USERNAME, PASSWORD = "bench-manager", "bench-Pass-2026"


def manage(args: list[str], *, env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(call, count: int, *, warmup: int = 3) -> dict:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(samples), 1), "p95_ms": round(percentile(samples, 0.95), 1),
            "requests": count}


def log_in(session: requests.Session, base_url: str) -> None:
    page = session.get(f"{base_url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(f"{base_url}/accounts/login/", timeout=30,
                          data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
                          headers={"Referer": f"{base_url}/accounts/login/"})
    answer.raise_for_status()
    if "sessionid" not in session.cookies:
        raise SystemExit("Could not log in the benchmark user.")


def measure(base_url: str, *, requests_count: int, database_url: str) -> dict:
    session = requests.Session()
    log_in(session, base_url)
    csrf = session.cookies["csrftoken"]

    def board():
        response = session.get(f"{base_url}/leads/", timeout=30)
        response.raise_for_status()
        return response

    def bare():
        session.get(f"{base_url}/bench/bare/", timeout=30).raise_for_status()

    page = board()
    stages = re.findall(r'<section class="board-column" id="column-(\d+)"', page.text)
    with psycopg.connect(database_url) as connection:
        lead_id, version, stage_id = connection.execute(
            "SELECT id, version, stage_id FROM crm_lead WHERE stage_id = %s ORDER BY position LIMIT 1", [stages[0]]
        ).fetchone()
        open_leads = connection.execute(
            "SELECT count(*) FROM crm_lead JOIN crm_stage ON crm_stage.id = crm_lead.stage_id WHERE kind = 'open'"
        ).fetchone()[0]
    state = {"version": version, "stage": stage_id}

    def move():
        target = stages[1] if str(state["stage"]) == stages[0] else stages[0]
        response = session.post(
            f"{base_url}/leads/{lead_id}/move/", timeout=30,
            data={"stage": target, "version": state["version"], "source": "drag"},
            headers={"HX-Request": "true", "X-CSRFToken": csrf, "Referer": f"{base_url}/leads/"},
        )
        if response.status_code != 200:
            raise SystemExit(f"move answered {response.status_code}: {response.text[:500]}")
        state["version"] += 1
        state["stage"] = target

    return {
        "open_leads": open_leads,
        "board_bytes": len(page.content),
        "board": timed(board, requests_count),
        "bare_view": timed(bare, requests_count),
        "move": timed(move, requests_count),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server URL without a database name")
    parser.add_argument("--database", default="crystalbay_bench_kanban")
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args()

    server = options.server.rstrip("/")
    database = sql.Identifier(options.database)
    database_url = f"{server}/{options.database}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.kanban_settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnop"),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_MANIFEST": "0",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    rows = []
    for size in options.sizes:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
        try:
            manage(["migrate", "--no-input", "-v0"], env=env)
            seeded = manage(["seed_demo", "--leads", str(size), "--orders", str(size * 3 // 10),
                             "--seed", str(options.seed)], env=env)
            manage(["shell", "-c", (
                "from django.contrib.auth.models import Group, User;"
                f"u = User.objects.create_user({USERNAME!r}, password={PASSWORD!r}, is_staff=True);"
                "u.groups.add(Group.objects.get(name='manager'))"
            )], env=env)
            with psycopg.connect(database_url, autocommit=True) as connection:
                connection.execute("VACUUM ANALYZE")
            with gunicorn_server(env, ready_path="/accounts/login/") as base_url:
                row = {"leads": size, "seeded": seeded,
                       **measure(base_url, requests_count=options.requests, database_url=database_url)}
        finally:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        rows.append(row)
        print(f"{size:>7} leads ({row['open_leads']} open): board {row['board']['median_ms']} ms "
              f"(p95 {row['board']['p95_ms']}), bare view {row['bare_view']['median_ms']} ms "
              f"(p95 {row['bare_view']['p95_ms']}), move {row['move']['median_ms']} ms (p95 {row['move']['p95_ms']})",
              flush=True)

    result = {
        "server": "gunicorn, 1 sync worker, DEBUG off; client: python-requests on the same machine",
        "user": "a manager (sees every lead)",
        "rows": rows,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"→ {options.output}")


if __name__ == "__main__":
    main()
