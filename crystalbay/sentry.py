"""Errors to Sentry (when SENTRY_DSN is set): the web process and the Celery
workers, without personal data, and with no secret of a URL's query string."""

from typing import Any

from integrations.masking import redact_query_secrets


def _redact(data: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if isinstance(data.get(key), str):
            data[key] = redact_query_secrets(data[key])


def _before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Tag the event with the request id of the request or task it happened in (to
    find its log lines), and scrub what the SDK leaves: it drops cookies, headers
    and known field names, but sends the URL and query string as they came (a
    webhook's ``?token=``)."""
    from django_guid import get_guid

    request_id = get_guid()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    _redact(event.get("request") or {}, "url", "query_string")
    # An exception's message or a log message may hold a URL (a client library's
    # "Max retries exceeded with url: /export?oauth_token=…").
    for item in [*(event.get("exception") or {}).get("values", []),
                 *(event.get("breadcrumbs") or {}).get("values", [])]:
        _redact(item, "value", "message")
    _redact(event.get("logentry") or {}, "message", "formatted")
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
        before_send=_before_send,
    )
