"""Writing a draft reply: ``draft_write`` decides what the reply must do (offer
real tours, ask what a search still needs, or hold and hand to a person) and
writes it with the model when one is configured, else from the templates in
``replies``.

The model gets the conversation, the lead, the client's orders and the offers
SAMO returned, and is told to cite only those. Its text is refused — and the
template used instead — when it writes a number that is in none of them
(an invented price, date or count), or cites fewer offers than it was given.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

from django.utils import translation

from integrations.openai import client as openai_client
from integrations.openai.errors import OpenAIBadResponse, OpenAIError
from integrations.openai.grounding import invented_numbers
from messaging.assistant import replies
from messaging.assistant.extraction import Extraction, Intent
from messaging.assistant.offers import RUSSIAN_NAMES, OfferPick, TripRequest
from messaging.models import Draft, Message

logger = logging.getLogger(__name__)
HISTORY = 12
SCHEMA = {
    "type": "object",
    "properties": {"reply": {"type": "string", "description": "The message to send to the client, plain text."}},
    "required": ["reply"],
    "additionalProperties": False,
}
LANGUAGE_NAMES = {"ru": "Russian", "kk": "Kazakh", "en": "English"}
SEARCH_INTENTS = (Intent.TOUR_REQUEST, Intent.BOOKING)


@dataclass
class Written:
    kind: str
    text: str
    engine: str
    offers: list[dict] = field(default_factory=list)
    fallback: str = ""
    generation_ms: int = 0


def plan(*, extraction: Extraction, trip: TripRequest, escalated: bool) -> tuple[str, list[str]]:
    """The draft's kind, and the questions a search still needs (for ``questions``)."""
    if escalated:
        return Draft.Kind.ESCALATION, []
    if extraction.intent in SEARCH_INTENTS:
        missing = trip.missing()
        if missing:
            if trip.destination_country or trip.destination_resort:
                missing += [item for item, said in (("nights", trip.nights_from), ("travellers", trip.adults))
                            if not said]
            return Draft.Kind.QUESTIONS, missing
        return Draft.Kind.OFFERS, []
    return Draft.Kind.ANSWER, []


def _template(*, kind: str, extraction: Extraction, pick: OfferPick | None, missing: list[str], name: str,
              where: str) -> str:
    language = extraction.language
    if kind == Draft.Kind.OFFERS:
        return replies.offers_reply(pick=pick or OfferPick(), language=language, name=name, where=where)
    if kind == Draft.Kind.QUESTIONS:
        return replies.questions_reply(missing=missing, language=language, name=name)
    return replies.holding_reply(intent=extraction.intent, escalated=kind == Draft.Kind.ESCALATION,
                                 language=language, name=name)


def _history(conversation) -> list[dict]:
    rows = list(Message.objects.filter(conversation=conversation).exclude(text="")
                .order_by("-created_at", "-pk").values("direction", "text")[:HISTORY])
    return [{"from": "client" if row["direction"] == Message.Direction.IN else "agency", "text": row["text"][:1500]}
            for row in reversed(rows)]


def _facts(*, conversation, lead, orders: list[dict], pick: OfferPick | None, missing: list[str], kind: str,
           extraction: Extraction) -> dict:
    return {
        "reply_kind": kind,
        "language": LANGUAGE_NAMES.get(extraction.language, "Russian"),
        "client_name": conversation.client.full_name if conversation.client else conversation.title,
        "request": extraction.as_json(),
        "lead": {name: str(getattr(lead, name)) for name in (
            "destination_country", "destination_resort", "departure_city", "date_from", "date_to", "nights_from",
            "nights_to", "adults", "children", "budget", "budget_currency") if getattr(lead, name, None) not in (
            None, "")} if lead else {},
        "previous_orders": orders,
        "offers": [line.as_dict() for line in pick.offers] if pick else [],
        "offers_note": ("none fit the budget; these are the cheapest" if pick and pick.over_budget else ""),
        "assumptions": pick.assumptions if pick else [],
        "samo_error": bool(pick and pick.error),
        "questions_needed": missing,
    }


SYSTEM = (
    "You write the next message of a Kazakhstan travel agency to its client, in {language}. Plain text, short, "
    "warm and concrete, no markdown. Use ONLY the facts in the JSON you are given. reply_kind says what to do: "
    "'offers' — present every offer in `offers` (hotel, stars, resort, departure date, nights, meal and the price "
    "in tenge `price_kzt` with ₸), say the assumptions, ask which one they like; never mention an offer, hotel, "
    "price or date that is not in `offers`. 'questions' — ask for each item of `questions_needed`. 'escalation' — "
    "acknowledge and say a manager will contact them shortly, promise nothing else. 'answer' — acknowledge and say "
    "a manager will answer; do not state facts about visas, payments or bookings that are not in the JSON. If "
    "`samo_error` is true, say prices cannot be loaded right now and a manager will send options."
)


def _grounded(text: str, facts: dict, pick: OfferPick | None, kind: str) -> None:
    """Refuse a model text that invents numbers or leaves offers out."""
    if invented := invented_numbers(text, facts, allowed={str(n) for n in range(1, 11)}):
        raise OpenAIBadResponse(f"numbers not in the facts: {', '.join(sorted(invented)[:5])}")
    if kind == Draft.Kind.OFFERS and pick and pick.found:
        absent = [line.hotel for line in pick.offers if line.hotel.casefold() not in text.casefold()]
        if absent:
            raise OpenAIBadResponse(f"offers left out: {', '.join(absent)}")


def draft_write(*, conversation, lead, extraction: Extraction, trip: TripRequest, pick: OfferPick | None,
                orders: list[dict], escalated: bool) -> Written:
    """The reply, by the model when configured (checked, see the module), else the template."""
    started = time.monotonic()
    kind, missing = plan(extraction=extraction, trip=trip, escalated=escalated)
    name = conversation.client.full_name if conversation.client else conversation.title
    where = trip.destination_resort or trip.destination_country or ""
    if extraction.language != "en":
        where = RUSSIAN_NAMES.get(where, where)
    with translation.override("en" if extraction.language == "en" else "ru"):
        template = _template(kind=kind, extraction=extraction, pick=pick, missing=missing, name=name,
                             where=(pick.offers[0].resort if pick and pick.found and trip.destination_resort
                                    else where))
    offers = [line.as_dict() for line in pick.offers] if kind == Draft.Kind.OFFERS and pick else []
    fallback = ""
    if openai_client.configured():
        facts = _facts(conversation=conversation, lead=lead, orders=orders, pick=pick, missing=missing, kind=kind,
                       extraction=extraction)
        messages = [
            {"role": "system", "content": SYSTEM.format(language=facts["language"])},
            {"role": "user", "content": json.dumps({"conversation": _history(conversation), **facts},
                                                   ensure_ascii=False, default=str)},
        ]
        try:
            answer = openai_client.openai_request(action="draft", messages=messages, json_schema=SCHEMA,
                                                  schema_name="draft", temperature=0.3)
            text = str(answer.data["reply"]).strip()
            if not text:
                raise OpenAIBadResponse("empty reply")
            _grounded(text, {**facts, "template": template}, pick, kind)
            return Written(kind=kind, text=text, engine="openai", offers=offers,
                           generation_ms=round((time.monotonic() - started) * 1000))
        except OpenAIError as exc:
            fallback = f"{exc.code}: {exc}"[:200]
            logger.warning("Draft by the model refused, using the template: %s", exc.code)
    return Written(kind=kind, text=template, engine="template", offers=offers, fallback=fallback,
                   generation_ms=round((time.monotonic() - started) * 1000))
