"""Outgoing e-mail through Django's mail backend (SendGrid's v3 API through
django-sendgrid-v5 when ``SENDGRID_API_KEY`` is set, else ``EMAIL_URL``): one
function, ``email_send``, that logs each send like the other providers' calls and
says whether a failure is worth trying again."""

import logging
import smtplib
import time

from django.conf import settings
from django.core.mail import EmailMessage
from python_http_client.exceptions import HTTPError

from integrations.http import ProviderError
from integrations.models import ApiLog
from integrations.registry import redact

logger = logging.getLogger(__name__)
SERVICE = "email"


def _failure(exc: Exception) -> ProviderError:
    if isinstance(exc, HTTPError):
        status = getattr(exc, "status_code", None) or 0
        body = getattr(exc, "body", b"")
        text = body.decode(errors="replace")[:300] if isinstance(body, bytes) else str(body)[:300]
        return ProviderError(text or f"HTTP {status}", service=SERVICE, status_code=status,
                             transient=status == 429 or status >= 500)
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return ProviderError(str(exc), service=SERVICE, transient=False)
    if isinstance(exc, smtplib.SMTPException | OSError):
        return ProviderError(str(exc) or type(exc).__name__, service=SERVICE, transient=True)
    return ProviderError(f"{type(exc).__name__}: {exc}", service=SERVICE)


def email_send(*, to: str, subject: str, body: str, message_id: str, in_reply_to: str = "",
               from_email: str | None = None) -> str:
    """Send one plain-text mail; returns the provider's id for it (SendGrid's
    X-Message-Id) or our Message-ID. Raises ProviderError."""
    headers = {"Message-ID": f"<{message_id}>"}
    if in_reply_to:
        headers["In-Reply-To"] = headers["References"] = f"<{in_reply_to.strip('<>')}>"
    mail = EmailMessage(subject=subject, body=body, to=[to], headers=headers,
                        from_email=from_email or settings.INBOX_EMAIL_FROM or settings.DEFAULT_FROM_EMAIL)
    secrets = (settings.SENDGRID_API_KEY, getattr(settings, "EMAIL_HOST_PASSWORD", ""))
    started = time.monotonic()
    try:
        mail.send(fail_silently=False)
    except Exception as exc:
        failure = _failure(exc)
        duration_ms = round((time.monotonic() - started) * 1000)
        error = redact(f"{type(exc).__name__}: {failure}", secrets)
        ApiLog.objects.create(service=SERVICE, action="send", method="POST", request=f"mail to {to}",
                              status_code=failure.status_code, duration_ms=duration_ms, ok=False, error=error[:2000])
        logger.warning("email to %s failed after %s ms: %s", to, duration_ms, error)
        raise failure from exc
    duration_ms = round((time.monotonic() - started) * 1000)
    ApiLog.objects.create(service=SERVICE, action="send", method="POST", request=f"mail to {to}", status_code=None,
                          duration_ms=duration_ms, ok=True)
    return str(mail.extra_headers.get("message_id") or message_id)
