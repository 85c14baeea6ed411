"""The project's settings with one extra URL for bench/kanban.py: a bare view."""

from crystalbay.settings import *  # noqa: F403

ROOT_URLCONF = "bench.kanban_urls"
# The benchmark talks plain HTTP on the loopback: cookies must not demand TLS.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
