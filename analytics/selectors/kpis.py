"""The KPIs of a period beside the period before: a fixed handful of
aggregate queries (each covering both periods where it can), whatever the
number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet

from analytics.models import MarketingSpend, SurveyResponse
from analytics.selectors.formulas import (
    KPI_BY_KEY,
    KPIS,
    Kpi,
    Unit,
    breach_figures,
    change,
    client_figures,
    first_reply_annotations,
    first_reply_figures,
    lead_figures,
    loyalty_figures,
    new_client_figures,
    order_figures,
    spend_figures,
    survey_figures,
)
from analytics.selectors.scope import Period, Scope
from crm.models import Client, Lead, Order, SlaBreach
from messaging.models import Conversation

CURRENT, PREVIOUS = "cur", "prev"


@dataclass(frozen=True)
class KpiValue:
    key: str
    value: Any
    previous: Any
    compared: bool

    @property
    def kpi(self) -> Kpi:
        return KPI_BY_KEY[self.key]

    @property
    def change(self):
        if not self.compared:
            return None
        return change(self.value, self.previous, points=self.kpi.unit in (Unit.PERCENT, Unit.SCORE))

    @property
    def direction(self) -> str:
        """"up", "down" or "flat" (empty without a comparison)."""
        delta = self.change
        if delta is None:
            return ""
        return "up" if delta > 0 else "down" if delta < 0 else "flat"

    @property
    def is_good(self) -> bool | None:
        if self.direction in ("", "flat"):
            return None
        return (self.direction == "up") != self.kpi.lower_is_better


@dataclass(frozen=True)
class KpiReport:
    period: Period
    previous_period: Period | None
    values: list[KpiValue]

    def value(self, key: str) -> KpiValue | None:
        return next((value for value in self.values if value.kpi.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        return {value.kpi.key: value.value for value in self.values}


def _both_periods(scope: Scope, model: type[Model], rows: QuerySet, builder, periods: dict[str, Period]) -> dict:
    """One aggregate query giving ``builder``'s sums for each period."""
    aggregates = {
        f"{label}_{name}": expression
        for label, period in periods.items()
        for name, expression in builder(scope.date_q(model, period)).items()
    }
    result = rows.aggregate(**aggregates)
    return {label: {name: result[f"{label}_{name}"] for name in builder()} for label in periods}


def _loyalty(scope: Scope, period: Period) -> dict:
    per_client, over_clients = loyalty_figures(scope.date_q(Order, period))
    orders = scope.rows(Order.objects.all(), period.until_end())
    return orders.values("client").annotate(**per_client).filter(period_orders__gt=0).aggregate(**over_clients)


def _first_replies(scope: Scope, period: Period) -> dict:
    conversations = scope.rows(Conversation.objects.all()).annotate(**first_reply_annotations())
    return conversations.filter(scope.date_q(Conversation, period)).aggregate(**first_reply_figures())


def _acquisition(scope: Scope, periods: dict[str, Period]) -> dict[str, dict]:
    if not scope.spend_applies:
        return {label: {"spend": None, "new_clients": None} for label in periods}
    months = {label: period.whole_months() for label, period in periods.items()}
    span = months[CURRENT].span(months.get(PREVIOUS))
    spend = _both_periods(scope, MarketingSpend, scope.rows(MarketingSpend.objects.all(), span), spend_figures, months)
    aggregates = {
        f"{label}_new_clients": new_client_figures(scope.date_q(Order, period), period.start)["new_clients"]
        for label, period in months.items()
    }
    new_clients = scope.rows(Order.objects.all(), span).aggregate(**aggregates)
    return {label: {**spend[label], "new_clients": new_clients[f"{label}_new_clients"]} for label in periods}


def period_figures(scope: Scope, periods: dict[str, Period]) -> dict[str, dict[str, Any]]:
    """Every sum the KPIs are built from, for each of ``periods``."""
    span = periods[CURRENT].span(periods.get(PREVIOUS))
    figures: dict[str, dict[str, Any]] = {label: {} for label in periods}
    sources = (
        (Order, order_figures), (Lead, lead_figures), (Client, client_figures), (SlaBreach, breach_figures),
        (SurveyResponse, survey_figures),
    )
    for model, builder in sources:
        rows = scope.rows(model.objects.all(), span)
        for label, sums in _both_periods(scope, model, rows, builder, periods).items():
            figures[label].update(sums)
    for label, sums in _acquisition(scope, periods).items():
        figures[label].update(sums)
    for label, period in periods.items():
        figures[label].update(_loyalty(scope, period))
        figures[label].update(_first_replies(scope, period))
    return figures


def kpi_report(*, scope: Scope, period: Period) -> KpiReport:
    """The KPIs of ``period`` (each beside the as-long period before it, when
    the period is closed) that ``scope``'s reader may see."""
    previous = period.previous()
    periods = {CURRENT: period} if previous is None else {CURRENT: period, PREVIOUS: previous}
    figures = period_figures(scope, periods)
    values = [
        KpiValue(
            key=kpi.key,
            value=kpi.compute(figures[CURRENT]),
            previous=None if previous is None else kpi.compute(figures[PREVIOUS]),
            compared=previous is not None,
        )
        for kpi in KPIS
        if scope.reads_all or not kpi.agency_only
    ]
    return KpiReport(period=period, previous_period=previous, values=values)
