"""Lenient parsing of payloads in the shapes operators send (``payloads/``)."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.samo import records

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str, action: str | None = None):
    data = json.loads((PAYLOADS / name).read_text())
    return data[action] if action else data


def test_price_rows_with_numbers_as_strings_both_date_formats_and_converted_prices():
    page = records.parse_prices(payload("prices_strings_and_quirks.json", "SearchTour_PRICES"))

    assert (page.page, page.pages, page.more_coming) == (1, 3, True)
    assert [row.id for row in page.rows] == ["7612345:2:20260914", "7612345:1:20260914"]  # cheapest first
    liberty, sunrise = page.rows
    assert liberty.price == Decimal("1490.50")
    assert liberty.currency == "USD"
    assert liberty.stars == 4
    assert (liberty.hotel_id, liberty.town_id, liberty.nights, liberty.children) == (30161, 1452, 10, 1)
    assert liberty.check_out == dt.date(2026, 9, 24)  # from check-in and nights when missing
    assert (liberty.converted_price, liberty.converted_currency) == (Decimal("763660.00"), "KZT")
    assert liberty.bookable and liberty.grouped
    assert (liberty.rooms, liberty.flight_out, liberty.flight_back) == ("R", "Y", "F")
    assert sunrise.check_in == dt.date(2026, 9, 14)
    assert sunrise.price == Decimal("2150")
    assert sunrise.rooms == "N"
    assert (sunrise.flight_out, sunrise.flight_back) == ("", "")


@pytest.mark.parametrize("variant", payload("prices_nothing.json"))
def test_every_shape_of_nothing_is_an_empty_page(variant):
    page = records.parse_prices(variant["SearchTour_PRICES"])

    assert page.empty
    assert page.pages == 0


def test_checkin_days_in_both_shapes():
    shapes = payload("checkin_both_shapes.json")

    assert records.parse_checkin_days(shapes["start_valid"]["SearchTour_CHECKIN"]) == [
        dt.date(2026, 9, 2), dt.date(2026, 9, 3), dt.date(2026, 9, 6),
    ]
    assert records.parse_checkin_days(shapes["list"]["SearchTour_CHECKIN"]) == [dt.date(2026, 9, 2), dt.date(2026, 9, 5)]


def test_currency_code_from_alias_first_then_name_and_rates_per_unit():
    euro, dollar, unknown = records.parse_currencies(payload("currencies_alias_and_name.json", "SearchTour_CURRENCIES"))

    assert (euro.id, euro.code) == (3, "EUR")
    assert euro.rates[0].per_unit == Decimal("556.10")
    assert dollar.code == "USD"
    assert dollar.rates[0].per_unit == Decimal("512.35")
    assert (unknown.code, unknown.rates) == ("", ())


def test_reference_lists_keyed_by_id_and_matched_by_any_name():
    states = records.parse_ref_items(payload("states_keyed_by_id.json", "SearchTour_STATES"))

    assert [(s.id, s.name) for s in states] == [(22, "Вьетнам"), (5, "Таиланд")]
    assert states[1].matches("thailand") and states[1].matches("5") and states[0].matches("ВЬЕТНАМ")
    assert not states[0].matches("Vietnam")


def test_hotel_details_with_empty_fields():
    details = records.parse_hotel_details(payload("hotel_details_empty_fields.json", "Hotels_DETAILS"))

    assert details.id == 30160
    assert (details.address, details.description, details.latitude) == ("", "", None)
    assert details.longitude == Decimal("109.1967")
    assert details.attributes == []
    assert details.rooms == ["Deluxe"]
    assert details.photos == [("https://img.example/1.jpg", "Пляж")]
    for nothing in (None, False, "", []):
        assert records.parse_hotel_details(nothing) is None
