"""GET /api/v1/analytics/summary: the KPIs as JSON, all time without dates,
the same rights as the dashboard."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from crm.models import OrderStatus
from tests.analytics.factories import at
from tests.crm.factories import LeadFactory, OrderFactory, default_stage

pytestmark = pytest.mark.django_db
URL = "/api/v1/analytics/summary"
CONTRACT = ("revenue_kzt", "orders", "clients", "active_clients", "conversion_rate", "average_booking_value_kzt",
            "margin_kzt", "cancellation_rate")


def test_the_demo_data_all_time(client):
    call_command("loaddata", "demo", verbosity=0)
    client.force_login(get_user_model().objects.get(username="manager"))

    data = client.get(URL).json()

    assert set(CONTRACT) <= set(data)
    assert (data["date_from"], data["date_to"], data["previous"]) == (None, None, None)
    assert data["revenue_kzt"] == 46320596
    assert (data["orders"], data["clients"], data["active_clients"]) == (14, 10, 9)
    assert data["conversion_rate"] == 37.5
    assert data["average_booking_value_kzt"] == 4210963.27  # 46 320 596 ÷ 11 orders not cancelled
    assert data["cancellation_rate"] == 21.4  # 3 of 14
    assert data["margin_kzt"] == pytest.approx(5203772)
    assert data["formulas"]["revenue_kzt"].startswith("Σ")
    assert client.get(URL + "/").json() == data  # with or without the slash


def test_a_range_gives_its_figures_beside_the_period_before(client, manager):
    OrderFactory(price_kzt=Decimal("1000000"), created_at=at(dt.date(2026, 3, 10)))
    OrderFactory(price_kzt=Decimal("400000"), created_at=at(dt.date(2026, 3, 11)), status=OrderStatus.CANCELLED)
    OrderFactory(price_kzt=Decimal("2000000"), created_at=at(dt.date(2026, 2, 20)))
    LeadFactory(stage=default_stage("paid"), created_at=at(dt.date(2026, 3, 1)))
    client.force_login(manager)

    data = client.get(URL, {"date_from": "2026-03-01", "date_to": "2026-03-31"}).json()

    assert (data["date_from"], data["date_to"]) == ("2026-03-01", "2026-03-31")
    assert (data["revenue_kzt"], data["orders"], data["cancellation_rate"]) == (1000000, 2, 50.0)
    assert data["conversion_rate"] == 100.0
    assert data["previous"]["date_from"] == "2026-01-29" and data["previous"]["revenue_kzt"] == 2000000


def test_one_open_end_reaches_as_far_as_the_data(client, manager):
    OrderFactory(price_kzt=Decimal("1000000"), created_at=at(dt.date(2026, 3, 10)))
    OrderFactory(price_kzt=Decimal("2000000"), created_at=at(dt.date(2026, 2, 20)))
    client.force_login(manager)
    assert client.get(URL, {"date_from": "2026-03-01"}).json()["revenue_kzt"] == 1000000
    assert client.get(URL, {"date_to": "2026-02-28"}).json()["revenue_kzt"] == 2000000


def test_bad_input_is_a_400_with_field_errors(client, manager):
    client.force_login(manager)
    response = client.get(URL, {"date_from": "yesterday", "channel": "pigeon"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"date_from", "channel"}
    response = client.get(URL, {"date_from": "2026-03-31", "date_to": "2026-03-01"})
    assert response.status_code == 400 and "date_to" in response.json()["errors"]


@pytest.mark.parametrize(("date_from", "date_to"), [("0001-01-01", "9999-12-31"), ("0001-01-01", ""),
                                                    ("", "9999-12-31")])
def test_a_date_outside_the_bounds_is_a_400_naming_the_field(client, manager, date_from, date_to):
    client.force_login(manager)
    params = {name: value for name, value in (("date_from", date_from), ("date_to", date_to)) if value}
    response = client.get(URL, params, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == set(params)
    assert errors[next(iter(params))][0]["message"] == "Выберите дату с 01.01.2000 по 31.12.2099."


@pytest.mark.parametrize("preset", ["", "forever"])
def test_a_preset_that_is_none_of_the_presets_is_a_400(client, manager, preset):
    """The schema lists the presets; an empty one was quietly all time."""
    client.force_login(manager)
    response = client.get(URL, {"preset": preset})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"preset"}


def test_an_agent_gets_their_own_figures_and_an_outsider_nothing(client, agent, colleague, outsider):
    OrderFactory(lead=LeadFactory(assignee=agent), assignee=agent, price_kzt=Decimal("1000000"))
    OrderFactory(lead=LeadFactory(assignee=colleague), assignee=colleague, price_kzt=Decimal("5000000"))
    client.force_login(agent)
    assert client.get(URL).json()["revenue_kzt"] == 1000000
    assert client.get(URL, {"agent": colleague.pk}).json()["revenue_kzt"] == 1000000
    assert "acquisition_cost_kzt" not in client.get(URL).json()
    client.force_login(outsider)
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code in (401, 403)
