"""The preload: SAMO reference data for the configured departure cities ×
countries, and optionally the default price search of each, fetched afresh into
the cache. Every failure is recorded on the ``SamoSyncRun`` for admins."""

import logging

from django.conf import settings
from django.utils import timezone

from integrations.samo import actions, errors, records
from integrations.samo.actions import direction_params
from tours.models import SamoSyncRun
from tours.services.cache import Fetched, samo_fetch
from tours.services.reference import direction_options
from tours.services.search import default_query, tour_search

logger = logging.getLogger(__name__)
DIRECTION_ACTIONS = (actions.TOWNS, actions.HOTELS, actions.MEALS, actions.STARS, actions.CURRENCIES, actions.CHECKIN)


def _configured(items: list[records.RefItem], wanted: list[str]) -> tuple[list[records.RefItem], list[str]]:
    found, missing = [], []
    for name in wanted:
        match = next((item for item in items if item.matches(name)), None)
        if match is None:
            missing.append(name)
        elif match not in found:
            found.append(match)
    return found, missing


class _Run:
    def __init__(self, run: SamoSyncRun):
        self.run = run

    def fail(self, action: str, params: dict, error: str) -> None:
        self.run.failures.append({"action": action, "params": params, "error": error, "at": timezone.now().isoformat()})

    def fetch(self, action: str, params: dict | None = None) -> Fetched | None:
        params = params or {}
        if action == actions.CHECKIN:
            params = {**params, "ADULT": 2, "CHILD": 0}
        try:
            fetched = samo_fetch(action, params, refresh=True)
        except errors.SamoError as exc:
            self.fail(action, params, str(exc))
            return None
        if fetched.error is not None:
            self.fail(action, params, str(fetched.error))
            return None
        self.run.fetched += 1
        return fetched


def samo_sync(*, prices: bool = False, trigger: str) -> SamoSyncRun:
    """Fetch departure cities, then for each configured city its countries, then for
    each configured country its resorts, hotels, meals, stars, currencies and
    check-in days (and, with ``prices``, the first page of the default search).
    A failure of one call is recorded and the others go on."""
    run = SamoSyncRun.objects.create(trigger=trigger, with_prices=prices)
    job = _Run(run)
    try:
        fetched = job.fetch(actions.TOWNFROMS)
        cities, missing = _configured(records.parse_ref_items(fetched.payload) if fetched else [],
                                      settings.SAMO_DEPARTURE_CITIES)
        for name in missing if fetched else []:
            job.fail(actions.TOWNFROMS, {}, f"departure city “{name}” is not offered by SAMO")
        for city in cities:
            fetched = job.fetch(actions.STATES, {"TOWNFROMINC": city.id})
            if fetched is None:
                continue
            countries, missing = _configured(records.parse_ref_items(fetched.payload), settings.SAMO_COUNTRIES)
            for name in missing:
                job.fail(actions.STATES, {"TOWNFROMINC": city.id}, f"country “{name}” is not offered from {city.name}")
            for country in countries:
                results = [job.fetch(action, direction_params(city.id, country.id)) for action in DIRECTION_ACTIONS]
                if prices and all(results):
                    _warm_prices(job, city, country)
    finally:
        run.finished_at = timezone.now()
        run.save()
    if run.failures:
        logger.warning("SAMO preload %s: %s failure(s), first: %s", run.pk, len(run.failures), run.failures[0])
    return run


def _warm_prices(job: _Run, city: records.RefItem, country: records.RefItem) -> None:
    options = direction_options(town_from=city.id, state=country.id)
    currency = options.default_currency
    if currency is None:
        job.fail(actions.PRICES, direction_params(city.id, country.id), "SAMO lists no currency for this direction")
        return
    query = default_query(town_from=city.id, state=country.id, currency=currency.id)
    try:
        result = tour_search(query, refresh=True, options=options)
    except errors.SamoError as exc:
        job.fail(actions.PRICES, query.params(), str(exc))
        return
    if result.error is not None:
        job.fail(actions.PRICES, query.params(), str(result.error))
    else:
        job.run.fetched += 1
