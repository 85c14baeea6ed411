"""Background jobs of the integrations app. Thin: each calls one service; the
schedules are in ``crystalbay/celery.py``."""

from celery import shared_task
from django.conf import settings

from integrations.backups import backup_create
from integrations.retention import api_log_prune

BACKUP_RETRY_SECONDS = 1800


@shared_task(bind=True, name="integrations.backup_nightly", time_limit=3000, soft_time_limit=2900)
def backup_nightly(self) -> dict:
    """The nightly backup with clean-up of old ones. A failure (logged and recorded
    by the service) is tried again half an hour later, at most ``BACKUP_RETRIES`` times."""
    try:
        run = backup_create()
    except Exception as exc:
        raise self.retry(exc=exc, countdown=BACKUP_RETRY_SECONDS, max_retries=settings.BACKUP_RETRIES) from exc
    return {"run": run.pk, "files": run.files}


@shared_task(name="integrations.api_log_prune")
def api_log_prune_task() -> int:
    return api_log_prune(older_than_days=settings.API_LOG_RETENTION_DAYS)
