"""The cache with Redis not answering (a port nothing listens on): every call is a
miss, one warning is logged, and the API's rate limit lets requests through
rather than failing them. The whole site with Redis stopped and started again is
``tests/messaging/test_redis_outage.py``."""

import logging
import socket

import pytest
from django.core.cache import cache

from tests.crm.factories import PASSWORD


@pytest.fixture
def redis_down(settings):
    """The cache as settings configure it with REDIS_URL, pointed at a dead port."""
    configured = settings.CACHES["default"]
    if "redis" not in configured["BACKEND"].lower():
        pytest.skip("REDIS_URL is not set: the cache is in memory")
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    settings.CACHES = {"default": {**configured, "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    return settings


def test_every_call_is_a_miss_and_one_warning_is_logged(redis_down, caplog):
    caplog.set_level(logging.WARNING, logger="crystalbay.cache")

    assert cache.get("figures", "default") == "default"
    assert cache.add("claim", "mine") is True
    assert cache.set("figures", {"revenue": 1}) is None
    assert cache.get_many(["a", "b"]) == {}
    assert cache.get_or_set("names", lambda: ["Нячанг"]) == ["Нячанг"]
    assert cache.has_key("a") is False and cache.delete("a") is False
    with pytest.raises(ValueError, match="not found"):
        cache.incr("counter")

    warnings = [record for record in caplog.records if record.name == "crystalbay.cache"]
    assert len(warnings) == 1 and "does not answer" in warnings[0].getMessage()


def test_the_api_answers_and_its_rate_limit_lets_requests_through(redis_down, client, manager):
    redis_down.API_USER_RATE_LIMIT = "2/m"
    client.post("/accounts/login/", {"username": manager.username, "password": PASSWORD})

    statuses = [client.get("/api/v1/leads/").status_code for _ in range(4)]

    assert statuses == [200] * 4
