"""Reads of analytics: the formulas (``formulas``), what a figure covers
(``scope``), the KPIs of a period (``kpis``) and the dashboard's tables and
charts (``tables``). Nothing here writes."""

from analytics.selectors.formulas import KPIS, active_clients_count, conversion_rate, revenue_kzt
from analytics.selectors.kpis import KpiReport, KpiValue, kpi_report
from analytics.selectors.scope import DEFAULT_PRESET, Filters, Period, Preset, Scope, preset_period, today_local

__all__ = [
    "DEFAULT_PRESET",
    "KPIS",
    "Filters",
    "KpiReport",
    "KpiValue",
    "Period",
    "Preset",
    "Scope",
    "active_clients_count",
    "conversion_rate",
    "kpi_report",
    "preset_period",
    "revenue_kzt",
    "today_local",
]
