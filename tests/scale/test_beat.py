"""Beat runs once per installation: two ``celery beat`` processes on one Redis,
one sends the schedule and the other waits for redbeat's lock, and takes over
when the first stops. A fast entry (``beat_app``) sends a tick every second to a
queue nothing consumes; each tick names the process that sent it."""

import json
import time

import pytest

from tests.liveserver import celery_process, process_log
from tests.scale.beat_app import TICK_QUEUE
from tests.scale.conftest import SCALE_REDIS_URL

pytestmark = [pytest.mark.slow]
BEAT_ENV = {"REDIS_URL": SCALE_REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "0", "DATABASE_URL": "sqlite:///:memory:"}
WATCHED_SECONDS = 6


def tick_senders(client) -> list[str]:
    """The sending process ("gen<pid>@<host>") of every tick so far, oldest first
    (the broker pushes onto the head of the list)."""
    return [json.loads(raw)["headers"]["origin"] for raw in reversed(client.lrange(TICK_QUEUE, 0, -1))]


def wait_for(condition, *, what: str, process, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}; its log:\n{process_log(process)}")
        time.sleep(0.2)


def beat(name: str):
    # --max-interval: a waiting beat looks at the lock every second (30 s as deployed).
    return celery_process(BEAT_ENV, "beat", "--max-interval=1", app="tests.scale.beat_app")


def test_a_second_beat_waits_for_the_lock_and_takes_over_when_the_first_stops(scale_redis):
    started = time.monotonic()
    with beat("first") as first:
        first_sender = f"gen{first.pid}@"
        wait_for(lambda: any(s.startswith(first_sender) for s in tick_senders(scale_redis)),
                 what="the first beat's first tick", process=first)
        with beat("second") as second:
            second_sender = f"gen{second.pid}@"
            wait_for(lambda: "beat: Starting..." in process_log(second), what="the second beat to start",
                     process=second)
            before = len(tick_senders(scale_redis))
            time.sleep(WATCHED_SECONDS)
            while_both = tick_senders(scale_redis)[before:]

            assert while_both and all(s.startswith(first_sender) for s in while_both), while_both
            assert len(while_both) <= WATCHED_SECONDS + 1  # once a second, not twice
            assert "beat: Acquired lock" not in process_log(second)

            first.terminate()
            first.wait(timeout=15)
            wait_for(lambda: any(s.startswith(second_sender) for s in tick_senders(scale_redis)),
                     what="the second beat to take over", process=second)
            time.sleep(2)
        elapsed = time.monotonic() - started

    senders = tick_senders(scale_redis)
    taken_over_at = next(n for n, s in enumerate(senders) if s.startswith(second_sender))
    assert all(s.startswith(first_sender) for s in senders[:taken_over_at])
    assert all(s.startswith(second_sender) for s in senders[taken_over_at:])
    assert len(senders) <= elapsed + 1
