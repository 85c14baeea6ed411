from decimal import Decimal

import pytest

from analytics.selectors import active_clients_count, conversion_rate, revenue_kzt
from crm.models import Client, Lead, Order, OrderStatus
from tests.crm.factories import ClientFactory, LeadFactory, OrderFactory, default_stage

pytestmark = pytest.mark.django_db


def test_revenue_without_orders_is_zero():
    assert revenue_kzt() == Decimal("0.00")


def test_revenue_sums_price_in_tenge_of_orders_not_cancelled():
    OrderFactory(status=OrderStatus.NEW, price_kzt=Decimal("1000000"))
    OrderFactory(status=OrderStatus.COMPLETED, price_kzt=Decimal("2500000.50"))
    OrderFactory(status=OrderStatus.CANCELLED, price_kzt=Decimal("9000000"))
    OrderFactory(status=OrderStatus.PAID, currency="USD", price=Decimal("4000"), exchange_rate=Decimal("500.2500"),
                 price_kzt=Decimal("2001000"))
    assert revenue_kzt() == Decimal("5501000.50")


def test_revenue_of_only_cancelled_orders_is_zero():
    OrderFactory(status=OrderStatus.CANCELLED)
    assert revenue_kzt() == Decimal("0.00")


def test_revenue_counts_only_the_given_orders():
    mine = OrderFactory(status=OrderStatus.PAID, price_kzt=Decimal("1200000"))
    OrderFactory(status=OrderStatus.PAID, price_kzt=Decimal("3400000"))
    assert revenue_kzt(orders=Order.objects.filter(pk=mine.pk)) == Decimal("1200000.00")


def test_no_clients_means_no_active_clients():
    assert active_clients_count() == 0


def test_active_client_has_an_order_that_is_not_cancelled():
    without_orders = ClientFactory()
    only_cancelled = OrderFactory(status=OrderStatus.CANCELLED).client
    two_live_orders = OrderFactory(status=OrderStatus.NEW).client
    OrderFactory(lead=LeadFactory(client=two_live_orders), status=OrderStatus.COMPLETED)
    cancelled_then_paid = OrderFactory(status=OrderStatus.CANCELLED).client
    OrderFactory(lead=LeadFactory(client=cancelled_then_paid), status=OrderStatus.PAID)

    assert active_clients_count() == 2
    assert active_clients_count(clients=Client.objects.filter(pk__in=[without_orders.pk, only_cancelled.pk])) == 0
    assert active_clients_count(clients=Client.objects.filter(pk=cancelled_then_paid.pk)) == 1


def test_no_leads_means_zero_conversion():
    assert conversion_rate() == Decimal("0.0")


def test_conversion_counts_leads_in_won_stages_only():
    for code in ("paid", "completed"):
        LeadFactory(stage=default_stage(code))
    for code in ("new", "offer", "extras", "lost", "lost"):
        LeadFactory(stage=default_stage(code))
    assert conversion_rate() == Decimal("28.6")  # 2 of 7, rounded to a tenth


def test_conversion_rounds_half_up_to_a_tenth():
    LeadFactory(stage=default_stage("confirmed"))
    for _ in range(15):
        LeadFactory(stage=default_stage("new"))
    assert conversion_rate() == Decimal("6.3")  # 1 of 16 = 6.25


def test_conversion_of_the_given_leads():
    won = LeadFactory(stage=default_stage("paid"))
    lost = LeadFactory(stage=default_stage("lost"))
    LeadFactory(stage=default_stage("new"))
    assert conversion_rate(leads=Lead.objects.filter(pk__in=[won.pk, lost.pk])) == Decimal("50.0")
    assert conversion_rate(leads=Lead.objects.filter(pk=won.pk)) == Decimal("100.0")
    assert conversion_rate(leads=Lead.objects.none()) == Decimal("0.0")
