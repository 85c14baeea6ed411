"""The dashboard's tables (and the charts drawn from them): revenue by month,
the funnel of the default pipeline, channels, destinations and agents. Their
sums (``table_sums``) come from one grouped pass over each model's rows,
built from the sums in ``formulas``; rows only meet here to be put side by
side."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, Count, Max, Model, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext, gettext_lazy

from analytics.models import MarketingSpend, SurveyResponse
from analytics.selectors.formulas import (
    KPI_BY_KEY,
    LOST_LEAD,
    Unit,
    breach_figures,
    first_orders,
    first_reply_annotations,
    first_reply_figures,
    lead_figures,
    new_client_figures,
    order_figures,
    percent,
    spend_figures,
    survey_figures,
)
from analytics.selectors.grouping import Set, grouping_sets
from analytics.selectors.kpis import CURRENT, periods_span, report_periods
from analytics.selectors.scope import Period, Scope, local_zone, month_start
from crm.models import Channel, Lead, LeadStageChange, Order, SlaBreach, Stage, StageKind
from messaging.models import Conversation

# The trend chart shows at least this many months, ending with the period's last.
TREND_MONTHS = 6
FUNNEL_FORMULA = gettext_lazy(
    "reached = leads of the period now in this stage or a later one (a lost lead: the furthest stage its "
    "history shows); step = reached ÷ reached at the step before × 100"
)


def _empty(*builders) -> dict[str, Any]:
    return {name: 0 for builder in builders for name in builder()}


def _values(figures: dict, keys: Iterable[str]) -> dict[str, Any]:
    return {key: KPI_BY_KEY[key].compute(figures) for key in keys}


@dataclass
class Row:
    key: Any
    label: str
    figures: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)


def _merge(groups: Iterable[tuple[str, Iterable[dict]]], defaults: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    """Grouped rows of several queries side by side, keyed by their group."""
    merged: dict[Any, dict[str, Any]] = {}
    for key_name, rows in groups:
        for row in rows:
            key = row.pop(key_name)
            merged.setdefault(key, dict(defaults)).update(row)
    return merged


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: str


def kpi_columns(keys: Iterable[str]) -> list[Column]:
    return [Column(key, str(KPI_BY_KEY[key].label), KPI_BY_KEY[key].unit) for key in keys]


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    key_label: str
    columns: list[Column]
    rows: list[Row]


# --- The grouped sums ------------------------------------------------------------------

# The grouping key telling apart the periods a model's rows were read for.
PERIOD = "period"


def _without(row: dict, name: str) -> dict:
    return {key: value for key, value in row.items() if key != name}


@dataclass(frozen=True)
class Grouped:
    """One model's rows, read once, grouped by each of several keys, and by
    the period they fall in when more than one is read."""

    sets: dict[Set, list[dict]]
    aggregates: dict[str, Any]
    by_period: bool

    def current(self, key: str) -> list[dict]:
        """The current period's rows grouped by ``key``."""
        if not self.by_period:
            return self.sets[(key,)]
        return [_without(row, PERIOD) for row in self.sets[(PERIOD, key)] if row[PERIOD] == CURRENT]

    def totals(self, labels: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The sums of each period (what an aggregate gives over no rows, for a period without any)."""
        if not self.by_period:
            return {CURRENT: self.sets[()][0]}
        found = {row[PERIOD]: _without(row, PERIOD) for row in self.sets[(PERIOD,)]}
        empty = {name: expression.empty_result_set_value for name, expression in self.aggregates.items()}
        return {label: found.get(label, empty) for label in labels}


def grouped(scope: Scope, rows: QuerySet, model: type[Model], periods: dict[str, Period], covered: Period,
            keys: list[str], aggregates: dict[str, Any], overall: dict[str, Any] | None = None) -> Grouped:
    """``aggregates`` over ``rows`` (those of ``model`` in ``covered``) in one
    pass: per period of ``periods``, per period and each field of ``keys``,
    and over all the rows read for each expression of ``overall``. A period
    key is needed when the rows read are not all those of the current
    period."""
    expressions = dict(overall or {})
    by_period = not (len(periods) == 1 and covered == periods[CURRENT])
    if by_period:
        whens = [When(condition, then=Value(label)) for label, period in periods.items()
                 if (condition := scope.date_q(model, period))]
        expressions[PERIOD] = Case(*whens, default=Value(""), output_field=CharField())
    head = (PERIOD,) if by_period else ()
    sets = [head, *((*head, key) for key in keys), *((name,) for name in overall or {})]
    return Grouped(grouping_sets(rows, sets, aggregates, expressions), dict(aggregates), by_period)


@dataclass(frozen=True)
class TableSums:
    """What the tables are drawn from: grouped sums, a handful of queries
    whatever the number of rows. Each model's rows are read once, grouped
    every way the tables need at once (``grouping_sets``); the periods'
    totals come out of the same passes, and the KPI report takes them as they
    are (``known``) instead of counting them again."""

    periods: dict[str, Period]
    stages: list[Stage]
    positions: dict[int, int]
    lost_reach: dict[int, int]
    leads: Grouped
    orders: Grouped
    breaches: Grouped
    surveys: Grouped
    replies: Grouped
    spend: list[dict] = field(default_factory=list)
    newcomers: dict[Set, list[dict]] = field(default_factory=dict)

    @property
    def known(self) -> dict[str, dict[str, Any]]:
        """The periods' totals these passes gave, by period label."""
        known: dict[str, dict[str, Any]] = {label: {} for label in self.periods}
        for found in (self.leads, self.orders, self.breaches, self.surveys, self.replies):
            for label, sums in found.totals(self.periods).items():
                known[label].update(sums)
        if () in self.newcomers:
            known[CURRENT].update(self.newcomers[()][0])
        return known


def lost_reach(*, scope: Scope, period: Period, stages: list[Stage]) -> dict[int, int]:
    """For each funnel stage (by pk): the lost leads of the period that got that far or further, by the furthest
    stage their history shows. One query over the stage history of those leads (not one lookup per lost lead)."""
    lost = scope.rows(Lead.objects.filter(LOST_LEAD, pipeline=stages[0].pipeline_id), period)
    furthest = (
        LeadStageChange.objects.filter(lead__in=lost).exclude(to_stage__kind=StageKind.LOST)
        .values("lead").annotate(furthest=Max("to_stage__position"))
    )
    reached = furthest.aggregate(**{
        f"stage_{stage.pk}": Count("lead", filter=Q(furthest__gte=stage.position)) for stage in stages
    })
    return {stage.pk: reached[f"stage_{stage.pk}"] for stage in stages}


def table_sums(*, scope: Scope, period: Period) -> TableSums:
    """Every grouped sum of the dashboard's tables, and the totals of the
    period (and of the one before, for orders), each model's rows read once."""
    periods = report_periods(period)
    current = {CURRENT: period}
    all_stages = list(Stage.objects.select_related("pipeline").order_by("position", "id"))
    # The funnel: the default pipeline's stages but the lost one, in board order.
    stages = [stage for stage in all_stages if stage.pipeline.is_default and stage.kind != StageKind.LOST]
    lead_sums: dict[str, Any] = lead_figures()
    if stages:
        lead_sums["funnel_leads"] = Count("pk", filter=Q(pipeline=stages[0].pipeline_id))
    # The trend's months hold the period: one pass over them and the period
    # before gives the months, both periods' totals and, for the orders of
    # the period, the channels, resorts and agents.
    orders_read = trend_period(period).span(periods_span(periods))
    conversations = scope.rows(Conversation.objects.all()).annotate(**first_reply_annotations())
    sums = TableSums(
        periods=periods,
        stages=stages,
        positions={stage.pk: -1 if stage.kind == StageKind.LOST else stage.position for stage in all_stages},
        lost_reach=lost_reach(scope=scope, period=period, stages=stages) if stages else {},
        leads=grouped(scope, scope.rows(Lead.objects.all(), period), Lead, current, period,
                      ["source", "destination_resort", "assignee", "stage"], lead_sums),
        orders=grouped(
            scope, scope.rows(Order.objects.all(), orders_read), Order, periods, orders_read,
            ["lead__source", "destination_resort", "assignee"], order_figures(),
            overall={"month": TruncMonth("created_at", tzinfo=local_zone())},
        ),
        breaches=grouped(scope, scope.rows(SlaBreach.objects.all(), period), SlaBreach, current, period,
                         ["assignee"], breach_figures()),
        surveys=grouped(scope, scope.rows(SurveyResponse.objects.all(), period), SurveyResponse, current, period,
                        ["order__assignee"], survey_figures()),
        replies=grouped(scope, conversations.filter(scope.date_q(Conversation, period)), Conversation, current,
                        period, ["assignee"], first_reply_figures()),
    )
    if scope.spend_applies:
        whole_months = period.whole_months()
        newcomers = scope.rows(Order.objects.all(), whole_months).filter(first_orders(whole_months.start))
        sums = replace(
            sums,
            spend=list(scope.rows(MarketingSpend.objects.all(), period).values("channel").annotate(**spend_figures())),
            newcomers=grouping_sets(newcomers, [(), ("lead__source",)], new_client_figures()),
        )
    return sums


# --- Revenue by month ------------------------------------------------------------------


def trend_period(period: Period) -> Period:
    """The months the trend chart covers: the period's, stretched back to at least ``TREND_MONTHS``."""
    months = period.whole_months()
    if months.date_to is None or months.date_from is None:
        return months
    earliest = month_start(months.date_to)
    for _step in range(TREND_MONTHS - 1):
        earliest = month_start(earliest - dt.timedelta(days=1))
    return Period(min(months.date_from, earliest), months.date_to)


MONTH_KPIS = ("revenue_kzt", "orders", "average_booking_value_kzt", "margin_kzt")


def revenue_by_month(*, period: Period, sums: TableSums) -> list[Row]:
    """Orders of each calendar month (Almaty time), months without orders included."""
    span = trend_period(period)
    # Months read for the period before, ahead of the trend's, are not drawn.
    by_month = {row["month"].date(): _without(row, "month") for row in sums.orders.sets[("month",)]}
    if not by_month and span.date_from is None:
        return []
    first = span.date_from or min(by_month)
    last = month_start(span.date_to or max(by_month))
    rows, month = [], first
    while month <= last:
        figures = by_month.get(month, _empty(order_figures))
        rows.append(Row(month, month.isoformat()[:7], figures,
                        _values(figures, MONTH_KPIS)))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return rows


# --- Funnel ----------------------------------------------------------------------------


def funnel(*, sums: TableSums) -> list[Row]:
    """How far the period's leads of the default pipeline got, stage by stage."""
    stages = sums.stages
    if not stages:
        return []
    # Leads by the stage they stand in (a handful of rows whatever their number): a stage's leads have
    # reached its position; a lost lead, the furthest stage in its history (``lost_reach``).
    by_stage = sums.leads.current("stage")
    total = sum(group["funnel_leads"] for group in by_stage)
    counts = {stage.pk: sum(group["funnel_leads"] for group in by_stage if sums.positions[group["stage"]] >= stage.position)
              + sums.lost_reach[stage.pk] for stage in stages}
    rows, before = [], None
    for index, stage in enumerate(stages):
        reached = total if index == 0 else counts[stage.pk]
        rows.append(Row(stage.pk, stage.label, {"reached": reached}, {
            "reached": reached,
            "of_all": percent(reached, total),
            "step": None if before is None else percent(reached, before),
            "won": stage.kind == StageKind.WON,
        }))
        before = reached
    return rows


# --- Channels ------------------------------------------------------------------------


CHANNEL_KPIS = ("leads", "conversion_rate", "orders", "revenue_kzt", "average_booking_value_kzt",
                "acquisition_cost_kzt")


def channels(*, scope: Scope, sums: TableSums) -> list[Row]:
    """Per channel (the source of the lead): leads, conversion, orders, revenue, and acquisition cost."""
    groups = [("source", sums.leads.current("source")), ("lead__source", sums.orders.current("lead__source"))]
    defaults = {**_empty(lead_figures, order_figures), "spend": None, "new_clients": 0}
    if scope.spend_applies:
        groups += [("channel", sums.spend), ("lead__source", sums.newcomers[("lead__source",)])]
    merged = _merge(groups, defaults)
    labels = dict(Channel.choices)
    rows = [
        Row(key or "", str(labels.get(key, "")) or gettext("Not given"), figures, _values(figures, CHANNEL_KPIS))
        for key, figures in merged.items()
    ]
    return sorted(rows, key=lambda row: (-row.figures["leads"], -row.figures["revenue"]))


# --- Destinations ----------------------------------------------------------------------


DESTINATION_KPIS = ("leads", "conversion_rate", "orders", "revenue_kzt", "average_booking_value_kzt", "margin_kzt",
                    "margin_percent")


def destinations(*, sums: TableSums) -> list[Row]:
    """Per resort: the leads asking for it and the orders sold there, by revenue."""
    merged = _merge(
        [
            ("destination_resort", sums.leads.current("destination_resort")),
            ("destination_resort", sums.orders.current("destination_resort")),
        ],
        _empty(lead_figures, order_figures),
    )
    rows = [Row(key, key or gettext("Not given"), figures, _values(figures, DESTINATION_KPIS)) for key, figures in merged.items()]
    return sorted(rows, key=lambda row: (-row.figures["revenue"], -row.figures["leads"], row.label))


# --- Agents ----------------------------------------------------------------------------


AGENT_KPIS = ("leads", "conversion_rate", "orders", "revenue_kzt", "margin_kzt", "average_booking_value_kzt",
              "median_first_reply_minutes", "sla_breaches", "nps")


def agents(*, sums: TableSums) -> list[Row]:
    """The leaderboard: each agent's leads, conversion, sales, first replies, SLA breaches and NPS, by revenue."""
    merged = _merge(
        [
            ("assignee", sums.leads.current("assignee")),
            ("assignee", sums.orders.current("assignee")),
            ("assignee", sums.breaches.current("assignee")),
            ("order__assignee", sums.surveys.current("order__assignee")),
            ("assignee", sums.replies.current("assignee")),
        ],
        {**_empty(lead_figures, order_figures, breach_figures, survey_figures), "median_first_reply": None},
    )
    names = {
        user.pk: user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(pk__in=[key for key in merged if key])
        .only("first_name", "last_name", "username")
    }
    rows = [Row(key, names.get(key) or gettext("Not assigned"), figures, _values(figures, AGENT_KPIS))
            for key, figures in merged.items()]
    return sorted(rows, key=lambda row: (row.key is None, -row.figures["revenue"], -row.figures["leads"], row.label))


def dashboard_tables(*, scope: Scope, period: Period, sums: TableSums | None = None) -> dict[str, Table]:
    """Every table of the dashboard, by the slug its CSV export is named after (from ``sums``, or counted now)."""
    sums = table_sums(scope=scope, period=period) if sums is None else sums
    funnel_columns = [Column("reached", gettext("Reached"), Unit.COUNT),
                      Column("of_all", gettext("Of all leads"), Unit.PERCENT),
                      Column("step", gettext("From the step before"), Unit.PERCENT)]
    tables = [
        Table("months", gettext("Revenue by month"), gettext("Month"), kpi_columns(MONTH_KPIS),
              revenue_by_month(period=period, sums=sums)),
        Table("funnel", gettext("Funnel"), gettext("Stage"), funnel_columns, funnel(sums=sums)),
        Table("channels", gettext("Channels"), gettext("Channel"),
              kpi_columns(key for key in CHANNEL_KPIS if scope.spend_applies or key != "acquisition_cost_kzt"),
              channels(scope=scope, sums=sums)),
        Table("destinations", gettext("Destinations"), gettext("Resort"), kpi_columns(DESTINATION_KPIS),
              destinations(sums=sums)),
        Table("agents", gettext("Agents"), gettext("Agent"), kpi_columns(AGENT_KPIS), agents(sums=sums)),
    ]
    return {table.slug: table for table in tables}
