"""``manage.py seed_demo`` fills the database fast and never collides with rows already there."""

from io import StringIO

import phonenumbers
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from crm.models import Client, Lead, Order, OrderLog, OrderStatus, Stage

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **{"leads": 300, "orders": 90, "seed": 5, **options})
    return out.getvalue()


def assert_identifiers_unique() -> None:
    for field in ("phone", "email", "telegram_id", "whatsapp_id"):
        duplicates = (
            Client.objects.exclude(**{field: None}).values(field).annotate(n=Count("pk")).filter(n__gt=1)
        )
        assert not duplicates.exists(), field


def test_seed_creates_the_requested_rows():
    output = seed()
    assert (Client.objects.count(), Lead.objects.count(), Order.objects.count()) == (100, 300, 90)
    assert "100 clients, 300 leads, 90 orders" in output and " s." in output
    assert_identifiers_unique()


def test_seeded_clients_look_like_the_agency_s_clients():
    seed()
    for client in Client.objects.all():
        assert phonenumbers.is_valid_number(phonenumbers.parse(str(client.phone)))
        assert client.email == client.email.lower()
        if client.whatsapp_id:
            assert client.whatsapp_id.isdigit()
    assert Client.objects.exclude(telegram_id=None).exists() and Client.objects.exclude(whatsapp_id=None).exists()
    # Every client asked for at least one tour, and their record is not younger than their first request.
    assert not Client.objects.filter(leads=None).exists()
    assert not Lead.objects.filter(created_at__lt=F("client__created_at")).exists()


def test_seeded_leads_cover_every_stage_of_the_default_pipeline():
    seed()
    board = set(Stage.objects.filter(pipeline__slug="default").values_list("code", flat=True))
    assert set(Lead.objects.values_list("stage__code", flat=True)) == board
    assert not Lead.objects.filter(stage__kind="open", sla_due_at=None).exists()
    assert not Lead.objects.filter(stage__kind="lost", lost_reason="").exists()
    positions = Lead.objects.values("stage", "position").annotate(n=Count("pk")).filter(n__gt=1)
    assert not positions.exists(), "two cards share a place in a column"


def test_every_seeded_order_is_consistent():
    seed()
    orders = Order.objects.select_related("lead")
    assert not orders.filter(price_kzt__lte=0).exists()
    assert not orders.exclude(client=F("lead__client")).exists()
    assert not orders.filter(Q(cost_kzt__gte=F("price_kzt")) | Q(cost_kzt=None)).exists()
    assert orders.filter(lead__stage__kind="won").count() >= 80
    assert not orders.filter(status=OrderStatus.COMPLETED).exclude(lead__stage__code="completed").exists()
    for order in orders:
        log = list(OrderLog.objects.filter(order=order).order_by("changed_at", "id"))
        assert log and (log[0].from_status, log[0].to_status) == ("", OrderStatus.NEW)
        assert log[-1].to_status == order.status
        assert order.nights == (order.date_to - order.date_from).days
        if order.status == OrderStatus.COMPLETED:
            assert order.date_to < timezone.localdate() and log[-1].changed_at <= order.lead.stage_changed_at


def test_running_twice_does_not_collide():
    seed()
    seed()
    assert (Client.objects.count(), Lead.objects.count(), Order.objects.count()) == (200, 600, 180)
    assert_identifiers_unique()


def test_seed_on_top_of_the_demo_fixture_uses_the_demo_agents():
    call_command("loaddata", "demo", verbosity=0)
    seed(leads=120, orders=40, clients=30)
    assert (Client.objects.count(), Lead.objects.count(), Order.objects.count()) == (40, 144, 54)
    assert_identifiers_unique()
    seeded = Lead.objects.filter(pk__gt=24).exclude(assignee=None)
    assert set(seeded.values_list("assignee__username", flat=True)) <= {"agent", "agent2"}
    assert not get_user_model().objects.filter(username__startswith="seed-agent").exists()


def test_same_seed_gives_the_same_data():
    class Rollback(Exception):
        pass

    def snapshot():
        return (
            list(Client.objects.order_by("pk").values_list("full_name", "phone", "email", "city")),
            list(Lead.objects.order_by("pk").values_list("stage__code", "destination_resort", "budget")),
            list(Order.objects.order_by("pk").values_list("status", "hotel", "price_kzt")),
        )

    with pytest.raises(Rollback), transaction.atomic():
        seed(seed=11)
        first = snapshot()
        raise Rollback
    seed(seed=11)
    assert snapshot() == first


def test_refuses_nonsense_counts():
    with pytest.raises(CommandError):
        seed(leads=-1)
    with pytest.raises(CommandError):
        seed(leads=10, clients=0)
