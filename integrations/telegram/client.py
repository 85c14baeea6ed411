"""Telegram Bot API client: every call goes through ``telegram_request``."""

from typing import Any

from django.conf import settings

from integrations.http import ProviderError, http_error, provider_call

SERVICE = "telegram"


def configured() -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN)


def _check(response, data) -> None:
    if isinstance(data, dict) and data.get("ok") is True and response.status_code < 400:
        return
    description = data.get("description", "") if isinstance(data, dict) else response.text[:300]
    error = http_error(SERVICE, response, data, description, code=str(data.get("error_code", "")) if isinstance(
        data, dict) else "")
    retry_after = (data.get("parameters") or {}).get("retry_after") if isinstance(data, dict) else None
    if isinstance(retry_after, int | float):
        error.retry_after = float(retry_after)
    raise error


def telegram_request(method: str, params: dict[str, Any] | None = None) -> Any:
    """Call one Bot API method with JSON parameters and return its ``result``.
    ``{"ok": false}`` answers and non-2xx statuses raise ``ProviderError``
    (429 and 5xx transient, with Telegram's ``retry_after`` when it gives one)."""
    token = settings.TELEGRAM_BOT_TOKEN
    if not token:
        raise ProviderError("TELEGRAM_BOT_TOKEN is not set", service=SERVICE, code="not_configured")
    url = f"{settings.TELEGRAM_API_URL.rstrip('/')}/bot{token}/{method}"
    secrets = (token, settings.TELEGRAM_WEBHOOK_SECRET)
    response = provider_call(service=SERVICE, action=method, method="POST", url=url, secrets=secrets, check=_check,
                             json=params or {})
    return response.data["result"]


def send_message(*, chat_id: str, text: str, reply_markup: dict | None = None) -> str:
    """Send a text message (with buttons: ``reply_markup``); returns Telegram's message id."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": text}
    if reply_markup:
        params["reply_markup"] = reply_markup
    result = telegram_request("sendMessage", params)
    return str(result["message_id"])


def answer_callback_query(*, callback_query_id: str, text: str = "") -> bool:
    """Tell Telegram a button press was handled (the button stops spinning);
    ``text``: a short notice shown over the chat."""
    params: dict[str, Any] = {"callback_query_id": callback_query_id}
    if text:
        params["text"] = text[:200]
    return telegram_request("answerCallbackQuery", params)


# The updates the inbox reads: messages, and presses of the bot's inline buttons.
ALLOWED_UPDATES = ["message", "callback_query"]


def set_webhook(*, url: str, secret_token: str, drop_pending_updates: bool = False) -> bool:
    return telegram_request("setWebhook", {
        "url": url, "secret_token": secret_token, "allowed_updates": ALLOWED_UPDATES,
        "drop_pending_updates": drop_pending_updates,
    })


def webhook_info() -> dict:
    return telegram_request("getWebhookInfo")
