"""The project served by a real gunicorn in its own process, with its own
environment: for what a test inside the Django process cannot show (a database
that does not answer, a real Celery worker behind a real broker)."""

import os
import re
import shutil
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


def _wait_until_ready(process: subprocess.Popen, log, probe, *, what: str, timeout: float) -> None:
    """Call ``probe`` until it no longer fails to connect; raise with the log when
    the process exits or ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{_log_tail(log)}")
        try:
            probe()
            return
        except OSError:  # requests' connection errors and timeouts are OSErrors too
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer in {timeout} s:\n{_log_tail(log)}") from None
            time.sleep(0.2)


@contextmanager
def gunicorn_server(env: dict[str, str], *, ready_path: str = "/health", startup_timeout: float = 30,
                    workers: int = 1, static_root: Path | None = None) -> Iterator[str]:
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
                f"--workers={workers}",
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
            _wait_until_ready(process, log, lambda: requests.get(base_url + ready_path, timeout=10),
                              what="gunicorn", timeout=startup_timeout)
            yield base_url
        finally:
            stop(process)


@contextmanager
def celery_process(env: dict[str, str], *args: str, app: str = "crystalbay") -> Iterator[subprocess.Popen]:
    """``celery -A <app> <args>`` with this environment, its output kept aside;
    stopped (warm shutdown, then killed) afterwards."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", app, *args, "--loglevel=INFO"],
            cwd=BASE_DIR,
            env=process_env(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        process.log = log
        try:
            yield process
        finally:
            stop(process, timeout=15)


def process_log(process: subprocess.Popen) -> str:
    """The last of what a process started by ``celery_process`` wrote so far (read
    without moving the offset the process writes at)."""
    descriptor = process.log.fileno()
    size = os.fstat(descriptor).st_size
    return os.pread(descriptor, 4000, max(0, size - 4000)).decode(errors="replace")


@contextmanager
def celery_worker(env: dict[str, str], *, name: str, queues: str = "celery,assistant", pool: str = "solo",
                  beat: bool = False) -> Iterator[subprocess.Popen]:
    """A real ``celery -A crystalbay worker`` with this environment, consuming both
    queues (``celery`` and the assistant's) as the README says, or ``queues``; solo
    pool, or ``prefork`` with one process (which enforces time limits); with
    ``beat``, it runs the periodic schedule too (``crystalbay/celery.py``)."""
    with tempfile.TemporaryDirectory() as scratch:
        beat_args = ["--beat", f"--schedule={scratch}/beat-schedule"] if beat else []
        with celery_process(env, "worker", f"--pool={pool}", "--concurrency=1", f"--queues={queues}", "-n", name,
                            *beat_args) as process:
            yield process


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


PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def pgbouncer_version() -> tuple[int, ...] | None:
    """The installed PgBouncer's version, None when it is not installed."""
    if not os.path.exists(PGBOUNCER):
        return None
    output = subprocess.run([PGBOUNCER, "--version"], capture_output=True, text=True, check=True).stdout
    return tuple(int(part) for part in re.search(r"PgBouncer (\d+)\.(\d+)", output).groups())


@contextmanager
def pgbouncer_server(settings_dict: dict, *, pool_mode: str = "transaction", pool_size: int = 3,
                     max_prepared_statements: int | None = None, startup_timeout: float = 15) -> Iterator[str]:
    """A private PgBouncer on a free localhost port in front of the database
    Django is connected to (trust authentication, its config in a temporary
    directory); yields a DATABASE_URL through it. Run as the ``postgres`` user
    when this is root (PgBouncer refuses root)."""
    name = settings_dict["NAME"]
    user = settings_dict.get("USER") or "postgres"
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    settings = [
        "[databases]",
        f"{name} = host={settings_dict.get('HOST') or '127.0.0.1'} port={settings_dict.get('PORT') or 5432} "
        f"dbname={name} user={user}" + (f" password={settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""),
        "[pgbouncer]",
        "listen_addr = 127.0.0.1", f"listen_port = {port}", "unix_socket_dir =",
        "auth_type = trust", "auth_file = {dir}/userlist.txt",
        f"pool_mode = {pool_mode}", f"default_pool_size = {pool_size}", "max_client_conn = 200",
        "ignore_startup_parameters = extra_float_digits", "server_reset_query =",
    ]
    if max_prepared_statements is not None:
        settings.append(f"max_prepared_statements = {max_prepared_statements}")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    with tempfile.TemporaryDirectory() as directory, tempfile.TemporaryFile() as log:
        config = Path(directory) / "pgbouncer.ini"
        config.write_text("\n".join(settings).replace("{dir}", directory) + "\n")
        (Path(directory) / "userlist.txt").write_text(f'"{user}" ""\n')
        if as_user:
            for path in (directory, config, Path(directory) / "userlist.txt"):
                shutil.chown(path, "postgres")
        process = subprocess.Popen([*as_user, PGBOUNCER, str(config)], stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_ready(process, log, lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close(),
                              what="pgbouncer", timeout=startup_timeout)
            yield database_url({**settings_dict, "HOST": "127.0.0.1", "PORT": str(port)})
        finally:
            stop(process)
