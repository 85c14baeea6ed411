"""The project served by a real gunicorn in its own process, with its own
environment: for what a test inside the Django process cannot show (a database
that does not answer, a real Celery worker behind a real broker)."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

BASE_DIR = Path(__file__).resolve().parent.parent

SERVER_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    # Static files through the finders, for tests about something else; a test
    # about the release serves collected, hashed files (``static_root``).
    "STATIC_MANIFEST": "0",
}


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is connected to (the test database,
    inside a test)."""
    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD")
    credentials = f"{user}:{quote(password)}@" if password else f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


def wait_until_alone(connection, timeout: float = 10) -> None:
    """Wait until no other session is connected to this PostgreSQL database: a
    stopped server's session ends a moment after its process, and the test
    database cannot be flushed or dropped while it lingers."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)


def process_env(env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **SERVER_ENV, **env}


def _log_tail(log) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-4000:]


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def collectstatic(static_root: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``manage.py collectstatic`` as a release runs it: DEBUG off, the manifest
    storage (hashed, compressed names), into ``static_root``."""
    return subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=BASE_DIR,
        env=process_env({**env, "STATIC_MANIFEST": "1", "STATIC_ROOT": str(static_root)}),
        capture_output=True,
        text=True,
        timeout=600,
    )


@contextmanager
def gunicorn_server(
    env: dict[str, str],
    *,
    ready_path: str = "/health",
    startup_timeout: float = 30,
    static_root: Path | None = None,
) -> Iterator[str]:
    """Serve ``crystalbay.wsgi`` on a free localhost port; yield its base URL once
    ``ready_path`` answers (with any status), stop it afterwards.

    With ``static_root`` (the output of ``collectstatic``) it serves static files
    as production does: the manifest storage, hashed names, from that directory.

    The listening socket is bound here and handed to gunicorn, so no other server
    can take the port between choosing it and serving on it."""
    if static_root is not None:
        env = {**env, "STATIC_MANIFEST": "1", "STATIC_ROOT": str(static_root)}
    listener = socket.create_server(("127.0.0.1", 0))
    listener.set_inheritable(True)
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    with listener, tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "crystalbay.wsgi",
                f"--bind=fd://{listener.fileno()}",
                "--workers=1",
                "--timeout=30",
                "--graceful-timeout=5",
            ],
            cwd=BASE_DIR,
            env=process_env(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
        )
        listener.close()
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_log_tail(log)}")
                try:
                    requests.get(base_url + ready_path, timeout=10)
                    break
                except (requests.ConnectionError, requests.Timeout):
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"gunicorn did not answer in {startup_timeout} s:\n{_log_tail(log)}"
                        ) from None
                    time.sleep(0.2)
            yield base_url
        finally:
            stop(process)


@contextmanager
def celery_worker(env: dict[str, str], *, name: str, pool: str = "solo", beat: bool = False) -> Iterator[subprocess.Popen]:
    """A real ``celery -A crystalbay worker`` (solo pool, or ``prefork`` with one
    process, which enforces time limits) with this environment, consuming both
    queues (``celery`` and the assistant's) as the README says; with ``beat``, it
    runs the periodic schedule too (``crystalbay/celery.py``). Stopped (warm
    shutdown, then killed) afterwards."""
    with tempfile.TemporaryFile() as log, tempfile.TemporaryDirectory() as scratch:
        beat_args = ["--beat", f"--schedule={scratch}/beat-schedule"] if beat else []
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crystalbay",
                "worker",
                f"--pool={pool}",
                "--concurrency=1",
                "-Q",
                "celery,assistant",
                "-n",
                name,
                "--loglevel=INFO",
                *beat_args,
            ],
            cwd=BASE_DIR,
            env=process_env(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            stop(process, timeout=15)


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


@contextmanager
def redis_server(startup_timeout: float = 10) -> Iterator[tuple[str, subprocess.Popen]]:
    """A private ``redis-server`` on a free port, nothing saved to disk: for a test
    that stops Redis (never the shared one). Yields its URL and its process;
    stopped afterwards if the test has not stopped it."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        stop(process)


@pytest.fixture
def gunicorn():
    """Start the project under gunicorn with an environment of the test's choosing:
    ``base_url = gunicorn({"DATABASE_URL": ...})``. Every server stops at teardown.
    A test directory uses it by importing it into its ``conftest.py``."""
    with ExitStack() as stack:
        yield lambda env: stack.enter_context(gunicorn_server(env))


@pytest.fixture
def subprocess_database_url(transactional_db):
    """DATABASE_URL of the test database, for servers in other processes (its rows
    are committed, so they see them). Request it before ``gunicorn``: at teardown it
    waits until those servers have disconnected."""
    from django.db import connection

    yield database_url(connection.settings_dict)
    wait_until_alone(connection)


def task_sender(broker_url: str):
    """A Celery client that sends tasks by name to the workers behind ``broker_url``.
    It is not made the current app: a new Celery() would be, and every task the
    project later queues in this process would go to that broker instead of
    running eagerly as the tests expect."""
    from celery import Celery

    return Celery(broker=broker_url, backend=broker_url, set_as_current=False)
