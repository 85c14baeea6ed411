"""Real offers for what a tourist asked: ``TripRequest`` (what a tour search
needs, from a message's extraction, a lead, or the bot's answers) and
``offers_for`` (a few concrete SAMO offers, through the tour search service and
its cache).

Nothing here invents an offer or a price: every ``OfferLine`` is a row SAMO
returned for the search, and when SAMO fails with nothing cached the pick says
so (``error``) and holds no offers. What the search had to assume (a departure
city, two adults, 7–10 nights) is listed in ``assumptions`` so the reply can
say it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.samo import records
from integrations.samo.actions import PriceQuery
from integrations.samo.errors import SamoError
from messaging.assistant.extraction import TravelFields
from tours.services.reference import countries, departure_cities, direction_options
from tours.services.search import DEFAULT_NIGHTS, Offer, SearchResult, tour_search

logger = logging.getLogger(__name__)

DEFAULT_DEPARTURE = "Almaty"
DEFAULT_ADULTS = 2
DEFAULT_CHILD_AGE = 7
# A span of dates this short with no nights said is the trip itself ("с 10 по 20 июня").
TRIP_SPAN_DAYS = 21
# How far around a trip's first day the check-in may move to find flights.
CHECKIN_SLACK_DAYS = 2

# Canonical names (as the extractor gives them) → the Russian names SAMO's
# catalogue uses, for reference items that carry only a Russian name.
RUSSIAN_NAMES = {
    "Almaty": "Алматы", "Astana": "Астана",
    "Vietnam": "Вьетнам", "Thailand": "Таиланд", "Turkey": "Турция", "UAE": "ОАЭ", "Egypt": "Египет",
    "China": "Китай",
    "Nha Trang": "Нячанг", "Cam Ranh": "Камрань", "Phu Quoc": "Фукуок", "Da Nang": "Дананг",
    "Phan Thiet": "Фантьет", "Mui Ne": "Муйне", "Hoi An": "Хойан", "Ho Chi Minh City": "Хошимин",
    "Hanoi": "Ханой", "Ha Long": "Халонг", "Phuket": "Пхукет",
}


def _find(items: list[records.RefItem], canonical: str | None) -> records.RefItem | None:
    if not canonical:
        return None
    names = [canonical, RUSSIAN_NAMES.get(canonical, "")]
    return next((item for item in items for name in names if name and item.matches(name)), None)


@dataclass
class TripRequest(TravelFields):
    """What a tour search needs; None for what nobody said yet."""

    @classmethod
    def from_extraction(cls, extraction) -> TripRequest:
        return cls(**{f.name: getattr(extraction, f.name) for f in fields(TravelFields)})

    @classmethod
    def from_lead(cls, lead) -> TripRequest:
        return cls(
            destination_country=lead.destination_country or None, destination_resort=lead.destination_resort or None,
            departure_city=lead.departure_city or None, date_from=lead.date_from, date_to=lead.date_to,
            nights_from=lead.nights_from, nights_to=lead.nights_to, adults=lead.adults or None,
            children=lead.children, children_ages=list(lead.children_ages or []) or None,
            budget_amount=lead.budget, budget_currency=lead.budget_currency if lead.budget is not None else None,
        )

    def merged(self, other: TripRequest) -> TripRequest:
        """This request with everything ``other`` says on top (its said values win)."""
        return replace(self, **{f.name: value for f in fields(other)
                                if (value := getattr(other, f.name)) not in (None, [])})

    def missing(self) -> list[str]:
        """What a search cannot go without: "destination", "dates"."""
        wanted = []
        if not (self.destination_country or self.destination_resort):
            wanted.append("destination")
        if not self.date_from:
            wanted.append("dates")
        return wanted

    def nights(self) -> tuple[int, int]:
        if self.nights_from or self.nights_to:
            low = self.nights_from or self.nights_to
            return low, max(low, self.nights_to or low)
        if self.date_from and self.date_to and 0 < (self.date_to - self.date_from).days <= TRIP_SPAN_DAYS:
            span = (self.date_to - self.date_from).days
            return span, span
        return DEFAULT_NIGHTS

    def checkin_window(self, *, today: dt.date) -> tuple[dt.date, dt.date]:
        """When the tour may start: the trip's first day (give or take a couple of
        days) for a short span, else any day of the window that still leaves the nights."""
        tomorrow = today + dt.timedelta(days=1)
        first = max(self.date_from, tomorrow)
        last = self.date_to or self.date_from
        span = (last - self.date_from).days
        if not (self.nights_from or self.nights_to) and 0 < span <= TRIP_SPAN_DAYS:
            slack = dt.timedelta(days=CHECKIN_SLACK_DAYS)
            return max(tomorrow, self.date_from - slack), max(tomorrow, self.date_from + slack)
        nights = self.nights()[0]
        latest = last - dt.timedelta(days=nights) if span > nights else last
        return first, max(first, latest)


@dataclass(frozen=True)
class OfferLine:
    """One offer as a reply shows it, and the SAMO offer it came from."""

    key: str
    hotel: str
    stars: str
    resort: str
    checkin: dt.date
    nights: int
    meal: str
    room: str
    price: Decimal
    currency: str
    price_kzt: Decimal | None
    offer: Offer = field(repr=False, compare=False)

    @classmethod
    def of(cls, offer: Offer) -> OfferLine:
        row = offer.row
        return cls(key=row.id, hotel=row.hotel, stars=row.star or (f"{row.stars}*" if row.stars else ""),
                   resort=row.town, checkin=row.check_in, nights=row.nights, meal=row.meal, room=row.room,
                   price=row.price, currency=row.currency, price_kzt=offer.price_kzt, offer=offer)

    def as_dict(self) -> dict:
        return {"key": self.key, "hotel": self.hotel, "stars": self.stars, "resort": self.resort,
                "checkin": self.checkin.isoformat(), "nights": self.nights, "meal": self.meal, "room": self.room,
                "price": str(self.price), "currency": self.currency,
                "price_kzt": None if self.price_kzt is None else str(self.price_kzt)}


@dataclass
class OfferPick:
    offers: list[OfferLine] = field(default_factory=list)
    query: PriceQuery | None = None
    result: SearchResult | None = None
    error: str = ""
    assumptions: list[str] = field(default_factory=list)
    over_budget: bool = False  # nothing fitted the budget: these are the cheapest there are
    stale: bool = False  # SAMO failed; these come from its last answer

    @property
    def found(self) -> bool:
        return bool(self.offers)


def _budget_fits(line: OfferLine, trip: TripRequest) -> bool:
    if trip.budget_amount is None:
        return True
    currency = (trip.budget_currency or "KZT").upper()
    if currency == "KZT":
        return line.price_kzt is None or line.price_kzt <= trip.budget_amount
    return line.currency.upper() != currency or line.price <= trip.budget_amount


def _query(trip: TripRequest, *, today: dt.date, assumptions: list[str]) -> tuple[PriceQuery, object] | str:
    """The search, or why there is none (translated)."""
    cities, _fetched = departure_cities()
    city = _find(cities, trip.departure_city)
    if city is None:
        city = _find(cities, DEFAULT_DEPARTURE) or next(iter(cities), None)
        if city is None:
            return _("The operator lists no departure cities right now.")
        assumptions.append(_("departure from %(city)s") % {"city": city.name})
    states, _fetched = countries(town_from=city.id)
    country = _find(states, trip.destination_country or ("Vietnam" if trip.destination_resort else None))
    if country is None:
        return _("The operator has no tours from %(city)s to %(country)s.") % {
            "city": city.name, "country": trip.destination_country or trip.destination_resort}
    options = direction_options(town_from=city.id, state=country.id)
    resort = _find(options.resorts, trip.destination_resort)
    currency = options.default_currency
    if currency is None:
        return _("The operator gives no currency for this direction.")
    adults = trip.adults or DEFAULT_ADULTS
    if not trip.adults:
        assumptions.append(_("%(count)s adults") % {"count": adults})
    children = trip.children or 0
    ages = list(trip.children_ages or [])[:children]
    if len(ages) < children:
        assumptions.append(_("children's ages taken as %(age)s") % {"age": DEFAULT_CHILD_AGE})
        ages += [DEFAULT_CHILD_AGE] * (children - len(ages))
    nights_from, nights_till = trip.nights()
    if not (trip.nights_from or trip.nights_to) and (nights_from, nights_till) == DEFAULT_NIGHTS:
        assumptions.append(_("%(low)s–%(high)s nights") % {"low": nights_from, "high": nights_till})
    beg, end = trip.checkin_window(today=today)
    query = PriceQuery(town_from=city.id, state=country.id, checkin_beg=beg, checkin_end=end,
                       nights_from=nights_from, nights_till=nights_till, adults=adults, children=children,
                       ages=tuple(ages), towns=(resort.id,) if resort else (), currency=currency.id)
    return query, options


def offers_for(trip: TripRequest, *, limit: int = 3, skip: int = 0, today: dt.date | None = None) -> OfferPick:
    """Up to ``limit`` offers of distinct hotels, cheapest first, within the budget
    when one was said (else the cheapest, flagged ``over_budget``); ``skip`` the
    first ones ("another draft": the next hotels, from the start again when none are left)."""
    today = today or timezone.localdate()
    if trip.missing():
        return OfferPick()
    pick = OfferPick()
    try:
        planned = _query(trip, today=today, assumptions=pick.assumptions)
        if isinstance(planned, str):
            pick.error = planned
            return pick
        pick.query, options = planned
        pick.result = tour_search(pick.query, options=options)
    except SamoError as exc:
        logger.warning("No offers for the assistant: %s", exc)
        pick.error = str(exc)
        return pick
    pick.stale = pick.result.stale
    lines, hotels = [], set()
    for offer in pick.result.offers:
        row = offer.row
        if row.price is None or row.check_in is None or row.nights is None or row.hotel in hotels:
            continue
        hotels.add(row.hotel)
        lines.append(OfferLine.of(offer))
    lines.sort(key=lambda line: line.price)
    fitting = [line for line in lines if _budget_fits(line, trip)]
    pick.over_budget = bool(lines) and not fitting
    chosen = fitting or lines
    if skip >= len(chosen):
        skip = 0
    pick.offers = chosen[skip:skip + limit]
    return pick
