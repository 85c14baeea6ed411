import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.tours.conftest import ALMATY, ASTANA, search_params

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def hotels_on(html: str) -> list[str]:
    return re.findall(r'<h2 class="hotel-name">(.+?) <span class="stars"', html)


@pytest.mark.parametrize("person", ["agent", "colleague", "manager", "admin_user", "accountant"])
def test_every_role_that_works_with_tours_may_search(client, fake_samo, person, request):
    client.force_login(request.getfixturevalue(person))

    response = client.get("/tours/search/", search_params(), **EN)

    assert response.status_code == 200
    assert len(hotels_on(response.content.decode())) == 10


def test_an_outsider_may_not_search_and_an_anonymous_visitor_logs_in_first(client, fake_samo, outsider):
    assert client.get("/tours/search/")["Location"].startswith("/accounts/login/")
    client.force_login(outsider)

    assert client.get("/tours/search/").status_code == 403
    assert client.get("/tours/search/filters/").status_code == 403
    assert fake_samo.state.total == 0


def test_the_empty_page_offers_the_configured_direction(client, fake_samo, agent):
    client.force_login(agent)

    html = client.get("/tours/search/", **EN).content.decode()

    assert '<option value="1344" selected>Алматы</option>' in html
    assert '<option value="22" selected>Вьетнам</option>' in html
    assert "Нячанг" in html and "Sunrise Nha Trang Beach Hotel &amp; Spa 5*" in html
    assert 'data-search-state="idle"' in html


def test_results_are_grouped_per_hotel_sorted_by_price_paged_and_priced_in_tenge(client, fake_samo, agent):
    client.force_login(agent)

    html = client.get("/tours/search/", search_params(), **EN).content.decode()

    assert "Page 1 of 2" in html
    prices = [int(p.replace(",", "").replace("\u00a0", "")) for p in
              re.findall(r'<div class="price-main">([\d,\u00a0]+) <span class="currency">USD', html)]
    assert len(prices) == 10 and prices == sorted(prices)
    assert len(set(hotels_on(html))) == 10
    assert "1 USD = 512.35 ₸ — SAMO rate" in html
    assert "≈" in html and "₸" in html
    assert "Demo data." in html  # the local SAMO server's answers are labelled
    assert 'href="/tours/search/?' in html and "page=2" in html
    second = client.get("/tours/search/", search_params(page=2), **EN).content.decode()
    assert "Page 2 of 2" in second
    assert not set(hotels_on(html)) & set(hotels_on(second))


def test_availability_of_rooms_and_flights_is_shown(client, fake_samo, agent):
    client.force_login(agent)

    html = client.get("/tours/search/", search_params(), **EN).content.decode()

    assert "Rooms available" in html or "Rooms on request" in html
    assert re.search(r"there:\s+(seats|few seats|on request|no seats)", html)
    assert re.search(r"back:\s+(seats|few seats|on request|no seats)", html)


def test_a_hotel_expands_into_all_its_offers_with_htmx_and_without(client, fake_samo, agent):
    client.force_login(agent)
    html = client.get("/tours/search/", search_params(), **EN).content.decode()
    expand = re.search(r'hx-get="/tours/search/group/\?([^"]+)"', html).group(1).replace("&amp;", "&")
    hotel_id = re.search(r"expand=(\d+)%3A|expand=(\d+):", expand)
    hotel_id = hotel_id.group(1) or hotel_id.group(2)

    partial = client.get(f"/tours/search/group/?{expand}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"group-{hotel_id}", **EN)
    assert partial.status_code == 200
    rows = re.findall(r'<tr data-offer="([^"]+)"', partial.content.decode())
    assert len(rows) > 1
    assert "<html" not in partial.content.decode()

    full = client.get(f"/tours/search/group/?{expand}", **EN)
    assert full.status_code == 302 and full["Location"].startswith("/tours/search/?")
    page = client.get(full["Location"], **EN).content.decode()
    assert re.findall(r'<tr data-offer="([^"]+)"', page) == rows


def test_an_htmx_search_renders_only_the_results(client, fake_samo, agent):
    client.force_login(agent)

    response = client.get("/tours/search/", search_params(), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results", **EN)

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert len(hotels_on(html)) == 10


def test_countries_depend_on_the_departure_city(client, fake_samo, agent):
    client.force_login(agent)

    almaty = client.get("/tours/search/filters/", {"town_from": ALMATY}, HTTP_HX_REQUEST="true").content.decode()
    astana = client.get("/tours/search/filters/", {"town_from": ASTANA, "state": 5}, HTTP_HX_REQUEST="true").content.decode()

    assert "Таиланд" in almaty and "Вьетнам" in almaty
    assert "Таиланд" not in astana
    assert "Дананг" in almaty and "Дананг" not in astana  # resorts depend on both
    assert astana.lstrip().startswith('<fieldset id="search-filters"')


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"checkin_end": "2020-01-01"}, "The departure window must end on or after its first day."),
        ({"checkin_beg": "2020-01-01", "checkin_end": "2020-01-05"}, "Departure cannot be in the past."),
        ({"nights_from": 12, "nights_till": 9}, "“Nights to” must not be less than “nights from”."),
        ({"children": 2, "ages": "5"}, "Give one age per child: 2 children, 1 age(s) given."),
        ({"children": 0, "ages": "7"}, "Give one age per child: 0 children, 1 age(s) given."),
        ({"children": 1, "ages": "19"}, "Ages are whole years from 0 to 17, separated by commas."),
        ({"price_min": 3000, "price_max": 1000}, "“Price to” must not be less than “price from”."),
    ],
)
def test_the_search_is_validated_with_clear_messages(client, fake_samo, agent, overrides, message):
    client.force_login(agent)

    html = client.get("/tours/search/", search_params(**overrides), **EN).content.decode()

    assert message.replace("“", "&ldquo;").replace("”", "&rdquo;") in html or message in html
    assert 'data-search-state="invalid"' in html
    assert "SearchTour_PRICES" not in fake_samo.state.calls


def test_children_with_their_ages_are_searched(client, fake_samo, agent):
    client.force_login(agent)

    html = client.get("/tours/search/", search_params(children=2, ages="5, 9"), **EN).content.decode()

    assert len(hotels_on(html)) == 10


def count_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/tours/search/", params, **EN).status_code == 200
    return len(queries)


def test_a_cached_search_page_makes_no_samo_call_and_no_query_of_its_own(client, fake_samo, agent):
    client.force_login(agent)
    client.get("/tours/search/", search_params(), **EN)
    client.get("/tours/search/", search_params(page=2), **EN)
    calls = fake_samo.state.total

    layout_only = count_queries(client, {})  # the empty form: session, user, roles, navigation
    first_page = count_queries(client, search_params())
    second_page = count_queries(client, search_params(page=2))

    assert fake_samo.state.total == calls
    assert first_page == second_page == layout_only <= 8


def test_with_samo_failing_the_page_shows_the_last_results_with_their_age(client, fake_samo, agent):
    client.force_login(agent)
    first = hotels_on(client.get("/tours/search/", search_params(), **EN).content.decode())
    cache.clear()  # the fast copies are gone; the database keeps the last good answers
    from tours.models import SamoCache
    SamoCache.objects.update(expires_at="2000-01-01T00:00:00Z")
    fake_samo.state.mode = "500"

    html = client.get("/tours/search/", search_params(), **EN).content.decode()

    assert 'data-search-state="stale"' in html
    assert "SAMO is not answering." in html and "SAMO server fault (HTTP 500)" in html
    assert "Showing the results SAMO gave" in html
    assert hotels_on(html) == first


def test_with_samo_failing_and_nothing_cached_the_page_says_so_and_shows_no_offer(client, fake_samo, agent):
    client.force_login(agent)
    fake_samo.state.mode = "403"

    html = client.get("/tours/search/", search_params(), **EN).content.decode()

    assert "SAMO refused the request from IP address 127.0.0.1" in html
    assert hotels_on(html) == []
    assert 'class="hotel-card' not in html


def test_without_samo_configured_the_page_says_so(client, agent, settings):
    settings.SAMO_API_URL = ""
    client.force_login(agent)

    html = client.get("/tours/search/", **EN).content.decode()

    assert "SAMO is not configured: set SAMO_API_URL and SAMO_OAUTH_TOKEN." in html
    assert 'class="hotel-card' not in html


def test_an_empty_answer_says_no_offers(client, fake_samo, agent):
    client.force_login(agent)
    client.get("/tours/search/", **EN)  # reference data cached
    fake_samo.state.mode = "empty"

    html = client.get("/tours/search/", search_params(), **EN).content.decode()

    assert 'data-search-state="empty"' in html and "No offers" in html
