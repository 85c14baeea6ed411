"""The cache backend: Django's Redis cache that keeps the site up when Redis is not.

Everything the cache holds can be lost: figures and SAMO answers are computed
again, the throttles count afresh, the booking form's Idempotency-Key falls back
to its record on the lead's timeline. So while Redis does not answer, every call
behaves as a miss (``get`` the default, ``add`` done, writes dropped) instead of
failing the request; a warning is logged at most once a minute per process, and
for a few seconds after a failure Redis is not asked at all, so that a page
making many calls does not wait on each one.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)
# After a failure, seconds during which Redis is not asked (every call is a miss).
PAUSE_SECONDS = 5.0
WARNING_EVERY_SECONDS = 60.0


class ForgivingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._warned_at = -WARNING_EVERY_SECONDS
        self._missed = 0

    def _call(self, operation: str, fallback, *args, **kwargs):
        if time.monotonic() < self._paused_until:
            self._missed += 1
            return fallback
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except OUTAGE_ERRORS as exc:
            self._outage(operation, exc)
            return fallback

    def _outage(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self._paused_until = now + PAUSE_SECONDS
            self._missed += 1
            if now - self._warned_at < WARNING_EVERY_SECONDS:
                return
            self._warned_at, missed, self._missed = now, self._missed, 0
        logger.warning("The Redis cache does not answer (%s on %s: %s); %d cache calls answered as misses "
                       "since the last warning", type(exc).__name__, operation, exc, missed)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # True: the caller goes on as if it had the key to itself (the work is done, not skipped).
        return self._call("add", True, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        counted = self._call("incr", None, key, delta, version)
        if counted is None:
            # A counter the cache cannot reach is a missing one, which Django's incr reports so.
            raise ValueError(f"Key '{key}' not found (the cache does not answer).")
        return counted

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)
