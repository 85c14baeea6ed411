"""Background jobs of the CRM. Thin: each calls one service; schedules are in
``crystalbay/celery.py``."""

import logging
import smtplib

from celery import shared_task

from crm.services.sla import sla_breaches_record
from crm.services.tasks import notification_email_send, task_reminders_send

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError), retry_backoff=30, retry_backoff_max=1800, retry_jitter=True,
    max_retries=6,
)
def notification_email(notification_id: int) -> bool:
    """Mail one notification; transient SMTP and network errors retry with backoff."""
    return notification_email_send(notification_id=notification_id)


def _mail_later(notification_ids: list[int]) -> None:
    for notification_id in notification_ids:
        notification_email.delay(notification_id)


@shared_task
def send_task_reminders() -> int:
    """Remind people of tasks falling due (in-app, and by mail when configured)."""
    to_mail = task_reminders_send()
    _mail_later(to_mail)
    logger.info("Task reminders: %d to mail", len(to_mail))
    return len(to_mail)


@shared_task
def record_sla_breaches() -> int:
    """Record SLA breaches and tell the agents and managers, once per breach."""
    to_mail = sla_breaches_record()
    _mail_later(to_mail)
    return len(to_mail)
