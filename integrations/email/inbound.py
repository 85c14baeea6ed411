"""Inbound e-mail in SendGrid's Inbound Parse format (multipart form fields, or one
``email`` field with the whole MIME message in raw mode) read into inbox values.

The conversation is the sender's address; the message id is the mail's
``Message-ID`` (or, for a mail without one, a digest of what identifies it, so a
re-posted parse still finds the row it made).

Anyone can write any ``From``: the address is trusted only when SendGrid's checks
confirm it — a DKIM signature that passed for the From's domain, or SPF passed
for an envelope sender of that domain (DMARC's alignment, relaxed to the
domain and its subdomains). A mail they do not confirm (or that lacks them) is
its own conversation (``UNVERIFIED_PREFIX`` + address) whose writer carries the
address only as ``unverified_email``: it is never matched to a client by it."""

import datetime as dt
import hashlib
import html
import json
import re
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from django.utils import timezone

from integrations.messages import Contact, InboundMessage, PayloadError

PLATFORM = "email"
UNVERIFIED_PREFIX = "unverified:"
# SendGrid's ``dkim`` field: "{@mail.kz : pass, @other.com : fail}" (not JSON, despite its docs).
_DKIM_RESULT = re.compile(r"@([^\s:,{}]+)\s*:\s*([a-z]+)", re.I)
# The part of a reply above the quoted earlier mail ("On … wrote:", "> …").
_QUOTE_START = re.compile(r"^(On .{5,200} wrote:|.{0,80}\d{4}.{0,80}пишет:|-----Original Message-----|>)", re.M)
# A tag ends at the next "<" too, so that a run of "<<<…" is read once, not from each "<" to the end (quadratic).
_TAGS = re.compile(r"<[^<>]*>")
_HIDDEN_START = re.compile(r"<(script|style)\b", re.I)


def _without_hidden(html_text: str) -> str:
    """``html_text`` without its scripts and styles; one left open hides the rest, as
    in a browser. Each block is found by moving on, never by searching again from its
    start (a lazy ``.*?</script>`` from every "<script" is quadratic)."""
    lower, kept, position = html_text.lower(), [], 0
    while found := _HIDDEN_START.search(html_text, position):
        kept.append(html_text[position:found.start()])
        end = lower.find(f"</{found[1].lower()}", found.end())
        close = lower.find(">", end) if end >= 0 else -1
        position = close + 1 if close >= 0 else len(html_text)
    kept.append(html_text[position:])
    return " ".join(kept)


def _plain(html_text: str) -> str:
    text = _TAGS.sub(" ", re.sub(r"<br\s*/?>|</p>", "\n", _without_hidden(html_text), flags=re.I))
    return re.sub(r"[ \t]+", " ", html.unescape(text)).strip()


def strip_quoted(text: str) -> str:
    """The new part of a reply: what comes before the quoted earlier message."""
    match = _QUOTE_START.search(text)
    new = text[: match.start()] if match and match.start() > 0 else text
    return new.strip()


def _date(value: str | None) -> dt.datetime:
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        return timezone.now()
    return moment


def _sender(value: str) -> tuple[str, str]:
    addresses = [(name, address) for name, address in getaddresses([value or ""]) if "@" in address]
    if not addresses:
        raise PayloadError("no sender address")
    name, address = addresses[0]
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError) as exc:
        raise PayloadError(f"not an address: {address!r}") from exc
    return name, address.strip().lower()


def _aligned(domain: str, other: str) -> bool:
    other = other.strip().lower().rstrip(".")
    return bool(other) and (domain == other or domain.endswith(f".{other}") or other.endswith(f".{domain}"))


def sender_verified(form: dict[str, str], address: str) -> bool:
    """Whether SendGrid's SPF or DKIM result confirms ``address`` (see the module's rule)."""
    domain = address.rsplit("@", 1)[-1]
    if any(result.lower() == "pass" and _aligned(domain, signer)
           for signer, result in _DKIM_RESULT.findall(form.get("dkim", ""))):
        return True
    if form.get("SPF", "").strip().lower() != "pass":
        return False
    try:
        envelope = json.loads(form.get("envelope") or "{}")
    except ValueError:
        return False
    envelope_from = envelope.get("from") if isinstance(envelope, dict) else None
    return isinstance(envelope_from, str) and "@" in envelope_from and _aligned(domain, envelope_from.rsplit("@", 1)[-1])


def reply_address(chat_id: str) -> str:
    """The address a conversation's replies go to (its id, without the unverified mark)."""
    return chat_id.removeprefix(UNVERIFIED_PREFIX)


def _message_id(headers, sender: str, subject: str, text: str) -> str:
    found = (headers.get("Message-ID") or headers.get("Message-Id") or "").strip().strip("<>")
    if found:
        return found[:255]
    digest = hashlib.sha256("\n".join((sender, subject, headers.get("Date", ""), text)).encode()).hexdigest()
    return f"sha256:{digest}"


def _from_raw(raw: str) -> tuple[Any, str, str, list[dict]]:
    message = message_from_bytes(raw.encode("utf-8", errors="surrogateescape"), policy=policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    content = body.get_content() if body is not None else ""
    if body is not None and body.get_content_type() == "text/html":
        content = _plain(content)
    attachments = [{"type": part.get_content_type(), "filename": part.get_filename() or ""}
                   for part in message.iter_attachments()]
    return message, str(message.get("Subject", "")), content, attachments


def parse_inbound(form: dict[str, str]) -> InboundMessage:
    """One inbound mail from the parse webhook's form fields (files are not kept:
    their names and types are noted as attachments)."""
    if form.get("email"):
        headers, subject, text, attachments = _from_raw(form["email"])
        sender_field = str(headers.get("From", ""))
    elif "headers" in form or "from" in form:
        headers = HeaderParser(policy=policy.default).parsestr(form.get("headers", ""))
        subject = form.get("subject", "") or str(headers.get("Subject", ""))
        text = form.get("text") or _plain(form.get("html", ""))
        sender_field = form.get("from", "") or str(headers.get("From", ""))
        try:
            info = json.loads(form.get("attachment-info") or "{}")
        except ValueError:
            info = {}
        attachments = [{"type": item.get("type", ""), "filename": item.get("filename", "")}
                       for item in info.values() if isinstance(item, dict)] if isinstance(info, dict) else []
    else:
        raise PayloadError("neither parsed fields nor a raw message")
    name, address = _sender(sender_field)
    text = strip_quoted(text or "")
    verified = sender_verified(form, address)
    return InboundMessage(
        platform=PLATFORM, chat_id=address if verified else f"{UNVERIFIED_PREFIX}{address}",
        message_id=_message_id(headers, address, subject, text),
        text=text if not subject or text else subject, sent_at=_date(headers.get("Date")),
        contact=Contact(name=name, email=address) if verified else Contact(name=name, unverified_email=address),
        chat_title=name or address, attachments=attachments,
        raw={key: value for key, value in form.items() if key in ("from", "to", "cc", "subject", "envelope",
                                                                    "headers", "spam_score", "sender_ip", "SPF",
                                                                    "dkim")},
        extra={"subject": subject, "in_reply_to": (headers.get("In-Reply-To") or "").strip()},
    )
