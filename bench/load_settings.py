"""The project's settings for bench/load.py: as deployed, on plain HTTP on the loopback."""

from crystalbay.settings import *  # noqa: F403

# The load test talks plain HTTP on the loopback: cookies must not demand TLS.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
