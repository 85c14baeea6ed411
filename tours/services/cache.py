"""SAMO answers, cached: ``samo_fetch`` is how the tours app reads SAMO.

- Fresh answers come from the Django cache (Redis): no database, no SAMO.
- On a miss, one caller per (action, parameters) asks SAMO while the others wait
  for its answer (a Redis lock; a process lock without Redis), so twenty
  identical cold searches make one upstream call.
- Every good answer is also kept in ``SamoCache`` (the database). When SAMO
  fails, that last good answer is served marked stale, with its age and the
  error; with none, the error is raised. Nothing is ever made up.
"""

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from integrations.samo import actions, errors
from integrations.samo.client import samo_request
from tours.models import SamoCache, params_hash

logger = logging.getLogger(__name__)
# How long the others wait for the one caller asking SAMO, at most.
FAILURE_MEMORY_SECONDS = 15
_redis_clients: dict[str, redis.Redis] = {}
_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def ttl_for(action: str) -> int:
    if action in (actions.PRICES, actions.FREIGHTS):
        return settings.SAMO_PRICES_TTL
    return settings.SAMO_REFERENCE_TTL


@dataclass(frozen=True)
class Fetched:
    """A SAMO payload and how fresh it is. ``stale`` answers carry the ``error``
    that kept them from being refreshed."""

    action: str
    payload: Any
    fetched_at: dt.datetime
    demo: bool
    stale: bool = False
    error: errors.SamoError | None = None
    cached: bool = True

    @property
    def age_seconds(self) -> int:
        return max(0, round((timezone.now() - self.fetched_at).total_seconds()))


def canonical_params(params: dict[str, Any]) -> dict[str, str]:
    return {str(key): str(value) for key, value in sorted(params.items()) if value not in (None, "")}


def _key(action: str, params: dict[str, str]) -> str:
    return f"samo:v1:{action}:{params_hash(params)}"


def _lock_timeout() -> float:
    attempts = settings.SAMO_RETRIES + 1
    return settings.SAMO_READ_TIMEOUT * attempts + settings.SAMO_RETRY_BACKOFF * 2**attempts + 5


@contextmanager
def single_flight(name: str) -> Iterator[bool]:
    """Hold the lock ``name`` while the block runs, across processes when Redis is
    configured. Yields False when it could not be had in time (the block still runs)."""
    timeout = _lock_timeout()
    if settings.REDIS_URL:
        client = _redis_clients.get(settings.REDIS_URL)
        if client is None:
            client = _redis_clients[settings.REDIS_URL] = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=timeout + 2
            )
        lock = client.lock(f"crystalbay:lock:{name}", timeout=timeout, blocking_timeout=timeout)
        try:
            acquired = lock.acquire()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            # Redis down: every caller asks SAMO itself rather than nobody getting an answer.
            logger.warning("No Redis for the SAMO lock %s (%s); going on without it", name, exc)
            acquired = False
        try:
            yield acquired
        finally:
            if acquired:
                # It may have expired meanwhile (another caller holds it now), or Redis gone.
                with contextlib.suppress(redis.exceptions.LockError, redis.exceptions.ConnectionError,
                                         redis.exceptions.TimeoutError):
                    lock.release()
        return
    with _process_locks_guard:
        lock = _process_locks.setdefault(name, threading.Lock())
    acquired = lock.acquire(timeout=timeout)
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()


def _remember(action: str, params: dict[str, str], fetched: Fetched, expires_at: dt.datetime) -> None:
    cache.set(
        _key(action, params),
        {"payload": fetched.payload, "fetched_at": fetched.fetched_at, "demo": fetched.demo},
        timeout=max(1, round((expires_at - timezone.now()).total_seconds())),
    )


def _from_cache(action: str, params: dict[str, str]) -> Fetched | None:
    hit = cache.get(_key(action, params))
    if hit is None:
        return None
    return Fetched(action=action, payload=hit["payload"], fetched_at=hit["fetched_at"], demo=hit["demo"])


def _stale_or_raise(action: str, params: dict[str, str], error: errors.SamoError) -> Fetched:
    row = SamoCache.objects.filter(action=action, params_hash=params_hash(params)).first()
    if row is None:
        raise error
    return Fetched(action=action, payload=row.payload, fetched_at=row.fetched_at, demo=row.demo, stale=True,
                   error=error)


def samo_fetch_many(requests: list[tuple[str, dict[str, Any]]]) -> list[Fetched]:
    """``samo_fetch`` of several answers, the cached ones read in one round trip."""
    canonical = [(action, canonical_params(params)) for action, params in requests]
    hits = cache.get_many([_key(action, params) for action, params in canonical])
    fetched = []
    for action, params in canonical:
        hit = hits.get(_key(action, params))
        fetched.append(
            Fetched(action=action, payload=hit["payload"], fetched_at=hit["fetched_at"], demo=hit["demo"])
            if hit is not None else samo_fetch(action, params)
        )
    return fetched


def _failure_error(action: str, failure: dict) -> errors.SamoError:
    """The error another caller just had, for those who waited on it (not asked again)."""
    error = errors.SamoError(failure["message"], action=action, status_code=failure["status_code"])
    error.code = failure["code"]
    return error


def samo_fetch(action: str, params: dict[str, Any] | None = None, *, refresh: bool = False) -> Fetched:
    """The answer of ``action`` for ``params``: fresh from the cache, else from SAMO
    (one caller at a time per key), else the last good answer marked stale, else
    the SAMO error. ``refresh`` asks SAMO even when a fresh answer is cached (preload)."""
    params = canonical_params(params or {})
    if not refresh and (hit := _from_cache(action, params)):
        return hit
    key = _key(action, params)
    failure_key = f"{key}:failed"
    with single_flight(key):
        if not refresh:
            # Whoever held the lock before us may have just fetched it, or just failed.
            if hit := _from_cache(action, params):
                return hit
            if (failure := cache.get(failure_key)) is not None:
                return _stale_or_raise(action, params, _failure_error(action, failure))
            row = SamoCache.objects.filter(action=action, params_hash=params_hash(params)).first()
            if row is not None and row.is_fresh:
                fetched = Fetched(action=action, payload=row.payload, fetched_at=row.fetched_at, demo=row.demo)
                _remember(action, params, fetched, row.expires_at)
                return fetched
        try:
            response = samo_request(action, params)
        except errors.SamoError as exc:
            cache.set(failure_key, {"code": exc.code, "message": str(exc), "status_code": exc.status_code},
                      timeout=FAILURE_MEMORY_SECONDS)
            return _stale_or_raise(action, params, exc)
        now = timezone.now()
        expires_at = now + dt.timedelta(seconds=ttl_for(action))
        SamoCache.objects.update_or_create(
            action=action, params_hash=params_hash(params),
            defaults={"params": params, "payload": response.payload, "fetched_at": now, "expires_at": expires_at,
                      "demo": response.demo},
        )
        fetched = Fetched(action=action, payload=response.payload, fetched_at=now, demo=response.demo, cached=False)
        cache.delete(failure_key)
        _remember(action, params, fetched, expires_at)
        return fetched
