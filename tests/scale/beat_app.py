"""The project's Celery app (its schedule as deployed) with one fast entry added,
for the test that runs two beats at once: every second, a task of a name no
worker knows, on a queue of its own that nothing consumes — so each send stays in
Redis to be counted, and nothing runs."""

from crystalbay.celery import app

TICK_QUEUE = "beat-test-ticks"
app.conf.beat_schedule = {
    **app.conf.beat_schedule,
    "test-tick": {"task": "tests.beat_tick", "schedule": 1.0, "options": {"queue": TICK_QUEUE}},
}
