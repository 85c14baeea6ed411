"""Offers for the assistant come from the local SAMO server's answers only."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from messaging.assistant.offers import TripRequest, offers_for

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
MARCH = dt.date(TODAY.year + 1, 3, 1)  # a month ahead of today whatever today is


@pytest.fixture(autouse=True)
def _cache(settings):
    from django.core.cache import cache

    cache.clear()


def test_a_month_to_a_resort_gives_three_real_offers_of_distinct_hotels(fake_samo):
    trip = TripRequest(destination_country="Vietnam", destination_resort="Nha Trang", date_from=MARCH,
                       date_to=MARCH.replace(day=31), nights_from=10, nights_to=10, adults=2)
    with translation.override("en"):
        pick = offers_for(trip, today=TODAY)
    assert not pick.error and len(pick.offers) == 3
    assert len({line.hotel for line in pick.offers}) == 3
    assert [line.price for line in pick.offers] == sorted(line.price for line in pick.offers)
    returned = {row.id: row for row in (offer.row for offer in pick.result.offers)}
    for line in pick.offers:
        row = returned[line.key]
        assert (line.price, line.hotel, line.nights, line.checkin) == (row.price, row.hotel, row.nights,
                                                                        row.check_in)
        assert line.nights == 10 and MARCH <= line.checkin <= MARCH.replace(day=31)
        assert line.resort == "Нячанг"
        assert line.price_kzt is not None and line.price_kzt > line.price
    assert pick.assumptions == ["departure from Алматы"]


def test_a_short_span_is_the_trip_itself():
    trip = TripRequest(destination_country="Vietnam", date_from=MARCH.replace(month=6, day=10), date_to=MARCH.replace(month=6, day=20))
    assert trip.nights() == (10, 10)
    beg, end = trip.checkin_window(today=TODAY)
    assert beg == MARCH.replace(month=6, day=8) and end == MARCH.replace(month=6, day=12)


def test_budget_in_tenge_keeps_what_fits_else_says_over_budget(fake_samo):
    base = TripRequest(destination_country="Vietnam", date_from=MARCH, date_to=MARCH.replace(day=31),
                       nights_from=7, nights_to=7, adults=2)
    everything = offers_for(base, today=TODAY, limit=10)
    cheapest = everything.offers[0].price_kzt
    fits = offers_for(base.merged(TripRequest(budget_amount=cheapest, budget_currency="KZT")), today=TODAY)
    assert [line.price_kzt for line in fits.offers] == [cheapest] and not fits.over_budget
    tight = offers_for(base.merged(TripRequest(budget_amount=Decimal(1000), budget_currency="KZT")), today=TODAY)
    assert tight.over_budget and tight.offers and tight.offers[0].price_kzt == cheapest


def test_nothing_is_searched_without_destination_and_dates(fake_samo):
    assert TripRequest(destination_country="Vietnam").missing() == ["dates"]
    assert TripRequest().missing() == ["destination", "dates"]
    pick = offers_for(TripRequest(destination_country="Vietnam"), today=TODAY)
    assert not pick.offers and not pick.error and fake_samo.state.total == 0


def test_samo_down_gives_an_error_and_no_offer(fake_samo):
    fake_samo.state.mode = "500"
    trip = TripRequest(destination_country="Vietnam", date_from=MARCH, date_to=MARCH.replace(day=31))
    pick = offers_for(trip, today=TODAY)
    assert pick.error and not pick.offers
