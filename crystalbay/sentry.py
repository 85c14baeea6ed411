"""Errors to Sentry (when SENTRY_DSN is set): the web process and the Celery
workers, without personal data, and with no secret of a URL's query string."""

from typing import Any

from integrations.masking import redact_query_secrets


def _scrub_query_secrets(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """The SDK scrubs cookies, headers and known field names, but sends the request's
    URL and query string as they came (a webhook's ``?token=``)."""
    request = event.get("request") or {}
    for key in ("url", "query_string"):
        if isinstance(request.get(key), str):
            request[key] = redact_query_secrets(request[key])
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        if isinstance(crumb.get("message"), str):
            crumb["message"] = redact_query_secrets(crumb["message"])
    return event


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        # What clients write (message texts, phone numbers) stays here: no request
        # bodies, no local variables of the frames.
        max_request_body_size="never",
        include_local_variables=False,
        before_send=_scrub_query_secrets,
    )
