"""Benchmark of ``manage.py seed_demo`` on a scratch PostgreSQL database.

    .venv/bin/python bench/seed.py [--leads 100000] [--orders 30000] [--server postgres://postgres@127.0.0.1:5432]

Creates the database, migrates it (not timed), runs ``seed_demo`` in a
subprocess, reports its wall time and peak resident memory, writes them to
``bench/results/seed.json`` and drops the database again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "seed.json"


def run(args: list[str], *, env: dict[str, str]) -> tuple[float, int, str]:
    """Run ``manage.py <args>``; return its wall time in seconds, its peak RSS in KiB and its output.

    ``os.wait4`` gives the resource usage of this one child, where
    ``getrusage(RUSAGE_CHILDREN)`` would report the largest of all children so far
    (the migration included)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed ({process.returncode}):\n{output}")
    return elapsed, usage.ru_maxrss, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server URL without a database name")
    parser.add_argument("--database", default="crystalbay_bench_seed")
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args()

    server = options.server.rstrip("/")
    database = sql.Identifier(options.database)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
    env = {
        **os.environ,
        "DATABASE_URL": f"{server}/{options.database}",
        "DJANGO_SETTINGS_MODULE": "crystalbay.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key"),
    }
    try:
        run(["migrate", "--no-input", "-v0"], env=env)
        seconds, peak_rss_kib, output = run(
            ["seed_demo", "--leads", str(options.leads), "--orders", str(options.orders), "--seed", str(options.seed)],
            env=env,
        )
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))

    result = {
        "command": f"seed_demo --leads {options.leads} --orders {options.orders} --seed {options.seed}",
        "leads": options.leads,
        "orders": options.orders,
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(peak_rss_kib / 1024, 1),
        "command_output": output.strip(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(output.strip())
    print(f"seed_demo: {result['seconds']} s wall, peak RSS {result['peak_rss_mib']} MiB → {options.output}")


if __name__ == "__main__":
    main()
