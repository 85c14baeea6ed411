import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.api.turnstile_server import fake_turnstile  # noqa: F401 (fixture)
from tests.integrations.samo.servers import fake_samo  # noqa: F401 (fixture)
from tests.liveserver import gunicorn, subprocess_database_url  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters and idempotency keys live in the cache: each test starts clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(db):
    """``api(user)``: a client logged in as ``user`` (the pages' session), or anonymous."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make
