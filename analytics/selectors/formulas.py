"""Every figure analytics shows, each written once: the sums the database
computes (``*_figures``: aggregate expressions, narrowed by ``within`` — a
period, say) and the KPIs built from those sums (``KPIS``: label, formula as
the page and README state it, and the code of that formula side by side).

The three headline figures of README and the demo fixture are built from the
same sums:

- revenue = Σ ``price_kzt`` of orders whose status is not "cancelled";
- active clients = clients with at least one order that is not cancelled;
- conversion rate = leads standing in a stage of kind "won" ÷ all leads × 100.

Each of ``revenue_kzt``, ``active_clients_count`` and ``conversion_rate``
takes an optional queryset so a caller can narrow the rows first; the default
is every row.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm.models import MONEY, Client, Lead, Order, OrderStatus, StageKind
from messaging.models import Message

PERCENT_STEP = Decimal("0.1")
CENT = Decimal("0.01")
WHOLE = Decimal("1")

EVERY_ROW = Q()
LIVE_ORDER = ~Q(status=OrderStatus.CANCELLED)
CANCELLED_ORDER = Q(status=OrderStatus.CANCELLED)
WON_LEAD = Q(stage__kind=StageKind.WON)
LOST_LEAD = Q(stage__kind=StageKind.LOST)
PROMOTER = Q(score__gte=9)
DETRACTOR = Q(score__lte=6)


class Median(Aggregate):
    """The median of an expression. PostgreSQL's ``percentile_cont``; on SQLite
    a ``MEDIAN`` aggregate the analytics app registers on each connection."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # On a copy, not as keyword arguments: a filter (FILTER (WHERE …)) wraps the template.
        median = self.copy()
        median.function, median.template = "MEDIAN", "%(function)s(%(expressions)s)"
        return median.as_sql(compiler, connection, **extra_context)


def money_sum(expression, condition: Q) -> Coalesce:
    return Coalesce(Sum(expression, filter=condition), Value(Decimal("0")), output_field=DecimalField(**MONEY))


# --- The sums, one query per model ------------------------------------------------------


def order_figures(within: Q = EVERY_ROW) -> dict[str, Aggregate]:
    """Sums over orders (narrowed by ``within``). Active clients are counted
    per client, with repeat clients: ``loyalty_figures``."""
    live = LIVE_ORDER & within
    costed = live & Q(cost_kzt__isnull=False)
    return {
        "orders": Count("pk", filter=within),
        "live_orders": Count("pk", filter=live),
        "cancelled_orders": Count("pk", filter=CANCELLED_ORDER & within),
        "revenue": money_sum("price_kzt", live),
        "costed_revenue": money_sum("price_kzt", costed),
        "margin": money_sum(F("price_kzt") - F("cost_kzt"), costed),
    }


def lead_figures(within: Q = EVERY_ROW) -> dict[str, Aggregate]:
    """Counts over leads (narrowed by ``within``)."""
    return {
        "leads": Count("pk", filter=within),
        "won_leads": Count("pk", filter=WON_LEAD & within),
    }


def client_figures(within: Q = EVERY_ROW) -> dict[str, Aggregate]:
    return {"clients": Count("pk", filter=within)}


def breach_figures(within: Q = EVERY_ROW) -> dict[str, Aggregate]:
    return {"sla_breaches": Count("pk", filter=within)}


def survey_figures(within: Q = EVERY_ROW) -> dict[str, Aggregate]:
    return {
        "responses": Count("pk", filter=within),
        "promoters": Count("pk", filter=PROMOTER & within),
        "detractors": Count("pk", filter=DETRACTOR & within),
    }


def spend_figures(within: Q = EVERY_ROW) -> dict[str, Aggregate]:
    return {"spend": Sum("amount_kzt", filter=within)}


def first_reply_annotations() -> dict[str, Subquery]:
    """A conversation's first incoming message (``first_in``) and our first
    outgoing message after it that did not fail (``first_reply``)."""
    thread = Message.objects.filter(conversation=OuterRef("pk")).order_by("created_at", "id").values("created_at")
    return {
        "first_in": Subquery(thread.filter(direction=Message.Direction.IN)[:1]),
        "first_reply": Subquery(
            thread.filter(direction=Message.Direction.OUT, created_at__gte=OuterRef("first_in"))
            .exclude(status=Message.Status.FAILED)[:1]
        ),
    }


def first_reply_figures(within: Q = EVERY_ROW) -> dict[str, Aggregate]:
    """Over conversations annotated with ``first_in`` (their first incoming
    message) and ``first_reply`` (our first outgoing message after it),
    narrowed by ``within``."""
    waited = ExpressionWrapper(F("first_reply") - F("first_in"), output_field=DurationField())
    return {
        "median_first_reply": Median(waited, filter=within, output_field=DurationField()),
        "conversations": Count("pk", filter=within),
        "answered_conversations": Count("first_reply", filter=within),
    }


def loyalty_figures(within: Q, until: Q = EVERY_ROW, prefix: str = "") -> tuple[dict[str, Aggregate],
                                                                                 dict[str, Aggregate], Q]:
    """Over orders grouped by client: (per client, then over those clients,
    and which clients count). An active client of the period is one with an
    order not cancelled made in it (``within``); their whole history up to
    the period's end (``until``) counts for repeat clients and lifetime
    value. ``prefix`` names the sums apart when one query covers several
    periods."""
    history = order_figures(until)
    per_client = {
        f"{prefix}client_revenue": history["revenue"],
        f"{prefix}client_orders": history["live_orders"],
        f"{prefix}period_orders": Count("pk", filter=LIVE_ORDER & within),
    }
    active = Q(**{f"{prefix}period_orders__gt": 0})
    over_clients = {
        f"{prefix}active_clients": Count("client", filter=active),
        f"{prefix}repeat_clients": Count("client", filter=active & Q(**{f"{prefix}client_orders__gte": 2})),
        f"{prefix}lifetime_revenue": money_sum(f"{prefix}client_revenue", active),
    }
    return per_client, over_clients, active


def first_orders(start: dt.datetime | None) -> Q:
    """Orders not cancelled of clients who had none before ``start``: narrowed
    to a period starting then, the orders that made their clients new."""
    if start is None:
        return LIVE_ORDER
    earlier = Order.objects.filter(LIVE_ORDER, client=OuterRef("client"), created_at__lt=start)
    return LIVE_ORDER & ~Exists(earlier)


def new_client_figures() -> dict[str, Aggregate]:
    """Over ``first_orders`` of a period: clients whose first order not
    cancelled was made in the period."""
    return {"new_clients": Count("client", distinct=True)}


# --- From sums to KPIs ------------------------------------------------------------------


def divide(part, whole, step: Decimal = CENT) -> Decimal | None:
    """``part ÷ whole`` rounded half up to ``step``; None when there is nothing to divide by."""
    if part is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(step, rounding=ROUND_HALF_UP)


def percent(part, whole) -> Decimal | None:
    return None if part is None or not whole else divide(Decimal(part) * 100, whole, PERCENT_STEP)


def money(value) -> Decimal:
    # SQLite hands back sums without their scale; money always carries two places.
    return Decimal(value or 0).quantize(CENT)


def minutes(value: dt.timedelta | None) -> Decimal | None:
    return None if value is None else divide(Decimal(value.total_seconds()), 60, PERCENT_STEP)


def net_promoter_score(promoters: int, detractors: int, responses: int) -> Decimal | None:
    return divide((promoters - detractors) * 100, responses, WHOLE)


def change(current, previous, *, points: bool) -> Decimal | None:
    """Beside the previous period: the difference in points for rates and
    scores, the relative change in percent for amounts and counts."""
    if current is None or previous is None:
        return None
    if points:
        return Decimal(current) - Decimal(previous)
    return percent(Decimal(current) - Decimal(previous), previous)


class Unit(enum.StrEnum):
    KZT = "kzt"
    COUNT = "count"
    PERCENT = "percent"
    MINUTES = "minutes"
    SCORE = "score"


@dataclass(frozen=True)
class Kpi:
    key: str
    label: Promise
    formula: Promise
    unit: Unit
    compute: Callable[[Mapping[str, Any]], Any]
    lower_is_better: bool = False
    # Marketing spend is the agency's, not an agent's: shown to those who read everything.
    agency_only: bool = False


KPIS: tuple[Kpi, ...] = (
    Kpi("revenue_kzt", _("Revenue"), _("Σ price in tenge of the orders made in the period that are not cancelled"),
        Unit.KZT, lambda f: money(f["revenue"])),
    Kpi("orders", _("Orders"), _("orders made in the period, whatever their status"), Unit.COUNT,
        lambda f: f["orders"]),
    Kpi("average_booking_value_kzt", _("Average booking value"), _("revenue ÷ orders not cancelled"), Unit.KZT,
        lambda f: divide(f["revenue"], f["live_orders"])),
    Kpi("margin_kzt", _("Margin"),
        _("Σ (price − cost) in tenge of the orders not cancelled whose cost is known"), Unit.KZT,
        lambda f: money(f["margin"])),
    Kpi("margin_percent", _("Margin, %"), _("margin ÷ Σ price of the same orders × 100"), Unit.PERCENT,
        lambda f: percent(f["margin"], f["costed_revenue"])),
    Kpi("leads", _("Leads"), _("leads created in the period"), Unit.COUNT, lambda f: f["leads"]),
    Kpi("conversion_rate", _("Conversion"),
        _("leads created in the period that stand in a won stage ÷ all those leads × 100"), Unit.PERCENT,
        lambda f: percent(f["won_leads"], f["leads"])),
    Kpi("clients", _("New clients"), _("client records created in the period"), Unit.COUNT,
        lambda f: f["clients"]),
    Kpi("active_clients", _("Active clients"),
        _("clients with at least one order not cancelled made in the period"), Unit.COUNT,
        lambda f: f["active_clients"]),
    Kpi("cancellation_rate", _("Cancellation rate"),
        _("cancelled orders ÷ all orders made in the period × 100"), Unit.PERCENT,
        lambda f: percent(f["cancelled_orders"], f["orders"]), lower_is_better=True),
    Kpi("repeat_client_rate", _("Repeat clients"),
        _("active clients with two or more orders not cancelled (to the end of the period) ÷ active clients × 100"),
        Unit.PERCENT, lambda f: percent(f["repeat_clients"], f["active_clients"])),
    Kpi("client_lifetime_value_kzt", _("Client lifetime value"),
        _("Σ price of every order not cancelled of the active clients, to the end of the period ÷ active clients"),
        Unit.KZT, lambda f: divide(f["lifetime_revenue"], f["active_clients"])),
    Kpi("median_first_reply_minutes", _("First reply, median"),
        _("median, over conversations whose first incoming message came in the period, of the minutes until "
          "our first outgoing message"), Unit.MINUTES, lambda f: minutes(f["median_first_reply"]),
        lower_is_better=True),
    Kpi("sla_breaches", _("SLA breaches"), _("leads that outstayed a stage's SLA, counted when it fell due"),
        Unit.COUNT, lambda f: f["sla_breaches"], lower_is_better=True),
    Kpi("nps", _("NPS"),
        _("post-trip survey scores recorded in the period: (scores 9–10 − scores 0–6) ÷ all scores × 100"),
        Unit.SCORE, lambda f: net_promoter_score(f["promoters"], f["detractors"], f["responses"])),
    Kpi("acquisition_cost_kzt", _("Acquisition cost"),
        _("marketing spend of the months the period touches ÷ clients whose first order not cancelled was made "
          "in those months"), Unit.KZT, lambda f: divide(f["spend"], f["new_clients"]), lower_is_better=True,
        agency_only=True),
)
KPI_BY_KEY = {kpi.key: kpi for kpi in KPIS}


# --- The headline figures (README, the demo fixture, the API) ------------------------------


def revenue_kzt(*, orders: QuerySet[Order] | None = None) -> Decimal:
    """Revenue in tenge: Σ ``price_kzt`` over the orders whose status is not cancelled (0 when there are none)."""
    orders = Order.objects.all() if orders is None else orders
    return KPI_BY_KEY["revenue_kzt"].compute(orders.aggregate(**order_figures()))


def active_clients_count(*, clients: QuerySet[Client] | None = None) -> int:
    """Active clients: how many clients have at least one order whose status is not cancelled."""
    orders = Order.objects.all() if clients is None else Order.objects.filter(client__in=clients)
    per_client, over_clients, active = loyalty_figures(EVERY_ROW)
    return orders.values("client").annotate(**per_client).filter(active).aggregate(**over_clients)["active_clients"]


def conversion_rate(*, leads: QuerySet[Lead] | None = None) -> Decimal:
    """Conversion rate, percent: leads in a stage of kind "won" ÷ all leads × 100, to 0.1 (0.0 without leads)."""
    leads = Lead.objects.all() if leads is None else leads
    return KPI_BY_KEY["conversion_rate"].compute(leads.aggregate(**lead_figures())) or Decimal("0.0")
