"""Background jobs of the inbox. Thin: each takes ids and calls one service;
the schedule of the sweep is in ``crystalbay/celery.py``."""

import random

from celery import shared_task
from django.conf import settings

from messaging.services.inbound import DRAIN_GRACE_SECONDS, inbound_drain
from messaging.services.outbound import message_send


@shared_task(bind=True, name="messaging.inbound_drain")
def inbound_drain_task(self) -> int:
    """Match, link and record every stored inbound message still waiting (each
    once, however often it runs); queued by the webhooks and run periodically.
    In-process (no broker) nothing else runs meanwhile, so there is no grace wait."""
    return inbound_drain(grace=0 if self.request.is_eager else DRAIN_GRACE_SECONDS)


@shared_task(bind=True, name="messaging.message_send")
def message_send_task(self, message_id: int) -> str:
    """Send one reply; a transient failure comes back with exponential backoff and
    jitter, at most ``MESSAGING_SEND_RETRIES`` times."""
    retries = self.request.retries or 0
    outcome = message_send(message_id=message_id, last_try=retries >= settings.MESSAGING_SEND_RETRIES,
                           attempt=retries)
    if outcome.retry_in is not None:
        if self.request.is_eager:
            # In-process (no broker): try again now rather than raise out of the caller's request.
            return self.apply(args=(message_id,), retries=retries + 1).result
        raise self.retry(countdown=outcome.retry_in * random.uniform(0.8, 1.2),
                         max_retries=settings.MESSAGING_SEND_RETRIES)
    return outcome.status
