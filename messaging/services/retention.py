"""How long a provider's raw delivery is kept on a message."""

from integrations.retention import BATCH_SIZE, retention_cutoff, rows_in_batches
from messaging.models import Message, Platform


def raw_payloads_clear(*, older_than_days: int, batch_size: int = BATCH_SIZE) -> int:
    """Blank the raw webhook payload (``Message.raw``: phone numbers, names, whatever
    the provider sent) of incoming messages older than ``older_than_days`` (0: keep
    all). The messages themselves, their text and status stay; so does what we wrote
    ourselves: a reply's keyboard, a website request's page and UTM tags. Returns
    how many were blanked."""
    cutoff = retention_cutoff(older_than_days)
    if cutoff is None:
        return 0
    return rows_in_batches(
        Message.objects.filter(direction=Message.Direction.IN, created_at__lt=cutoff)
        .exclude(platform=Platform.WEB).exclude(raw={}),
        change=lambda batch: batch.update(raw={}),
        batch_size=batch_size,
    )
