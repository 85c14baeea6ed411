"""The Telegram bot for tourists: ``/start``, a language, then destination,
dates, nights and travellers, then real offers with a "Book" button each.

Rules:

- The bot speaks only in Telegram conversations where the tourist sent
  ``/start`` (a ``BotSession``), while admins leave it on
  (``AssistantSettings.bot_enabled``), and until the tourist books or asks for a
  person; after that the agent (and the assistant's drafts) take over, and
  ``/start`` begins again.
- Each step asks one thing, with buttons. Free text at any step goes through the
  extractor and fills every field it gives; the bot then asks the first thing
  still unknown, so a tourist who says it all at once gets offers at once.
- Offers are SAMO's only (``offers_for``): never a made-up hotel or price. What
  was shown is kept in the session; "Book" finds the offer again by its key
  (prices change) and, when it is gone, says so and shows the current ones.
- Booking fills the conversation's lead with the trip, attaches the offer as a
  snapshot (``tours.services.offers``), gives the lead to an agent (round robin
  when nobody has it) and tells the agent; a second press finds the first
  booking. ``/agent`` hands the conversation to a person the same way.
- Every reply is an outgoing message of the conversation
  (``system_reply_create``), so agents read the bot's side in the inbox.
- An inbound message is handled once: the session row is locked, and it
  remembers the messages it handled lately (anything older counts as handled),
  so a re-run of the task or a late sweep sends nothing twice, while two
  presses processed out of order are both answered.
"""

import datetime as dt
import logging
import uuid
from dataclasses import asdict, dataclass, fields
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm import access
from crm.models import Currency, Lead, MealPlan, Notification, StageKind
from crm.roles import Role
from crm.services.leads import lead_assign_round_robin, lead_update
from crm.services.matching import Identifiers, client_match, open_lead_for
from integrations.http import ProviderError
from integrations.samo.actions import PriceQuery
from integrations.samo.errors import SamoError
from integrations.telegram import client as telegram
from messaging.assistant.bot_texts import LANGUAGE_NAMES, TEXTS, plural
from messaging.assistant.extraction import extract
from messaging.assistant.offers import (
    DEFAULT_CHILD_AGE,
    DEFAULT_DEPARTURE,
    TRIP_SPAN_DAYS,
    OfferLine,
    OfferPick,
    TripRequest,
    offers_for,
)
from messaging.models import AssistantSettings, BotSession, Conversation, Message, Platform
from messaging.services.outbound import system_reply_create
from tours.services.offers import offer_attach, offer_summary
from tours.services.reference import countries, departure_cities
from tours.services.search import Offer, SearchResult, offer_find

logger = logging.getLogger(__name__)

Step = BotSession.Step
SENDER = "Crystal Bay bot"
COUNTRY = "Vietnam"
RESORTS = ("Nha Trang", "Phu Quoc", "Da Nang", "Phan Thiet")
NIGHT_CHOICES = (7, 10, 14)
TRAVELLER_CHOICES = ((2, 0), (2, 1), (2, 2), (1, 0))
MONTH_CHOICES = 4
# The current month is offered only while this many days of it are left.
MONTH_DAYS_LEFT = 10
OFFERS_SHOWN = 3
# Offers remembered for their "Book" buttons (older buttons answer "no longer there").
OFFERS_KEPT = 12
# Typed answers that are a bare number, at the step that asks for one.
MAX_NIGHTS, MAX_TRAVELLERS = 30, 9
# How many handled message ids a session remembers.
HANDLED_KEPT = 20
# The booking's idempotency key (the snapshot's request token) is derived in this namespace.
BOOKING_TOKENS = uuid.UUID("6f1c2a7e-1b8d-4d5e-9a3f-0c7b2e4d9a61")

DATE_FIELDS = {"date_from", "date_to", "checkin_beg", "checkin_end"}
DECIMAL_FIELDS = {"budget_amount", "cost_min", "cost_max"}
TUPLE_FIELDS = {"ages", "towns", "hotels", "stars", "meals"}


def _dump(value) -> dict:
    """A dataclass (trip, search) as JSON for the session."""
    out = {}
    for name, item in asdict(value).items():
        if isinstance(item, dt.date):
            item = item.isoformat()
        elif isinstance(item, Decimal):
            item = str(item)
        elif isinstance(item, tuple):
            item = list(item)
        out[name] = item
    return out


def _load(cls, data: dict):
    values = {}
    for known in fields(cls):
        if known.name not in data:
            continue
        item = data[known.name]
        if item is not None and known.name in DATE_FIELDS:
            item = dt.date.fromisoformat(item)
        elif item is not None and known.name in DECIMAL_FIELDS:
            item = Decimal(item)
        elif item is not None and known.name in TUPLE_FIELDS:
            item = tuple(item)
        values[known.name] = item
    return cls(**values)


@dataclass
class Turn:
    """One inbound message being answered: the locked session and what was said."""

    session: BotSession
    conversation: Conversation
    message: Message
    command: str  # "start", "agent" or ""
    button: str  # the pressed button's data, or ""
    today: dt.date
    notice: str = ""  # shown over the chat when a button press needs no message

    @property
    def language(self) -> str:
        return self.session.language if self.session.language in TEXTS else "ru"

    @property
    def texts(self) -> dict:
        return TEXTS[self.language]

    @property
    def trip(self) -> TripRequest:
        return _load(TripRequest, self.session.data.get("trip") or {})

    @trip.setter
    def trip(self, trip: TripRequest) -> None:
        self.session.data["trip"] = {k: v for k, v in _dump(trip).items() if v is not None}

    def say(self, *parts: str, keyboard: list[list[dict]] | None = None) -> None:
        text = "\n\n".join(part for part in parts if part)
        system_reply_create(conversation=self.conversation, text=text, sender_name=SENDER,
                            reply_markup={"inline_keyboard": keyboard} if keyboard else None)


def _button(text: str, data: str) -> dict:
    return {"text": text, "callback_data": data}


def _command(text: str) -> str:
    words = (text or "").split(maxsplit=1)
    word = words[0].split("@", 1)[0].lower() if words else ""
    return {"/start": "start", "/agent": "agent"}.get(word, "")


def _press(message: Message) -> tuple[str, str]:
    """(callback query id, button data) of a button press; ("", "") for a typed message."""
    query = (message.raw or {}).get("callback_query") if (message.message_id or "").startswith("cb:") else None
    if not isinstance(query, dict):
        return "", ""
    return str(query.get("id") or ""), str(query.get("data") or "")


def _telegram_language(raw: dict) -> str:
    """The language the tourist's Telegram app is set to, when the bot speaks it."""
    sender = ((raw or {}).get("message") or (raw or {}).get("callback_query") or {}).get("from") or {}
    code = str(sender.get("language_code") or "")[:2].lower()
    return code if code in TEXTS else "ru"


def _locked_session(conversation_id: int, *, create: bool) -> BotSession | None:
    if create:
        try:
            with transaction.atomic():
                BotSession.objects.get_or_create(conversation_id=conversation_id)
        except IntegrityError:
            pass  # a concurrent /start of the same chat made it a moment ago
    return BotSession.objects.select_for_update().filter(conversation_id=conversation_id).first()


def bot_handle(message: Message) -> bool:
    """Answer one inbound Telegram message when the bot is talking to this tourist;
    True when the message was the bot's (handled now or before), False when the
    bot leaves it to people and the assistant (see the module's rules)."""
    if message.direction != Message.Direction.IN or message.platform != Platform.TELEGRAM:
        return False
    command = _command(message.text)
    if command != "start" and not BotSession.objects.filter(conversation_id=message.conversation_id).exists():
        return False
    if not AssistantSettings.current().bot_enabled:
        return False
    callback_id, button = _press(message)
    with transaction.atomic():
        session = _locked_session(message.conversation_id, create=command == "start")
        if session is None:
            return False
        if _handled(session, message):
            return True
        if not session.active and not (command or button):
            return False
        session.data["handled"] = sorted({*session.data.get("handled", []), message.pk})[-HANDLED_KEPT:]
        conversation = Conversation.objects.select_related("client", "lead__stage", "assignee").get(
            pk=message.conversation_id)
        turn = Turn(session=session, conversation=conversation, message=message, command=command, button=button,
                    today=timezone.localdate())
        _respond(turn)
        session.save()
        if callback_id:
            transaction.on_commit(lambda: _answer_press(callback_id, turn.notice))
    return True


def _handled(session: BotSession, message: Message) -> bool:
    handled = session.data.get("handled") or []
    return message.pk in handled or bool(handled) and message.pk < handled[0]


def _answer_press(callback_id: str, notice: str) -> None:
    try:
        telegram.answer_callback_query(callback_query_id=callback_id, text=notice)
    except ProviderError as exc:
        # The button only keeps spinning a few seconds longer; the answer itself was sent.
        logger.warning("Telegram: could not answer button press %s: %s", callback_id, exc)


def _respond(turn: Turn) -> None:
    if turn.command == "start":
        return _start(turn)
    if turn.session.step == Step.AGENT:
        return _remind(turn, turn.texts["with_agent"])
    if turn.command == "agent" or turn.button == "agent":
        return _hand_over(turn)
    if turn.session.step == Step.BOOKED:
        return _remind(turn, turn.texts["already_booked"].format(number=turn.session.lead_id))
    if turn.button:
        return _pressed(turn)
    return _typed(turn)


def _remind(turn: Turn, text: str) -> None:
    """Where the tourist stands once the bot is done: a notice over the chat for a
    button (a second press adds nothing to the thread), a message for a command."""
    if turn.button:
        turn.notice = text
    else:
        turn.say(text)


# --- Steps -----------------------------------------------------------------------


def _start(turn: Turn) -> None:
    session = turn.session
    session.step = Step.LANGUAGE
    session.language = _telegram_language(turn.message.raw)
    session.lead = None
    session.started_at = timezone.now()
    # The offer numbering carries on, so a "Book" button from before the restart finds nothing.
    session.data = {"handled": session.data["handled"], "seq": session.data.get("seq", 0)}
    turn.say(turn.texts["choose_language"],
             keyboard=[[_button(name, f"lang:{code}") for code, name in LANGUAGE_NAMES.items()]])


def _next_question(trip: TripRequest) -> str | None:
    if not (trip.destination_country or trip.destination_resort):
        return Step.DESTINATION
    if not trip.date_from:
        return Step.DATES
    span = (trip.date_to - trip.date_from).days if trip.date_to else 0
    if not (trip.nights_from or trip.nights_to or 0 < span <= TRIP_SPAN_DAYS):
        return Step.NIGHTS
    if not trip.adults:
        return Step.TRAVELLERS
    return None


def _advance(turn: Turn, *, before: str = "") -> None:
    """Ask the first thing still unknown, or show offers when nothing is."""
    question = _next_question(turn.trip)
    if question is None:
        return _show_offers(turn, before=before)
    turn.session.step = question
    return _ask(turn, question, before=before)


def _months(today: dt.date) -> list[dt.date]:
    first = today.replace(day=1)
    if (_next_month(first) - today).days < MONTH_DAYS_LEFT:
        first = _next_month(first)
    months = [first]
    while len(months) < MONTH_CHOICES:
        months.append(_next_month(months[-1]))
    return months


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _people(turn: Turn, adults: int, children: int, *, joiner: str = ", ") -> str:
    parts = [plural(turn.language, adults, turn.texts["adults"])]
    if children:
        parts.append(plural(turn.language, children, turn.texts["children"]))
    return joiner.join(parts)


def _keyboard(turn: Turn, step: str) -> list[list[dict]]:
    texts = turn.texts
    if step == Step.DESTINATION:
        resorts = [_button(texts["places"][name], f"dest:{name}") for name in RESORTS]
        return [resorts[:2], resorts[2:], [_button(texts["all_country"], f"dest:{COUNTRY}")]]
    if step == Step.DATES:
        months = [_button(texts["months"][month.month - 1] + (f" {month.year}" if month.year != turn.today.year
                                                               else ""), f"month:{month:%Y-%m}")
                  for month in _months(turn.today)]
        return [months[:2], months[2:]]
    if step == Step.NIGHTS:
        return [[_button(plural(turn.language, n, texts["nights"]), f"nights:{n}") for n in NIGHT_CHOICES]]
    return [[_button(_people(turn, adults, children, joiner=" + "), f"pax:{adults}:{children}")]
            for adults, children in TRAVELLER_CHOICES]


def _ask(turn: Turn, step: str, *, before: str = "") -> None:
    question = {Step.DESTINATION: "ask_destination", Step.DATES: "ask_dates", Step.NIGHTS: "ask_nights",
                Step.TRAVELLERS: "ask_travellers"}[step]
    turn.say(before, turn.texts[question], keyboard=_keyboard(turn, step))


def _pressed(turn: Turn) -> None:
    """A button: its answer replaces the one given before (an older button changes that answer)."""
    kind, _sep, value = turn.button.partition(":")
    if kind == "book":
        return _book(turn, value)
    trip = turn.trip
    if kind == "lang" and value in TEXTS:
        turn.session.language = value
    elif kind == "dest" and value in (*RESORTS, COUNTRY):
        trip.destination_country, trip.destination_resort = COUNTRY, value if value != COUNTRY else None
    elif kind == "month" and (window := _month_window(value, turn.today)):
        trip.date_from, trip.date_to = window
    elif kind == "nights" and value.isdecimal():
        trip.nights_from = trip.nights_to = int(value)
    elif kind == "pax" and all(part.isdecimal() for part in value.split(":")) and value.count(":") == 1:
        adults, children = (int(part) for part in value.split(":"))
        trip.adults, trip.children, trip.children_ages = adults, children, None
    elif kind == "dates":
        trip.date_from = trip.date_to = None
    elif kind != "retry":
        logger.info("Telegram bot: unknown button %r in conversation %s", turn.button, turn.conversation.pk)
    turn.trip = trip
    return _advance(turn)


def _month_window(value: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    try:
        first = dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        return None
    last = _next_month(first) - dt.timedelta(days=1)
    if last <= today:
        return None
    return max(first, today + dt.timedelta(days=1)), last


def _typed(turn: Turn) -> None:
    """Free text: whatever the extractor finds fills the trip; a bare number answers
    the question asked (nights, travellers)."""
    text = turn.message.text.strip()
    extraction = extract(text, today=turn.today)
    said = TripRequest.from_extraction(extraction)
    step = turn.session.step
    if text.isdecimal():
        number = int(text)
        if step == Step.NIGHTS and 0 < number <= MAX_NIGHTS:
            said.nights_from = said.nights_to = number
        elif step == Step.TRAVELLERS and 0 < number <= MAX_TRAVELLERS:
            said.adults, said.children = number, 0
    if step == Step.LANGUAGE and extraction.language in TEXTS:
        turn.session.language = extraction.language
    if any(getattr(said, known.name) not in (None, []) for known in fields(said)):
        turn.trip = turn.trip.merged(said)
        return _advance(turn)
    if step == Step.LANGUAGE:
        return _advance(turn)
    if step == Step.OFFERS:
        return turn.say(turn.texts["offers_prompt"], keyboard=[_after_offers_row(turn)])
    return _ask(turn, step, before=turn.texts["not_understood"])


# --- Offers ------------------------------------------------------------------------


def _after_offers_row(turn: Turn) -> list[dict]:
    return [_button(turn.texts["button_other_dates"], "dates"), _button(turn.texts["button_agent"], "agent")]


def _tenge(amount: Decimal) -> str:
    return f"{amount:,.0f}".replace(",", "\u00a0") + "\u00a0₸"


def _price(line: OfferLine) -> str:
    if line.price_kzt is not None:
        return _tenge(line.price_kzt)
    return f"{line.price:,.0f}".replace(",", "\u00a0") + f"\u00a0{line.currency}"


def _direction_names(query: PriceQuery) -> dict:
    """The departure city and country as SAMO names them (from its cached lists)."""
    cities, _fetched = departure_cities()
    states, _fetched = countries(town_from=query.town_from)
    return {"departure_city": next((c.name for c in cities if c.id == query.town_from), ""),
            "country": next((s.name for s in states if s.id == query.state), "")}


def _remember(turn: Turn, line: OfferLine, query: PriceQuery, names: dict) -> str:
    """Keep a shown offer for its "Book" button; the number the button carries."""
    data = turn.session.data
    data["seq"] = data.get("seq", 0) + 1
    shown = data.setdefault("offers", {})
    shown[str(data["seq"])] = {**line.as_dict(), "query": _dump(query), **names}
    for old in sorted(shown, key=int)[:-OFFERS_KEPT]:
        del shown[old]
    return str(data["seq"])


def _summary(turn: Turn, pick: OfferPick) -> str:
    texts, trip, query = turn.texts, turn.trip, pick.query
    place = trip.destination_resort or trip.destination_country or COUNTRY
    nights = plural(turn.language, query.nights_till, texts["nights"])
    if query.nights_from != query.nights_till:
        nights = f"{query.nights_from}–{nights}"
    city = trip.departure_city or DEFAULT_DEPARTURE
    return ", ".join((texts["places"].get(place, place), nights, _people(turn, query.adults, query.children),
                      texts["summary_departure"].format(city=texts["departures"].get(city, city))))


def _offer_text(turn: Turn, line: OfferLine) -> str:
    return turn.texts["offer_line"].format(
        hotel=line.hotel, stars=line.stars, resort=line.resort,
        checkin=line.checkin.strftime("%d.%m.%Y"), nights=plural(turn.language, line.nights, turn.texts["nights"]),
        meal=turn.texts["meals"].get(line.meal.upper(), line.meal), price=_price(line),
    ).strip()


def _show_offers(turn: Turn, *, before: str = "") -> None:
    """Search SAMO for the trip and show the cheapest few offers, each with its
    "Book" button; or say plainly that there are none, or that prices cannot be
    loaded now."""
    turn.session.step = Step.OFFERS
    texts = turn.texts
    pick = offers_for(turn.trip, limit=OFFERS_SHOWN, today=turn.today)
    if pick.error:
        logger.warning("Telegram bot: no offers for conversation %s: %s", turn.conversation.pk, pick.error)
        return turn.say(before, texts["samo_down"], keyboard=[[_button(texts["button_retry"], "retry"),
                                                               _button(texts["button_agent"], "agent")]])
    if not pick.offers:
        return turn.say(before, texts["no_offers"], keyboard=[_after_offers_row(turn)])
    names = _direction_names(pick.query)
    trip = turn.trip
    lines, keyboard = [], []
    for position, line in enumerate(pick.offers, start=1):
        number = _remember(turn, line, pick.query, names)
        lines.append(f"{position}. {_offer_text(turn, line)}")
        keyboard.append([_button(texts["button_book"].format(number=position), f"book:{number}")])
    keyboard.append(_after_offers_row(turn))
    notes = [texts["over_budget"] if pick.over_budget else ""]
    if trip.children and len(trip.children_ages or []) < trip.children:
        notes.append(texts["assumed_age"].format(age=DEFAULT_CHILD_AGE))
    turn.say(before, texts["offers_header"].format(summary=_summary(turn, pick)), "\n\n".join(lines), *notes,
             texts["offers_footer"], keyboard=keyboard)


# --- Booking and hand-over ---------------------------------------------------------


def _supervisor():
    """Someone who sees every lead, for when no agent is in the rotation."""
    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(groups__name__in=(Role.MANAGER, Role.ADMIN)))
            .order_by("pk").first())


def _lead_and_agent(turn: Turn) -> tuple[Lead, object]:
    """The conversation's open lead (the client's, made now if the message was not
    matched yet) and its agent: the assignee, else the next one in the rotation."""
    conversation, message = turn.conversation, turn.message
    client = conversation.client
    if client is None:
        identifiers = Identifiers(name=message.sender_name, **message.sender_ids)
        client = client_match(identifiers=identifiers, source=conversation.platform).client
    lead = conversation.lead
    if lead is None or lead.client_id != client.pk or lead.stage.kind != StageKind.OPEN:
        lead, _created = open_lead_for(client=client, source=conversation.platform)
    if lead.assignee_id is None:
        lead = lead_assign_round_robin(lead=lead)
    agent = lead.assignee
    conversation.client, conversation.lead = client, lead
    if conversation.assignee_id is None and agent is not None:
        conversation.assignee = agent
    conversation.save(update_fields=["client", "lead", "assignee"])
    return lead, agent


def _notify(*, user, kind: str, lead: Lead, text: str) -> None:
    Notification.objects.create(user=user, kind=kind, lead=lead, text=text[:500])


def _agent_line(turn: Turn, agent, key: str) -> str:
    name = getattr(agent, "first_name", "")
    return turn.texts[f"{key}_named"].format(agent=name) if name else turn.texts[key]


def _hand_over(turn: Turn) -> None:
    lead, agent = _lead_and_agent(turn)
    person = agent or _supervisor()
    if person is None:
        logger.error("Telegram bot: nobody to hand conversation %s over to", turn.conversation.pk)
    else:
        with translation.override(settings.LANGUAGE_CODE):
            text = _("%(client)s asks for a person in the Telegram bot") % {"client": lead.client.full_name}
        _notify(user=person, kind=Notification.Kind.ESCALATION, lead=lead, text=text)
    turn.session.step, turn.session.lead = Step.AGENT, lead
    turn.say(_agent_line(turn, agent, "handed_over"))


def _booked_fields(trip: TripRequest, offer: Offer, result: SearchResult, shown: dict) -> dict:
    """The lead's travel request as the booked offer makes it."""
    row, query = offer.row, result.query
    changes = {
        "departure_city": shown.get("departure_city", ""), "destination_country": shown.get("country", ""),
        "destination_resort": row.town, "date_from": row.check_in, "date_to": row.check_in,
        "nights_from": row.nights, "nights_to": row.nights, "adults": query.adults, "children": query.children,
        "children_ages": list(query.ages),
    }
    if row.stars and 1 <= row.stars <= 5:
        changes["hotel_stars"] = row.stars
    if row.meal.upper() in MealPlan.values:
        changes["meal_plan"] = row.meal.upper()
    currency = (trip.budget_currency or Currency.KZT).upper()
    if trip.budget_amount is not None and currency in Currency.values:
        changes["budget"], changes["budget_currency"] = trip.budget_amount, currency
    return changes


def _book(turn: Turn, number: str) -> None:
    """The tourist pressed "Book" under an offer shown to them."""
    texts = turn.texts
    shown = turn.session.data.get("offers", {}).get(number)
    if shown is None:
        return _advance(turn, before=texts["offer_gone"])
    try:
        found = offer_find(_load(PriceQuery, shown["query"]), offer_key=shown["key"])
    except SamoError as exc:
        logger.warning("Telegram bot: SAMO failed re-pricing offer %s: %s", shown["key"], exc)
        return turn.say(texts["samo_down"], keyboard=[[_button(texts["button_agent"], "agent")]])
    if found is None:
        return _show_offers(turn, before=texts["offer_gone"])
    offer, result = found
    lead, agent = _lead_and_agent(turn)
    person = agent if agent is not None and access.can_change(agent, lead) else _supervisor()
    if person is None:
        logger.error("Telegram bot: nobody to book offer %s for conversation %s", offer.key, turn.conversation.pk)
        turn.session.step, turn.session.lead = Step.AGENT, lead
        return turn.say(texts["agent_line"])
    # The bot books for the tourist itself (no person's name on the change); the agent is told.
    lead = lead_update(lead=lead, user=None, changes=_booked_fields(turn.trip, offer, result, shown))
    snapshot, _created = offer_attach(
        user=None, offer=offer, result=result, lead=lead,
        request_token=uuid.uuid5(BOOKING_TOKENS, f"{turn.conversation.pk}:{lead.pk}:{offer.key}"),
        trip={"departure_city": shown.get("departure_city", ""), "country": shown.get("country", "")},
    )
    with translation.override(settings.LANGUAGE_CODE):
        text = _("%(client)s booked in the Telegram bot: %(offer)s") % {
            "client": lead.client.full_name, "offer": offer_summary(snapshot)}
    _notify(user=person, kind=Notification.Kind.BOT_BOOKING, lead=lead, text=text)
    turn.session.step, turn.session.lead = Step.BOOKED, lead
    turn.session.data["booked"] = {"offer": number, "snapshot": snapshot.pk}
    line = OfferLine.of(offer)
    changed = texts["price_changed"].format(price=_price(line)) if str(line.price) != shown["price"] else ""
    turn.say(changed, texts["booked"].format(number=lead.pk, offer=_offer_text(turn, line),
                                             agent_line=_agent_line(turn, agent, "agent_line")))
