"""Benchmark of the lead board and the move endpoint on a scratch PostgreSQL database.

    .venv/bin/python bench/kanban.py [--sizes 1000 10000 31000 100000] [--requests 40] [--no-profile]
                                     [--server postgres://postgres@127.0.0.1:5432]

For each size: creates the database, migrates it, runs ``seed_demo --leads N``
(not timed; about a third of the seeded leads are in open stages, so 31,000
leads give the issue's target of 10,000 open ones), then serves the project with
gunicorn (one sync worker, DEBUG off) and times, over HTTP from this process,
as a logged-in manager (who sees every lead, the heaviest board):

- ``GET /leads/`` — the whole board page;
- ``GET /bench/bare/`` — a bare Django view on the same server, database and
  middleware (session, auth: one query for the session, one for the user), the
  floor any page pays;
- ``POST /leads/<id>/move/`` — a drag of a card to the next column and back,
  as htmx sends it, with the version it read;
- the same drag within its column (a reorder: only the card is drawn again);
- the CPU time per request of the server process and of its PostgreSQL
  backend (from ``/proc``), for the board, the bare view and the move: what a
  request costs, which other load on a shared machine delays but does not add to.

Then, unless ``--no-profile``, it profiles one board and one drag inside Django
on the same database: every query with its time, the time outside SQL, and
``EXPLAIN ANALYZE`` of the board's slowest query.

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


def server_env(*, database_url: str, settings_module: str, **overrides: str) -> dict[str, str]:
    """The environment of a benchmarked server: production-like settings (DEBUG off,
    no HTTPS redirect), tasks in-process unless ``overrides`` name a broker."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnop"),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_MANIFEST": "0",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        **overrides,
    }


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


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_request(call, pids: dict, count: int) -> dict:
    """CPU milliseconds per request of the server process and of its PostgreSQL
    backend: the work a request costs, which other load on the machine delays
    but does not add to (a wall-clock median on shared cores includes waiting for a core)."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    for _ in range(count):
        call()
    return {f"{name}_cpu_ms": round((cpu_seconds(pid) - before[name]) * 1000 / count, 1) for name, pid in pids.items()}


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

    def drag(target, **where):
        response = session.post(
            f"{base_url}/leads/{lead_id}/move/", timeout=30,
            data={"stage": target, "version": state["version"], "source": "drag", **where},
            headers={"HX-Request": "true", "X-CSRFToken": csrf, "Referer": f"{base_url}/leads/"},
        )
        if response.status_code != 200:
            raise SystemExit(f"move answered {response.status_code}: {response.text[:500]}")
        state["version"] += 1
        state["stage"] = target

    def move():
        drag(stages[1] if str(state["stage"]) == stages[0] else stages[0])

    def reorder():
        # Just below the column's first other card, then just above it, and so on.
        where = {"before": state["neighbour"]} if state["on_top"] else {"after": state["neighbour"]}
        drag(state["stage"], **where)
        state["on_top"] = not state["on_top"]

    timings = {"board": timed(board, requests_count), "bare_view": timed(bare, requests_count),
               "move": timed(move, requests_count)}
    pids = session.get(f"{base_url}/bench/pids/", timeout=30).json()
    for name, call in (("board", board), ("bare_view", bare), ("move", move)):
        timings[name].update(cpu_per_request(call, pids, requests_count))
    with psycopg.connect(database_url) as connection:
        state["neighbour"] = connection.execute(
            "SELECT id FROM crm_lead WHERE stage_id = %s AND id <> %s ORDER BY position, id LIMIT 1",
            [int(state["stage"]), lead_id],
        ).fetchone()[0]
    state["on_top"] = False
    timings["reorder"] = timed(reorder, requests_count)
    return {"open_leads": open_leads, "board_bytes": len(page.content), **timings}


def profile(env: dict[str, str]) -> dict:
    """``profile_here`` in a process of its own, with the benchmark's settings and database."""
    result = subprocess.run([sys.executable, __file__, "--profile-here"], cwd=ROOT, env=env, capture_output=True,
                            text=True)
    if result.returncode:
        raise SystemExit(f"profiling failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout)


def profile_here() -> dict:
    """One board and one drag as the manager, inside Django: the whole time, the
    time in SQL, each query with its time, and the plan of the board's slowest query."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from crm.models import Lead

    client = Client(SERVER_NAME="127.0.0.1", HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(get_user_model().objects.get(username=USERNAME))

    def measured(request) -> tuple[dict, list[dict]]:
        for _ in range(3):
            request()
        queries = []

        def timed_query(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                queries.append({"ms": (time.perf_counter() - started) * 1000, "sql": sql, "params": params})

        with connection.execute_wrapper(timed_query):
            started = time.perf_counter()
            request()
            total_ms = (time.perf_counter() - started) * 1000
        sql_ms = sum(query["ms"] for query in queries)
        return {"total_ms": round(total_ms, 1), "sql_ms": round(sql_ms, 1), "outside_sql_ms": round(total_ms - sql_ms, 1),
                "queries": [{"ms": round(query["ms"], 2), "sql": query["sql"][:200]} for query in queries]}, queries

    board, board_queries = measured(lambda: client.get("/leads/"))
    slowest = max(board_queries, key=lambda query: query["ms"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"], slowest["params"])
        board["slowest_plan"] = [row[0] for row in cursor.fetchall()]

    lead = Lead.objects.filter(stage__kind="open").order_by("stage__position", "position").first()
    first, second = lead.pipeline.stages.order_by("position")[:2]
    state = {"stage": lead.stage_id, "version": lead.version}

    def drag():
        target = second if state["stage"] == first.pk else first
        response = client.post(f"/leads/{lead.pk}/move/", {"stage": target.pk, "version": state["version"],
                                                            "source": "drag"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, response.content[:500]
        state.update(stage=target.pk, version=state["version"] + 1)

    move, _queries = measured(drag)
    return {"board": board, "move": move}


def print_profile(found: dict) -> None:
    for name in ("board", "move"):
        part = found[name]
        print(f"        {name} inside Django: {part['total_ms']} ms, of which SQL {part['sql_ms']} ms in "
              f"{len(part['queries'])} queries; slowest:")
        for query in sorted(part["queries"], key=lambda query: -query["ms"])[:3]:
            print(f"          {query['ms']:>6} ms  {query['sql'][:110]}")
    print("        the board's slowest query (EXPLAIN ANALYZE, in bench/results/kanban.json in full):")
    for line in found["board"]["slowest_plan"][:12]:
        print(f"          {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    if sys.argv[1:] == ["--profile-here"]:
        print(json.dumps(profile_here(), ensure_ascii=False))
        return
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 31_000, 100_000])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server URL without a database name")
    parser.add_argument("--database", default="crystalbay_bench_kanban")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-profile", dest="profile", action="store_false",
                        help="only time over HTTP; do not profile inside Django")
    options = parser.parse_args()

    server = options.server.rstrip("/")
    database = sql.Identifier(options.database)
    database_url = f"{server}/{options.database}"
    env = server_env(database_url=database_url, settings_module="bench.kanban_settings")
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
            if options.profile:
                row["profile"] = profile(env)
        finally:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        rows.append(row)
        print(f"{size:>7} leads ({row['open_leads']} open): board {row['board']['median_ms']} ms "
              f"(p95 {row['board']['p95_ms']}), bare view {row['bare_view']['median_ms']} ms "
              f"(p95 {row['bare_view']['p95_ms']}), move {row['move']['median_ms']} ms (p95 {row['move']['p95_ms']}), "
              f"reorder {row['reorder']['median_ms']} ms (p95 {row['reorder']['p95_ms']})", flush=True)
        for name in ("board", "bare_view", "move"):
            print(f"        {name} CPU per request: server {row[name]['server_cpu_ms']} ms, "
                  f"PostgreSQL {row[name]['postgres_cpu_ms']} ms")
        if "profile" in row:
            print_profile(row["profile"])

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
