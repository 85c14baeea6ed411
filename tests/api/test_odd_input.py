"""Odd input to the API answers a 4xx in the API's error shape, or is taken
cleaned — never a 500: a NUL in a search, a page size that is no whole number,
a NUL or a lone surrogate in the public booking form's JSON."""

import json

import pytest

from crm.models import Client, Lead
from messaging.models import Message
from tests.api.test_intake import URL as INTAKE_URL
from tests.api.test_intake import form
from tests.crm.factories import LeadFactory

LISTS = ["clients", "leads", "pipelines", "stages", "orders", "tasks", "notes", "offers", "conversations"]


@pytest.mark.parametrize("resource", LISTS)
def test_a_nul_in_a_search_or_filter_is_ignored(api, manager, resource):
    """It was a 400 whose body was a bare list, unlike every other error of the API."""
    response = api(manager).get(f"/api/v1/{resource}/?search=%00&ordering=%00")
    assert response.status_code == 200, response.content
    assert "results" in response.json()


def test_a_nul_in_a_search_still_finds_what_the_rest_of_it_says(api, manager):
    lead = LeadFactory(destination_resort="Фукуок")
    LeadFactory(destination_resort="Нячанг")
    rows = api(manager).get("/api/v1/leads/?search=Фук%00уок").json()["results"]
    assert [row["id"] for row in rows] == [lead.pk]


@pytest.mark.parametrize("page_size", ["-7e-272", "0", "-1", "1.5", "ten", "", "²"])
def test_a_page_size_that_is_no_whole_number_from_1_is_a_400_naming_it(api, manager, page_size):
    """It was quietly taken as the default."""
    response = api(manager).get("/api/v1/leads/", {"page_size": page_size}, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Укажите число строк на странице: целое, от 1 до 200."]}


def test_a_page_size_above_the_maximum_is_the_maximum(api, manager):
    LeadFactory.create_batch(3)
    assert len(api(manager).get("/api/v1/leads/", {"page_size": "5000"}).json()["results"]) == 3
    assert len(api(manager).get("/api/v1/leads/", {"page_size": "2"}).json()["results"]) == 2


@pytest.mark.parametrize(("odd", "stored"), [("\x00", ""), ("\ud800", "\ufffd")])
def test_the_booking_form_takes_a_nul_or_a_lone_surrogate_cleaned(api, odd, stored):
    """A site's script that cuts an emoji in half sends a lone surrogate: the request
    is taken (the character replaced), not refused in English or failing."""
    body = form(name=f"Айгуль{odd} Серикова", notes=f"Отель{odd} у моря", utm_source=f"insta{odd}gram")
    response = api().post(INTAKE_URL, json.dumps(body), content_type="application/json")  # \\uXXXX escapes

    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert Client.objects.get().full_name == f"Айгуль{stored} Серикова"
    assert f"Отель{stored} у моря" in Message.objects.get(chat_id=f"lead-{lead.pk}").text
