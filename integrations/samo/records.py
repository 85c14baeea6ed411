"""SAMO payloads read into typed records, leniently.

Operators run different SAMO versions: numbers come as strings, "nothing" as
``""``, ``null``, ``false`` or ``[]``, lists sometimes as objects keyed by id,
dates as ``YYYYMMDD`` (or ISO), the currency's ISO code in ``alias`` or in
``name``. Every parser here accepts all of that and never raises on a missing
field: a record with fewer facts is better than no search result.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

# --- Scalars ----------------------------------------------------------------


def is_empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


def as_list(value: Any) -> list:
    """A list of items from a list, an object keyed by id, a single object, or nothing."""
    if is_empty(value):
        return []
    if isinstance(value, list):
        return [item for item in value if not is_empty(item)]
    if isinstance(value, dict):
        values = list(value.values())
        if values and all(isinstance(item, dict) for item in values):
            return values
        return [value]
    return []


def to_text(value: Any) -> str:
    if is_empty(value) or value is True:
        return ""
    return str(value).strip()


def to_int(value: Any) -> int | None:
    if isinstance(value, bool) or is_empty(value):
        return None
    try:
        return int(Decimal(str(value).strip().replace("\u00a0", "").replace(" ", "")))
    except (InvalidOperation, ValueError):
        return None


def to_decimal(value: Any) -> Decimal | None:
    """``"1 106 675.00"``, ``"790,50"``, ``790`` → Decimal; anything else → None."""
    if isinstance(value, bool) or is_empty(value):
        return None
    text = re.sub(r"[\s\u00a0\u202f]", "", str(value))
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "y", "yes"}
    return bool(value)


def to_date(value: Any) -> dt.date | None:
    text = to_text(value)
    for pattern in ("%Y%m%d", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
    return None


def samo_date(value: dt.date) -> str:
    """A date as SAMO wants it in a request."""
    return value.strftime("%Y%m%d")


def stars_of(value: Any) -> int | None:
    """``"4*"``, ``"5 *"``, ``4`` → 4; ``"HV-1"`` or nothing → None."""
    match = re.match(r"\s*([1-5])\s*\*?\s*$", to_text(value))
    return int(match.group(1)) if match else None


def money_text(value: Any) -> tuple[Decimal | None, str]:
    """``"84 617.00 RUB"`` (spaces or no-break spaces as thousands separators) → (84617.00, "RUB")."""
    match = re.match(r"^\s*([\d\s\u00a0\u202f.,]+?)\s*([A-Za-z]{3})?\s*$", to_text(value))
    if not match:
        return None, ""
    return to_decimal(match.group(1)), (match.group(2) or "").upper()


def iso_code(alias: Any, name: Any) -> str:
    """The ISO 4217 code: ``alias`` first (one operator names EUR "euro"), then ``name``."""
    for candidate in (to_text(alias), to_text(name)):
        if re.fullmatch(r"[A-Za-z]{3}", candidate):
            return candidate.upper()
    return ""


# --- Reference data ----------------------------------------------------------


@dataclass(frozen=True)
class RefItem:
    """A departure city, country, resort, tour programme, meal or star category."""

    id: int
    name: str
    name_alt: str = ""
    region: str = ""
    is_default: bool = False

    def matches(self, wanted: str) -> bool:
        """Configured as an id, a name or an alternative (Latin) name, any case."""
        wanted = wanted.strip().casefold()
        return wanted in {str(self.id), self.name.casefold(), self.name_alt.casefold()}


def parse_ref_items(payload: Any) -> list[RefItem]:
    items = []
    for raw in as_list(payload):
        if not isinstance(raw, dict) or (item_id := to_int(raw.get("id"))) is None:
            continue
        items.append(RefItem(
            id=item_id,
            name=to_text(raw.get("name")),
            name_alt=to_text(raw.get("nameAlt") or raw.get("lname")),
            region=to_text(raw.get("region")),
            is_default=to_bool(raw.get("default")) or to_bool(raw.get("selected")),
        ))
    return items


@dataclass(frozen=True)
class Hotel:
    id: int
    name: str
    star: str = ""
    stars: int | None = None
    town_id: int | None = None
    star_id: int | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    website: str = ""


def parse_hotels(payload: Any) -> list[Hotel]:
    hotels = []
    for raw in as_list(payload):
        if not isinstance(raw, dict) or (hotel_id := to_int(raw.get("id"))) is None:
            continue
        hotels.append(Hotel(
            id=hotel_id,
            name=to_text(raw.get("name")),
            star=to_text(raw.get("star")),
            stars=stars_of(raw.get("star")),
            town_id=to_int(raw.get("townKey") or raw.get("town")),
            star_id=to_int(raw.get("starKey")),
            latitude=to_decimal(raw.get("latitude")),
            longitude=to_decimal(raw.get("longitude")),
            website=to_text(raw.get("www")),
        ))
    return hotels


@dataclass(frozen=True)
class CurrencyRate:
    currency_id: int | None
    code: str
    nominal: Decimal
    value: Decimal

    @property
    def per_unit(self) -> Decimal:
        return self.value / self.nominal if self.nominal else self.value


@dataclass(frozen=True)
class Currency:
    id: int
    name: str
    code: str
    rates: tuple[CurrencyRate, ...] = ()


def _parse_rates(payload: Any) -> tuple[CurrencyRate, ...]:
    rates = []
    for raw in as_list(payload):
        if not isinstance(raw, dict):
            continue
        value = to_decimal(raw.get("value") if "value" in raw else raw.get("rate"))
        if value is None or value <= 0:
            continue
        rates.append(CurrencyRate(
            currency_id=to_int(raw.get("id")),
            code=iso_code(raw.get("alias"), raw.get("name")),
            nominal=to_decimal(raw.get("nominal")) or Decimal(1),
            value=value,
        ))
    return tuple(rates)


def parse_currencies(payload: Any) -> list[Currency]:
    currencies = []
    for raw in as_list(payload):
        if not isinstance(raw, dict) or (currency_id := to_int(raw.get("id"))) is None:
            continue
        currencies.append(Currency(
            id=currency_id,
            name=to_text(raw.get("name")),
            code=iso_code(raw.get("alias"), raw.get("name")),
            rates=_parse_rates(raw.get("rates")),
        ))
    return currencies


def parse_rate(payload: Any) -> Decimal | None:
    """``Currency_RATES``: the rate of the first row, per one unit of the currency."""
    rates = _parse_rates(payload)
    return rates[0].per_unit if rates else None


def parse_checkin_days(payload: Any) -> list[dt.date]:
    """Both shapes seen: ``{"start": "YYYYMMDD", "valid": "0120…"}`` (a character per
    day from ``start``; anything but "0" is a departure day) and a list of items
    with ``checkin``."""
    if isinstance(payload, dict) and "start" in payload:
        start = to_date(payload.get("start") or payload.get("startDate"))
        valid = to_text(payload.get("valid") or payload.get("validDates"))
        if start is None:
            return []
        return [start + dt.timedelta(days=offset) for offset, flag in enumerate(valid) if flag not in "0 "]
    days = []
    for raw in as_list(payload):
        day = to_date(raw.get("checkin") or raw.get("checkIn") or raw.get("date")) if isinstance(raw, dict) else to_date(raw)
        if day is not None:
            days.append(day)
    return sorted(set(days))


def parse_nights(payload: Any) -> list[int]:
    values = payload.get("nights") if isinstance(payload, dict) else payload
    return sorted({n for n in (to_int(v) for v in as_list(values) if not isinstance(v, dict)) if n})


# --- Prices ------------------------------------------------------------------

AVAILABILITY_LABELS = {"Y": "yes", "R": "request", "N": "no", "F": "few"}


def availability_of(value: Any) -> str:
    """The worst letter of a room or seat status string ("YYYR" → "R"): one night on
    request makes the whole stay on request. "" when the operator says nothing."""
    letters = [ch for ch in to_text(value).upper() if ch in AVAILABILITY_LABELS]
    for worst in ("N", "R", "F", "Y"):
        if worst in letters:
            return worst
    return ""


@dataclass(frozen=True)
class PriceRow:
    """One offer of ``SearchTour_PRICES``. ``id`` is its key (and ``CATCLAIM``)."""

    id: str
    hotel_id: int | None
    hotel: str
    star: str
    stars: int | None
    town_id: int | None
    town: str
    tour_id: int | None
    tour: str
    check_in: dt.date | None
    check_out: dt.date | None
    nights: int | None
    hotel_nights: int | None
    adults: int | None
    children: int | None
    infants: int | None
    package: bool
    meal: str
    meal_id: int | None
    room: str
    room_id: int | None
    placement: str
    price: Decimal | None
    currency: str
    currency_id: int | None
    converted_price: Decimal | None
    converted_currency: str
    bookable: bool
    grouped: bool
    hotel_availability: str
    rooms: str
    flight_out: str
    flight_back: str
    raw: dict = field(default_factory=dict, compare=False, repr=False)


def _freights(raw: dict) -> tuple[str, str]:
    """Seats (outbound, return): ``out`` is the flight there, ``in`` the flight home."""
    freights = raw.get("freights")
    if not isinstance(freights, dict):
        return "", ""
    seats = freights.get("econom") or next((v for v in freights.values() if isinstance(v, dict)), {})
    if not isinstance(seats, dict):
        return "", ""
    return availability_of(seats.get("out")), availability_of(seats.get("in"))


def parse_price_row(raw: dict) -> PriceRow | None:
    row_id = to_text(raw.get("id"))
    if not row_id:
        return None
    converted, converted_currency = money_text(raw.get("convertedPrice"))
    flight_out, flight_back = _freights(raw)
    check_in = to_date(raw.get("checkIn") or raw.get("checkin"))
    nights = to_int(raw.get("nights"))
    check_out = to_date(raw.get("checkOut"))
    if check_out is None and check_in and nights:
        check_out = check_in + dt.timedelta(days=nights)
    packet_type = to_int(raw.get("packetType"))
    return PriceRow(
        id=row_id,
        hotel_id=to_int(raw.get("hotelKey")),
        hotel=to_text(raw.get("hotel")),
        star=to_text(raw.get("star")),
        stars=stars_of(raw.get("star")),
        town_id=to_int(raw.get("townKey")),
        town=to_text(raw.get("town")),
        tour_id=to_int(raw.get("tourKey")),
        tour=to_text(raw.get("tour")),
        check_in=check_in,
        check_out=check_out,
        nights=nights,
        hotel_nights=to_int(raw.get("hnights")),
        adults=to_int(raw.get("adult")),
        children=to_int(raw.get("child")),
        infants=to_int(raw.get("infant")),
        package=packet_type in (None, 0),
        meal=to_text(raw.get("meal")),
        meal_id=to_int(raw.get("mealKey")),
        room=to_text(raw.get("room")),
        room_id=to_int(raw.get("roomKey")),
        placement=to_text(raw.get("htPlace")),
        price=to_decimal(raw.get("price")),
        currency=to_text(raw.get("currency")).upper(),
        currency_id=to_int(raw.get("currencyKey")),
        converted_price=converted,
        converted_currency=converted_currency,
        bookable=to_bool(raw.get("bron")),
        grouped=to_bool(raw.get("grouped")),
        hotel_availability=to_text(raw.get("hotelAvailability")).upper(),
        rooms=availability_of(raw.get("hotelAvailability")),
        flight_out=flight_out,
        flight_back=flight_back,
        raw=raw,
    )


@dataclass(frozen=True)
class PricePage:
    rows: list[PriceRow]
    page: int
    pages: int
    more_coming: bool = False

    @property
    def empty(self) -> bool:
        return not self.rows


def parse_prices(payload: Any) -> PricePage:
    """``{"prices": [...], "pager": {"current", "total"}}``; no results may come as
    ``[]``, ``""``, or no pager. Rows come back sorted by price (cheapest first)."""
    if not isinstance(payload, dict):
        return PricePage(rows=[], page=1, pages=0)
    rows = [row for raw in as_list(payload.get("prices")) if isinstance(raw, dict) and (row := parse_price_row(raw))]
    rows.sort(key=lambda row: (row.price is None, row.price or 0))
    pager = payload.get("pager") if isinstance(payload.get("pager"), dict) else {}
    page = to_int(pager.get("current")) or 1
    pages = to_int(pager.get("total")) or (1 if rows else 0)
    return PricePage(rows=rows, page=page, pages=max(pages, page if rows else 0), more_coming=bool(payload.get("searchKey")))


# --- Flights and hotel details -------------------------------------------------


@dataclass(frozen=True)
class Flight:
    name: str
    company: str
    departure_port: str
    departure_time: str
    arrival_port: str
    arrival_time: str
    seats: str  # "yes" / "no" / "" from places[].status
    baggage: str


@dataclass(frozen=True)
class Route:
    date: dt.date | None
    source_town: str
    target_town: str
    flights: list[Flight]


def _port(raw: Any) -> tuple[str, str]:
    if not isinstance(raw, dict):
        return "", ""
    return to_text(raw.get("portAlias") or raw.get("port")), to_text(raw.get("time"))


def parse_freights(payload: Any) -> list[Route]:
    routes = []
    for raw_route in as_list(payload.get("routes") if isinstance(payload, dict) else payload):
        if not isinstance(raw_route, dict):
            continue
        info = raw_route.get("info") if isinstance(raw_route.get("info"), dict) else {}
        flights = []
        for raw in as_list(raw_route.get("freights")):
            if not isinstance(raw, dict):
                continue
            places = [p for p in as_list(raw.get("places")) if isinstance(p, dict)]
            statuses = {to_text(p.get("status")).lower() for p in places}
            seats = "yes" if "yesplace" in statuses else "no" if "noplace" in statuses else ""
            baggage = next((to_text(p.get("baggage")) for p in places if to_text(p.get("baggage"))), "")
            departure_port, departure_time = _port(raw.get("departure"))
            arrival_port, arrival_time = _port(raw.get("arrival"))
            flights.append(Flight(
                name=to_text(raw.get("name")), company=to_text(raw.get("transportCompany")),
                departure_port=departure_port, departure_time=departure_time,
                arrival_port=arrival_port, arrival_time=arrival_time, seats=seats, baggage=baggage,
            ))
        routes.append(Route(
            date=to_date(info.get("date")), source_town=to_text(info.get("sourceTown")),
            target_town=to_text(info.get("targetTown")), flights=flights,
        ))
    return routes


@dataclass(frozen=True)
class HotelDetails:
    id: int | None
    name: str
    address: str
    description: str
    latitude: Decimal | None
    longitude: Decimal | None
    attributes: list[str]
    rooms: list[str]
    photos: list[tuple[str, str]]


def _names(value: Any) -> list[str]:
    names = []
    for item in as_list(value):
        text = to_text(item.get("name") or item.get("title")) if isinstance(item, dict) else to_text(item)
        if text:
            names.append(text)
    return names


def parse_hotel_details(payload: Any) -> HotelDetails | None:
    if isinstance(payload, list):
        payload = payload[0] if payload else None
    if not isinstance(payload, dict) or is_empty(payload):
        return None
    return HotelDetails(
        id=to_int(payload.get("id")),
        name=to_text(payload.get("name")),
        address=to_text(payload.get("address")),
        description=to_text(payload.get("description")),
        latitude=to_decimal(payload.get("latitude")),
        longitude=to_decimal(payload.get("longitude")),
        attributes=_names(payload.get("attributes")),
        rooms=_names(payload.get("rooms")),
        photos=[(to_text(p.get("url")), to_text(p.get("note"))) for p in as_list(payload.get("photos"))
                if isinstance(p, dict) and to_text(p.get("url"))],
    )
