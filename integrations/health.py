"""The health report behind ``/health`` and the settings page.

Each check answers within a short, fixed time and says only what kind of thing
it checked (a backend's name, a number of workers) — never a host, a password or
a token. Anonymous callers of ``/health`` get the status alone; staff and callers
with METRICS_TOKEN get the checks. The exception behind a failure is logged for
the operator instead.
"""

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection

from crystalbay.celery import app as celery_app
from integrations.models import ApiLog
from integrations.monitoring import beat_state, metrics_token_matches, queue_lengths

logger = logging.getLogger(__name__)

# Every check that talks to another process gives up after this many seconds.
CHECK_TIMEOUT = 2.0
WORKER_PING_TIMEOUT = 1.0


class Status:
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass
class Check:
    """``ok`` is None when the check does not apply (nothing configured to check)."""

    ok: bool | None
    latency_ms: int | None = None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {**data.pop("extra"), **data}


@dataclass
class HealthReport:
    status: str
    checks: dict[str, Check]

    @property
    def database_ok(self) -> bool:
        return bool(self.checks["database"].ok)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "checks": {name: check.as_dict() for name, check in self.checks.items()}}


def _timed(probe: Callable[[], Check]) -> Check:
    started = time.monotonic()
    check = probe()
    if check.latency_ms is None and check.ok is not None:
        check.latency_ms = round((time.monotonic() - started) * 1000)
    return check


def _failure(name: str, exc: BaseException) -> Check:
    logger.warning("health check %s failed: %s: %s", name, type(exc).__name__, exc)
    return Check(ok=False, detail=f"unavailable ({type(exc).__name__})")


def check_database() -> Check:
    vendor = connection.vendor
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        check = _failure("database", exc)
        check.detail = f"{vendor}: {check.detail}"
        # A broken connection must not be reused by the next request of this worker.
        connection.close_if_unusable_or_obsolete()
        return check
    return Check(ok=True, detail=vendor)


def check_cache() -> Check:
    cache = caches["default"]
    kind = type(cache).__name__.removesuffix("Cache").lower()
    key = f"health:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        answered = cache.get(key)
        cache.delete(key)
    except Exception as exc:
        check = _failure("cache", exc)
        check.detail = f"{kind}: {check.detail}"
        return check
    if answered != "1":
        return Check(ok=False, detail=f"{kind}: value not read back")
    return Check(ok=True, detail=kind)


def broker_configured() -> bool:
    """A real broker carries the tasks; otherwise they run in-process (eagerly)."""
    conf = celery_app.conf
    return not conf.task_always_eager and not str(conf.broker_url or "memory://").startswith("memory://")


def check_broker() -> Check:
    if not broker_configured():
        return Check(ok=None, detail="in-process (no broker)")
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT)
            kind = conn.transport.driver_name
    except Exception as exc:
        return _failure("broker", exc)
    return Check(ok=True, detail=kind)


def check_worker(broker: Check) -> Check:
    if broker.ok is None:
        return Check(ok=None, detail="in-process (no broker)")
    if not broker.ok:
        return Check(ok=False, detail="broker unavailable")
    try:
        replies = celery_app.control.ping(timeout=WORKER_PING_TIMEOUT)
    except Exception as exc:
        return _failure("worker", exc)
    count = len(replies or [])
    return Check(ok=count > 0, detail=f"{count} worker(s) answered", extra={"workers": count})


def samo_configured() -> bool:
    return bool(settings.SAMO_API_URL and settings.SAMO_OAUTH_TOKEN)


def check_samo(*, database_ok: bool) -> Check:
    """Not a call to SAMO (that costs the agency quota): the outcome of the last real one."""
    configured = samo_configured()
    extra: dict[str, Any] = {"configured": configured, "last_call": None}
    if not database_ok:
        return Check(ok=None, detail="API log unavailable (database)", extra=extra)
    try:
        last = ApiLog.objects.filter(service="samo").only("ok", "created_at", "duration_ms", "status_code").first()
    except DatabaseError:
        logger.warning("health check samo: the API log could not be read", exc_info=True)
        return Check(ok=None, detail="API log unavailable", extra=extra)
    if last is not None:
        extra["last_call"] = {"ok": last.ok, "at": last.created_at.isoformat(), "status_code": last.status_code}
    if not configured:
        return Check(ok=None, detail="not configured", extra=extra)
    if last is None:
        return Check(ok=None, detail="configured, no calls yet", extra=extra)
    return Check(
        ok=last.ok,
        latency_ms=last.duration_ms,
        detail="last call succeeded" if last.ok else "last call failed",
        extra=extra,
    )


def check_queues() -> Check:
    """Tasks waiting in each Celery queue: a growing number means too few workers."""
    if not broker_configured():
        return Check(ok=None, detail="in-process (no broker)")
    try:
        lengths = queue_lengths()
    except Exception as exc:
        return _failure("queues", exc)
    return Check(ok=True, detail=", ".join(f"{queue}: {length}" for queue, length in lengths.items()),
                 extra={"lengths": lengths})


def check_beat() -> Check:
    """When the heartbeat beat queues every minute last ran: never, N seconds ago, or late."""
    if not broker_configured():
        return Check(ok=None, detail="in-process (no broker)")
    try:
        beat = beat_state()
    except Exception as exc:
        return _failure("beat", exc)
    extra = {"last_ran_seconds_ago": beat.age_seconds}
    return Check(ok=not beat.late, detail=beat.summary, extra=extra)


def _broker_and_worker() -> tuple[Check, Check]:
    broker = _timed(check_broker)
    return broker, _timed(lambda: check_worker(broker))


def health_report() -> HealthReport:
    """The broker and the worker ping (which waits its whole timeout for replies) in
    a thread, meanwhile the database, the cache and SAMO in this thread, whose
    database connection belongs to the request."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health")
    try:
        broker_future = executor.submit(_broker_and_worker)
        database = _timed(check_database)
        cache_check = _timed(check_cache)
        samo = _timed(lambda: check_samo(database_ok=bool(database.ok)))
        queues = _timed(check_queues)
        beat = _timed(check_beat)
        try:
            broker, worker = broker_future.result(timeout=CHECK_TIMEOUT + WORKER_PING_TIMEOUT + 1)
        except TimeoutError:
            broker = Check(ok=False, detail="timed out")
            worker = Check(ok=False, detail="broker unavailable")
    finally:
        executor.shutdown(wait=False, cancel_futures=True)

    checks = {"database": database, "cache": cache_check, "broker": broker, "worker": worker, "queues": queues,
              "beat": beat, "samo": samo}
    if not database.ok:
        status = Status.DOWN
    elif any(check.ok is False for check in checks.values()):
        status = Status.DEGRADED
    else:
        status = Status.OK
    return HealthReport(status=status, checks=checks)


def details_allowed(request) -> bool:
    """Who sees the checks behind the status: staff, the people the settings page
    is for (its right: managers, admins), and monitoring with METRICS_TOKEN."""
    user = request.user
    if user.is_authenticated and user.is_active and (user.is_staff or user.has_perm("integrations.view_apilog")):
        return True
    return metrics_token_matches(request)
