"""WhatsApp Cloud API webhook events read into inbox values: messages and the
delivery receipts (``statuses``) of ours."""

from typing import Any

from integrations.messages import Contact, InboundMessage, PayloadError, StatusUpdate, from_timestamp, require

PLATFORM = "whatsapp"
STATUSES = {"sent", "delivered", "read", "failed"}


def _text(message: dict) -> tuple[str, list[dict]]:
    kind = message.get("type", "")
    if kind == "text":
        return str((message.get("text") or {}).get("body", "")), []
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind in ("button",):
        return str(body.get("text", "")), []
    if kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        return str(reply.get("title", "")), []
    attachment = {"type": kind, **{key: body[key] for key in ("id", "mime_type", "filename") if key in body}}
    return str(body.get("caption", "")), [attachment]


def parse_event(event: Any) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    """Messages and receipts of one POST; PayloadError when it is not a Cloud API event."""
    if require(event, "object", str, "event") != "whatsapp_business_account":
        raise PayloadError("event.object is not whatsapp_business_account")
    messages, statuses = [], []
    for entry in require(event, "entry", list, "event"):
        for change in require(entry, "changes", list, "entry"):
            if require(change, "field", str, "change") != "messages":
                continue
            value = require(change, "value", dict, "change")
            names = {str(c.get("wa_id")): (c.get("profile") or {}).get("name", "")
                     for c in value.get("contacts") or [] if isinstance(c, dict)}
            for message in value.get("messages") or []:
                sender = str(require(message, "from", str, "message"))
                text, attachments = _text(message)
                name = names.get(sender, "")
                messages.append(InboundMessage(
                    platform=PLATFORM, chat_id=sender, message_id=require(message, "id", str, "message"), text=text,
                    sent_at=from_timestamp(require(message, "timestamp", str, "message")),
                    contact=Contact(name=name, whatsapp_id=sender, phone=f"+{sender}"), raw=event,
                    chat_title=name or f"+{sender}", attachments=attachments,
                    extra={"phone_number_id": (value.get("metadata") or {}).get("phone_number_id", "")},
                ))
            for status in value.get("statuses") or []:
                state = require(status, "status", str, "status")
                if state not in STATUSES:
                    continue
                errors = status.get("errors") or []
                error = errors[0] if errors and isinstance(errors[0], dict) else {}
                statuses.append(StatusUpdate(
                    platform=PLATFORM, message_id=require(status, "id", str, "status"), status=state,
                    at=from_timestamp(status["timestamp"]) if "timestamp" in status else None,
                    error=" ".join(str(error.get(k, "")) for k in ("code", "title", "message") if error.get(k)),
                ))
    return messages, statuses
