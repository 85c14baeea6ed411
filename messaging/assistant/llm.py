"""The model engine: the configured OpenAI-compatible model reads the message
into the same ``Extraction`` the rules give, through one strict structured
output call (``integrations.openai.client.openai_request``, which logs it).

The model is told today's date, the canonical names and the reading rules of
``messaging.assistant.rules`` (so both engines agree on "неделю", "на новый
год", "семья из четырёх" …), and nothing it answers is trusted as is: each
value is checked and put in canonical form, an unusable value becomes None,
and an answer with no usable intent raises ``OpenAIBadResponse`` so that
``extract`` falls back to the rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.conf import settings

from integrations.openai import errors
from integrations.openai.client import openai_request
from messaging.assistant.extraction import FIELDS, LANGUAGES, Extraction, Intent
from messaging.assistant.rules import CITIES, COUNTRIES, EMAIL, RESORTS, language_of, place_named

ACTION = "extract"
CURRENCIES = ("KZT", "USD", "EUR", "RUB")
MAX_NIGHTS = 60
MAX_PEOPLE = 20
MAX_CHILD_AGE = 17
MAX_BUDGET = Decimal("1000000000")
DATES_WITHIN_DAYS = 2 * 366  # a travel date further away than that is a misreading


def _nullable(kind: str, description: str, **extra) -> dict:
    return {"type": [kind, "null"], "description": description, **extra}


SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "intent": {"type": "string", "enum": list(Intent.ALL)},
        "language": {"type": "string", "enum": list(LANGUAGES)},
        "destination_country": _nullable("string", "canonical English country name"),
        "destination_resort": _nullable("string", "canonical English resort name"),
        "departure_city": {"type": ["string", "null"], "enum": [city.name for city in CITIES] + [None]},
        "date_from": _nullable("string", "YYYY-MM-DD"),
        "date_to": _nullable("string", "YYYY-MM-DD"),
        "nights_from": _nullable("integer", "nights"),
        "nights_to": _nullable("integer", "nights"),
        "adults": _nullable("integer", "adult travellers"),
        "children": _nullable("integer", "child travellers"),
        "children_ages": {"type": ["array", "null"], "items": {"type": "integer"}},
        "budget_amount": _nullable("number", "the upper figure of the budget"),
        "budget_currency": {"type": ["string", "null"], "enum": [*CURRENCIES, None]},
        "phone": _nullable("string", "as written"),
        "email": _nullable("string", "as written"),
        "urgent": {"type": "boolean"},
        "confidence": {"type": "number", "description": "0..1"},
        "reasons": {"type": "array", "items": {"type": "string"}, "description": "a few short reasons"},
    },
}
SCHEMA["required"] = list(SCHEMA["properties"])

INSTRUCTIONS = """You read messages that tourists send to a Kazakh travel agency selling tours (mostly to Vietnam).
Answer with what the message says, null for what it does not say. Today is {today}.

intent: tour_request (wants a tour or its price), booking (books a chosen offer or asks about an existing
booking), payment, documents (visa, passport, vouchers, tickets, insurance, contract), complaint, question
(about the agency, weather, rules), other (thanks, greetings). language: ru, kk (Kazakh) or en.
Names in English, canonical: countries {countries}; resorts {resorts}; departure cities {cities}.
A resort implies its country. "A or B" between destinations leaves it null.
Dates as YYYY-MM-DD: a month without a year is its next occurrence (this month counts as this year), whole
(1st to last day); start/middle/end of a month are days 1-10/11-20/21-end; a single date is both date_from
and date_to; "from X" gives only date_from, "after X" the day after X; New Year is 28 December to 8 January;
the May holidays 1-10 May. A range of dates does not imply nights.
Nights: a week is 7, two weeks 14, N days are N-1 nights. Travellers: head counts ("вдвоём", "нас трое")
minus the children are adults; "with my husband" is 2 adults; a family of N with no children said is
2 adults and N-2 children; children and their ages only when said.
Budget: the upper figure; currency KZT, USD, EUR or RUB; an amount of 50000 or more without a currency is
KZT; money being paid or refunded is not a budget. urgent: "срочно", "горит", a stuck or failed payment,
a departure within 3 days."""


def _messages(text: str, today: dt.date) -> list[dict[str, str]]:
    instructions = INSTRUCTIONS.format(
        today=today.isoformat(), countries=", ".join(place.name for place in COUNTRIES),
        resorts=", ".join(f"{place.name} ({place.country})" for place in RESORTS),
        cities=", ".join(city.name for city in CITIES))
    return [{"role": "system", "content": instructions}, {"role": "user", "content": text}]


def _text(value: Any, limit: int = 80) -> str | None:
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else None


def _integer(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value) if low <= value <= high else None


def _date(value: Any, today: dt.date) -> dt.date | None:
    try:
        found = dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return found if found and abs((found - today).days) <= DATES_WITHIN_DAYS else None


def _range(low: int | None, high: int | None) -> tuple[int | None, int | None]:
    """A range given by one end is that one value; one given backwards is dropped."""
    low, high = low if low is not None else high, high if high is not None else low
    return (low, high) if low is None or low <= high else (None, None)


def _destination(data: dict) -> tuple[str | None, str | None]:
    resort_name, country_name = _text(data.get("destination_resort")), _text(data.get("destination_country"))
    resort = place_named(resort_name, RESORTS) if resort_name else None
    country = place_named(country_name, COUNTRIES) if country_name else None
    if resort:
        return resort.country, resort.name
    return (country.name if country else country_name), (resort_name if country_name else None)


def _budget(data: dict) -> tuple[Decimal | None, str | None]:
    try:
        amount = Decimal(str(data.get("budget_amount")))
    except (InvalidOperation, ValueError):
        return None, None
    if not amount.is_finite() or not 0 < amount <= MAX_BUDGET:
        return None, None
    currency = data.get("budget_currency")
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount, (
        currency if currency in CURRENCIES else None)


def _phone(value: Any) -> str | None:
    try:
        number = phonenumbers.parse(value, settings.PHONENUMBER_DEFAULT_REGION) if _text(value) else None
    except phonenumbers.NumberParseException:
        return None
    if number is None or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _children(data: dict) -> tuple[int | None, list[int] | None]:
    ages = data.get("children_ages")
    ages = [age for age in ages if _integer(age, 0, MAX_CHILD_AGE) is not None] if isinstance(ages, list) else []
    children = _integer(data.get("children"), 0, MAX_PEOPLE)
    if children is None and ages:
        children = len(ages)
    return children, [int(age) for age in ages] or None


def extraction_from_answer(data: Any, *, text: str, today: dt.date) -> Extraction:
    """The model's answer checked and in canonical form; ``OpenAIBadResponse`` when it has no usable intent."""
    if not isinstance(data, dict) or data.get("intent") not in Intent.ALL:
        raise errors.OpenAIBadResponse("no usable intent")
    unusable = [name for name in FIELDS if name in data and data[name] is not None]
    country, resort = _destination(data)
    city = place_named(data["departure_city"], CITIES) if _text(data.get("departure_city")) else None
    date_from, date_to = _date(data.get("date_from"), today), _date(data.get("date_to"), today)
    if date_from and date_to and date_to < date_from:
        date_to = None
    nights_from, nights_to = _range(_integer(data.get("nights_from"), 1, MAX_NIGHTS),
                                    _integer(data.get("nights_to"), 1, MAX_NIGHTS))
    children, ages = _children(data)
    budget, currency = _budget(data)
    email = _text(data.get("email"), 254)
    confidence = data.get("confidence")
    extraction = Extraction(
        intent=data["intent"],
        language=data.get("language") if data.get("language") in LANGUAGES else language_of(text),
        destination_country=country, destination_resort=resort, departure_city=city.name if city else None,
        date_from=date_from, date_to=date_to, nights_from=nights_from, nights_to=nights_to,
        adults=_integer(data.get("adults"), 1, MAX_PEOPLE), children=children, children_ages=ages,
        budget_amount=budget, budget_currency=currency, phone=_phone(data.get("phone")),
        email=email if email and EMAIL.fullmatch(email) else None, urgent=data.get("urgent") is True,
        confidence=round(min(max(float(confidence), 0.0), 1.0), 2) if isinstance(confidence, int | float) else 0.5,
        engine="openai",
        notes=[reason[:120] for reason in data.get("reasons") or [] if isinstance(reason, str)][:5],
    )
    dropped = [name for name in unusable if getattr(extraction, name) in (None, [])]
    if dropped:
        extraction.notes.append(f"dropped: {', '.join(dropped)}")
    return extraction


def extract_llm(text: str, *, today: dt.date) -> Extraction:
    """What ``text`` says, read by the model in one logged call; raises ``OpenAIError``."""
    response = openai_request(action=ACTION, messages=_messages(text, today), json_schema=SCHEMA,
                              schema_name="message_extraction", temperature=0)
    return extraction_from_answer(response.data, text=text, today=today)

