"""Wazzup24 API v3 client: every call goes through ``wazzup_request``."""

from typing import Any

from django.conf import settings

from integrations.http import ProviderError, http_error, provider_call

SERVICE = "wazzup"
# Re-sending a crmMessageId that Wazzup already has: the message went out before.
REPEATED = "repeatedCrmMessageId"


def configured() -> bool:
    return bool(settings.WAZZUP_API_KEY)


def _check(response, data) -> None:
    if response.status_code < 400:
        return
    code = str(data.get("error", "")) if isinstance(data, dict) else ""
    description = str(data.get("description", "")) if isinstance(data, dict) else response.text[:300]
    raise http_error(SERVICE, response, data, description or code, code=code)


def wazzup_request(method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    """One call to ``{WAZZUP_API_URL}/v3/{path}`` with the API key; the JSON answer."""
    key = settings.WAZZUP_API_KEY
    if not key:
        raise ProviderError("WAZZUP_API_KEY is not set", service=SERVICE, code="not_configured")
    url = f"{settings.WAZZUP_API_URL.rstrip('/')}/v3/{path}"
    response = provider_call(service=SERVICE, action=f"{method} {path}", method=method, url=url,
                             secrets=(key, settings.WAZZUP_WEBHOOK_TOKEN), check=_check, json=payload,
                             headers={"Authorization": f"Bearer {key}"})
    return response.data


def send_text(*, channel_id: str, chat_type: str, chat_id: str, text: str, crm_message_id: str) -> str | None:
    """Send a text; ``crm_message_id`` makes a repeated send harmless: Wazzup refuses
    it as a repeat, which means the first one went out (returns None: the id comes
    with the status webhooks)."""
    try:
        data = wazzup_request("POST", "message", {
            "channelId": channel_id, "chatType": chat_type, "chatId": chat_id, "text": text,
            "crmMessageId": crm_message_id,
        })
    except ProviderError as exc:
        if exc.code == REPEATED:
            return None
        raise
    message_id = data.get("messageId") if isinstance(data, dict) else None
    return str(message_id) if message_id else None


def set_webhook(*, url: str) -> Any:
    return wazzup_request("PATCH", "webhooks", {
        "webhooksUri": url, "subscriptions": {"messagesAndStatuses": True, "contactsAndDealsCreation": False},
    })


def webhook_settings() -> Any:
    return wazzup_request("GET", "webhooks")
