"""The SAMO client over real HTTP against the local SAMO server."""

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.utils import translation

from integrations.models import ApiLog
from integrations.samo import actions, errors
from integrations.samo.fake import DEFAULT_TOKEN
from tests.integrations.samo.servers import RecordingProxy

pytestmark = pytest.mark.django_db

ALMATY, ASTANA, VIETNAM, USD, KZT = 1344, 1345, 22, 2, 4


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def window(days_ahead=30, length=7):
    start = dt.date.today() + dt.timedelta(days=days_ahead)
    return start, start + dt.timedelta(days=length)


def price_query(**overrides):
    beg, end = window()
    values = {"town_from": ALMATY, "state": VIETNAM, "checkin_beg": beg, "checkin_end": end, "nights_from": 7,
              "nights_till": 10, "adults": 2, "currency": USD}
    return actions.PriceQuery(**{**values, **overrides})


def test_reference_actions_parse_into_records(fake_samo):
    cities = actions.town_froms()
    assert [(c.id, c.name, c.name_alt) for c in cities] == [(ALMATY, "Алматы", "ALMATY"), (ASTANA, "Астана", "ASTANA")]
    assert cities[0].is_default

    assert [s.name for s in actions.states(town_from=ALMATY)] == ["Вьетнам", "Таиланд"]
    assert [s.name for s in actions.states(town_from=ASTANA)] == ["Вьетнам"]
    resorts = actions.towns(town_from=ALMATY, state=VIETNAM)
    assert {"Нячанг", "Фукуок", "Дананг", "Фантьет"} <= {r.name for r in resorts}
    assert "Дананг" not in {r.name for r in actions.towns(town_from=ASTANA, state=VIETNAM)}  # no flights from Astana

    hotels = actions.hotels(town_from=ALMATY, state=VIETNAM)
    sunrise = next(h for h in hotels if h.id == 30160)
    assert (sunrise.name, sunrise.stars, sunrise.town_id) == ("Sunrise Nha Trang Beach Hotel & Spa", 5, 1452)
    assert {m.name for m in actions.meals(town_from=ALMATY, state=VIETNAM)} >= {"BB", "HB", "AI"}
    assert [s.name for s in actions.stars(town_from=ALMATY, state=VIETNAM)] == ["3*", "4*", "5*"]


def test_checkin_days_parse_in_both_operator_shapes(fake_samo):
    almaty = actions.checkin_days(town_from=ALMATY, state=VIETNAM)  # {"start", "valid"}
    astana = actions.checkin_days(town_from=ASTANA, state=VIETNAM)  # [{"checkin"}]

    assert almaty and astana
    assert all(day > dt.date.today() for day in almaty + astana)
    assert {day.weekday() for day in astana} == {1, 4}  # Astana flies on Tuesdays and Fridays


def test_currencies_and_rates(fake_samo):
    codes = {c.id: c.code for c in actions.currencies()}

    assert codes[USD] == "USD" and codes[KZT] == "KZT"
    assert actions.currency_rate(currency=USD, base=KZT) == Decimal("512.35")
    assert actions.currency_rate(currency=99, base=KZT) is None


def test_price_search_pages_groups_per_hotel_and_expands_a_group(fake_samo):
    first = actions.search_prices(price_query())

    assert first.page == 1 and first.pages == 2
    assert all(row.grouped for row in first.rows)
    assert len({row.hotel_id for row in first.rows}) == len(first.rows)  # one row per hotel
    prices = [row.price for row in first.rows]
    assert prices == sorted(prices)
    second = actions.search_prices(price_query(), page=2)
    assert second.page == 2
    assert not {row.hotel_id for row in first.rows} & {row.hotel_id for row in second.rows}

    cheapest = first.rows[0]
    group = actions.expand_group(price_query(), row_id=cheapest.id, hotel_id=cheapest.hotel_id)
    assert len(group.rows) > 1
    assert {row.hotel_id for row in group.rows} == {cheapest.hotel_id}
    assert group.rows[0].price == cheapest.price
    assert not any(row.grouped for row in group.rows)
    assert {row.room for row in group.rows} > {cheapest.room} or {row.nights for row in group.rows} > {cheapest.nights}


def test_price_filters_and_nothing_found(fake_samo):
    five_stars = actions.search_prices(price_query(stars=(403,)))
    assert five_stars.rows and {row.stars for row in five_stars.rows} == {5}
    capped = actions.search_prices(price_query(cost_max=Decimal("1500")))
    assert capped.rows and max(row.price for row in capped.rows) <= 1500

    nothing = actions.search_prices(price_query(town_from=ASTANA, towns=(1470,)))  # Da Nang: no flight from Astana
    assert nothing.empty and nothing.pages == 0


def test_flights_and_hotel_details(fake_samo):
    row = actions.search_prices(price_query()).rows[0]

    out, back = actions.freights(row_id=row.id)
    assert (out.date, out.source_town) == (row.check_in, "Алматы")
    assert back.date == row.check_out
    assert out.flights[0].departure_port == "ALA"
    assert out.flights[0].seats in {"yes", "no"}

    details = actions.hotel_details(hotel_id=30160)
    assert details.name == "Sunrise Nha Trang Beach Hotel & Spa"
    assert "Deluxe Ocean View" in details.rooms
    assert actions.hotel_details(hotel_id=1) is None  # SAMO answers false


def test_generic_call_reaches_any_action(fake_samo):
    tours = actions.samo_call("SearchTour_TOURS", TOWNFROMINC=ALMATY, STATEINC=VIETNAM)

    assert tours[0]["name"] == "Вьетнам из г. Алматы (чартер)"
    assert fake_samo.state.calls == {"SearchTour_TOURS": 1}


@pytest.mark.parametrize(
    ("mode", "exception", "message"),
    [
        ("401", errors.SamoInvalidToken, "SAMO rejected the API token (HTTP 401, invalid_token). Check SAMO_OAUTH_TOKEN."),
        ("403", errors.SamoIPNotAllowed, "SAMO refused the request from IP address 127.0.0.1: the operator has not "
                                         "allow-listed it."),
        ("method_error", errors.SamoMethodError, "SAMO answered SearchTour_TOWNFROMS with an error: 110"),
        ("500", errors.SamoServerError, "SAMO server fault (HTTP 500) on SearchTour_TOWNFROMS. Try again later."),
    ],
)
def test_each_failure_is_its_own_exception_with_a_clear_message(fake_samo, mode, exception, message):
    fake_samo.state.mode = mode

    with pytest.raises(exception) as caught:
        actions.town_froms()

    assert str(caught.value).startswith(message)
    assert type(caught.value) is exception


def test_ip_not_allowed_quotes_the_blocked_address(fake_samo):
    fake_samo.state.mode = "403"

    with pytest.raises(errors.SamoIPNotAllowed) as caught:
        actions.town_froms()

    assert caught.value.address == "127.0.0.1"
    assert caught.value.status_code == 403
    with translation.override("ru"):
        assert "127.0.0.1" in str(errors.SamoIPNotAllowed("127.0.0.1"))


def test_a_wrong_token_is_refused_and_not_retried(fake_samo, settings):
    settings.SAMO_OAUTH_TOKEN = "not-the-token-of-this-server"

    with pytest.raises(errors.SamoInvalidToken):
        actions.town_froms()

    assert fake_samo.state.total == 1


def test_an_action_needing_an_agent_login_is_access_denied(fake_samo):
    with pytest.raises(errors.SamoAccessDenied) as caught:
        actions.samo_call("Claim_DOCUMENTS", CLAIM=1)

    assert "Доступ запрещён" in str(caught.value)


def test_server_faults_are_retried_then_reported(fake_samo, settings):
    settings.SAMO_RETRIES = 2
    fake_samo.state.mode = "500"

    with pytest.raises(errors.SamoServerError):
        actions.town_froms()

    assert fake_samo.state.total == 3
    assert list(ApiLog.objects.values_list("status_code", "ok")) == [(500, False)] * 3


def test_a_slow_answer_times_out_once_without_a_retry(fake_samo, settings):
    settings.SAMO_READ_TIMEOUT = 0.2
    fake_samo.state.delay_ms = 600

    with pytest.raises(errors.SamoTimeout) as caught:
        actions.town_froms()

    assert str(caught.value) == "SAMO did not answer SearchTour_TOWNFROMS within 0.2 s."
    assert fake_samo.state.total == 1
    log = ApiLog.objects.get()
    assert (log.ok, log.status_code) == (False, None)
    assert log.duration_ms >= 200


def test_no_connection_is_retried_then_reported(db, settings):
    settings.SAMO_API_URL = "http://127.0.0.1:1/export/default.php"
    settings.SAMO_OAUTH_TOKEN = DEFAULT_TOKEN
    settings.SAMO_RETRIES = 1
    settings.SAMO_RETRY_BACKOFF = 0.01

    with pytest.raises(errors.SamoUnavailable) as caught:
        actions.town_froms()

    assert str(caught.value) == "SAMO could not be reached (connection failed)."
    assert ApiLog.objects.count() == 2


def test_not_configured(db, settings):
    settings.SAMO_API_URL = ""

    with pytest.raises(errors.SamoNotConfigured):
        actions.town_froms()
    assert not ApiLog.objects.exists()


def test_empty_answers_mean_nothing(fake_samo):
    fake_samo.state.mode = "empty"

    assert actions.town_froms() == []
    assert actions.search_prices(price_query()).empty
    assert actions.hotel_details(hotel_id=30160) is None


def test_every_call_is_logged_with_the_token_masked_and_its_duration(fake_samo):
    fake_samo.state.delay_ms = 50

    actions.states(town_from=ALMATY)

    log = ApiLog.objects.get()
    assert (log.service, log.action, log.method, log.status_code, log.ok) == ("samo", "SearchTour_STATES", "GET", 200, True)
    assert log.duration_ms >= 50
    assert DEFAULT_TOKEN not in log.request
    assert "oauth_token=••••••0000" in log.request
    assert "samo_action=api" in log.request and "type=json" in log.request and "TOWNFROMINC=1344" in log.request


def test_the_token_never_reaches_the_logs(fake_samo, caplog):
    caplog.set_level(logging.DEBUG)

    actions.town_froms()
    fake_samo.state.mode = "500"
    with pytest.raises(errors.SamoServerError):
        actions.town_froms()

    assert "SearchTour_TOWNFROMS" in caplog.text
    assert "GET /export/default.php" in caplog.text  # urllib3's request line, masked
    assert DEFAULT_TOKEN not in caplog.text
    assert not any(DEFAULT_TOKEN in (log.request + log.error) for log in ApiLog.objects.all())


def test_samo_traffic_goes_through_the_configured_proxy(fake_samo, samo_proxy, settings):
    settings.SAMO_PROXY_URL = samo_proxy.url

    hotels = actions.hotels(town_from=ALMATY, state=VIETNAM)

    assert hotels
    assert len(samo_proxy.seen) == 1
    assert samo_proxy.seen[0].startswith(f"{fake_samo.url}?samo_action=api&type=json&action=SearchTour_HOTELS")
    assert fake_samo.state.calls == {"SearchTour_HOTELS": 1}


def test_without_the_setting_no_proxy_is_used_even_if_the_environment_names_one(fake_samo, monkeypatch):
    with RecordingProxy() as environment_proxy:
        monkeypatch.setenv("HTTP_PROXY", environment_proxy.url)
        monkeypatch.setenv("http_proxy", environment_proxy.url)

        actions.town_froms()

        assert environment_proxy.seen == []


def test_a_proxy_that_is_down_is_reported(fake_samo, settings):
    settings.SAMO_PROXY_URL = "http://127.0.0.1:1"
    settings.SAMO_RETRIES = 0

    with pytest.raises(errors.SamoUnavailable) as caught:
        actions.town_froms()

    assert str(caught.value) == "SAMO could not be reached (proxy unavailable)."
