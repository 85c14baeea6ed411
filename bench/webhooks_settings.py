"""The project's settings with one extra URL for bench/webhooks.py: a bare webhook view."""

from crystalbay.settings import *  # noqa: F403

ROOT_URLCONF = "bench.webhooks_urls"
