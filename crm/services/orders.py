"""Orders: creation from a tour snapshot and the status flow with its log."""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm import access
from crm.models import Activity, ActivityKind, Order, OrderLog, OrderStatus

ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.NEW: (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
    OrderStatus.CONFIRMED: (OrderStatus.PAID, OrderStatus.CANCELLED),
    OrderStatus.PAID: (OrderStatus.COMPLETED, OrderStatus.CANCELLED),
    OrderStatus.COMPLETED: (),
    OrderStatus.CANCELLED: (),
}
# The accountant's part of the flow: recording that the client has paid.
PAYMENT_TRANSITIONS = {(OrderStatus.CONFIRMED, OrderStatus.PAID)}


def order_status_transitions_for(*, order: Order, user) -> list[str]:
    """The statuses ``user`` may move ``order`` to from where it stands."""
    allowed = ORDER_TRANSITIONS[order.status]
    if access.can_change(user, order):
        return list(allowed)
    if access.is_accountant(user):
        return [to for to in allowed if (order.status, to) in PAYMENT_TRANSITIONS]
    return []


@transaction.atomic
def order_set_status(*, order: Order, status: str, user, note: str = "") -> Order:
    """Move an order along new → confirmed → paid → completed, or cancel it before
    completion; every change goes to the order log and the client's timeline."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if status == order.status:
        return order
    if status not in order_status_transitions_for(order=order, user=user):
        if status in ORDER_TRANSITIONS[order.status]:
            raise PermissionDenied(_("You may not change this order's status."))
        raise ValidationError(
            _("An order cannot go from “%(from)s” to “%(to)s”."),
            params={"from": OrderStatus(order.status).label, "to": OrderStatus(status).label},
        )
    from_status = order.status
    order.status = status
    order.save(update_fields=["status", "updated_at"])
    OrderLog.objects.create(order=order, from_status=from_status, to_status=status, changed_by=user, note=note)
    Activity.objects.create(
        client_id=order.client_id, lead_id=order.lead_id, kind=ActivityKind.ORDER, author=user,
        text=_("Order №%(id)s: %(from)s → %(to)s") % {
            "id": order.pk, "from": OrderStatus(from_status).label, "to": OrderStatus(status).label,
        },
        data={"order": order.pk, "from": from_status, "to": status},
    )
    return order


def price_in_kzt(*, price: Decimal, currency: str, exchange_rate: Decimal) -> Decimal:
    """Tenge for a price in another currency at the given rate, to the whole tenge."""
    if currency == "KZT":
        return price.quantize(Decimal("0.01"))
    return (price * exchange_rate).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


@transaction.atomic
def order_create(*, order: Order, user) -> Order:
    """Save a new order (built by a form, the admin or a tour offer): status new,
    price in KZT from the rate when it is not given, the agent from the lead,
    and its first order-log row and timeline entry."""
    if not (access.is_supervisor(user) or access.is_agent(user)):
        raise PermissionDenied(_("You may not create orders."))
    if order.lead_id and not access.can_change(user, order.lead):
        raise PermissionDenied(_("You may not change this lead."))
    if order.lead_id and order.lead.client_id != order.client_id:
        raise ValidationError(_("The order's client must be the lead's client."))
    if order.currency == "KZT":
        order.exchange_rate = Decimal("1")
    if order.price_kzt is None:
        order.price_kzt = price_in_kzt(price=order.price, currency=order.currency, exchange_rate=order.exchange_rate)
    order.status = OrderStatus.NEW
    order.created_by = order.created_by or user
    if order.assignee_id is None and order.lead_id:
        order.assignee_id = order.lead.assignee_id
    order.full_clean()
    order.save()
    OrderLog.objects.create(order=order, from_status="", to_status=OrderStatus.NEW, changed_by=user)
    Activity.objects.create(
        client_id=order.client_id, lead_id=order.lead_id, kind=ActivityKind.ORDER, author=user,
        text=_("Order №%(id)s created: %(trip)s") % {"id": order.pk, "trip": order.hotel or order.destination_resort},
        data={"order": order.pk, "to": OrderStatus.NEW},
    )
    return order
