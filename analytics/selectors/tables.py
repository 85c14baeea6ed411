"""The dashboard's tables (and the charts drawn from them): revenue by month,
the funnel of the default pipeline, channels, destinations and agents. Each is
one grouped query per model, built from the sums in ``formulas``; rows only
meet here to be put side by side."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext, gettext_lazy

from analytics.models import MarketingSpend, SurveyResponse
from analytics.selectors.formulas import (
    KPI_BY_KEY,
    LOST_LEAD,
    Unit,
    breach_figures,
    first_reply_annotations,
    first_reply_figures,
    lead_figures,
    new_client_figures,
    order_figures,
    percent,
    spend_figures,
    survey_figures,
)
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


def revenue_by_month(*, scope: Scope, period: Period) -> list[Row]:
    """Orders of each calendar month (Almaty time), months without orders included."""
    span = trend_period(period)
    grouped = (
        scope.rows(Order.objects.all(), span)
        .annotate(month=TruncMonth("created_at", tzinfo=local_zone()))
        .values("month")
        .annotate(**order_figures())
        .order_by("month")
    )
    by_month = {row.pop("month").date(): row for row in grouped}
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


def funnel(*, scope: Scope, period: Period) -> list[Row]:
    """How far the period's leads of the default pipeline got, stage by stage."""
    stages = list(
        Stage.objects.filter(pipeline__is_default=True).exclude(kind=StageKind.LOST).order_by("position", "id")
    )
    if not stages:
        return []
    furthest_in_history = Subquery(
        LeadStageChange.objects.filter(lead=OuterRef("pk")).exclude(to_stage__kind=StageKind.LOST)
        .values("lead").annotate(furthest=Max("to_stage__position")).values("furthest")[:1]
    )
    leads = scope.rows(Lead.objects.filter(pipeline=stages[0].pipeline_id), period).annotate(
        reach=Case(
            When(LOST_LEAD, then=Coalesce(furthest_in_history, Value(-1))),
            default="stage__position", output_field=IntegerField(),
        )
    )
    # Each lead's reach is computed once, grouped: a handful of (reach, leads) rows whatever the number of leads.
    by_reach = list(leads.values("reach").annotate(leads=Count("pk")).order_by())
    total = sum(group["leads"] for group in by_reach)
    counts = {stage.pk: sum(group["leads"] for group in by_reach if group["reach"] >= stage.position)
              for stage in stages}
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


def channels(*, scope: Scope, period: Period) -> list[Row]:
    """Per channel (the source of the lead): leads, conversion, orders, revenue, and acquisition cost."""
    months = period.whole_months()
    groups = [
        ("source", scope.rows(Lead.objects.all(), period).values("source").annotate(**lead_figures())),
        ("lead__source", scope.rows(Order.objects.all(), period).values("lead__source").annotate(**order_figures())),
    ]
    defaults = {**_empty(lead_figures, order_figures), "spend": None, "new_clients": 0}
    if scope.spend_applies:
        spend = scope.rows(MarketingSpend.objects.all(), period).values("channel").annotate(**spend_figures())
        newcomers = scope.rows(Order.objects.all(), months).values("lead__source").annotate(
            **new_client_figures(Q(), months.start)
        )
        groups += [("channel", spend), ("lead__source", newcomers)]
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


def destinations(*, scope: Scope, period: Period) -> list[Row]:
    """Per resort: the leads asking for it and the orders sold there, by revenue."""
    merged = _merge(
        [
            ("destination_resort",
             scope.rows(Lead.objects.all(), period).values("destination_resort").annotate(**lead_figures())),
            ("destination_resort",
             scope.rows(Order.objects.all(), period).values("destination_resort").annotate(**order_figures())),
        ],
        _empty(lead_figures, order_figures),
    )
    rows = [Row(key, key or gettext("Not given"), figures, _values(figures, DESTINATION_KPIS)) for key, figures in merged.items()]
    return sorted(rows, key=lambda row: (-row.figures["revenue"], -row.figures["leads"], row.label))


# --- Agents ----------------------------------------------------------------------------


AGENT_KPIS = ("leads", "conversion_rate", "orders", "revenue_kzt", "margin_kzt", "average_booking_value_kzt",
              "median_first_reply_minutes", "sla_breaches", "nps")


def agents(*, scope: Scope, period: Period) -> list[Row]:
    """The leaderboard: each agent's leads, conversion, sales, first replies, SLA breaches and NPS, by revenue."""
    conversations = (
        scope.rows(Conversation.objects.all()).annotate(**first_reply_annotations())
        .filter(scope.date_q(Conversation, period))
    )
    merged = _merge(
        [
            ("assignee", scope.rows(Lead.objects.all(), period).values("assignee").annotate(**lead_figures())),
            ("assignee", scope.rows(Order.objects.all(), period).values("assignee").annotate(**order_figures())),
            ("assignee", scope.rows(SlaBreach.objects.all(), period).values("assignee").annotate(**breach_figures())),
            ("order__assignee",
             scope.rows(SurveyResponse.objects.all(), period).values("order__assignee").annotate(**survey_figures())),
            ("assignee", conversations.values("assignee").annotate(**first_reply_figures())),
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





def dashboard_tables(*, scope: Scope, period: Period) -> dict[str, Table]:
    """Every table of the dashboard, by the slug its CSV export is named after."""
    funnel_columns = [Column("reached", gettext("Reached"), Unit.COUNT),
                      Column("of_all", gettext("Of all leads"), Unit.PERCENT),
                      Column("step", gettext("From the step before"), Unit.PERCENT)]
    tables = [
        Table("months", gettext("Revenue by month"), gettext("Month"), kpi_columns(MONTH_KPIS),
              revenue_by_month(scope=scope, period=period)),
        Table("funnel", gettext("Funnel"), gettext("Stage"), funnel_columns, funnel(scope=scope, period=period)),
        Table("channels", gettext("Channels"), gettext("Channel"),
              kpi_columns(key for key in CHANNEL_KPIS if scope.spend_applies or key != "acquisition_cost_kzt"),
              channels(scope=scope, period=period)),
        Table("destinations", gettext("Destinations"), gettext("Resort"), kpi_columns(DESTINATION_KPIS),
              destinations(scope=scope, period=period)),
        Table("agents", gettext("Agents"), gettext("Agent"), kpi_columns(AGENT_KPIS), agents(scope=scope, period=period)),
    ]
    return {table.slug: table for table in tables}
