"""What the operator watches that no table holds, kept where every web process,
worker and machine sees the same figures: the length of the Celery queues and
how many tasks of each name succeeded, failed or were retried (in the broker's
Redis), when beat last ran (in the cache). And who may read the details."""

import hmac
import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# The queues the workers read: the default one and the AI assistant's own.
CELERY_QUEUES = ("celery", "assistant")
TASK_OUTCOMES_KEY = "crystalbay:celery:task-outcomes"
BEAT_HEARTBEAT_KEY = "crystalbay:beat:heartbeat"
REDIS_TIMEOUT = 2.0

_clients: dict[str, redis.Redis] = {}


def broker_redis() -> redis.Redis | None:
    """The broker's Redis (one connection pool per process), or None without a broker."""
    url = settings.REDIS_URL
    if not url:
        return None
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
    return _clients[url]


def queue_lengths() -> dict[str, int]:
    """Messages waiting in each queue (the Redis list kombu keeps per queue); empty
    without a broker. Raises redis.RedisError when the broker does not answer."""
    client = broker_redis()
    if client is None:
        return {}
    pipe = client.pipeline(transaction=False)
    for queue in CELERY_QUEUES:
        pipe.llen(queue)
    return dict(zip(CELERY_QUEUES, pipe.execute(), strict=True))


def task_outcome_record(*, task_name: str, outcome: str) -> None:
    """Count one finished task (``success``, ``failure``, ``retry``) in Redis, where
    every worker process on every machine adds to the same figure. A broker that
    does not answer costs the figure, never the task."""
    client = broker_redis()
    if client is None:
        return
    try:
        client.hincrby(TASK_OUTCOMES_KEY, f"{task_name}\t{outcome}", 1)
    except redis.RedisError as exc:
        logger.warning("task outcome of %s not counted: %s: %s", task_name, type(exc).__name__, exc)


def task_outcomes() -> dict[tuple[str, str], int]:
    """(task name, outcome) -> how many, since Redis was last emptied."""
    client = broker_redis()
    if client is None:
        return {}
    counts = {}
    for field, value in client.hgetall(TASK_OUTCOMES_KEY).items():
        task_name, _sep, outcome = field.decode().partition("\t")
        counts[(task_name, outcome)] = int(value)
    return counts


@dataclass(frozen=True)
class BeatState:
    last_ran_at: float | None  # a Unix time
    age_seconds: int | None
    late: bool

    @property
    def summary(self) -> str:
        if self.last_ran_at is None:
            return "never ran"
        return f"last ran {self.age_seconds} s ago" + (" (late)" if self.late else "")


def beat_heartbeat_record() -> None:
    cache.set(BEAT_HEARTBEAT_KEY, time.time(), timeout=None)


def beat_state() -> BeatState:
    """When the heartbeat, a task beat queues every minute, last ran on a worker;
    late past BEAT_LATE_SECONDS (beat or every worker stopped). Raises what the
    cache raises when it does not answer."""
    last = cache.get(BEAT_HEARTBEAT_KEY)
    if last is None:
        return BeatState(last_ran_at=None, age_seconds=None, late=True)
    age = max(0, round(time.time() - float(last)))
    return BeatState(last_ran_at=float(last), age_seconds=age, late=age > settings.BEAT_LATE_SECONDS)


def metrics_token_matches(request) -> bool:
    """``Authorization: Bearer <METRICS_TOKEN>``, compared in constant time; never
    true while METRICS_TOKEN is unset."""
    expected = settings.METRICS_TOKEN
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())
