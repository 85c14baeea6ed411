"""Telegram updates (one JSON ``Update`` per POST) read into inbox values."""

from typing import Any

from integrations.messages import Contact, InboundMessage, PayloadError, from_timestamp, require

PLATFORM = "telegram"
# Message content other than text that we note as an attachment (the file stays at Telegram).
MEDIA_KINDS = ("photo", "document", "voice", "audio", "video", "video_note", "sticker", "animation", "location",
               "contact")


def _attachments(message: dict) -> list[dict]:
    found = []
    for kind in MEDIA_KINDS:
        if kind not in message:
            continue
        item = message[kind]
        if isinstance(item, list):  # photos come in several sizes: keep the largest
            item = item[-1] if item else {}
        entry = {"type": kind}
        if isinstance(item, dict):
            for key in ("file_id", "file_name", "mime_type", "latitude", "longitude", "phone_number"):
                if key in item:
                    entry[key] = item[key]
        found.append(entry)
    return found


def _name(person: dict) -> str:
    return " ".join(part for part in (person.get("first_name"), person.get("last_name")) if part) or person.get(
        "username", "")


def parse_update(update: Any) -> list[InboundMessage]:
    """The new message an update carries ([] for the kinds we ignore on purpose:
    edits, channel posts, button presses…); PayloadError when it is not an update."""
    require(update, "update_id", int, "update")
    message = update.get("message")
    if message is None:
        return []
    message_id = require(message, "message_id", int, "message")
    chat = require(message, "chat", dict, "message")
    chat_id = require(chat, "id", int, "message.chat")
    sent_at = from_timestamp(require(message, "date", int, "message"))
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    text = message.get("text") or message.get("caption") or ""
    if not isinstance(text, str):
        raise PayloadError("message.text is not a string")
    private = chat.get("type") == "private"
    shared = message.get("contact") if isinstance(message.get("contact"), dict) else {}
    # A shared contact card is the writer's own number only when it carries their user id.
    own_phone = shared.get("phone_number", "") if shared.get("user_id") and shared.get("user_id") == sender.get("id") else ""
    contact = Contact(
        name=_name(sender) or _name(chat),
        telegram_id=sender.get("id") if private and isinstance(sender.get("id"), int) else None,
        telegram_username=(sender.get("username") or "") if private else "",
        phone=own_phone if private else "",
    )
    return [InboundMessage(
        platform=PLATFORM, chat_id=str(chat_id), message_id=str(message_id), text=text, sent_at=sent_at,
        contact=contact, raw=update, chat_title=_name(chat) or chat.get("title", "") or contact.name,
        attachments=_attachments(message),
    )]
