"""Benchmark of the Telegram webhook on gunicorn with PostgreSQL, beside a bare view.

    .venv/bin/python bench/webhooks.py [--requests 1000] [--rounds 8] [--concurrency 8] [--workers 5]
                                       [--server postgres://postgres@127.0.0.1:5432] [--redis redis://127.0.0.1:6379/13]

Creates a scratch database and migrates it, then serves the project with
gunicorn as deployed (``--workers`` sync workers, DEBUG off) and Redis as the
Celery broker (no worker runs: the processing tasks wait in the queue, as when
the worker is busy). From this process, ``--concurrency`` client threads with
keep-alive connections post, as fast as the server answers:

- ``POST /webhooks/telegram/`` — real updates (secret header checked, message
  stored, conversation counted unread, processing queued in Redis), 30 % of
  them re-deliveries of earlier ones;
- ``POST /bench/bare-webhook/`` — a view that reads the same JSON and answers
  the same way but stores nothing, on the same server and middleware.

Each round measures the bare view, then the webhook, with the same number of
requests; the figures are the medians over the rounds and the ratio is the
median of the rounds' ratios (paired rounds cancel the drift of a shared
machine's load). Every stored
message is committed durably (synchronous commit) before the webhook answers,
and the webhook waits for PostgreSQL's WAL flush; concurrent deliveries share
flushes. Prints
throughput (requests per second) and latency percentiles, the ratio, and
whether the targets hold (webhook ≥ 50 % of the bare view's throughput, p99 <
50 ms); writes ``bench/results/webhooks.json`` and drops the database.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import socket
import statistics
import subprocess
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

from bench.kanban import manage, percentile, server_env  # noqa: E402
from tests.liveserver import process_env, stop  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "webhooks.json"
SECRET = "bench-telegram-webhook-secret"  # noqa: S105
CHATS = 200
DUPLICATE_SHARE = 0.3


@contextlib.contextmanager
def serve(env: dict[str, str], *, workers: int):
    """gunicorn as deployed (gunicorn.conf.py: sync workers, one request each at a
    time) with ``workers`` processes, on a socket bound here; its base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.set_inheritable(True)
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    with listener:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "crystalbay.wsgi", f"--bind=fd://{listener.fileno()}",
             f"--workers={workers}", "--access-logfile=/dev/null"],
            cwd=ROOT, env=process_env(env), pass_fds=[listener.fileno()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", int(base_url.rsplit(":", 1)[1]), timeout=5)
                connection.request("GET", "/accounts/login/")
                connection.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        yield base_url
    finally:
        stop(process)


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
    parser.add_argument("--requests", type=int, default=1000, help="requests per round, for each of the two")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1,
                        help="gunicorn sync workers (gunicorn.conf.py's default: 2 × CPUs + 1)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server URL without a database name")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--database", default="crystalbay_bench_webhooks")
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args()

    server = options.server.rstrip("/")
    database = sql.Identifier(options.database)
    database_url = f"{server}/{options.database}"
    env = server_env(
        database_url=database_url, settings_module="bench.webhooks_settings", REDIS_URL=options.redis,
        CELERY_TASK_ALWAYS_EAGER="0", TELEGRAM_WEBHOOK_SECRET=SECRET, LOG_LEVEL="WARNING",
    )
    broker = redis.Redis.from_url(options.redis)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
    rounds = []
    try:
        manage(["migrate", "--no-input", "-v0"], env=env)
        broker.flushdb()
        with serve(env, workers=options.workers) as base_url:
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

    def median_of(kind: str) -> dict:
        return {key: round(statistics.median(r[kind][key] for r in rounds), 1)
                for key in ("throughput_rps", "p50_ms", "p95_ms", "p99_ms")}

    bare, webhook = median_of("bare_view"), median_of("webhook")
    round_ratios = [round(r["webhook"]["throughput_rps"] / r["bare_view"]["throughput_rps"], 2) for r in rounds]
    ratio = round(statistics.median(round_ratios), 2)
    result = {
        "server": f"gunicorn, {options.workers} sync workers (as gunicorn.conf.py deploys), DEBUG off, PostgreSQL, "
                  "Redis broker (no Celery worker running)",
        "client": f"{options.concurrency} threads with keep-alive connections (http.client) on the same machine",
        "duplicates": DUPLICATE_SHARE,
        "bare_view_median": bare,
        "webhook_median": webhook,
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
    print(f"medians over {len(rounds)} rounds: webhook {webhook['throughput_rps']} req/s vs bare "
          f"{bare['throughput_rps']} req/s, ratio {ratio:.0%}; "
          f"webhook p50 {webhook['p50_ms']} ms, p99 {webhook['p99_ms']} ms; "
          f"{stored} messages stored, {queued} processing tasks queued; targets met: {result['targets']['met']}")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"→ {options.output}")


if __name__ == "__main__":
    main()
