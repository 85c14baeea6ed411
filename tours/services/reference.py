"""Reference data for the search form (departure cities, countries, resorts,
hotels, meals, stars, currencies) and tenge rates, all read through the cache."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from integrations.samo import actions, records
from integrations.samo.actions import direction_params
from tours.models import KztRate, RateSource
from tours.services.cache import Fetched, samo_fetch, samo_fetch_many


def departure_cities() -> tuple[list[records.RefItem], Fetched]:
    fetched = samo_fetch(actions.TOWNFROMS)
    return records.parse_ref_items(fetched.payload), fetched


def countries(*, town_from: int) -> tuple[list[records.RefItem], Fetched]:
    fetched = samo_fetch(actions.STATES, {"TOWNFROMINC": town_from})
    return records.parse_ref_items(fetched.payload), fetched


@dataclass(frozen=True)
class DirectionOptions:
    """What can be chosen for one departure city and country."""

    resorts: list[records.RefItem]
    hotels: list[records.Hotel]
    meals: list[records.RefItem]
    stars: list[records.RefItem]
    currencies: list[records.Currency]
    fetched: list[Fetched]

    def currency(self, currency_id: int) -> records.Currency | None:
        return next((c for c in self.currencies if c.id == currency_id), None)

    @property
    def default_currency(self) -> records.Currency | None:
        """The operator's currency for the direction: USD for Vietnam, else the first non-tenge one."""
        by_code = {c.code: c for c in self.currencies}
        return by_code.get("USD") or next((c for c in self.currencies if c.code != "KZT"), None) or (
            self.currencies[0] if self.currencies else None
        )


def direction_options(*, town_from: int, state: int) -> DirectionOptions:
    params = direction_params(town_from, state)
    wanted = (actions.TOWNS, actions.HOTELS, actions.MEALS, actions.STARS, actions.CURRENCIES)
    fetched = dict(zip(wanted, samo_fetch_many([(action, params) for action in wanted]), strict=True))
    return DirectionOptions(
        resorts=records.parse_ref_items(fetched[actions.TOWNS].payload),
        hotels=sorted(records.parse_hotels(fetched[actions.HOTELS].payload), key=lambda h: (-(h.stars or 0), h.name)),
        meals=records.parse_ref_items(fetched[actions.MEALS].payload),
        stars=records.parse_ref_items(fetched[actions.STARS].payload),
        currencies=records.parse_currencies(fetched[actions.CURRENCIES].payload),
        fetched=list(fetched.values()),
    )


@dataclass(frozen=True)
class Rate:
    """Tenge for one unit of ``currency``, and where the figure comes from."""

    currency: str
    value: Decimal
    source: str
    as_of: dt.datetime | None

    @property
    def source_label(self) -> str:
        return RateSource(self.source).label

    def to_kzt(self, amount: Decimal | None) -> Decimal | None:
        if amount is None:
            return None
        return (amount * self.value).quantize(Decimal("1"))


def kzt_rate(*, currency: records.Currency | None, options: DirectionOptions) -> Rate | None:
    """SAMO's own rate (``SearchTour_CURRENCIES`` rates to KZT) first, else the rate
    an admin has set, else none (prices are then shown in the operator's currency only)."""
    if currency is None:
        return None
    if currency.code == "KZT":
        return Rate(currency="KZT", value=Decimal(1), source=RateSource.SAMO, as_of=None)
    kzt_ids = {c.id for c in options.currencies if c.code == "KZT"}
    for rate in currency.rates:
        if rate.code == "KZT" or rate.currency_id in kzt_ids:
            fetched_at = next(f.fetched_at for f in options.fetched if f.action == actions.CURRENCIES)
            return Rate(currency=currency.code, value=rate.per_unit, source=RateSource.SAMO, as_of=fetched_at)
    admin_rate = KztRate.objects.filter(currency=currency.code).first() if currency.code else None
    if admin_rate is not None:
        return Rate(currency=currency.code, value=admin_rate.rate, source=RateSource.ADMIN, as_of=admin_rate.updated_at)
    return None
