"""Wazzup24 v3 webhooks read into inbox values: messages (echoes of messages sent
from the phone are outgoing) and statuses; ``{"test": true}`` is Wazzup's probe."""

import datetime as dt
from typing import Any

from integrations.messages import Contact, InboundMessage, PayloadError, StatusUpdate, require

PLATFORM = "wazzup"
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "error": "failed", "failed": "failed"}
# Chats with one person whose chatId is a phone number.
PHONE_CHATS = {"whatsapp", "viber"}


def chat_key(chat_type: str, chat_id: str) -> str:
    """Our chat id for a Wazzup chat: the same chatId can exist in two messengers."""
    return f"{chat_type}:{chat_id}"


def split_chat_key(key: str) -> tuple[str, str]:
    chat_type, _sep, chat_id = key.partition(":")
    return chat_type, chat_id


def _time(value: Any) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise PayloadError(f"not an ISO time: {value!r}") from exc


def is_probe(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("test") is True


def parse_webhook(payload: Any) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    if not isinstance(payload, dict):
        raise PayloadError("payload is not an object")
    if not any(key in payload for key in ("messages", "statuses")):
        raise PayloadError("payload has neither messages nor statuses")
    messages, statuses = [], []
    for message in payload.get("messages") or []:
        chat_type = require(message, "chatType", str, "message")
        chat_id = require(message, "chatId", str, "message")
        contact = message.get("contact") if isinstance(message.get("contact"), dict) else {}
        name = str(contact.get("name") or "")
        digits = "".join(ch for ch in chat_id if ch.isdigit()) if chat_type in PHONE_CHATS else ""
        echo = message.get("isEcho") is True
        text = message.get("text") or ""
        attachments = [{"type": message.get("type"), "url": message["contentUri"]}] if message.get("contentUri") else []
        messages.append(InboundMessage(
            platform=PLATFORM, chat_id=chat_key(chat_type, chat_id), message_id=require(message, "messageId", str,
                                                                                         "message"),
            text=str(text), sent_at=_time(require(message, "dateTime", str, "message")),
            contact=Contact(name=name, whatsapp_id=digits if chat_type == "whatsapp" else "",
                            phone=f"+{digits}" if digits else ""),
            raw=payload, direction="out" if echo else "in", chat_title=name or chat_id, attachments=attachments,
            extra={"channel_id": str(message.get("channelId") or ""), "chat_type": chat_type,
                   "crm_message_id": str(message.get("crmMessageId") or "")},
        ))
    for status in payload.get("statuses") or []:
        state = STATUSES.get(str(require(status, "status", str, "status")))
        if state is None:
            continue
        error = status.get("error") if isinstance(status.get("error"), dict) else {}
        statuses.append(StatusUpdate(
            platform=PLATFORM, message_id=require(status, "messageId", str, "status"), status=state,
            at=_time(status["timestamp"]) if status.get("timestamp") else None,
            error=" ".join(str(v) for v in (error.get("error"), error.get("description")) if v),
            crm_id=str(status.get("crmMessageId") or ""),
        ))
    return messages, statuses
