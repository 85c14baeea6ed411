import pytest

from tests.integrations.openai.server import fake_openai  # noqa: F401  (a fixture)
from tests.liveserver import subprocess_database_url  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _fresh_figures(settings):
    """Every test computes its figures: nothing kept from another test's data."""
    settings.ANALYTICS_CACHE_SECONDS = 0
