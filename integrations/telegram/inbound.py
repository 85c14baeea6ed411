"""Telegram updates (one JSON ``Update`` per POST) read into inbox values."""

from typing import Any

from django.utils import timezone

from integrations.messages import Contact, InboundMessage, PayloadError, from_timestamp, require

PLATFORM = "telegram"
# Telegram's user and chat ids "have at most 52 significant bits" (Bot API): a
# larger one is not from Telegram, and would be stored only to fail later.
ID_LIMIT = 2**52
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


def _telegram_id(mapping: Any, where: str) -> int:
    """The ``id`` of a chat or user: an int within Telegram's 52 bits, else PayloadError."""
    value = require(mapping, "id", int, where)
    if not -ID_LIMIT < value < ID_LIMIT:
        raise PayloadError(f"{where}.id is out of Telegram's range")
    return value


def _contact(person: dict, chat: dict, *, phone: str = "") -> Contact:
    private = chat.get("type") == "private"
    return Contact(
        name=_name(person) or _name(chat),
        telegram_id=_telegram_id(person, "from") if private and isinstance(person.get("id"), int) else None,
        telegram_username=(person.get("username") or "") if private else "",
        phone=phone if private else "",
    )


def _button_label(markup: Any, data: str) -> str:
    """The text of the inline button that carries ``data`` ("" when it is not there)."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data and isinstance(button.get("text"), str):
                return button["text"]
    return ""


def _parse_callback(update: dict, query: Any) -> list[InboundMessage]:
    """A press of one of our inline buttons, as a message of the chat it was pressed
    in: id ``cb:<callback query id>``, text the button's label (else its data). The
    bot reads ``callback_query.data`` from the stored update. Presses on messages
    sent through inline mode carry no chat: ignored."""
    query_id = require(query, "id", str, "callback_query")
    sender = require(query, "from", dict, "callback_query")
    message = query.get("message")
    if not isinstance(message, dict):
        return []
    chat = require(message, "chat", dict, "callback_query.message")
    chat_id = _telegram_id(chat, "callback_query.message.chat")
    data = query.get("data") or ""
    if not isinstance(data, str):
        raise PayloadError("callback_query.data is not a string")
    contact = _contact(sender, chat)
    return [InboundMessage(
        platform=PLATFORM, chat_id=str(chat_id), message_id=f"cb:{query_id}",
        text=_button_label(message.get("reply_markup"), data) or data, sent_at=timezone.now(), contact=contact,
        raw=update, chat_title=_name(chat) or chat.get("title", "") or contact.name,
    )]


def parse_update(update: Any) -> list[InboundMessage]:
    """The new message an update carries, or the button press (``callback_query``);
    [] for the kinds we ignore on purpose: edits, channel posts…; PayloadError when
    it is not an update."""
    require(update, "update_id", int, "update")
    if "callback_query" in update:
        return _parse_callback(update, update["callback_query"])
    message = update.get("message")
    if message is None:
        return []
    message_id = require(message, "message_id", int, "message")
    chat = require(message, "chat", dict, "message")
    chat_id = _telegram_id(chat, "message.chat")
    sent_at = from_timestamp(require(message, "date", int, "message"))
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    text = message.get("text") or message.get("caption") or ""
    if not isinstance(text, str):
        raise PayloadError("message.text is not a string")
    shared = message.get("contact") if isinstance(message.get("contact"), dict) else {}
    # A shared contact card is the writer's own number only when it carries their user id.
    own_phone = shared.get("phone_number", "") if shared.get("user_id") and shared.get("user_id") == sender.get("id") else ""
    contact = _contact(sender, chat, phone=own_phone)
    return [InboundMessage(
        platform=PLATFORM, chat_id=str(chat_id), message_id=str(message_id), text=text, sent_at=sent_at,
        contact=contact, raw=update, chat_title=_name(chat) or chat.get("title", "") or contact.name,
        attachments=_attachments(message),
    )]
