"""WhatsApp Cloud API (Meta Graph) client: every call goes through ``whatsapp_request``;
``signature_valid`` checks the ``X-Hub-Signature-256`` of a webhook delivery."""

import hashlib
import hmac
from typing import Any

from django.conf import settings

from integrations.http import ProviderError, http_error, provider_call

SERVICE = "whatsapp"
# Meta's codes for "slow down" that may come with a 400 rather than a 429.
RATE_LIMIT_CODES = {4, 80007, 130429, 131048, 131056}


def configured() -> bool:
    return bool(settings.WHATSAPP_ACCESS_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID)


def signature_valid(body: bytes, header: str) -> bool:
    """The HMAC-SHA256 of the raw body, keyed with the app secret, compared in constant time."""
    secret = settings.WHATSAPP_APP_SECRET
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def _check(response, data) -> None:
    if response.status_code < 400:
        return
    error = data.get("error", {}) if isinstance(data, dict) else {}
    if not isinstance(error, dict):
        error = {"message": str(error)}
    failure = http_error(SERVICE, response, data, str(error.get("message") or ""), code=str(error.get("code", "")))
    if error.get("code") in RATE_LIMIT_CODES:
        failure.transient = True
    raise failure


def whatsapp_request(path: str, payload: dict[str, Any]) -> Any:
    """POST ``payload`` to ``{WHATSAPP_API_URL}/{path}`` with the bearer token; the JSON answer."""
    token = settings.WHATSAPP_ACCESS_TOKEN
    if not configured():
        raise ProviderError("WhatsApp Cloud API is not configured", service=SERVICE, code="not_configured")
    url = f"{settings.WHATSAPP_API_URL.rstrip('/')}/{path}"
    response = provider_call(service=SERVICE, action=path.rsplit("/", 1)[-1], method="POST", url=url,
                             secrets=(token, settings.WHATSAPP_APP_SECRET), check=_check, json=payload,
                             headers={"Authorization": f"Bearer {token}"})
    return response.data


def send_text(*, to: str, text: str) -> str:
    """Send a text message to a WhatsApp number; returns the new message's wamid."""
    data = whatsapp_request(f"{settings.WHATSAPP_PHONE_NUMBER_ID}/messages", {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": f"+{to.lstrip('+')}",
        "type": "text", "text": {"preview_url": False, "body": text},
    })
    try:
        return str(data["messages"][0]["id"])
    except (KeyError, IndexError, TypeError) as exc:
        raise ProviderError("the answer has no message id", service=SERVICE, code="bad_response") from exc
