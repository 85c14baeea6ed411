"""What the messaging providers deliver, read into plain values: the one shape the
inbox stores, whichever provider a message came through. Providers' parsers
raise ``PayloadError`` for a payload they cannot read (the webhook answers 400)."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


class PayloadError(ValueError):
    """A delivery that is not what the provider sends: malformed or missing fields."""


@dataclass(frozen=True)
class Contact:
    """Who wrote, by every identifier the provider gave; matching uses these."""

    name: str = ""
    telegram_id: int | None = None
    telegram_username: str = ""
    whatsapp_id: str = ""
    phone: str = ""
    email: str = ""
    # The address a mail claims that SPF/DKIM did not confirm: shown, never matched by.
    unverified_email: str = ""


@dataclass(frozen=True)
class InboundMessage:
    platform: str
    chat_id: str
    message_id: str
    text: str
    sent_at: dt.datetime
    contact: Contact
    raw: dict[str, Any]
    # "out" for a provider's echo of a message sent outside the CRM (Wazzup's isEcho).
    direction: str = "in"
    chat_title: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    # Provider details a reply needs (Wazzup's channel, an e-mail's subject and Message-ID).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery receipt of a message we sent: sent / delivered / read / failed."""

    platform: str
    message_id: str
    status: str
    at: dt.datetime | None = None
    error: str = ""
    crm_id: str = ""


def from_timestamp(value: Any) -> dt.datetime:
    """Unix seconds (an int or a string of digits) as an aware UTC time."""
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise PayloadError(f"not a Unix time: {value!r}") from exc


def require(mapping: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``mapping[key]`` when it is of ``kind``, else a PayloadError naming the place."""
    if not isinstance(mapping, dict):
        raise PayloadError(f"{where} is not an object")
    value = mapping.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise PayloadError(f"{where}.{key} is missing or not {getattr(kind, '__name__', kind)}")
    return value
