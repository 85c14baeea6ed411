"""Each KPI on small hand-made data, counted by hand in the comments. The period
is March 2026 (Almaty dates); the one before it is the 31 days before."""

import datetime as dt
from decimal import Decimal

import pytest

from analytics.selectors import Filters, Period, Scope, kpi_report
from analytics.selectors.scope import Preset, preset_period
from crm.models import Channel, OrderStatus, SlaBreach
from messaging.models import Message
from tests.analytics.factories import MarketingSpendFactory, SurveyResponseFactory, at
from tests.crm.factories import ClientFactory, LeadFactory, OrderFactory, default_stage
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
IN_MARCH = at(dt.date(2026, 3, 10))
IN_FEBRUARY = at(dt.date(2026, 2, 10))
EVERYONE = Scope(filters=Filters(), reads_all=True)


def kpis(period=MARCH, scope=EVERYONE):
    report = kpi_report(scope=scope, period=period)
    return {value.kpi.key: value for value in report.values}


def order(price, *, status=OrderStatus.PAID, cost=None, created_at=IN_MARCH, **extra):
    return OrderFactory(price=price, price_kzt=Decimal(price), cost_kzt=cost, status=status, created_at=created_at,
                        **extra)


def test_the_previous_period_is_as_long_and_just_before():
    assert MARCH.previous() == Period(dt.date(2026, 1, 29), dt.date(2026, 2, 28))
    assert Period().previous() is None and Period(dt.date(2026, 3, 1), None).previous() is None
    today = dt.date(2026, 11, 21)
    assert preset_period(Preset.LAST_30_DAYS, today=today) == Period(dt.date(2026, 10, 23), today)
    assert preset_period(Preset.LAST_MONTH, today=today) == Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert preset_period(Preset.THIS_QUARTER, today=today) == Period(dt.date(2026, 10, 1), today)
    assert preset_period(Preset.LAST_12_MONTHS, today=today) == Period(dt.date(2025, 12, 1), today)
    assert preset_period(Preset.ALL_TIME, today=today).is_all_time


def test_a_day_runs_from_almaty_midnight_to_midnight():
    OrderFactory(price_kzt=Decimal("100"), created_at=at(dt.date(2026, 3, 1), 0, 0))  # first minute of March
    OrderFactory(price_kzt=Decimal("200"), created_at=at(dt.date(2026, 3, 31), 23, 59))
    OrderFactory(price_kzt=Decimal("400"), created_at=at(dt.date(2026, 4, 1), 0, 0))  # April
    OrderFactory(price_kzt=Decimal("800"), created_at=at(dt.date(2026, 2, 28), 23, 59))  # February
    figures = kpis()
    assert figures["revenue_kzt"].value == Decimal("300.00")
    assert figures["revenue_kzt"].previous == Decimal("800.00")


def test_revenue_orders_booking_value_margin_and_cancellations():
    order("1000000", cost=Decimal("900000"))
    order("3000000", cost=Decimal("2500000"), status=OrderStatus.COMPLETED)
    order("2000000")  # no cost yet: in revenue, not in margin
    order("5000000", cost=Decimal("1"), status=OrderStatus.CANCELLED)
    order("700000", created_at=IN_FEBRUARY)

    figures = kpis()

    assert figures["revenue_kzt"].value == Decimal("6000000.00")  # 1 + 3 + 2 million, the cancelled one left out
    assert figures["orders"].value == 4  # whatever their status
    assert figures["average_booking_value_kzt"].value == Decimal("2000000.00")  # 6 million ÷ 3 orders
    assert figures["margin_kzt"].value == Decimal("600000.00")  # 100 000 + 500 000
    assert figures["margin_percent"].value == Decimal("15.0")  # 600 000 ÷ 4 000 000
    assert figures["cancellation_rate"].value == Decimal("25.0")  # 1 of 4
    assert figures["revenue_kzt"].previous == Decimal("700000.00")
    assert figures["revenue_kzt"].change == Decimal("757.1")  # (6 000 000 − 700 000) ÷ 700 000, percent
    assert figures["cancellation_rate"].previous == Decimal("0.0")
    assert figures["cancellation_rate"].change == Decimal("25.0")  # points
    assert figures["cancellation_rate"].is_good is False


def test_without_orders_the_ratios_are_unknown_not_zero():
    figures = kpis()
    assert figures["revenue_kzt"].value == Decimal("0.00") and figures["orders"].value == 0
    for key in ("average_booking_value_kzt", "margin_percent", "cancellation_rate", "conversion_rate",
                "repeat_client_rate", "client_lifetime_value_kzt", "median_first_reply_minutes", "nps"):
        assert figures[key].value is None, key


def test_conversion_counts_the_period_leads_standing_in_won_stages():
    for code in ("paid", "completed", "new", "offer", "lost"):
        LeadFactory(stage=default_stage(code), created_at=IN_MARCH)
    LeadFactory(stage=default_stage("paid"), created_at=IN_FEBRUARY)
    figures = kpis()
    assert figures["leads"].value == 5
    assert figures["conversion_rate"].value == Decimal("40.0")  # 2 of 5
    assert figures["conversion_rate"].previous == Decimal("100.0")


def test_new_and_active_clients():
    ClientFactory(created_at=IN_MARCH)
    ClientFactory(created_at=IN_FEBRUARY)
    buyer = order("1000000", created_at=IN_MARCH).client  # its client was created now, in November
    order("1000000", created_at=IN_MARCH, lead=LeadFactory(client=buyer))
    order("1000000", status=OrderStatus.CANCELLED)  # its client has only a cancelled order: not active
    figures = kpis()
    assert figures["clients"].value == 1
    assert figures["active_clients"].value == 1


def test_repeat_rate_and_lifetime_value_count_the_whole_history_of_the_period_clients():
    loyal = order("1000000", created_at=IN_FEBRUARY).client
    order("2000000", lead=LeadFactory(client=loyal))  # loyal: 2 live orders up to March's end
    order("4000000")  # a first-time client
    cancelled_first = order("9000000", status=OrderStatus.CANCELLED, created_at=IN_FEBRUARY).client
    order("3000000", lead=LeadFactory(client=cancelled_first))  # one live order: not a repeat
    order("5000000", lead=LeadFactory(client=loyal), created_at=at(dt.date(2026, 4, 2)))  # after the period

    figures = kpis()

    assert figures["active_clients"].value == 3
    assert figures["repeat_client_rate"].value == Decimal("33.3")  # 1 of 3
    # (1 + 2 million) + 4 million + 3 million over 3 clients
    assert figures["client_lifetime_value_kzt"].value == Decimal("3333333.33")


def test_the_median_first_reply_waits_for_our_first_outgoing_message_after_the_first_incoming_one():
    for minutes in (10, 20, 90):
        conversation = ConversationFactory()
        MessageFactory(conversation=conversation, created_at=at(dt.date(2026, 3, 5), 10))
        MessageFactory(conversation=conversation, created_at=at(dt.date(2026, 3, 5), 10, 1))  # a second question
        MessageFactory(conversation=conversation, direction=Message.Direction.OUT, message_id=None,
                       status=Message.Status.SENT, created_at=at(dt.date(2026, 3, 5), 10) + dt.timedelta(minutes=minutes))
    unanswered = ConversationFactory()
    MessageFactory(conversation=unanswered, created_at=IN_MARCH)
    failed = ConversationFactory()
    MessageFactory(conversation=failed, created_at=at(dt.date(2026, 3, 6), 9))
    MessageFactory(conversation=failed, direction="out", message_id=None, status=Message.Status.FAILED,
                   created_at=at(dt.date(2026, 3, 6), 9, 1))
    MessageFactory(conversation=failed, direction="out", message_id=None, status=Message.Status.SENT,
                   created_at=at(dt.date(2026, 3, 6), 9, 40))  # the failed send does not count: 40 minutes
    we_wrote_first = ConversationFactory()
    MessageFactory(conversation=we_wrote_first, direction="out", message_id=None, status="sent",
                   created_at=at(dt.date(2026, 2, 20)))  # before the client ever wrote
    MessageFactory(conversation=we_wrote_first, created_at=at(dt.date(2026, 3, 7), 12))
    MessageFactory(conversation=we_wrote_first, direction="out", message_id=None, status="sent",
                   created_at=at(dt.date(2026, 3, 7), 12, 30))

    assert kpis()["median_first_reply_minutes"].value == Decimal("30.0")  # median of 10, 20, 30, 40, 90


def test_sla_breaches_are_counted_when_they_fell_due():
    lead = LeadFactory()
    for due in (IN_MARCH, at(dt.date(2026, 3, 20)), IN_FEBRUARY):
        SlaBreach.objects.create(lead=lead, stage=lead.stage, stage_entered_at=due - dt.timedelta(hours=2), due_at=due)
    figures = kpis()
    assert (figures["sla_breaches"].value, figures["sla_breaches"].previous) == (2, 1)
    assert figures["sla_breaches"].is_good is False


def test_nps_is_promoters_minus_detractors_over_all_answers():
    for score in (10, 9, 9, 8, 7, 6, 0):
        SurveyResponseFactory(score=score, responded_at=IN_MARCH)
    SurveyResponseFactory(score=3, responded_at=IN_FEBRUARY)
    figures = kpis()
    assert figures["nps"].value == Decimal("14")  # (3 − 2) ÷ 7 × 100 = 14.3
    assert figures["nps"].previous == Decimal("-100")
    assert figures["nps"].change == Decimal("114")


def test_acquisition_cost_is_spend_of_the_months_over_clients_who_first_booked_then():
    MarketingSpendFactory(month=dt.date(2026, 3, 1), channel=Channel.TELEGRAM, amount_kzt=Decimal("900000"))
    MarketingSpendFactory(month=dt.date(2026, 3, 1), channel=Channel.WEB, amount_kzt=Decimal("300000"))
    MarketingSpendFactory(month=dt.date(2026, 4, 1), channel=Channel.TELEGRAM, amount_kzt=Decimal("5000000"))
    order("1000000")
    order("1000000", lead=LeadFactory(source=Channel.WEB))
    returning = order("1000000", created_at=IN_FEBRUARY).client
    order("1000000", lead=LeadFactory(client=returning))  # booked before March: not new
    order("1000000", status=OrderStatus.CANCELLED)  # a cancelled order acquires nobody

    figures = kpis(Period(dt.date(2026, 3, 10), dt.date(2026, 3, 20)))  # touches March: the whole month counts

    assert figures["acquisition_cost_kzt"].value == Decimal("600000.00")  # 1 200 000 ÷ 2 new clients
    assert kpis(scope=Scope(filters=Filters(channel=Channel.WEB), reads_all=True))[
        "acquisition_cost_kzt"].value == Decimal("300000.00")


def test_acquisition_cost_is_not_given_for_one_agent_or_resort(agent):
    MarketingSpendFactory()
    order("1000000")
    assert kpis(scope=Scope(filters=Filters(agent_id=agent.pk), reads_all=True))["acquisition_cost_kzt"].value is None
    assert kpis(scope=Scope(filters=Filters(destination="Нячанг"), reads_all=True))[
        "acquisition_cost_kzt"].value is None
    assert "acquisition_cost_kzt" not in kpis(scope=Scope(filters=Filters(agent_id=agent.pk), reads_all=False))


def test_filters_narrow_every_figure(agent, colleague):
    mine = LeadFactory(assignee=agent, source=Channel.WHATSAPP, destination_resort="Фукуок", created_at=IN_MARCH,
                       stage=default_stage("paid"))
    order("2000000", lead=mine, assignee=agent, destination_resort="Фукуок")
    theirs = LeadFactory(assignee=colleague, source=Channel.TELEGRAM, created_at=IN_MARCH)
    order("3000000", lead=theirs, assignee=colleague)

    def revenue(**filters):
        figures = kpis(scope=Scope(filters=Filters(**filters), reads_all=True))
        return figures["revenue_kzt"].value, figures["leads"].value, figures["conversion_rate"].value

    assert revenue() == (Decimal("5000000.00"), 2, Decimal("50.0"))
    assert revenue(agent_id=agent.pk) == (Decimal("2000000.00"), 1, Decimal("100.0"))
    assert revenue(channel=Channel.TELEGRAM) == (Decimal("3000000.00"), 1, Decimal("0.0"))
    assert revenue(destination="Фукуок") == (Decimal("2000000.00"), 1, Decimal("100.0"))
