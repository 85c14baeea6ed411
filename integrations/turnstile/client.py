"""Cloudflare Turnstile: whether a token from the widget on the agency's site is
genuine. Every call goes through ``turnstile_request``, which sends it through
the providers' one HTTP function (``integrations.http.provider_call``: timeouts,
the secret masked, one ``ApiLog`` row per call).

Siteverify: ``POST {TURNSTILE_API_URL}/turnstile/v0/siteverify`` with the JSON
fields ``secret``, ``response`` (the token), ``remoteip`` and
``idempotency_key``; the answer is JSON ``{"success": bool, "error-codes": [...],
"challenge_ts", "hostname", "action", "cdata"}``. A token is good once: checking
it again answers ``timeout-or-duplicate`` (so a retry of the same check carries
the same ``idempotency_key``).
"""

from dataclasses import dataclass, field

import requests
from django.conf import settings

from integrations.http import ProviderError, provider_call

SERVICE = "turnstile"
PATH = "/turnstile/v0/siteverify"


class TurnstileUnavailable(Exception):
    """Cloudflare could not be asked (no connection, a timeout, 5xx, an answer that
    is not siteverify's): the token is neither accepted nor refused."""


@dataclass(frozen=True)
class Verdict:
    success: bool
    error_codes: tuple[str, ...] = field(default_factory=tuple)
    hostname: str = ""
    action: str = ""


def configured() -> bool:
    return bool(settings.TURNSTILE_SECRET_KEY)


def _check(response: requests.Response, data) -> None:
    """A verdict (either way) is an answer; anything else is a failure to ask."""
    if response.status_code >= 500 or not isinstance(data, dict) or not isinstance(data.get("success"), bool):
        raise ProviderError(f"siteverify answered HTTP {response.status_code} without a verdict", service=SERVICE,
                            status_code=response.status_code, transient=True)


def turnstile_request(*, token: str, remote_ip: str = "", idempotency_key: str = "") -> Verdict:
    """Ask siteverify about one token. Refusals (a bad, expired or reused token)
    are a ``Verdict`` with ``success`` False; a failure to ask raises
    ``TurnstileUnavailable``. The secret travels in the body only and is never logged."""
    body = {"secret": settings.TURNSTILE_SECRET_KEY, "response": token}
    if remote_ip:
        body["remoteip"] = remote_ip
    if idempotency_key:
        body["idempotency_key"] = idempotency_key
    try:
        answer = provider_call(
            service=SERVICE, action="siteverify", method="POST", url=settings.TURNSTILE_API_URL.rstrip("/") + PATH,
            secrets=(settings.TURNSTILE_SECRET_KEY, token), check=_check, json=body,
            timeout=settings.TURNSTILE_TIMEOUT,
        )
    except ProviderError as exc:
        raise TurnstileUnavailable(str(exc)) from exc
    return Verdict(success=answer.data["success"], error_codes=tuple(str(c) for c in answer.data.get("error-codes") or ()),
                   hostname=str(answer.data.get("hostname") or ""), action=str(answer.data.get("action") or ""))
