"""Background work of analytics: writing a period's summary with the model.
Thin: the service claims the row, so running twice writes it once."""

import random

from celery import shared_task
from django.conf import settings

from analytics import services
from integrations.openai import errors as openai_errors

BACKOFF_SECONDS = 10


@shared_task(bind=True, name="analytics.summary_write", acks_late=True)
def write_summary(self, summary_id: int) -> str:
    try:
        summary = services.summary_write(summary_id=summary_id)
    except openai_errors.OpenAIError as exc:  # only transient failures come out of the service
        if self.request.retries >= settings.ANALYTICS_SUMMARY_RETRIES:
            services.summary_give_up(summary_id=summary_id, error=str(exc))
            return "failed"
        if self.request.is_eager:
            # In-process (no broker: a laptop, the tests) Celery's retry would raise into the page: try again now.
            return write_summary.apply(args=(summary_id,), retries=self.request.retries + 1).result
        countdown = BACKOFF_SECONDS * 2 ** self.request.retries * random.uniform(0.5, 1.5)  # noqa: S311
        retry_after = getattr(exc, "retry_after", None) or 0
        raise self.retry(exc=exc, countdown=max(countdown, retry_after)) from exc
    return "claimed elsewhere" if summary is None else summary.status
