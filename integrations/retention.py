"""Keeping rows only as long as the settings say, and the API log's rule.

Old rows go in batches, each its own short statement and transaction: a
night's backlog never becomes one giant DELETE that holds locks and bloats
the write-ahead log while the webhooks keep writing."""

import datetime as dt
from collections.abc import Callable

from django.db.models import QuerySet
from django.utils import timezone

from integrations.models import ApiLog

BATCH_SIZE = 2000


def retention_cutoff(days: int) -> dt.datetime | None:
    """The moment before which rows are too old; None when ``days`` keeps them forever (0)."""
    return timezone.now() - dt.timedelta(days=days) if days > 0 else None


def rows_in_batches(queryset: QuerySet, *, change: Callable[[QuerySet], int], batch_size: int = BATCH_SIZE) -> int:
    """Apply ``change`` to the rows of ``queryset``, ``batch_size`` at a time, until
    none is left; ``change`` must take a row out of ``queryset`` (delete it, blank
    what selected it). Returns how many rows it changed."""
    total = 0
    while pks := list(queryset.order_by().values_list("pk", flat=True)[:batch_size]):
        total += change(queryset.model._default_manager.filter(pk__in=pks))
    return total


def api_log_prune(*, older_than_days: int, batch_size: int = BATCH_SIZE) -> int:
    """Delete the API log's rows older than ``older_than_days`` (0: keep all); returns how many."""
    cutoff = retention_cutoff(older_than_days)
    if cutoff is None:
        return 0
    return rows_in_batches(
        ApiLog.objects.filter(created_at__lt=cutoff), change=lambda batch: batch.delete()[0], batch_size=batch_size
    )
