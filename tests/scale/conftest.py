"""Scale-out: several web and worker processes, two beats, PgBouncer — each in
its own process on the test database and a Redis database of these tests."""

import os

import pytest
import redis

from tests.liveserver import gunicorn, subprocess_database_url  # noqa: F401  (fixtures)

# A Redis database no other test uses: flushed before and after each test here.
SCALE_REDIS_URL = os.environ.get("SCALE_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def scale_redis():
    client = redis.Redis.from_url(SCALE_REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
