"""Everything analytics writes: post-trip survey answers, marketing spend,
and the written summaries of a period (requested by the page, written by a
Celery task)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.models import MarketingSpend, PeriodSummary, SurveyResponse
from analytics.selectors.scope import local_zone, today_local
from analytics.summary import SCHEMA, model_messages, rule_summary, summary_key
from crm import access
from crm.models import Order, OrderStatus
from integrations.openai import client as openai_client
from integrations.openai import errors as openai_errors
from integrations.openai.grounding import invented_numbers

logger = logging.getLogger(__name__)

# A summary left "running" this long was being written by a worker that died.
STALE_RUN = dt.timedelta(minutes=10)


# --- Surveys and spend -----------------------------------------------------------------


def can_record_surveys(user) -> bool:
    return access.is_supervisor(user) or access.is_agent(user)


def can_enter_spend(user) -> bool:
    return access.is_supervisor(user)


def survey_orders_for(user) -> QuerySet[Order]:
    """Orders whose trip is over, not cancelled, that ``user`` may record an answer for: a
    supervisor's any, an agent's their own (an accountant's none)."""
    if not can_record_surveys(user):
        return Order.objects.none()
    orders = Order.objects.exclude(status=OrderStatus.CANCELLED).filter(date_to__lte=today_local())
    if not access.is_supervisor(user):
        orders = orders.filter(assignee=user)
    return orders.select_related("client").order_by("-date_to", "-id")


@transaction.atomic
def survey_response_record(*, user, order: Order, score: int, comment: str = "",
                           responded_on: dt.date) -> SurveyResponse:
    """Record the client's post-trip score (0–10) for an order: one answer per
    order, a second record corrects the first. Only for a finished trip the
    person may record for."""
    if not survey_orders_for(user).filter(pk=order.pk).exists():
        raise PermissionDenied(_("You may not record a survey answer for this order."))
    if not 0 <= score <= 10:
        raise ValidationError(_("The score is a whole number from 0 to 10."))
    answered_at = dt.datetime.combine(responded_on, dt.time(12), local_zone())
    response, _created = SurveyResponse.objects.select_for_update().update_or_create(
        order=order, defaults={"score": score, "comment": comment.strip(), "responded_at": answered_at,
                               "recorded_by": user},
    )
    return response


@transaction.atomic
def marketing_spend_save(*, user, month: dt.date, channel: str, amount_kzt: Decimal, note: str = "") -> MarketingSpend:
    """Set what was spent on ``channel`` in ``month`` (a second entry for the same month and channel replaces it)."""
    if not can_enter_spend(user):
        raise PermissionDenied(_("Only managers and admins enter marketing spend."))
    if amount_kzt < 0:
        raise ValidationError(_("Spend cannot be negative."))
    spend, _created = MarketingSpend.objects.select_for_update().update_or_create(
        month=month.replace(day=1), channel=channel,
        defaults={"amount_kzt": amount_kzt, "note": note.strip(), "entered_by": user},
    )
    return spend


# --- Summaries -------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryView:
    """What the page shows: the text, whether the model wrote it, and whether its text is on its way."""

    text: str
    by_model: bool
    pending: bool = False
    failed: bool = False
    model: str = ""
    key: str = ""


def _summary_view(summary: PeriodSummary) -> SummaryView:
    if summary.status == PeriodSummary.Status.READY:
        return SummaryView(text=summary.text, by_model=True, model=summary.model, key=summary.key)
    failed = summary.status == PeriodSummary.Status.FAILED
    return SummaryView(text=rule_summary(summary.figures), by_model=False, pending=not failed, failed=failed,
                       key=summary.key)


def summary_for(*, figures: dict[str, Any], language: str) -> SummaryView:
    """The model's summary of these figures once it is written; until then (or
    without a model, or when it failed) the plain one. The first request for
    a set of figures asks a Celery task to write it."""
    if not openai_client.configured():
        return SummaryView(text=rule_summary(figures), by_model=False)
    key = summary_key(figures, language=language, model=settings.OPENAI_MODEL)
    summary, created = PeriodSummary.objects.get_or_create(key=key, defaults={"figures": figures, "language": language})
    if created:
        transaction.on_commit(lambda: _hand_over(summary.pk))
    return _summary_view(summary)


def _hand_over(summary_id: int) -> None:
    """Ask the worker to write the summary; with the broker down, forget the
    request, so that a later visit asks again (the page shows the plain one)."""
    from analytics.tasks import write_summary  # the task module imports this one

    try:
        write_summary.delay(summary_id)
    except Exception:
        logger.exception("Could not queue the summary %s; the next visit asks again", summary_id)
        PeriodSummary.objects.filter(pk=summary_id, status=PeriodSummary.Status.PENDING).delete()


def summary_by_key(*, key: str) -> SummaryView | None:
    """A summary the page asked for, as it stands now (polled while it is being written)."""
    summary = PeriodSummary.objects.filter(key=key).first()
    return None if summary is None else _summary_view(summary)


def summary_write(*, summary_id: int) -> PeriodSummary | None:
    """Ask the model for one summary. Claimed first (waiting → being written),
    so two workers never write the same one; a transient failure puts it back
    to waiting and is raised for the task to try again later; any other
    failure, or an answer holding a number that is not among the figures,
    marks it failed (the page keeps the plain summary)."""
    stale = timezone.now() - STALE_RUN
    claimable = Q(status=PeriodSummary.Status.PENDING) | Q(status=PeriodSummary.Status.RUNNING, updated_at__lt=stale)
    claimed = PeriodSummary.objects.filter(claimable, pk=summary_id).update(
        status=PeriodSummary.Status.RUNNING, attempts=F("attempts") + 1, updated_at=timezone.now(),
    )
    if not claimed:
        return None
    summary = PeriodSummary.objects.get(pk=summary_id)
    try:
        answer = openai_client.openai_request(
            action="analytics_summary", messages=model_messages(summary.figures, language=summary.language),
            json_schema=SCHEMA, schema_name="period_summary", temperature=0.2,
        )
        text = re.sub(r"[ \t\r\n]+", " ", str(answer.data["summary"])).strip()  # no-break spaces stay
        if not text:
            raise openai_errors.OpenAIBadResponse("empty summary")
        if invented := invented_numbers(text, summary.figures):
            raise openai_errors.OpenAIBadResponse(f"numbers not among the figures: {', '.join(sorted(invented))}")
    except openai_errors.OpenAIError as exc:
        status = PeriodSummary.Status.PENDING if exc.transient else PeriodSummary.Status.FAILED
        PeriodSummary.objects.filter(pk=summary_id).update(status=status, error=str(exc)[:1000],
                                                           updated_at=timezone.now())
        logger.warning("Summary %s not written (attempt %s): %s", summary_id, summary.attempts, exc)
        if exc.transient:
            raise
        summary.refresh_from_db()
        return summary
    summary.text, summary.model, summary.status, summary.error = text, answer.model, PeriodSummary.Status.READY, ""
    summary.save(update_fields=["text", "model", "status", "error", "updated_at"])
    return summary


def summary_give_up(*, summary_id: int, error: str) -> None:
    """After the last try of a transient failure: the page keeps the plain summary."""
    PeriodSummary.objects.filter(pk=summary_id).exclude(status=PeriodSummary.Status.READY).update(
        status=PeriodSummary.Status.FAILED, error=error[:1000], updated_at=timezone.now(),
    )
