"""Background jobs of the inbox. Thin: each takes ids and calls one service;
the schedule of the sweep is in ``crystalbay/celery.py``."""

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings

from messaging.services.inbound import DRAIN_GRACE_SECONDS, inbound_drain
from messaging.services.outbound import message_send, replies_overdue_claim

logger = logging.getLogger(__name__)


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
        raise self.retry(countdown=outcome.retry_in, max_retries=settings.MESSAGING_SEND_RETRIES)
    return outcome.status


@shared_task(name="messaging.replies_sweep")
def replies_sweep_task() -> int:
    """Hand the replies whose try is overdue (the broker was down, a task was lost)
    to the sending task again; the schedule is ``MESSAGING_SEND_SWEEP_SECONDS``."""
    return len(replies_overdue_claim(overdue_after=dt.timedelta(seconds=settings.MESSAGING_SEND_SWEEP_SECONDS)))


@shared_task(bind=True, name="messaging.message_assist", soft_time_limit=settings.ASSISTANT_SOFT_TIME_LIMIT,
             time_limit=settings.ASSISTANT_TIME_LIMIT)
def message_assist_task(self, message_id: int) -> str:
    """The assistant's work on one inbound message (once per message, however often
    it runs). Each run is counted first; a failure is tried again with backoff until
    ``ASSISTANT_MAX_ATTEMPTS`` runs failed or were killed, and the message is then
    marked not understood. The message itself was stored and processed before, so
    nothing waits on this."""
    from messaging.assistant.services import assist_attempt_count, assist_give_up, message_assist

    attempt = assist_attempt_count(message_id=message_id)
    if not attempt:
        return "skipped"
    try:
        insight = message_assist(message_id=message_id)
    except Exception as exc:
        if self.request.is_eager:
            raise
        logger.exception("The assistant failed on message %s (attempt %s)", message_id, attempt)
        if attempt >= settings.ASSISTANT_MAX_ATTEMPTS:
            assist_give_up(message_id=message_id)
            return "not understood"
        raise self.retry(exc=exc, countdown=30 * 2 ** (attempt - 1), max_retries=None) from exc
    return insight.intent if insight else "skipped"


@shared_task(name="messaging.assist_sweep")
def assist_sweep_task() -> int:
    """Queue the assistant again for inbound messages a lost task left without it."""
    from messaging.assistant.services import assist_waiting

    waiting = assist_waiting()
    for message_id in waiting:
        message_assist_task.delay(message_id)
    return len(waiting)


@shared_task(name="messaging.draft_regenerate", soft_time_limit=settings.ASSISTANT_SOFT_TIME_LIMIT,
             time_limit=settings.ASSISTANT_TIME_LIMIT)
def draft_regenerate_task(message_id: int) -> str:
    """Another draft of one message, asked for by an agent."""
    from messaging.assistant.services import draft_rewrite

    draft = draft_rewrite(message_id=message_id)
    return draft.kind if draft else "skipped"


@shared_task(name="messaging.raw_payloads_clear")
def raw_payloads_clear_task() -> int:
    """Nightly: blank the raw provider payloads past WEBHOOK_PAYLOAD_RETENTION_DAYS."""
    from messaging.services.retention import raw_payloads_clear

    return raw_payloads_clear(older_than_days=settings.WEBHOOK_PAYLOAD_RETENTION_DAYS)
