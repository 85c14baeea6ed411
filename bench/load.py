"""Load test: a working day of an agency replayed against the whole system.

    .venv/bin/python bench/load.py [--duration 300 | --quick] [--agents 50] [--webhooks-per-second 20]
                                   [--intake-per-second 2] [--workers 4] [--leads 10000]
                                   [--server postgres://postgres@127.0.0.1:5432] [--redis redis://127.0.0.1:6379/13]

Creates a scratch database, migrates it, creates the agents and seeds it with
``seed_demo`` (``--leads``, their clients and orders, spread over the agents),
then runs the system as deployed: gunicorn (``--workers`` sync workers, DEBUG
off), two Celery workers (queues ``celery`` and ``assistant``), PostgreSQL and
Redis, with replies sent to a local Telegram server. Four hundred Telegram chats
write first and are processed, each given to an agent with its lead. Then
Locust (bench/load_locustfile.py, headless) replays for ``--duration`` seconds
(``--quick``: 30):

- ``--agents`` agents, each with the inbox open: the thread polled every
  ``INBOX_POLL_SECONDS`` (3) and the list every third time; about every 30 s one
  thing more: the board, a lead card, a reply through the reply form, a move of
  a card from the lead card (with its version), another conversation;
- Telegram deliveries at ``--webhooks-per-second`` (with the secret; one in
  ten delivered twice; one in five from a new chat);
- the website's booking form at ``--intake-per-second``, each visitor from an
  address of their own behind one proxy (``NUM_PROXIES=1``).

Prints, and writes to ``bench/results/load.json``: per endpoint the requests,
errors and p50 / p95 / p99 (target: no errors); the Celery lag — from a
message's stored time to its processed time, its timeline entry, read from the
database — p50 / p95 / max (target: p95 < 5 s); the CPU the server side used
(gunicorn, the Celery workers, the PostgreSQL sessions of this database), the
machine's load average during the run (it may be shared), and the implied
capacity of one 2-core machine: the server side's CPU per request of this mix
(the Locust client's own is not counted), and how many requests a second, and
agents with their share of webhooks and bookings, two cores serve at 70 % CPU.
Drops the database afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psutil
import psycopg
import redis
import requests
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.kanban import manage, server_env  # noqa: E402
from integrations.telegram.fake import DEFAULT_TOKEN, FakeTelegram  # noqa: E402
from tests.liveserver import celery_worker, gunicorn_server  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "load.json"
SECRET = "bench-load-telegram-secret"  # noqa: S105
KNOWN_CHATS = 400
FIRST_CHAT = 9_100_000_000
CLIENT_TEXTS = [
    "Здравствуйте! Хотим в Нячанг в марте, двое взрослых, бюджет до 1,5 млн тенге.",
    "Добрый день, есть ли горящие туры во Вьетнам на следующей неделе?",
    "Сколько стоит Фукуок на 10 ночей с ребёнком 5 лет?",
    "Спасибо, посмотрели варианты. Можно отель поближе к морю?",
    "Когда нужно внести предоплату?",
]
CAPACITY_CPU_SHARE = 0.7


# --- Inside Django (``manage.py shell`` runs these) -----------------------------


def create_agents(count: int) -> None:
    """``count`` active agents (no password: they come in with sessions the plan gives them)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="agent")
    for number in range(count):
        user, _created = get_user_model().objects.get_or_create(
            username=f"load-agent-{number:02d}", defaults={"first_name": "Агент", "last_name": f"№{number}",
                                                            "is_staff": True})
        user.set_unusable_password()
        user.save()
        user.groups.add(group)


def write_plan(path: str, options: dict) -> None:
    """Give each chat and its lead to an agent, log every agent in, and write the plan."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from crm.models import Lead, Pipeline, StageKind
    from messaging.models import Conversation

    agents = list(get_user_model().objects.filter(username__startswith="load-agent-").order_by("username"))
    conversations = list(Conversation.objects.filter(lead__isnull=False).order_by("pk"))
    for number, conversation in enumerate(conversations):
        agent = agents[number % len(agents)]
        Conversation.objects.filter(pk=conversation.pk).update(assignee=agent)
        Lead.objects.filter(pk=conversation.lead_id).update(assignee=agent)
    pipeline = Pipeline.objects.get(is_default=True)
    open_stages = list(pipeline.stages.filter(kind=StageKind.OPEN).order_by("position").values_list("pk", flat=True))
    plan_agents = []
    for agent in agents:
        browser = Client()
        browser.force_login(agent)
        leads = list(Lead.objects.filter(assignee=agent, stage_id__in=open_stages).order_by("pk")
                     .values_list("pk", flat=True)[:40])
        plan_agents.append({"session": browser.cookies["sessionid"].value, "leads": leads,
                            "conversations": list(Conversation.objects.filter(assignee=agent)
                                                  .values_list("pk", flat=True))})
    Path(path).write_text(json.dumps({**options, "agents": plan_agents, "open_stages": open_stages}), encoding="utf-8")


# --- Around the run ------------------------------------------------------------


def telegram_update(number: int, chat: int, text: str) -> bytes:
    return json.dumps({"update_id": number, "message": {
        "message_id": number, "from": {"id": chat, "is_bot": False, "first_name": "Клиент"},
        "chat": {"id": chat, "type": "private", "first_name": "Клиент"}, "date": 1717000000, "text": text}},
        ensure_ascii=False).encode()


def first_messages(base_url: str, database_url: str) -> None:
    """Each known chat writes once; wait until the workers have processed them all."""
    def post(n: int) -> int:
        return requests.post(f"{base_url}/webhooks/telegram/", data=telegram_update(n, FIRST_CHAT + n, CLIENT_TEXTS[0]),
                             timeout=30, headers={"Content-Type": "application/json",
                                                  "X-Telegram-Bot-Api-Secret-Token": SECRET}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(post, range(KNOWN_CHATS)))
    if set(statuses) != {200}:
        raise SystemExit(f"the first messages were refused: {sorted(set(statuses))}")
    deadline = time.monotonic() + 300
    while waiting_messages(database_url):
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not process the first messages in 5 minutes")
        time.sleep(1)


def wait_for_idle_workers(broker: redis.Redis) -> None:
    """Until the queues are empty: the first messages' assistant work is not part of the run."""
    deadline = time.monotonic() + 600
    while broker.llen("celery") or broker.llen("assistant"):
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not empty their queues in 10 minutes")
        time.sleep(1)


def waiting_messages(database_url: str) -> int:
    with psycopg.connect(database_url) as connection:
        return connection.execute("SELECT count(*) FROM messaging_message WHERE needs_processing").fetchone()[0]


class Sampler:
    """Every few seconds: the load average, and the CPU seconds of the server's
    processes (gunicorn and its workers, living or reaped; the Celery workers;
    the PostgreSQL sessions of the benchmark's database, each counted at its
    last sighting)."""

    def __init__(self, *, gunicorn_pid: int, worker_pids: list[int], database_url: str, database: str):
        self.gunicorn = psutil.Process(gunicorn_pid)
        self.workers = [psutil.Process(pid) for pid in worker_pids]
        self.database_url, self.database = database_url, database
        self.loads: list[float] = []
        self.backends: dict[int, float] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def web_seconds(self) -> float:
        own = self.gunicorn.cpu_times()
        living = 0.0
        for child in self.gunicorn.children():
            with contextlib.suppress(psutil.Error):
                times = child.cpu_times()
                living += times.user + times.system
        return own.user + own.system + own.children_user + own.children_system + living

    def worker_seconds(self) -> float:
        total = 0.0
        for worker in self.workers:
            for process in (worker, *worker.children(recursive=True)):
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    total += times.user + times.system
        return total

    def sample_backends(self, connection) -> None:
        pids = [row[0] for row in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (self.database,))]
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(pid).cpu_times()
                self.backends[pid] = times.user + times.system

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.web_start, self.worker_start = self.web_seconds(), self.worker_seconds()
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            self.sample_backends(connection)
        self.backends_start = dict(self.backends)
        self.thread.start()

    def run(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            while not self.stopped.wait(2):
                self.loads.append(os.getloadavg()[0])
                self.sample_backends(connection)

    def stop(self) -> dict:
        self.stopped.set()
        self.thread.join()
        seconds = time.monotonic() - self.started_at
        web = self.web_seconds() - self.web_start
        workers = self.worker_seconds() - self.worker_start
        database = sum(cpu - self.backends_start.get(pid, 0.0) for pid, cpu in self.backends.items())
        return {
            "seconds": round(seconds, 1),
            "cpu_seconds": {"gunicorn": round(web, 1), "celery_workers": round(workers, 1),
                            "postgresql": round(database, 1)},
            "cores_busy": round((web + workers + database) / seconds, 2),
            "load_average": {"min": round(min(self.loads), 2), "median": round(statistics.median(self.loads), 2),
                             "max": round(max(self.loads), 2)} if self.loads else None,
        }


def run_locust(base_url: str, plan: Path, *, users: int, seconds: int, prefix: Path) -> None:
    subprocess.run([sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "load_locustfile.py"), "--headless",
                    "--users", str(users), "--spawn-rate", str(max(10, users)), "--run-time", f"{seconds}s",
                    "--host", base_url, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
                    "--loglevel", "WARNING", "--exit-code-on-error", "0"],
                   cwd=ROOT, env={**os.environ, "LOAD_PLAN": str(plan)}, check=True, stdout=subprocess.DEVNULL)


def endpoint_figures(prefix: Path) -> list[dict]:
    """Per endpoint, from Locust's stats: requests, errors, p50 / p95 / p99 in ms."""
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        return [{"endpoint": f"{row['Type']} {row['Name']}" if row["Type"] else row["Name"],
                 "requests": int(row["Request Count"]), "errors": int(row["Failure Count"]),
                 "p50_ms": float(row["50%"] or 0), "p95_ms": float(row["95%"] or 0), "p99_ms": float(row["99%"] or 0),
                 "rps": round(float(row["Requests/s"]), 1)}
                for row in csv.DictReader(stats)]


def failures(prefix: Path) -> list[dict]:
    with open(f"{prefix}_failures.csv", encoding="utf-8") as found:
        return [{"endpoint": f"{row['Method']} {row['Name']}", "error": row["Error"][:300],
                 "count": int(row["Occurrences"])} for row in csv.DictReader(found)]


def celery_lag(database_url: str, since: datetime) -> dict:
    """From a message's stored time to its timeline entry (its processing), for the
    messages stored during the run; those still waiting count as waiting."""
    with psycopg.connect(database_url) as connection:
        lags = [row[0] for row in connection.execute(
            """SELECT extract(epoch FROM min(a.created_at) - m.created_at)
                 FROM messaging_message m JOIN crm_activity a ON a.kind = 'message' AND (a.data->>'message')::bigint = m.id
                WHERE m.created_at >= %s AND m.direction = 'in' GROUP BY m.id, m.created_at""", (since,))]
        stored, waiting = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE needs_processing) FROM messaging_message "
            "WHERE created_at >= %s AND direction = 'in'", (since,)).fetchone()
    ordered = sorted(float(lag) for lag in lags)
    if not ordered:
        return {"messages": stored, "processed": 0, "waiting": waiting}
    return {"messages": stored, "processed": len(ordered), "waiting": waiting,
            "p50_s": round(ordered[len(ordered) // 2], 2),
            "p95_s": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
            "max_s": round(ordered[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=300, help="seconds of the working day replayed")
    parser.add_argument("--quick", action="store_true", help="30 seconds")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--webhooks-per-second", type=float, default=20)
    parser.add_argument("--intake-per-second", type=float, default=2)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--leads", type=int, default=10_000, help="leads seeded (their clients and orders too)")
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server URL without a database name")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--database", default="crystalbay_bench_load")
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args()
    seconds = 30 if options.quick else options.duration

    server = options.server.rstrip("/")
    database = sql.Identifier(options.database)
    database_url = f"{server}/{options.database}"
    broker = redis.Redis.from_url(options.redis)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
    try:
        with FakeTelegram() as telegram, tempfile.TemporaryDirectory() as scratch:
            env = server_env(
                database_url=database_url, settings_module="bench.load_settings", REDIS_URL=options.redis,
                CELERY_TASK_ALWAYS_EAGER="0", TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
                TELEGRAM_API_URL=telegram.url, NUM_PROXIES="1", LOG_LEVEL="WARNING",
            )
            print(f"seeding {options.leads} leads …", flush=True)
            manage(["migrate", "--no-input", "-v0"], env=env)
            manage(["shell", "-c", f"from bench.load import create_agents; create_agents({options.agents})"], env=env)
            manage(["seed_demo", "--leads", str(options.leads), "--seed", "2026"], env=env)
            broker.flushdb()
            result = run(options, env=env, database_url=database_url, seconds=seconds, scratch=Path(scratch))
    finally:
        broker.flushdb()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
    report(result, options.output)


def run(options, *, env: dict[str, str], database_url: str, seconds: int, scratch: Path) -> dict:
    plan_path, prefix = scratch / "plan.json", scratch / "locust"
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(gunicorn_server({**env, "GUNICORN_CMD_ARGS": "--access-logfile=/dev/null"},
                                                       ready_path="/accounts/login/", startup_timeout=120,
                                                       workers=options.workers))
        workers = [stack.enter_context(celery_worker(env, name=f"load-{name}@%h", queues="celery,assistant"))
                   for name in ("a", "b")]
        print(f"{KNOWN_CHATS} chats write first …", flush=True)
        first_messages(base_url, database_url)
        wait_for_idle_workers(redis.Redis.from_url(options.redis))
        month = (dt.date.today().replace(day=1) + dt.timedelta(days=40)).strftime("%Y-%m")
        plan = {"poll_seconds": 3, "action_seconds": 30, "telegram_secret": SECRET,
                "webhooks_per_second": options.webhooks_per_second, "webhook_users": 20, "new_chat_share": 0.2,
                "intake_per_second": options.intake_per_second, "intake_users": 2, "month": month,
                "chats": [FIRST_CHAT + n for n in range(KNOWN_CHATS)], "first_update_id": 20_000_000,
                "client_texts": CLIENT_TEXTS}
        manage(["shell", "-c", f"from bench.load import write_plan; write_plan({str(plan_path)!r}, {plan!r})"], env=env)
        gunicorn_pid = next(p.pid for p in psutil.Process().children() if "gunicorn" in " ".join(p.cmdline()))
        sampler = Sampler(gunicorn_pid=gunicorn_pid, worker_pids=[w.pid for w in workers],
                          database_url=database_url, database=options.database)
        users = options.agents + plan["webhook_users"] + plan["intake_users"]
        print(f"replaying {seconds} s: {options.agents} agents, {options.webhooks_per_second} webhooks/s, "
              f"{options.intake_per_second} bookings/s …", flush=True)
        since = datetime.now(UTC)
        sampler.start()
        run_locust(base_url, plan_path, users=users, seconds=seconds, prefix=prefix)
        machine = sampler.stop()
        deadline = time.monotonic() + 60
        while waiting_messages(database_url) and time.monotonic() < deadline:
            time.sleep(1)
        lag = celery_lag(database_url, since)
    endpoints = endpoint_figures(prefix)
    total = next(row for row in endpoints if row["endpoint"] == "Aggregated")
    # What was asked for, in requests a second: each agent polls its thread every 3 s, the list
    # every 9 s, and does one thing more (a request, two for a move) every 30 s; plus the webhooks and bookings.
    planned_rps = (options.agents * (1 / 3 + 1 / 9 + 1.2 / plan["action_seconds"])
                   + options.webhooks_per_second + options.intake_per_second)
    # The server side's CPU per request of this mix (a loaded machine serves less than was asked,
    # at the same cost a request), and how many requests, and agents with their share of webhooks
    # and bookings, two cores serve at CAPACITY_CPU_SHARE.
    server_cpu = sum(machine["cpu_seconds"].values())
    cpu_per_request = server_cpu / total["requests"] if total["requests"] else None
    capacity_rps = CAPACITY_CPU_SHARE * 2 / cpu_per_request if cpu_per_request else None
    return {
        "server": f"gunicorn {options.workers} sync workers, DEBUG off; 2 Celery workers (solo, queues celery and "
                  "assistant); PostgreSQL; Redis; replies to a local Telegram server",
        "load": {"seconds": seconds, "agents": options.agents, "poll_seconds": plan["poll_seconds"],
                 "action_every_seconds": plan["action_seconds"], "webhooks_per_second": options.webhooks_per_second,
                 "intake_per_second": options.intake_per_second, "leads_seeded": options.leads},
        "endpoints": endpoints,
        "errors": total["errors"],
        "failures": failures(prefix),
        "celery_lag": lag,
        "machine": machine,
        "delivered": {"planned_rps": round(planned_rps, 1), "served_rps": total["rps"]},
        "capacity_2_cores": {
            "cpu_share": CAPACITY_CPU_SHARE,
            "server_cpu_ms_per_request": round(cpu_per_request * 1000, 1) if cpu_per_request else None,
            "requests_per_second": round(capacity_rps, 1) if capacity_rps else None,
            "agents": int(capacity_rps / (planned_rps / options.agents)) if capacity_rps else None,
        },
        "targets": {"errors": 0, "celery_lag_p95_s_max": 5,
                    "met": total["errors"] == 0 and lag.get("p95_s", 1e9) < 5 and not lag["waiting"]},
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def report(result: dict, output: Path) -> None:
    print(f"\n{'endpoint':58} {'requests':>8} {'errors':>6} {'p50':>7} {'p95':>7} {'p99':>7}")
    for row in result["endpoints"]:
        print(f"{row['endpoint'][:58]:58} {row['requests']:8} {row['errors']:6} {row['p50_ms']:6.0f}ms "
              f"{row['p95_ms']:6.0f}ms {row['p99_ms']:6.0f}ms")
    for failure in result["failures"]:
        print(f"  failed {failure['count']}× {failure['endpoint']}: {failure['error']}")
    lag, machine, capacity = result["celery_lag"], result["machine"], result["capacity_2_cores"]
    print(f"Celery lag (stored → processed): {lag}")
    delivered = result["delivered"]
    print(f"served {delivered['served_rps']} of the {delivered['planned_rps']} req/s asked for")
    print(f"server CPU: {machine['cpu_seconds']} over {machine['seconds']} s = {machine['cores_busy']} cores busy; "
          f"load average {machine['load_average']}")
    print(f"{capacity['server_cpu_ms_per_request']} ms of server CPU a request: one 2-core machine at "
          f"{capacity['cpu_share']:.0%} CPU serves about {capacity['requests_per_second']} req/s of this mix, "
          f"{capacity['agents']} agents with their share of webhooks and bookings; "
          f"targets met: {result['targets']['met']}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"→ {output}")


if __name__ == "__main__":
    main()
