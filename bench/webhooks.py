"""Benchmark of the Telegram webhook on gunicorn with PostgreSQL, beside a bare view.

    .venv/bin/python bench/webhooks.py [--requests 3000] [--concurrency 8] [--threads 8] [--rounds 3]
                                       [--server postgres://postgres@127.0.0.1:5432] [--redis redis://127.0.0.1:6379/13]

Creates a scratch database and migrates it, then serves the project with one
gunicorn worker (``--threads`` gthread threads, DEBUG off) and Redis as the
Celery broker (no worker runs: the processing tasks wait in the queue, as when
the worker is busy). From this process, ``--concurrency`` client threads with
keep-alive connections post, as fast as the server answers:

- ``POST /webhooks/telegram/`` — real updates (secret header checked, message
  stored, conversation counted unread, processing queued in Redis), 30 % of
  them re-deliveries of earlier ones;
- ``POST /bench/bare-webhook/`` — a view that reads the same JSON and answers
  the same way but stores nothing, on the same server and middleware.

Each round measures both, alternating; the best round of each counts (the ratio of
each round is kept too: on a shared machine the rounds differ). Every stored
message is committed durably (synchronous commit) before the webhook answers,
so the webhook's cost is mostly PostgreSQL's WAL flush; concurrent deliveries
share flushes, which is why the server runs several threads. Prints
throughput (requests per second) and latency percentiles, the ratio, and
whether the targets hold (webhook ≥ 50 % of the bare view's throughput, p99 <
50 ms); writes ``bench/results/webhooks.json`` and drops the database.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.kanban import manage, percentile  # noqa: E402
from tests.liveserver import gunicorn_server  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "webhooks.json"
SECRET = "bench-telegram-webhook-secret"  # noqa: S105
CHATS = 200
DUPLICATE_SHARE = 0.3


def updates(count: int, *, start: int) -> list[bytes]:
    """``count`` Telegram updates, 30 % of them repeats of earlier ones in the list."""
    fresh = []
    bodies = []
    rng = random.Random(start)
    for n in range(count):
        if fresh and rng.random() < DUPLICATE_SHARE:
            bodies.append(rng.choice(fresh))
            continue
        number = start + n
        chat = 8_000_000_000 + number % CHATS
        body = json.dumps({"update_id": number, "message": {
            "message_id": number, "from": {"id": chat, "is_bot": False, "first_name": "Клиент", "username": f"c{chat}"},
            "chat": {"id": chat, "type": "private", "first_name": "Клиент"}, "date": 1717000000 + number,
            "text": "Здравствуйте! Хотим в Нячанг в марте, двое взрослых, бюджет до 1,5 млн тенге."}},
            ensure_ascii=False).encode()
        fresh.append(body)
        bodies.append(body)
    return bodies


def load(base_url: str, path: str, bodies: list[bytes], *, concurrency: int, headers: dict[str, str]) -> dict:
    """Post every body once, ``concurrency`` at a time; throughput and latencies."""
    parts = urlsplit(base_url)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))

    def worker():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, codes = [], {}
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            body = bodies[index]
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers={**headers, "Content-Length": str(len(body))})
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            codes[response.status] = codes.get(response.status, 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "requests": len(bodies), "seconds": round(elapsed, 2), "throughput_rps": round(len(bodies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1), "max_ms": round(max(latencies), 1),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="gunicorn gthread threads in its one worker")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server URL without a database name")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--database", default="crystalbay_bench_webhooks")
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args()

    server = options.server.rstrip("/")
    database = sql.Identifier(options.database)
    database_url = f"{server}/{options.database}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.webhooks_settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnop"),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_MANIFEST": "0",
        "REDIS_URL": options.redis,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        "GUNICORN_CMD_ARGS": f"--threads={options.threads}",
    }
    broker = redis.Redis.from_url(options.redis)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
    rounds = []
    try:
        manage(["migrate", "--no-input", "-v0"], env=env)
        broker.flushdb()
        with gunicorn_server(env, ready_path="/accounts/login/") as base_url:
            json_headers = {"Content-Type": "application/json"}
            webhook_headers = {**json_headers, "X-Telegram-Bot-Api-Secret-Token": SECRET}
            load(base_url, "/bench/bare-webhook/", updates(300, start=0), concurrency=options.concurrency,
                 headers=json_headers)  # warm-up
            load(base_url, "/webhooks/telegram/", updates(300, start=10_000_000), concurrency=options.concurrency,
                 headers=webhook_headers)
            for number in range(options.rounds):
                bodies = updates(options.requests, start=(number + 1) * 1_000_000)
                bare = load(base_url, "/bench/bare-webhook/", bodies, concurrency=options.concurrency,
                            headers=json_headers)
                webhook = load(base_url, "/webhooks/telegram/", bodies, concurrency=options.concurrency,
                               headers=webhook_headers)
                rounds.append({"bare_view": bare, "webhook": webhook})
                print(f"round {number + 1}: bare {bare['throughput_rps']} req/s (p99 {bare['p99_ms']} ms), "
                      f"webhook {webhook['throughput_rps']} req/s (p99 {webhook['p99_ms']} ms, "
                      f"statuses {webhook['statuses']})", flush=True)
        with psycopg.connect(database_url) as connection:
            stored = connection.execute("SELECT count(*) FROM messaging_message").fetchone()[0]
        queued = broker.llen("celery")
    finally:
        broker.flushdb()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))

    bare = max((r["bare_view"] for r in rounds), key=lambda r: r["throughput_rps"])
    webhook = max((r["webhook"] for r in rounds), key=lambda r: r["throughput_rps"])
    ratio = round(webhook["throughput_rps"] / bare["throughput_rps"], 2)
    round_ratios = [round(r["webhook"]["throughput_rps"] / r["bare_view"]["throughput_rps"], 2) for r in rounds]
    result = {
        "server": f"gunicorn, 1 worker with {options.threads} gthread threads, DEBUG off, PostgreSQL, Redis broker "
                  "(no Celery worker running)",
        "client": f"{options.concurrency} threads with keep-alive connections (http.client) on the same machine",
        "duplicates": DUPLICATE_SHARE,
        "bare_view": bare,
        "webhook": webhook,
        "throughput_ratio": ratio,
        "throughput_ratio_per_round": round_ratios,
        "targets": {"throughput_ratio_min": 0.5, "p99_ms_max": 50,
                    "met": ratio >= 0.5 and webhook["p99_ms"] < 50},
        "messages_stored": stored,
        "processing_tasks_queued": queued,
        "rounds": rounds,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(f"webhook {webhook['throughput_rps']} req/s vs bare {bare['throughput_rps']} req/s: {ratio:.0%}; "
          f"webhook p50 {webhook['p50_ms']} ms, p99 {webhook['p99_ms']} ms; "
          f"{stored} messages stored, {queued} processing tasks queued; targets met: {result['targets']['met']}")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"→ {options.output}")


if __name__ == "__main__":
    main()
