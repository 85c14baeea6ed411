"""The headline figures, each written once and computed by the database.

README, the analytics page and the demo fixture all rely on these formulas:

- revenue = Σ ``price_kzt`` of orders whose status is not "cancelled";
- active clients = clients with at least one order that is not cancelled;
- conversion rate = leads standing in a stage of kind "won" ÷ all leads × 100.

Each takes an optional queryset so a page can narrow the rows first (a period,
an agent, a channel); the default is every row.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from crm.models import MONEY, Client, Lead, Order, OrderStatus, StageKind

PERCENT_STEP = Decimal("0.1")
CENT = Decimal("0.01")


def revenue_kzt(*, orders: QuerySet[Order] | None = None) -> Decimal:
    """Revenue in tenge: Σ ``price_kzt`` over the orders whose status is not cancelled (0 when there are none)."""
    orders = Order.objects.all() if orders is None else orders
    total = orders.exclude(status=OrderStatus.CANCELLED).aggregate(
        revenue=Coalesce(Sum("price_kzt"), Value(Decimal("0")), output_field=DecimalField(**MONEY))
    )["revenue"]
    # SQLite hands back the sum without its scale; money always carries two places.
    return Decimal(total).quantize(CENT)


def active_clients_count(*, clients: QuerySet[Client] | None = None) -> int:
    """Active clients: how many clients have at least one order whose status is not cancelled."""
    clients = Client.objects.all() if clients is None else clients
    live_orders = Order.objects.filter(client=OuterRef("pk")).exclude(status=OrderStatus.CANCELLED)
    return clients.filter(Exists(live_orders)).count()


def conversion_rate(*, leads: QuerySet[Lead] | None = None) -> Decimal:
    """Conversion rate, percent: leads in a stage of kind "won" ÷ all leads × 100, to 0.1 (0.0 without leads)."""
    leads = Lead.objects.all() if leads is None else leads
    counts = leads.aggregate(total=Count("pk"), won=Count("pk", filter=Q(stage__kind=StageKind.WON)))
    if not counts["total"]:
        return Decimal("0.0")
    return (Decimal(counts["won"]) * 100 / counts["total"]).quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)
