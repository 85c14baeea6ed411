"""The figures of one dashboard view, computed once and kept for a minute.

Every figure is a handful of aggregate queries over tens of thousands of rows;
people reload and change filters back and forth, so the figures of one scope,
period and language are kept in the cache for ``ANALYTICS_CACHE_SECONDS`` and
the page says when they were computed."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import get_language

from analytics.selectors.kpis import KpiReport, kpi_report
from analytics.selectors.scope import Period, Scope
from analytics.selectors.tables import Table, dashboard_tables, table_sums

# For the one transaction of a dashboard's queries, on PostgreSQL: no JIT
# compilation (it costs more than it saves on these short aggregates); memory
# enough to group a period's rows in one hash table without spilling to disk;
# and index pages costed as the cached pages they are, so that the covering
# indexes (crm 0005) are read alone, even over most of a table.
PLANNER_SETTINGS = {"jit": "off", "work_mem": "32MB", "random_page_cost": "1.1", "max_parallel_workers_per_gather": "0"}


@contextmanager
def analytic_queries() -> Iterator[None]:
    """One read-only transaction, with ``PLANNER_SETTINGS`` on PostgreSQL."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                settings_sql = ", ".join("set_config(%s, %s, true)" for _name in PLANNER_SETTINGS)
                cursor.execute(f"SELECT {settings_sql}", [item for pair in PLANNER_SETTINGS.items() for item in pair])
        yield


@dataclass(frozen=True)
class DashboardFigures:
    report: KpiReport
    tables: dict[str, Table] | None
    computed_at: dt.datetime


def _key(kind: str, scope: Scope, period: Period) -> str:
    parts = repr((kind, scope, period, get_language()))
    return "analytics:figures:" + hashlib.sha256(parts.encode()).hexdigest()


def dashboard_figures(*, scope: Scope, period: Period, with_tables: bool = True) -> DashboardFigures:
    """The KPIs (and, for the page, its tables) of ``period`` in ``scope``, at most ``ANALYTICS_CACHE_SECONDS`` old."""
    key = _key("page" if with_tables else "kpis", scope, period)
    figures = cache.get(key) if settings.ANALYTICS_CACHE_SECONDS else None
    if figures is None:
        with analytic_queries():
            if with_tables:
                # The tables' grouped passes also count the period's totals: the report takes those.
                sums = table_sums(scope=scope, period=period)
                report = kpi_report(scope=scope, period=period, known=sums.known)
                tables = dashboard_tables(scope=scope, period=period, sums=sums)
            else:
                report, tables = kpi_report(scope=scope, period=period), None
            figures = DashboardFigures(report=report, tables=tables, computed_at=timezone.now())
        if settings.ANALYTICS_CACHE_SECONDS:
            cache.set(key, figures, settings.ANALYTICS_CACHE_SECONDS)
    return figures
