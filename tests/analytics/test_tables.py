"""The dashboard's tables from one grouped pass per model: each grouping set
equals its own GROUP BY query, the funnel counts a lost lead as far as its
history goes, an order's channel is its lead's, and no query runs twice."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.functions import TruncMonth
from django.test.utils import CaptureQueriesContext

from analytics.models import MarketingSpend
from analytics.selectors import Filters, Period, Scope
from analytics.selectors.dashboard import dashboard_figures
from analytics.selectors.formulas import (
    first_orders,
    first_reply_annotations,
    first_reply_figures,
    lead_figures,
    new_client_figures,
    order_figures,
)
from analytics.selectors.grouping import _one_set, grouping_sets
from analytics.selectors.scope import local_zone
from crm.models import Channel, Lead, LeadStageChange, Order, OrderStatus
from messaging.models import Conversation, Message
from tests.analytics.factories import at
from tests.crm.factories import ClientFactory, LeadFactory, OrderFactory, default_stage
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
EVERYONE = Scope(filters=Filters(), reads_all=True)


def tables(period=MARCH, scope=EVERYONE):
    return dashboard_figures(scope=scope, period=period).tables


def by_key(table) -> dict:
    return {row.key: row.values for row in table.rows}


def _sorted(rows: list[dict]) -> list[tuple]:
    return sorted(tuple(sorted((k, repr(v)) for k, v in row.items())) for row in rows)


@pytest.fixture
def mixed_sales(agent, colleague):
    """Leads and orders over two months: two agents and nobody, three channels, two resorts, every status."""
    for index in range(12):
        person = [agent, colleague, None][index % 3]
        lead = LeadFactory(assignee=person, source=[Channel.TELEGRAM, Channel.WEB, Channel.WHATSAPP][index % 3],
                           destination_resort=["Нячанг", "Фукуок"][index % 2],
                           stage=default_stage(["new", "offer", "paid", "lost"][index % 4]),
                           created_at=at(dt.date(2026, 2 + index % 2, 3 + index)))
        status = [OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.NEW][index % 3]
        OrderFactory(lead=lead, assignee=person, status=status, price_kzt=Decimal(1000 * (index + 1)),
                     cost_kzt=None if index % 5 == 0 else Decimal(700 * (index + 1)),
                     destination_resort=lead.destination_resort, created_at=lead.created_at + dt.timedelta(days=1))


@pytest.mark.parametrize("empty", [False, True])
def test_every_grouping_set_equals_its_own_group_by(mixed_sales, agent, empty):
    """Counts and sums are added up from fine groups, a distinct count or a median grouped row by row: either
    way each set, NULL keys and the set of all rows included (one row even over no rows), is its own GROUP BY,
    and on PostgreSQL all the sets are one query."""
    for index, minutes in enumerate((5, 20, 90, None)):
        conversation = ConversationFactory(assignee=agent if index % 2 else None)
        MessageFactory(conversation=conversation, created_at=at(dt.date(2026, 3, 4 + index)))
        if minutes:
            MessageFactory(conversation=conversation, direction=Message.Direction.OUT, message_id=None,
                           status=Message.Status.SENT,
                           created_at=at(dt.date(2026, 3, 4 + index)) + dt.timedelta(minutes=minutes))
    since = dt.date(2100 if empty else 2000, 1, 1)
    leads, orders = Lead.objects.filter(created_at__date__gte=since), Order.objects.filter(created_at__date__gte=since)
    month = {"month": TruncMonth("created_at", tzinfo=local_zone())}
    conversations = Conversation.objects.annotate(**first_reply_annotations()).filter(created_at__date__gte=since)
    cases = [
        (leads, [(), ("source",), ("assignee",), ("destination_resort",), ("stage",)], lead_figures(), {}),
        (orders, [(), ("lead__source",), ("assignee",), ("month",)], order_figures(), month),
        (orders.filter(first_orders(dt.datetime(2026, 3, 1, tzinfo=local_zone()))), [(), ("lead__source",)],
         new_client_figures(), {}),
        (conversations, [(), ("assignee",)], first_reply_figures(), {}),
    ]
    for rows, sets, aggregates, annotations in cases:
        with CaptureQueriesContext(connection) as queries:
            found = grouping_sets(rows, sets, aggregates, annotations)
        assert len(queries) == (1 if connection.vendor == "postgresql" else len(sets))
        for grouping in sets:
            assert _sorted(found[grouping]) == _sorted(_one_set(rows, grouping, aggregates, annotations)), grouping
        assert len(found[()]) == 1


def test_the_tables_of_one_pass_hold_the_expected_figures(agent, colleague, mixed_sales):
    march = tables()
    channels = by_key(march["channels"])
    # Orders of March (odd indexes): 1 web cancelled, 3 telegram paid, 5 whatsapp new, 7 web cancelled, 9 telegram
    # paid, 11 whatsapp new; an order's channel is its lead's.
    assert channels[Channel.TELEGRAM]["revenue_kzt"] == Decimal("14000.00")  # 4 000 + 10 000
    assert channels[Channel.WEB]["orders"] == 2 and channels[Channel.WEB]["revenue_kzt"] == Decimal("0.00")
    assert channels[Channel.WHATSAPP]["leads"] == 2
    agents = by_key(march["agents"])
    assert agents[agent.pk]["orders"] == 2 and agents[None]["orders"] == 2  # indexes 3, 9 and 5, 11
    resorts = by_key(march["destinations"])
    assert resorts["Фукуок"]["leads"] == 6 and "Нячанг" not in resorts  # every odd index is in Phu Quoc
    months = by_key(march["months"])
    assert months[dt.date(2026, 3, 1)]["orders"] == 6 and months[dt.date(2026, 2, 1)]["orders"] == 6
    assert months[dt.date(2025, 10, 1)]["orders"] == 0  # six months drawn, the empty ones too


def test_a_lost_lead_reaches_the_furthest_stage_its_history_shows():
    got_to_offer = LeadFactory(stage=default_stage("lost"), created_at=at(dt.date(2026, 3, 5)))
    for code in ("consultation", "offer", "lost"):
        LeadStageChange.objects.create(lead=got_to_offer, to_stage=default_stage(code))
    LeadFactory(stage=default_stage("lost"), created_at=at(dt.date(2026, 3, 6)))  # no history: the first stage only
    LeadFactory(stage=default_stage("selection"), created_at=at(dt.date(2026, 3, 7)))
    LeadFactory(stage=default_stage("paid"), created_at=at(dt.date(2026, 3, 8)))

    reached = {row.key: row.values["reached"] for row in tables()["funnel"].rows}

    def at_stage(code):
        return reached[default_stage(code).pk]

    assert at_stage("new") == 4
    assert at_stage("selection") == 3  # the selection, paid and offer-then-lost leads
    assert at_stage("offer") == 2
    assert at_stage("extras") == 1 and at_stage("paid") == 1 and at_stage("completed") == 0


def test_new_clients_per_channel_are_those_whose_first_order_came_then():
    MarketingSpend.objects.create(month=dt.date(2026, 3, 1), channel=Channel.WEB, amount_kzt=Decimal("900000"))
    newcomer = ClientFactory()
    OrderFactory(lead=LeadFactory(client=newcomer, source=Channel.WEB), created_at=at(dt.date(2026, 3, 2)))
    OrderFactory(lead=LeadFactory(client=newcomer, source=Channel.TELEGRAM), created_at=at(dt.date(2026, 3, 9)))
    returning = ClientFactory()
    OrderFactory(lead=LeadFactory(client=returning, source=Channel.WEB), created_at=at(dt.date(2026, 1, 9)))
    OrderFactory(lead=LeadFactory(client=returning, source=Channel.WEB), created_at=at(dt.date(2026, 3, 9)))

    march = dashboard_figures(scope=EVERYONE, period=MARCH)
    channels = by_key(march.tables["channels"])

    # The newcomer counts once overall, and in each channel they booked through.
    assert march.report.value("acquisition_cost_kzt").value == Decimal("900000.00")
    assert channels[Channel.WEB]["acquisition_cost_kzt"] == Decimal("900000.00")
    assert channels[Channel.TELEGRAM]["acquisition_cost_kzt"] is None  # no spend entered for it


def test_the_dashboard_asks_no_query_twice_and_its_count_does_not_grow(mixed_sales, agent):
    for index in range(3):
        conversation = ConversationFactory(assignee=agent)
        MessageFactory(conversation=conversation, created_at=at(dt.date(2026, 3, 4 + index)))
        MessageFactory(conversation=conversation, direction=Message.Direction.OUT, message_id=None,
                       status=Message.Status.SENT, created_at=at(dt.date(2026, 3, 4 + index), 13))

    def counted(period):
        with CaptureQueriesContext(connection) as queries:
            tables(period)
        return [query["sql"] for query in queries]

    for period in (MARCH, Period()):
        first = counted(period)
        assert len(first) == len(set(first)) <= 25
        OrderFactory.create_batch(5, created_at=at(dt.date(2026, 3, 15)))
        assert len(counted(period)) == len(first)
