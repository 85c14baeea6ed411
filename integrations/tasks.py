"""Background jobs of the integrations; the schedule is in ``crystalbay/celery.py``."""

from celery import shared_task
from django.conf import settings

from integrations.retention import api_log_prune


@shared_task(name="integrations.api_log_prune")
def api_log_prune_task() -> int:
    return api_log_prune(older_than_days=settings.API_LOG_RETENTION_DAYS)
