"""The KPIs of a period beside the period before: a fixed handful of
aggregate queries (each covering both periods where it can, none asked
twice), whatever the number of rows."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import Model, Q, QuerySet

from analytics.models import MarketingSpend, SurveyResponse
from analytics.selectors.formulas import (
    EVERY_ROW,
    KPI_BY_KEY,
    KPIS,
    Kpi,
    Unit,
    breach_figures,
    change,
    client_figures,
    first_orders,
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


Sums = dict[str, Any]


def _sums(rows: QuerySet, builder, conditions: dict[str, Q]) -> dict[str, Sums]:
    """One aggregate query over ``rows``: ``builder``'s sums under each of ``conditions``, by period label."""
    aggregates = {
        f"{label}_{name}": expression
        for label, condition in conditions.items()
        for name, expression in builder(condition).items()
    }
    result = rows.aggregate(**aggregates)
    return {label: {name: result[f"{label}_{name}"] for name in builder()} for label in conditions}


def _missing(builder, periods: dict[str, Period], known: dict[str, Sums]) -> dict[str, Period]:
    """The periods whose ``builder`` sums are not already known."""
    return {label: period for label, period in periods.items() if not set(builder()) <= set(known.get(label, ()))}


def periods_span(periods: dict[str, Period]) -> Period:
    """The smallest period covering all of ``periods``."""
    first, *others = periods.values()
    for other in others:
        first = first.span(other)
    return first


def _conditions(scope: Scope, model: type[Model], periods: dict[str, Period]) -> dict[str, Q]:
    """Each period's rows; the rows of a single period are all those queried."""
    if len(periods) == 1:
        return {label: EVERY_ROW for label in periods}
    return {label: scope.date_q(model, period) for label, period in periods.items()}


def _model_sums(scope: Scope, model: type[Model], builder, periods: dict[str, Period]) -> dict[str, Sums]:
    """``builder``'s sums over the rows of ``model`` in each of ``periods``: one query."""
    if not periods:
        return {}
    rows = scope.rows(model.objects.all(), periods_span(periods))
    return _sums(rows, builder, _conditions(scope, model, periods))


def _first_replies(scope: Scope, periods: dict[str, Period]) -> dict[str, Sums]:
    if not periods:
        return {}
    conversations = scope.rows(Conversation.objects.all()).annotate(**first_reply_annotations())
    rows = conversations.filter(scope.date_q(Conversation, periods_span(periods)))
    return _sums(rows, first_reply_figures, _conditions(scope, Conversation, periods))


def _loyalty(scope: Scope, periods: dict[str, Period]) -> dict[str, Sums]:
    """Active and repeat clients and lifetime value of each period: one query
    over the orders up to the latest period's end, grouped by client."""
    read = periods_span(periods).until_end()
    per_client, over_clients, active = {}, {}, []
    for label, period in periods.items():
        # The orders read end where the latest period does: its history is all of them.
        until = EVERY_ROW if period.until_end() == read else scope.date_q(Order, period.until_end())
        each, over, is_active = loyalty_figures(scope.date_q(Order, period), until, prefix=f"{label}_")
        per_client.update(each)
        over_clients.update(over)
        active.append(is_active)
    orders = scope.rows(Order.objects.all(), read)
    clients = orders.values("client").annotate(**per_client).filter(reduce(operator.or_, active))
    result = clients.aggregate(**over_clients)
    names = loyalty_figures(EVERY_ROW)[1]
    return {label: {name: result[f"{label}_{name}"] for name in names} for label in periods}


def _acquisition(scope: Scope, periods: dict[str, Period], known: dict[str, Sums]) -> dict[str, Sums]:
    if not scope.spend_applies:
        return {label: {"spend": None, "new_clients": None} for label in periods}
    months = {label: period.whole_months() for label, period in periods.items()}
    found = _model_sums(scope, MarketingSpend, spend_figures, months)
    for label in _missing(new_client_figures, months, known):
        newcomers = scope.rows(Order.objects.all(), months[label]).filter(first_orders(months[label].start))
        found[label].update(newcomers.aggregate(**new_client_figures()))
    return found


def period_figures(scope: Scope, periods: dict[str, Period],
                   known: dict[str, Sums] | None = None) -> dict[str, Sums]:
    """Every sum the KPIs are built from, for each of ``periods``; sums
    ``known`` already (by period label: the dashboard's tables count the
    current period's leads, say) are not asked again. A fixed number of
    queries, none repeated: one per model and the periods it still lacks."""
    known = known or {}
    figures: dict[str, Sums] = {label: dict(known.get(label, {})) for label in periods}
    sources = (
        (Order, order_figures), (Lead, lead_figures), (Client, client_figures), (SlaBreach, breach_figures),
        (SurveyResponse, survey_figures),
    )
    found = [_model_sums(scope, model, builder, _missing(builder, periods, known)) for model, builder in sources]
    found += [
        _acquisition(scope, periods, known),
        _loyalty(scope, periods),
        _first_replies(scope, _missing(first_reply_figures, periods, known)),
    ]
    for sums in found:
        for label, values in sums.items():
            figures[label].update(values)
    return figures


def report_periods(period: Period) -> dict[str, Period]:
    """``period`` and, when it is closed, the as-long period before it."""
    previous = period.previous()
    return {CURRENT: period} if previous is None else {CURRENT: period, PREVIOUS: previous}


def kpi_report(*, scope: Scope, period: Period, known: dict[str, Sums] | None = None) -> KpiReport:
    """The KPIs of ``period`` (each beside the as-long period before it, when
    the period is closed) that ``scope``'s reader may see. ``known``: sums
    already counted (by the dashboard's tables), by period label, not asked
    again."""
    periods = report_periods(period)
    previous = periods.get(PREVIOUS)
    figures = period_figures(scope, periods, known)
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
