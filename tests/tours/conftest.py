import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from tests.integrations.samo.servers import fake_samo, samo_proxy  # noqa: F401  (fixtures)
from tests.liveserver import gunicorn, subprocess_database_url  # noqa: F401  (fixtures)

ALMATY, ASTANA, VIETNAM, THAILAND, USD = 1344, 1345, 22, 5, 2


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with nothing cached (the Django cache is this run's own Redis db)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def search_params(**overrides) -> dict:
    beg = timezone.localdate() + dt.timedelta(days=30)
    params = {"town_from": ALMATY, "state": VIETNAM, "checkin_beg": beg.isoformat(),
              "checkin_end": (beg + dt.timedelta(days=7)).isoformat(), "nights_from": 7, "nights_till": 10,
              "adults": 2, "children": 0, "ages": ""}
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}
