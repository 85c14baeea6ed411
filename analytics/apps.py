import statistics

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class _SqliteMedian:
    """``MEDIAN(x)`` for SQLite, which has no percentile aggregate (PostgreSQL
    uses its own ``percentile_cont``); NULLs are skipped like any aggregate's."""

    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def sqlite_median_register(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("MEDIAN", 1, _SqliteMedian)


class AnalyticsConfig(AppConfig):
    verbose_name = _("Analytics")
    name = "analytics"

    def ready(self):
        connection_created.connect(sqlite_median_register, dispatch_uid="analytics.sqlite_median")
