"""``loaddata demo`` gives the figures SPEC.md promises, by the documented formulas and by plain counts."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import phonenumbers
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from analytics.selectors import active_clients_count, conversion_rate, revenue_kzt
from crm.models import Client, Lead, LeadStageChange, Order, OrderLog, OrderStatus, Stage, StageKind
from messaging.models import Conversation, Message, Platform

DEMO_PASSWORD = "crystalbay-demo"
DEMO_USERS = {"admin": "admin", "manager": "manager", "agent": "agent", "agent2": "agent", "accountant": "accountant"}
NOT_CANCELLED = [OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.COMPLETED]


@pytest.fixture
def demo(db):
    call_command("loaddata", "demo", verbosity=0)


def test_revenue_is_46_320_596_tenge(demo):
    assert revenue_kzt() == Decimal("46320596.00")
    live_prices = Order.objects.filter(status__in=NOT_CANCELLED).values_list("price_kzt", flat=True)
    assert sum(live_prices) == Decimal("46320596")
    assert Order.objects.filter(status=OrderStatus.CANCELLED).count() == 3


def test_nine_of_ten_clients_are_active(demo):
    assert active_clients_count() == 9
    assert Client.objects.filter(orders__status__in=NOT_CANCELLED).distinct().count() == 9
    inactive = Client.objects.exclude(orders__status__in=NOT_CANCELLED).get()
    assert inactive.orders.exists() and set(inactive.orders.values_list("status", flat=True)) == {"cancelled"}


def test_conversion_rate_is_37_5_percent(demo):
    assert conversion_rate() == Decimal("37.5")
    won = Lead.objects.filter(stage__kind=StageKind.WON).count()
    assert (won, Lead.objects.count()) == (9, 24)
    assert Lead.objects.filter(stage__kind=StageKind.LOST).exclude(lost_reason="").count() == 3


def test_ten_clients_from_almaty_and_astana_with_normalised_identifiers(demo):
    clients = list(Client.objects.all())
    assert len(clients) == 10
    assert {client.city for client in clients} == {"Алматы", "Астана"}
    for client in clients:
        number = phonenumbers.parse(str(client.phone))
        assert phonenumbers.is_valid_number(number) and str(client.phone).startswith("+770")
        assert client.email == client.email.lower()
        if client.whatsapp_id:
            assert client.whatsapp_id == str(client.phone)[1:]
    assert sum(client.telegram_id is not None for client in clients) >= 3
    assert sum(client.whatsapp_id is not None for client in clients) >= 3


def test_fourteen_orders_to_vietnam_priced_in_tenge(demo):
    orders = list(Order.objects.select_related("lead"))
    assert len(orders) == 14
    for order in orders:
        assert order.destination_country == "Вьетнам"
        assert order.client_id == order.lead.client_id and order.assignee_id == order.lead.assignee_id
        assert order.price_kzt == (order.price * order.exchange_rate).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        assert Decimal("0.08") <= order.margin_kzt / order.price_kzt <= Decimal("0.15")
        assert order.nights == (order.date_to - order.date_from).days and order.date_from.year == 2026
        assert len(order.tourists) == order.adults + order.children
        if order.status in (OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.COMPLETED):
            assert order.operator_booking_number
    assert {order.currency for order in orders} == {"KZT", "USD"}


def test_every_order_log_leads_to_its_status(demo):
    for order in Order.objects.all():
        log = list(OrderLog.objects.filter(order=order).order_by("changed_at", "id"))
        assert (log[0].from_status, log[0].to_status) == ("", OrderStatus.NEW)
        assert all(earlier.to_status == later.from_status for earlier, later in zip(log, log[1:], strict=False))
        assert log[-1].to_status == order.status


def test_every_lead_history_leads_to_its_stage(demo):
    for lead in Lead.objects.select_related("stage"):
        history = list(LeadStageChange.objects.filter(lead=lead).order_by("changed_at", "id"))
        assert history[0].from_stage is None
        steps = zip(history, history[1:], strict=False)
        assert all(earlier.to_stage_id == later.from_stage_id for earlier, later in steps)
        assert history[-1].to_stage_id == lead.stage_id
        assert history[-1].changed_at == lead.stage_changed_at
        if lead.stage.kind == StageKind.OPEN:
            assert lead.sla_due_at == lead.stage_changed_at + dt.timedelta(hours=lead.stage.sla_hours)
        else:
            assert lead.sla_due_at is None


def test_leads_stand_in_every_stage_of_the_board(demo):
    board = set(Stage.objects.filter(pipeline__slug="default").values_list("code", flat=True))
    assert set(Lead.objects.values_list("stage__code", flat=True)) == board
    assert Lead.objects.filter(assignee=None).exists()
    assert set(Lead.objects.exclude(assignee=None).values_list("assignee__username", flat=True)) == {"agent", "agent2"}


def test_sixteen_messages_on_telegram_and_whatsapp(demo):
    assert Message.objects.count() == 16
    assert set(Message.objects.values_list("platform", flat=True)) == {Platform.TELEGRAM, Platform.WHATSAPP}
    assert not Message.objects.filter(direction=Message.Direction.IN, message_id=None).exists()
    assert Conversation.objects.count() > 1
    assert not Conversation.objects.filter(client=None).exists() and not Conversation.objects.filter(lead=None).exists()
    for conversation in Conversation.objects.all():
        assert conversation.lead.client_id == conversation.client_id


@pytest.mark.parametrize(("username", "role"), DEMO_USERS.items())
def test_demo_user_logs_in_with_documented_password_and_has_role(demo, client, username, role):
    assert client.login(username=username, password=DEMO_PASSWORD)
    user = get_user_model().objects.get(username=username)
    assert user.is_staff and list(user.groups.values_list("name", flat=True)) == [role]
    assert user.is_superuser == (username == "admin")
