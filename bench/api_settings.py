"""The project's settings with the bare views of bench/api.py."""

from crystalbay.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
# The benchmark talks plain HTTP on the loopback: cookies must not demand TLS.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Throughput is measured, not throttled.
API_USER_RATE_LIMIT = "1000000/m"
