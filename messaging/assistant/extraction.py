"""What one message says, as the assistant understands it: ``Extraction``, and
``extract`` choosing the engine.

Two engines give the same ``Extraction``: ``rules`` (needs nothing, always
there) and ``llm`` (the configured OpenAI-compatible model with a strict JSON
schema). ``extract`` uses the model when one is configured and falls back to
the rules when it fails (timeout, 429, malformed answer), logging why; the
message is never blocked by the model.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


class Intent:
    TOUR_REQUEST = "tour_request"
    BOOKING = "booking"
    PAYMENT = "payment"
    DOCUMENTS = "documents"  # documents / visa
    COMPLAINT = "complaint"
    QUESTION = "question"
    OTHER = "other"

    ALL = (TOUR_REQUEST, BOOKING, PAYMENT, DOCUMENTS, COMPLAINT, QUESTION, OTHER)
    @staticmethod
    def label(intent: str) -> str:
        from django.utils.translation import gettext as _

        return {
            Intent.TOUR_REQUEST: _("Tour request"), Intent.BOOKING: _("Booking"), Intent.PAYMENT: _("Payment"),
            Intent.DOCUMENTS: _("Documents / visa"), Intent.COMPLAINT: _("Complaint"), Intent.QUESTION: _("Question"),
        }.get(intent, _("Other"))

    # Never answered without a person, whatever an admin enables.
    NEVER_AUTO = (COMPLAINT, PAYMENT)


LANGUAGES = ("ru", "kk", "en")

# The keys ``manage.py ai_extract`` prints, in this order (plus ``engine``).
FIELDS = (
    "intent", "language", "destination_country", "destination_resort", "departure_city", "date_from", "date_to",
    "nights_from", "nights_to", "adults", "children", "children_ages", "budget_amount", "budget_currency",
)


@dataclass
class TravelFields:
    """A trip as a tourist describes it; None for what is not said. Names are
    canonical: countries and resorts in English as SAMO's catalogue names them
    ("Vietnam", "Nha Trang", "Phu Quoc", "Da Nang", "Phan Thiet"), departure
    cities "Almaty" / "Astana"; currencies ISO codes ("KZT", "USD", "EUR", "RUB")."""

    destination_country: str | None = None
    destination_resort: str | None = None
    departure_city: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    nights_from: int | None = None
    nights_to: int | None = None
    adults: int | None = None
    children: int | None = None
    children_ages: list[int] | None = None
    budget_amount: Decimal | None = None
    budget_currency: str | None = None


@dataclass
class Extraction(TravelFields):
    """What one message says: its travel fields, and what only a message has."""

    intent: str = Intent.OTHER
    language: str = "ru"
    phone: str | None = None  # E.164 when found
    email: str | None = None
    urgent: bool = False  # "срочно", "горит", a trip within days, a stuck payment
    confidence: float = 0.5  # 0..1: how sure the engine is of intent and fields together
    engine: str = "rules"  # "rules" or "openai"
    notes: list[str] = field(default_factory=list)  # why: matched phrases, the fallback reason

    def as_json(self) -> dict[str, Any]:
        """The ``ai_extract`` line: ``FIELDS`` plus ``engine``, JSON-ready (ISO dates, number budget)."""
        out: dict[str, Any] = {}
        for name in FIELDS:
            value = getattr(self, name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = int(value) if value == value.to_integral_value() else float(value)
            out[name] = value
        out["engine"] = self.engine
        return out

    def as_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready, for storing on the message's insight."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, dt.date):
                out[key] = value.isoformat()
            elif isinstance(value, Decimal):
                out[key] = str(value)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Extraction:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("date_from", "date_to"):
            if isinstance(values.get(key), str):
                values[key] = dt.date.fromisoformat(values[key])
        if values.get("budget_amount") is not None:
            values["budget_amount"] = Decimal(str(values["budget_amount"]))
        return cls(**values)

    @property
    def travel_fields(self) -> dict[str, Any]:
        """The fields said, without intent/language: what fills a lead."""
        return {name: getattr(self, name) for name in FIELDS[2:] if getattr(self, name) not in (None, [])}


ENGINES = ("rules", "openai")
# A word the bound cuts is dropped rather than read in half, when it is no longer than this.
CUT_WORD_CHARS = 100
# What a number may be written with ("1 500 000", "+7 (701) 123-45-67", "15.03"): one at the cut is dropped whole.
NUMBER_CHARS = "0123456789 \u00a0\t\n.,:/+-()"


def readable_part(text: str) -> str:
    """The part of a message the assistant reads: its first ``ASSISTANT_MAX_CHARS``
    characters (the message itself is stored whole), less the word and the number
    the bound cuts, so that "1 500 000" is never read as "1 5"."""
    limit = settings.ASSISTANT_MAX_CHARS
    if len(text) <= limit:
        return text
    head = text[:limit]
    if not text[limit].isspace():
        space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if space >= limit - CUT_WORD_CHARS:
            head = head[:space]
    return head.rstrip(NUMBER_CHARS)


def extract(text: str, *, today: dt.date | None = None, engine: str | None = None) -> Extraction:
    """What ``text`` says. ``engine`` None means the model when one is configured,
    else the rules; when the model fails (``OpenAIError``: timeout, 429, an
    unusable answer …) the rules answer instead, with ``fallback: <reason>`` in
    ``notes`` and a warning logged. Either reads only ``readable_part(text)``. ``today`` (default: today in Asia/Almaty)
    anchors "в марте" and "на новый год"."""
    # The engines build Extractions, so they import this module: import them here.
    from integrations.openai import client
    from integrations.openai.errors import OpenAIError
    from messaging.assistant.llm import extract_llm
    from messaging.assistant.rules import extract_rules

    today = today or timezone.localdate()
    text = readable_part(text or "")
    engine = engine or ("openai" if client.configured() else "rules")
    if engine not in ENGINES:
        raise ValueError(f"unknown extraction engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "rules":
        return extract_rules(text, today=today)
    try:
        return extract_llm(text, today=today)
    except OpenAIError as exc:
        logger.warning("Extraction by the model failed (%s: %s); the rules answer instead", exc.code, exc)
        extraction = extract_rules(text, today=today)
        extraction.notes.append(f"fallback: {exc.code}")
        return extraction
