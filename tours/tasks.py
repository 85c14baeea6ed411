"""Periodic SAMO preload (scheduled in crystalbay/celery.py). Running twice does no
harm: each run refreshes the same cache entries."""

from celery import shared_task

from tours.models import SyncTrigger
from tours.services.sync import samo_sync


@shared_task(name="tours.samo_preload", acks_late=True)
def samo_preload(prices: bool = False) -> dict:
    run = samo_sync(prices=prices, trigger=SyncTrigger.SCHEDULE)
    return {"run": run.pk, "fetched": run.fetched, "failures": len(run.failures)}
