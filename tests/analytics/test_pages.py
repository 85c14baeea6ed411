"""The dashboard, its exports, the survey and spend pages: rights for every
role (an agent's figures are their own), the demo figures, a constant number
of queries, htmx parts."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import MarketingSpend, SurveyResponse
from crm.models import Channel, OrderStatus, SlaBreach
from tests.analytics.factories import SurveyResponseFactory, at
from tests.crm.factories import LeadFactory, OrderFactory, default_stage
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ALL = {"preset": "all"}
READERS = ["agent", "manager", "admin_user", "superuser", "accountant"]


def tile(html: str, key: str) -> str:
    match = re.search(rf'data-kpi="{key}">.*?<div class="kpi-value">([^<]*)</div>', html, re.S)
    return match.group(1).replace("\u00a0", " ") if match else ""


def page(client, params=None, **headers):
    response = client.get("/analytics/", params or {}, **EN, **headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def two_agents_sales(agent, colleague):
    """One paid order each, and one lead each in the last 30 days."""
    for person, price in ((agent, "2000000"), (colleague, "3000000")):
        lead = LeadFactory(assignee=person, stage=default_stage("paid"))
        OrderFactory(lead=lead, assignee=person, price_kzt=Decimal(price), status=OrderStatus.PAID)


@pytest.mark.parametrize("person", READERS)
def test_every_role_that_reads_analytics_sees_the_dashboard(client, person, request):
    client.force_login(request.getfixturevalue(person))
    html = page(client)
    assert 'data-kpi="revenue_kzt"' in html and "analytics-charts" in html
    assert "vendor/chartjs-4.6.1/chart.umd.min.js" in html


def test_an_outsider_is_refused_and_a_visitor_logs_in_first(client, outsider):
    for path in ("/analytics/", "/analytics/export/agents.csv", "/analytics/surveys/", "/analytics/spend/",
                 "/api/v1/analytics/summary"):
        response = client.get(path)
        assert response.status_code in (302, 401, 403), path
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/")
    client.force_login(outsider)
    for path in ("/analytics/", "/analytics/export/agents.csv", "/analytics/surveys/", "/analytics/spend/",
                 "/api/v1/analytics/summary"):
        assert client.get(path).status_code == 403, path


def test_an_agent_sees_only_their_own_figures_whatever_agent_they_ask_for(client, agent, colleague,
                                                                        two_agents_sales):
    client.force_login(agent)
    html = page(client)
    assert tile(html, "revenue_kzt") == "2,000,000 ₸"
    assert page(client, {"agent": colleague.pk}).count("3,000,000") == 0
    assert tile(page(client, {"agent": colleague.pk}), "revenue_kzt") == "2,000,000 ₸"
    assert 'name="agent"' not in html and 'data-kpi="acquisition_cost_kzt"' not in html
    assert colleague.last_name not in html  # the leaderboard holds the agent alone


def test_a_manager_sees_everyone_and_may_narrow_to_one_agent(client, manager, agent, colleague, two_agents_sales):
    client.force_login(manager)
    assert tile(page(client), "revenue_kzt") == "5,000,000 ₸"
    assert tile(page(client, {"agent": agent.pk}), "revenue_kzt") == "2,000,000 ₸"
    html = page(client)
    assert agent.last_name in html and colleague.last_name in html and 'data-kpi="acquisition_cost_kzt"' in html


def test_each_tile_states_its_formula_beside_the_previous_period(client, manager):
    OrderFactory(price_kzt=Decimal("1000000"), created_at=at(dt.date(2026, 3, 10)))
    OrderFactory(price_kzt=Decimal("1500000"), created_at=at(dt.date(2026, 2, 10)))
    client.force_login(manager)
    html = page(client, {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert tile(html, "revenue_kzt") == "1,000,000 ₸"
    assert "Σ price in tenge of the orders made in the period that are not cancelled" in html
    assert "−33.3" in html and "before: 1,500,000" in html
    assert "compared with" in html


def test_the_demo_data_gives_the_documented_figures(client):
    call_command("loaddata", "demo", verbosity=0)
    client.force_login(get_user_model().objects.get(username="manager"))
    html = page(client, ALL)
    assert tile(html, "revenue_kzt") == "46,320,596 ₸"
    assert tile(html, "active_clients") == "9"
    assert tile(html, "conversion_rate") == "37.5 %"
    assert tile(html, "orders") == "14" and tile(html, "clients") == "10"
    assert tile(html, "median_first_reply_minutes") == "25 min"  # 15, 25 and 28 minutes
    assert "no earlier period to compare with" in html


def test_a_wrong_range_is_said_and_the_default_period_shown(client, manager):
    client.force_login(manager)
    html = page(client, {"date_from": "2026-03-31", "date_to": "2026-03-01"})
    assert "The end of the period comes before its start." in html
    assert 'data-kpi="revenue_kzt"' in html


@pytest.mark.parametrize(("date_from", "date_to"), [("0001-01-01", "9999-12-31"), ("0001-01-01", ""),
                                                    ("", "9999-12-31"), ("1999-12-31", "2026-01-01")])
def test_a_date_outside_the_bounds_is_said_in_russian_and_the_default_period_shown(client, manager, date_from,
                                                                                    date_to):
    """A period reaching year 1 or 9999 was a 500 (its period before cannot be a date)."""
    client.force_login(manager)
    response = client.get("/analytics/", {"date_from": date_from, "date_to": date_to}, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Выберите дату с 01.01.2000 по 31.12.2099." in html
    assert 'data-kpi="revenue_kzt"' in html


def test_htmx_gets_the_body_alone(client, manager):
    client.force_login(manager)
    html = client.get("/analytics/", {"preset": "7d"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="dashboard-body",
                      **EN).content.decode()
    assert html.lstrip().startswith('<div id="dashboard-body"') and "<html" not in html


def _seed(count: int, agent):
    for index in range(count):
        stage = default_stage(["new", "offer", "paid", "lost"][index % 4])
        lead = LeadFactory(assignee=agent if index % 2 else None, stage=stage,
                           source=[Channel.TELEGRAM, Channel.WEB, Channel.WHATSAPP][index % 3],
                           destination_resort=["Нячанг", "Фукуок", "Дананг"][index % 3])
        OrderFactory(lead=lead, assignee=lead.assignee, status=[OrderStatus.PAID, OrderStatus.CANCELLED][index % 2])
        SlaBreach.objects.create(lead=lead, stage=lead.stage, stage_entered_at=lead.created_at,
                                 due_at=lead.created_at + dt.timedelta(hours=1))
        conversation = ConversationFactory(client=lead.client, lead=lead, assignee=lead.assignee)
        MessageFactory(conversation=conversation)
    for index, order in enumerate(OrderFactory._meta.model.objects.all()[:count // 2]):
        SurveyResponseFactory(order=order, score=index % 11)
    MarketingSpend.objects.get_or_create(month=dt.date.today().replace(day=1), channel=Channel.WEB,
                                         defaults={"amount_kzt": Decimal("1000000")})


@pytest.mark.parametrize("params", [{}, ALL])
def test_the_dashboard_query_count_does_not_grow_with_the_data(client, manager, agent, params):
    client.force_login(manager)
    _seed(3, agent)
    page(client, params)  # warm the destinations list
    with CaptureQueriesContext(connection) as few:
        page(client, params)
    _seed(30, agent)
    with CaptureQueriesContext(connection) as many:
        page(client, params)
    assert len(many) == len(few) <= 40


@pytest.mark.parametrize("table", ["months", "funnel", "channels", "destinations", "agents"])
def test_each_table_downloads_as_csv_with_the_page_figures(client, manager, two_agents_sales, table):
    client.force_login(manager)
    response = client.get(f"/analytics/export/{table}.csv", **EN)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) > 1 and len({len(row) for row in rows}) == 1


def test_the_agents_csv_holds_each_agents_revenue(client, manager, agent, colleague, two_agents_sales):
    client.force_login(manager)
    rows = list(csv.DictReader(io.StringIO(client.get("/analytics/export/agents.csv", **EN).content
                                           .decode("utf-8-sig"))))
    revenue = {row["Agent"]: row["Revenue"] for row in rows}
    assert revenue[agent.get_full_name()] == "2000000.00" and revenue[colleague.get_full_name()] == "3000000.00"
    client.force_login(agent)
    rows = list(csv.DictReader(io.StringIO(client.get("/analytics/export/agents.csv", **EN).content
                                           .decode("utf-8-sig"))))
    assert [row["Agent"] for row in rows] == [agent.get_full_name()]


def test_an_unknown_table_is_404(client, manager):
    client.force_login(manager)
    assert client.get("/analytics/export/nothing.csv").status_code == 404


# --- Post-trip surveys --------------------------------------------------------------


@pytest.fixture
def finished_trip(agent):
    lead = LeadFactory(assignee=agent, stage=default_stage("completed"))
    return OrderFactory(lead=lead, assignee=agent, status=OrderStatus.COMPLETED,
                        date_from=dt.date(2026, 1, 5), date_to=dt.date(2026, 1, 15))


def answer(order, score=9, day="2026-01-20"):
    return {"order": order.pk, "score": score, "comment": "Всё понравилось", "responded_on": day}


def test_the_agent_of_a_finished_trip_records_the_clients_score_and_nps_counts_it(client, agent, finished_trip):
    client.force_login(agent)
    assert str(finished_trip.pk) in client.get("/analytics/surveys/").content.decode()

    response = client.post("/analytics/surveys/", answer(finished_trip, 10))

    assert response.status_code == 302
    recorded = SurveyResponse.objects.get()
    assert (recorded.order, recorded.score, recorded.recorded_by) == (finished_trip, 10, agent)
    client.post("/analytics/surveys/", answer(finished_trip, 4))  # corrected: still one answer
    assert SurveyResponse.objects.get().score == 4
    html = page(client, {"date_from": "2026-01-01", "date_to": "2026-01-31"})
    assert tile(html, "nps") == "-100"


def test_a_colleague_may_not_record_for_anothers_trip_nor_an_accountant_at_all(client, colleague, accountant,
                                                                            finished_trip):
    client.force_login(colleague)
    response = client.post("/analytics/surveys/", answer(finished_trip), **EN)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    client.force_login(accountant)
    assert client.get("/analytics/surveys/").status_code == 200
    assert client.post("/analytics/surveys/", answer(finished_trip)).status_code == 403
    assert not SurveyResponse.objects.exists()


def test_a_score_out_of_range_or_from_the_future_is_a_field_error(client, manager, finished_trip):
    client.force_login(manager)
    html = client.post("/analytics/surveys/", answer(finished_trip, 11), **EN).content.decode()
    assert "Ensure this value is less than or equal to 10" in html
    html = client.post("/analytics/surveys/", answer(finished_trip, day="2099-01-01"), **EN).content.decode()
    assert "An answer cannot come from the future." in html
    assert not SurveyResponse.objects.exists()


def test_a_trip_not_yet_over_cannot_be_surveyed(client, manager, agent):
    upcoming = OrderFactory(assignee=agent, date_from=dt.date.today() + dt.timedelta(days=5),
                            date_to=dt.date.today() + dt.timedelta(days=15))
    client.force_login(manager)
    assert client.post("/analytics/surveys/", answer(upcoming)).status_code == 200
    assert not SurveyResponse.objects.exists()


# --- Marketing spend -----------------------------------------------------------------


def test_a_manager_enters_spend_per_month_and_channel_and_acquisition_cost_follows(client, manager):
    OrderFactory(price_kzt=Decimal("1000000"), created_at=at(dt.date(2026, 3, 10)))
    client.force_login(manager)

    response = client.post("/analytics/spend/", {"month": "2026-03", "channel": "telegram", "amount_kzt": "450000"})
    client.post("/analytics/spend/", {"month": "2026-03", "channel": "telegram", "amount_kzt": "500000"})

    assert response.status_code == 302
    spend = MarketingSpend.objects.get()
    assert (spend.month, spend.amount_kzt, spend.entered_by) == (dt.date(2026, 3, 1), Decimal("500000"), manager)
    html = page(client, {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert tile(html, "acquisition_cost_kzt") == "500,000 ₸"


def test_only_managers_and_admins_enter_spend(client, agent, accountant):
    client.force_login(agent)
    assert client.get("/analytics/spend/").status_code == 403
    client.force_login(accountant)
    assert client.get("/analytics/spend/").status_code == 200
    assert client.post("/analytics/spend/", {"month": "2026-03", "channel": "web", "amount_kzt": "1"}).status_code == 403
    assert not MarketingSpend.objects.exists()


def test_negative_spend_is_a_field_error(client, manager):
    client.force_login(manager)
    html = client.post("/analytics/spend/", {"month": "2026-03", "channel": "web", "amount_kzt": "-5"},
                       **EN).content.decode()
    assert "greater than or equal to 0" in html and not MarketingSpend.objects.exists()


def test_figures_are_kept_for_a_minute_per_scope_and_period(client, manager, agent, settings, two_agents_sales):
    settings.ANALYTICS_CACHE_SECONDS = 60
    from django.core.cache import cache

    cache.clear()
    client.force_login(manager)
    with CaptureQueriesContext(connection) as first:
        page(client, {"preset": "7d"})
    with CaptureQueriesContext(connection) as again:
        html = page(client, {"preset": "7d"})
    assert len(again) < len(first) - 15 and tile(html, "revenue_kzt") == "5,000,000 ₸"
    client.force_login(agent)  # another scope: its own figures
    assert tile(page(client, {"preset": "7d"}), "revenue_kzt") == "2,000,000 ₸"
    cache.clear()
