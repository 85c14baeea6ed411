"""The SAMO actions the product uses: their parameters, and typed helpers that
call them through ``samo_request`` and parse the answer.

Callers that cache (``tours``) use the parameter builders and parsers with their
own fetch; everything else calls the helpers. ``samo_call`` covers any other
action (``SearchHotel_*``, ``TheBest_*``, ``Claim_*``…) with any parameters.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from integrations.samo import records
from integrations.samo.client import samo_request
from integrations.samo.records import samo_date

TOWNFROMS = "SearchTour_TOWNFROMS"
STATES = "SearchTour_STATES"
TOWNS = "SearchTour_TOWNS"
TOURS = "SearchTour_TOURS"
HOTELS = "SearchTour_HOTELS"
MEALS = "SearchTour_MEALS"
STARS = "SearchTour_STARS"
CHECKIN = "SearchTour_CHECKIN"
NIGHTS = "SearchTour_NIGHTS"
CURRENCIES = "SearchTour_CURRENCIES"
ALL = "SearchTour_ALL"
PRICES = "SearchTour_PRICES"
CURRENCY_LIST = "Currency_CURRENCIES"
CURRENCY_RATES = "Currency_RATES"
HOTEL_DETAILS = "Hotels_DETAILS"
FREIGHTS = "FreightMonitor_FREIGHTSBYPACKET"

# The console's list; any other name may be typed in.
KNOWN_ACTIONS = (
    TOWNFROMS, STATES, TOWNS, TOURS, HOTELS, MEALS, STARS, CHECKIN, NIGHTS, CURRENCIES, ALL, PRICES,
    CURRENCY_LIST, CURRENCY_RATES, HOTEL_DETAILS, FREIGHTS, "SearchTour_HOTELDATA", "SearchTour_CANCEL_POLICIES",
)
REFERENCE_ACTIONS = frozenset(KNOWN_ACTIONS) - {PRICES, FREIGHTS}


def ids(values) -> str:
    return ",".join(str(value) for value in values)


def direction_params(town_from: int, state: int) -> dict[str, str]:
    return {"TOWNFROMINC": str(town_from), "STATEINC": str(state)}


@dataclass(frozen=True)
class PriceQuery:
    """One tour search, as ``SearchTour_PRICES`` takes it."""

    town_from: int
    state: int
    checkin_beg: dt.date
    checkin_end: dt.date
    nights_from: int
    nights_till: int
    adults: int
    currency: int
    children: int = 0
    ages: tuple[int, ...] = ()
    towns: tuple[int, ...] = ()
    hotels: tuple[int, ...] = ()
    stars: tuple[int, ...] = ()
    meals: tuple[int, ...] = ()
    cost_min: Decimal | None = None
    cost_max: Decimal | None = None
    with_flights: bool = False

    def params(self, *, page: int = 1, grouped: bool = True) -> dict[str, str]:
        """Grouped: the cheapest row per hotel (``PARTITION_PRICE``), rows marked ``grouped``."""
        params = {
            **direction_params(self.town_from, self.state),
            "CHECKIN_BEG": samo_date(self.checkin_beg),
            "CHECKIN_END": samo_date(self.checkin_end),
            "NIGHTS_FROM": str(self.nights_from),
            "NIGHTS_TILL": str(self.nights_till),
            "ADULT": str(self.adults),
            "CHILD": str(self.children),
            "CURRENCY": str(self.currency),
            "FILTER": "1",
            "PRICEPAGE": str(page),
        }
        optional = {
            "AGES": ids(self.ages[: self.children]),
            "TOWNS": ids(self.towns),
            "HOTELS": ids(self.hotels),
            "STARS": ids(self.stars),
            "MEALS": ids(self.meals),
            "COSTMIN": "" if self.cost_min is None else str(self.cost_min),
            "COSTMAX": "" if self.cost_max is None else str(self.cost_max),
            "FREIGHT": "1" if self.with_flights else "",
            "PARTITION_PRICE": str(settings.SAMO_PARTITION_PRICE) if grouped else "",
        }
        params.update({key: value for key, value in optional.items() if value})
        return params

    def expand_params(self, *, row_id: str, hotel_id: int, page: int = 1) -> dict[str, str]:
        """Every row of one hotel's group: ``CATCLAIM=<row id>&HOTELS=<hotelKey>``, ungrouped."""
        params = self.params(page=page, grouped=False)
        params.update({"CATCLAIM": row_id, "HOTELS": str(hotel_id)})
        return params


# --- Typed helpers (uncached: straight to SAMO) ------------------------------


def samo_call(action: str, **params: Any) -> Any:
    """Any action with any parameters; the unwrapped payload."""
    return samo_request(action, params).payload


def town_froms() -> list[records.RefItem]:
    return records.parse_ref_items(samo_call(TOWNFROMS))


def states(*, town_from: int) -> list[records.RefItem]:
    return records.parse_ref_items(samo_call(STATES, TOWNFROMINC=town_from))


def towns(*, town_from: int, state: int) -> list[records.RefItem]:
    return records.parse_ref_items(samo_request(TOWNS, direction_params(town_from, state)).payload)


def hotels(*, town_from: int, state: int) -> list[records.Hotel]:
    return records.parse_hotels(samo_request(HOTELS, direction_params(town_from, state)).payload)


def meals(*, town_from: int, state: int) -> list[records.RefItem]:
    return records.parse_ref_items(samo_request(MEALS, direction_params(town_from, state)).payload)


def stars(*, town_from: int, state: int) -> list[records.RefItem]:
    return records.parse_ref_items(samo_request(STARS, direction_params(town_from, state)).payload)


def checkin_days(*, town_from: int, state: int, adults: int = 2, children: int = 0) -> list[dt.date]:
    params = {**direction_params(town_from, state), "ADULT": adults, "CHILD": children}
    return records.parse_checkin_days(samo_request(CHECKIN, params).payload)


def currencies() -> list[records.Currency]:
    return records.parse_currencies(samo_call(CURRENCY_LIST))


def currency_rate(*, currency: int, base: int) -> Decimal | None:
    """Units of ``base`` for one unit of ``currency`` (None when SAMO has no rate)."""
    return records.parse_rate(samo_call(CURRENCY_RATES, CURRENCY=currency, CURRENCYBASE=base))


def search_prices(query: PriceQuery, *, page: int = 1) -> records.PricePage:
    return records.parse_prices(samo_request(PRICES, query.params(page=page)).payload)


def expand_group(query: PriceQuery, *, row_id: str, hotel_id: int) -> records.PricePage:
    return records.parse_prices(samo_request(PRICES, query.expand_params(row_id=row_id, hotel_id=hotel_id)).payload)


def freights(*, row_id: str) -> list[records.Route]:
    return records.parse_freights(samo_call(FREIGHTS, CATCLAIM=row_id))


def hotel_details(*, hotel_id: int) -> records.HotelDetails | None:
    return records.parse_hotel_details(samo_call(HOTEL_DETAILS, HOTELINC=hotel_id))
