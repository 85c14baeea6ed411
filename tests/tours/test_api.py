"""GET /api/v1/tours/search/ — and the cache behind it, over real HTTP."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.tours.conftest import search_params
from tours.models import SamoCache

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
URL = "/api/v1/tours/search/"


@pytest.mark.django_db
def test_results_with_whether_they_are_cached_and_their_age(client, fake_samo, agent):
    client.force_login(agent)

    first = client.get(URL, search_params(), **EN)
    second = client.get(URL, search_params(), **EN)

    assert first.status_code == 200
    data = first.json()
    assert (data["page"], data["pages"], data["currency"]) == (1, 2, "USD")
    assert (data["cached"], data["stale"], data["error"], data["demo"]) == (False, False, None, True)
    assert data["age_seconds"] == 0
    assert data["rate_kzt"]["value"] == "512.35" and data["rate_kzt"]["source"] == "samo"
    assert len(data["results"]) == 10
    offer = data["results"][0]
    assert set(offer) >= {"id", "hotel", "stars", "resort", "check_in", "check_out", "nights", "room", "meal", "price",
                          "currency", "price_kzt", "rooms", "flight_out", "flight_back", "bookable"}
    assert [float(r["price"]) for r in data["results"]] == sorted(float(r["price"]) for r in data["results"])
    assert second.json()["cached"] is True
    assert second.json()["results"] == data["results"]
    assert fake_samo.state.calls["SearchTour_PRICES"] == 1


@pytest.mark.django_db
def test_children_ages_and_invalid_queries(client, fake_samo, agent):
    client.force_login(agent)

    ok = client.get(URL, search_params(children=2, ages="4,11"), **EN)
    bad = client.get(URL, search_params(children=2, ages="4", checkin_end="2000-01-01"), **EN)

    assert ok.status_code == 200 and ok.json()["results"]
    assert bad.status_code == 400
    errors = bad.json()["errors"]
    assert errors["ages"][0]["message"] == "Give one age per child: 2 children, 1 age(s) given."
    assert errors["checkin_end"][0]["message"] == "The departure window must end on or after its first day."


@pytest.mark.django_db
def test_with_samo_failing_the_api_serves_stale_results_or_503(client, fake_samo, agent, settings):
    from django.core.cache import cache

    client.force_login(agent)
    fresh = client.get(URL, search_params(), **EN).json()
    cache.clear()
    SamoCache.objects.update(expires_at="2000-01-01T00:00:00Z", fetched_at="2026-01-01T00:00:00Z")
    fake_samo.state.mode = "401"

    stale = client.get(URL, search_params(), **EN).json()
    nothing = client.get(URL, search_params(nights_from=8), **EN)

    assert stale["stale"] is True and stale["age_seconds"] > 3600
    assert stale["error"] == {"code": "invalid_token",
                              "message": "SAMO rejected the API token (HTTP 401, invalid_token). Check SAMO_OAUTH_TOKEN."}
    assert stale["results"] == fresh["results"]
    assert nothing.status_code == 503
    assert nothing.json()["error"]["code"] == "invalid_token"


@pytest.mark.django_db
def test_only_people_with_a_role_may_search(client, fake_samo, outsider):
    assert client.get(URL, search_params()).status_code == 403
    client.force_login(outsider)
    assert client.get(URL, search_params()).status_code == 403
    assert fake_samo.state.total == 0


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_cold_searches_reach_samo_once(live_server, client, fake_samo, agent):
    client.force_login(agent)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    fake_samo.state.delay_ms = 200  # every caller arrives while the first one waits for SAMO

    def search(_):
        return requests.get(f"{live_server.url}{URL}", params=search_params(), cookies=cookies, timeout=30)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(search, range(20)))

    assert [r.status_code for r in responses] == [200] * 20
    assert len({tuple(r["id"] for r in response.json()["results"]) for response in responses}) == 1
    assert sum(not response.json()["cached"] for response in responses) == 1
    assert fake_samo.state.calls["SearchTour_PRICES"] == 1
    assert all(count == 1 for count in fake_samo.state.calls.values()), fake_samo.state.calls

    requests.get(f"{live_server.url}{URL}", params=search_params(), cookies=cookies, timeout=30)
    assert fake_samo.state.calls["SearchTour_PRICES"] == 1  # a cached search does not reach SAMO
