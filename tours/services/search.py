"""Tour search: SAMO prices grouped per hotel, a hotel's group expanded, each
offer priced in the operator's currency and in tenge."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from integrations.samo import actions, records
from integrations.samo.actions import PriceQuery
from tours.services.cache import Fetched, samo_fetch
from tours.services.reference import DirectionOptions, Rate, direction_options, kzt_rate

DEFAULT_NIGHTS = (7, 10)
DEFAULT_LEAD_DAYS = 14
DEFAULT_WINDOW_DAYS = 7


@dataclass(frozen=True)
class Offer:
    row: records.PriceRow
    price_kzt: Decimal | None

    @property
    def key(self) -> str:
        return self.row.id


@dataclass(frozen=True)
class SearchResult:
    query: PriceQuery
    page: int
    pages: int
    offers: list[Offer]
    fetched: Fetched
    rate: Rate | None
    currency: str
    options: DirectionOptions | None = field(default=None, repr=False)

    @property
    def stale(self) -> bool:
        return self.fetched.stale

    @property
    def error(self):
        return self.fetched.error

    @property
    def demo(self) -> bool:
        return self.fetched.demo

    @property
    def age_seconds(self) -> int:
        return self.fetched.age_seconds

    @property
    def fetched_at(self) -> dt.datetime:
        return self.fetched.fetched_at


def default_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    start = (today or timezone.localdate()) + dt.timedelta(days=DEFAULT_LEAD_DAYS)
    return start, start + dt.timedelta(days=DEFAULT_WINDOW_DAYS)


def default_query(*, town_from: int, state: int, currency: int) -> PriceQuery:
    """The search the form starts with, and the one the preload warms."""
    beg, end = default_window()
    return PriceQuery(town_from=town_from, state=state, checkin_beg=beg, checkin_end=end,
                      nights_from=DEFAULT_NIGHTS[0], nights_till=DEFAULT_NIGHTS[1], adults=2, currency=currency)


def _result(query: PriceQuery, fetched: Fetched, options: DirectionOptions | None) -> SearchResult:
    page = records.parse_prices(fetched.payload)
    currency = options.currency(query.currency) if options else None
    rate = kzt_rate(currency=currency, options=options) if options else None
    offers = [Offer(row=row, price_kzt=rate.to_kzt(row.price) if rate and row.currency in ("", rate.currency) else None)
              for row in page.rows]
    code = currency.code if currency else (page.rows[0].currency if page.rows else "")
    return SearchResult(query=query, page=page.page, pages=page.pages, offers=offers, fetched=fetched, rate=rate,
                        currency=code, options=options)


def tour_search(query: PriceQuery, *, page: int = 1, refresh: bool = False,
                options: DirectionOptions | None = None) -> SearchResult:
    """One page of offers, the cheapest per hotel, cheapest first. Raises
    ``SamoError`` only when SAMO fails and nothing was ever cached for this search."""
    options = options or direction_options(town_from=query.town_from, state=query.state)
    fetched = samo_fetch(actions.PRICES, query.params(page=page), refresh=refresh)
    return _result(query, fetched, options)


def tour_group(query: PriceQuery, *, row_id: str, hotel_id: int, options: DirectionOptions | None = None) -> SearchResult:
    """Every offer of one hotel's group (other rooms, meals, dates and nights)."""
    options = options or direction_options(town_from=query.town_from, state=query.state)
    fetched = samo_fetch(actions.PRICES, query.expand_params(row_id=row_id, hotel_id=hotel_id))
    return _result(query, fetched, options)


def offer_find(query: PriceQuery, *, offer_key: str, page: int = 1, group: tuple[str, int] | None = None
               ) -> tuple[Offer, SearchResult] | None:
    """The offer as SAMO priced it for this search (the same cached answer the page
    showed, or a fresh one when that has expired), or None when it is gone."""
    result = tour_group(query, row_id=group[0], hotel_id=group[1]) if group else tour_search(query, page=page)
    offer = next((offer for offer in result.offers if offer.key == offer_key), None)
    return (offer, result) if offer else None
