"""The Telegram bot end to end: real Telegram updates posted to our webhook (with
the secret), processed by eager Celery through the assistant, answered through
the local Telegram server (what it received is asserted), with offers from the
local SAMO server only."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache

from crm.models import Lead, Notification
from integrations.samo.actions import PriceQuery
from integrations.samo.fake import KZT_RATES
from integrations.telegram.inbound import parse_update
from messaging.assistant import bot_texts
from messaging.assistant.bot import bot_handle
from messaging.assistant.services import message_assist
from messaging.models import AssistantSettings, BotSession, Conversation, Draft, Message
from tests.crm.factories import UserFactory
from tours.models import OfferSnapshot

pytestmark = pytest.mark.django_db
CHAT = 7120001
RU, KK, EN = bot_texts.RU, bot_texts.KK, bot_texts.EN
USD = 2


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agent():
    return UserFactory(username="aigul", first_name="Айгуль", role="agent")


class Tourist:
    """One Telegram user: writes and presses buttons; each update goes to our
    webhook and everything it sets off runs (eager Celery)."""

    def __init__(self, telegram, webhooks, capture, chat_id: int = CHAT, language_code: str = "ru"):
        self.telegram, self.webhooks, self.capture = telegram, webhooks, capture
        self.chat_id, self.language_code = chat_id, language_code

    def post(self, update: dict) -> Message:
        with self.capture(execute=True):
            assert self.webhooks.telegram(update).status_code == 200
        inbound = parse_update(update)[0]
        message = Message.objects.get(platform="telegram", chat_id=inbound.chat_id, message_id=inbound.message_id)
        # The assistant runs after processing; running it again must change nothing.
        with self.capture(execute=True):
            message_assist(message_id=message.pk)
        return message

    def writes(self, text: str) -> Message:
        return self.post(self.telegram.message_update(chat_id=self.chat_id, text=text,
                                                      language_code=self.language_code))

    def presses(self, *, data: str = "", label: str = "") -> Message:
        return self.post(self.telegram.callback_update(chat_id=self.chat_id, data=data, label=label))

    def replies(self) -> list[dict]:
        return [c.json for c in self.telegram.api_calls("/sendMessage") if c.json["chat_id"] == str(self.chat_id)]

    def last(self) -> dict:
        return self.replies()[-1]

    def buttons(self, reply: dict | None = None) -> list[tuple[str, str]]:
        reply = reply or self.last()
        return [(b["text"], b["callback_data"]) for row in reply["reply_markup"]["inline_keyboard"] for b in row]

    def session(self) -> BotSession:
        """Read from the database each time: the bot keeps no state anywhere else."""
        return BotSession.objects.get(conversation__platform="telegram", conversation__chat_id=str(self.chat_id))


@pytest.fixture
def tourist(fake_telegram, fake_samo, webhooks, django_capture_on_commit_callbacks):
    return Tourist(fake_telegram, webhooks, django_capture_on_commit_callbacks)


def tenge(amount: Decimal) -> str:
    return f"{amount:,.0f}".replace(",", "\u00a0") + "\u00a0₸"


def samo_offers(fake_samo, session: BotSession) -> list[dict]:
    """What the SAMO server itself answers for the search the bot made: the
    cheapest row of each hotel, cheapest first."""
    shown = session.data["offers"]
    search = shown[max(shown, key=int)]["query"]
    query = PriceQuery(**{name: dt.date.fromisoformat(value) if name.startswith("checkin_")
                          else tuple(value) if isinstance(value, list) else value for name, value in search.items()})
    return fake_samo.catalogue.prices(query.params())["prices"]


def test_from_start_to_a_booked_lead(tourist, fake_telegram, fake_samo, agent):
    tourist.writes("/start")
    assert tourist.last()["text"] == RU["choose_language"]
    assert tourist.buttons() == [("Русский", "lang:ru"), ("Қазақша", "lang:kk"), ("English", "lang:en")]
    assert tourist.session().step == "language"

    tourist.presses(data="lang:ru")
    assert RU["ask_destination"] in tourist.last()["text"]
    assert [label for label, _data in tourist.buttons()] == ["Нячанг", "Фукуок", "Дананг", "Фантьет", "Весь Вьетнам"]
    assert (tourist.session().step, tourist.session().language) == ("destination", "ru")

    tourist.presses(label="Нячанг")
    assert RU["ask_dates"] in tourist.last()["text"]
    assert len(tourist.buttons()) == 4 and all(data.startswith("month:") for _label, data in tourist.buttons())
    assert tourist.session().data["trip"] == {"destination_country": "Vietnam", "destination_resort": "Nha Trang"}

    tourist.writes("в марте")
    assert RU["ask_nights"] in tourist.last()["text"]
    assert tourist.buttons() == [("7 ночей", "nights:7"), ("10 ночей", "nights:10"), ("14 ночей", "nights:14")]
    march = dt.date(dt.date.today().year + (dt.date.today().month > 3), 3, 1)
    assert tourist.session().data["trip"]["date_from"] == march.isoformat()

    tourist.presses(label="10 ночей")
    assert RU["ask_travellers"] in tourist.last()["text"]
    assert tourist.buttons() == [("2 взрослых", "pax:2:0"), ("2 взрослых + 1 ребёнок", "pax:2:1"),
                                 ("2 взрослых + 2 ребёнка", "pax:2:2"), ("1 взрослый", "pax:1:0")]

    tourist.presses(data="pax:2:0")
    offers = tourist.last()
    session = tourist.session()
    assert session.step == "offers"
    assert "Нячанг, 10 ночей, 2 взрослых, вылет из Алматы" in offers["text"]
    from_samo = samo_offers(fake_samo, session)[:3]
    assert len({row["hotel"] for row in from_samo}) == 3
    for position, row in enumerate(from_samo, start=1):
        price_kzt = (Decimal(str(row["price"])) * KZT_RATES[USD]).quantize(Decimal("1"))
        check_in = dt.datetime.strptime(row["checkIn"], "%Y%m%d").date()
        assert f"{position}. {row['hotel']} {row['star']}, Нячанг\n{check_in:%d.%m.%Y}, 10 ночей" in offers["text"]
        assert tenge(price_kzt) in offers["text"]
        assert march <= check_in < march.replace(month=4)
    books = tourist.buttons(offers)
    assert [label for label, _data in books] == ["Забронировать 1", "Забронировать 2", "Забронировать 3",
                                                 "Другие даты", "Связаться с менеджером"]

    tourist.presses(label="Забронировать 1")
    chosen = from_samo[0]
    session = tourist.session()
    assert session.step == "booked"
    lead = Lead.objects.get()
    assert session.lead == lead and lead.assignee == agent
    conversation = Conversation.objects.get(chat_id=str(CHAT))
    assert (conversation.lead, conversation.assignee) == (lead, agent)
    check_in = dt.datetime.strptime(chosen["checkIn"], "%Y%m%d").date()
    assert (lead.destination_country, lead.destination_resort, lead.departure_city) == ("Вьетнам", "Нячанг", "Алматы")
    assert (lead.date_from, lead.nights_from, lead.nights_to, lead.adults, lead.children) == (check_in, 10, 10, 2, 0)
    snapshot = OfferSnapshot.objects.get()
    assert (snapshot.lead, snapshot.offer_key, snapshot.hotel) == (lead, chosen["id"], chosen["hotel"])
    assert snapshot.price == Decimal(str(chosen["price"])) and snapshot.currency == "USD"
    # The bot booked for the tourist: no person's name on the offer or the change.
    assert snapshot.created_by is None
    assert not lead.activities.filter(kind__in=("offer", "system"), author__isnull=False).exists()
    notification = Notification.objects.get(kind=Notification.Kind.BOT_BOOKING)
    assert (notification.user, notification.lead) == (agent, lead) and chosen["hotel"] in notification.text
    booked = tourist.last()
    assert booked["text"].startswith(f"Спасибо! Заявка № {lead.pk} принята:\n{chosen['hotel']} {chosen['star']}")
    assert "Менеджер Айгуль проверит наличие мест" in booked["text"] and "reply_markup" not in booked
    # Every press was answered (the button stops spinning); the bot's side is in the inbox thread.
    assert len(fake_telegram.api_calls("/answerCallbackQuery")) == 5
    outgoing = Message.objects.filter(conversation=conversation, direction="out")
    assert outgoing.count() == 7 and set(outgoing.values_list("status", flat=True)) == {"sent"}
    assert not Draft.objects.exists()


def test_a_redelivered_update_and_a_second_run_answer_once(tourist, fake_telegram):
    update = fake_telegram.message_update(chat_id=CHAT, text="/start")
    message = tourist.post(update)
    again = tourist.post(update)
    assert again == message
    assert bot_handle(message) is True
    assert len(tourist.replies()) == 1


def test_presses_handled_out_of_order_are_each_answered_once(tourist, fake_telegram, webhooks,
                                                             django_capture_on_commit_callbacks):
    tourist.writes("/start")
    tourist.presses(data="lang:ru")
    stored = []
    for data in ("dest:Da Nang", "dest:Phu Quoc"):  # stored; their processing has not run yet
        update = fake_telegram.callback_update(chat_id=CHAT, data=data)
        assert webhooks.telegram(update).status_code == 200
        stored.append(Message.objects.get(message_id=f"cb:{update['callback_query']['id']}"))
    with django_capture_on_commit_callbacks(execute=True):
        assert [bot_handle(stored[1]), bot_handle(stored[0]), bot_handle(stored[1])] == [True, True, True]
    assert len(tourist.replies()) == 4
    assert tourist.session().data["trip"]["destination_resort"] == "Da Nang"


def test_free_text_jumps_straight_to_offers(tourist, fake_samo):
    tourist.writes("/start")
    tourist.writes("хотим в Нячанг в марте на 10 ночей вдвоём")
    assert len(tourist.replies()) == 2
    session = tourist.session()
    assert session.step == "offers"
    assert session.data["trip"]["nights_from"] == 10 and session.data["trip"]["adults"] == 2
    offers = tourist.last()["text"]
    for row in samo_offers(fake_samo, session)[:3]:
        assert tenge((Decimal(str(row["price"])) * KZT_RATES[USD]).quantize(Decimal("1"))) in offers


def test_dates_with_an_end_need_no_nights_and_a_bare_number_answers_the_question(tourist):
    tourist.writes("/start")
    tourist.presses(data="lang:ru")
    tourist.presses(data="dest:Phu Quoc")
    tourist.writes("а там есть бассейн?")
    assert tourist.last()["text"].startswith(RU["not_understood"]) and RU["ask_dates"] in tourist.last()["text"]
    tourist.writes("с 10 по 20 марта")
    assert RU["ask_travellers"] in tourist.last()["text"]
    tourist.writes("3")
    session = tourist.session()
    assert session.step == "offers" and session.data["trip"]["adults"] == 3
    assert "Фукуок, 10 ночей, 3 взрослых" in tourist.last()["text"]


def test_a_double_press_of_book_makes_one_lead_one_snapshot_one_notification(tourist, fake_telegram, agent):
    tourist.writes("/start")
    tourist.writes("хотим в Нячанг в марте на 10 ночей вдвоём")
    first = fake_telegram.callback_update(chat_id=CHAT, label="Забронировать 2")
    second = fake_telegram.callback_update(chat_id=CHAT, label="Забронировать 2")
    tourist.post(first)
    tourist.post(second)

    assert Lead.objects.count() == 1 and OfferSnapshot.objects.count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.BOT_BOOKING).count() == 1
    assert len(tourist.replies()) == 3  # language, offers, booked: the second press only gets a notice
    lead = Lead.objects.get()
    answers = fake_telegram.api_calls("/answerCallbackQuery")
    assert [a.json["callback_query_id"] for a in answers] == [first["callback_query"]["id"],
                                                              second["callback_query"]["id"]]
    assert answers[1].json["text"] == RU["already_booked"].format(number=lead.pk)


def test_agent_command_hands_over_to_a_person(tourist, agent):
    tourist.writes("/start")
    tourist.presses(data="lang:ru")
    tourist.writes("/agent")

    session = tourist.session()
    lead = Lead.objects.get()
    assert session.step == "agent" and session.lead == lead and lead.assignee == agent
    assert Conversation.objects.get().assignee == agent
    escalation = Notification.objects.get(kind=Notification.Kind.ESCALATION)
    assert (escalation.user, escalation.lead) == (agent, lead)
    assert tourist.last()["text"] == RU["handed_over_named"].format(agent="Айгуль")

    tourist.writes("/agent")
    assert tourist.last()["text"] == RU["with_agent"]
    assert Notification.objects.filter(kind=Notification.Kind.ESCALATION).count() == 1
    later = tourist.writes("Нячанг")
    assert bot_handle(later) is False
    assert len(tourist.replies()) == 4


def test_samo_down_says_so_plainly_and_offers_a_person(tourist, fake_samo, agent):
    fake_samo.state.mode = "500"
    tourist.writes("/start")
    tourist.writes("хотим в Нячанг в марте на 10 ночей вдвоём")

    reply = tourist.last()
    assert reply["text"] == RU["samo_down"] and "₸" not in reply["text"]
    assert tourist.buttons(reply) == [("Попробовать снова", "retry"), ("Связаться с менеджером", "agent")]
    assert "offers" not in tourist.session().data

    tourist.presses(data="agent")
    assert tourist.session().step == "agent" and Lead.objects.get().assignee == agent
    assert not OfferSnapshot.objects.exists()


def test_an_offer_gone_since_it_was_shown_is_not_booked_and_the_current_ones_are_shown(tourist):
    tourist.writes("/start")
    tourist.writes("хотим в Нячанг в марте на 10 ночей вдвоём")
    session = tourist.session()
    first = min(session.data["offers"], key=int)
    session.data["offers"][first]["key"] = "13443016011:10:20270305"  # SAMO no longer has it
    session.save()

    tourist.presses(label="Забронировать 1")
    reply = tourist.last()
    assert reply["text"].startswith(RU["offer_gone"]) and "1. " in reply["text"]
    assert tourist.session().step == "offers" and not OfferSnapshot.objects.exists()


def test_a_price_changed_since_it_was_shown_is_booked_at_samos_price_and_said(tourist, fake_samo, agent):
    tourist.writes("/start")
    tourist.writes("хотим в Нячанг в марте на 10 ночей вдвоём")
    session = tourist.session()
    first = min(session.data["offers"], key=int)
    session.data["offers"][first]["price"] = "1.00"  # what was shown then
    session.save()
    row = samo_offers(fake_samo, session)[0]

    tourist.presses(label="Забронировать 1")
    price_kzt = tenge((Decimal(str(row["price"])) * KZT_RATES[USD]).quantize(Decimal("1")))
    assert tourist.last()["text"].startswith(RU["price_changed"].format(price=price_kzt))
    assert OfferSnapshot.objects.get().price == Decimal(str(row["price"]))


def test_with_no_agent_in_the_rotation_a_manager_gets_the_booking(tourist):
    manager = UserFactory(username="dana", first_name="Дана", role="manager")
    tourist.writes("/start")
    tourist.writes("хотим в Нячанг в марте на 10 ночей вдвоём")
    tourist.presses(label="Забронировать 1")

    lead = Lead.objects.get()
    assert lead.assignee is None and OfferSnapshot.objects.get().lead == lead
    assert Notification.objects.get(kind=Notification.Kind.BOT_BOOKING).user == manager
    assert RU["agent_line"] in tourist.last()["text"] and tourist.session().step == "booked"


def test_the_disabled_bot_does_not_answer(tourist):
    settings_row = AssistantSettings.current()
    settings_row.bot_enabled = False
    settings_row.save()
    message = tourist.writes("/start")
    assert bot_handle(message) is False
    assert not BotSession.objects.exists() and tourist.replies() == []


def test_a_session_stops_when_the_bot_is_switched_off(tourist):
    tourist.writes("/start")
    AssistantSettings.objects.filter(pk=1).update(bot_enabled=False)
    tourist.presses(data="lang:ru")
    assert len(tourist.replies()) == 1 and tourist.session().step == "language"


def test_the_telegram_language_is_the_default_and_a_button_changes_it(fake_telegram, fake_samo, webhooks,
                                                                      django_capture_on_commit_callbacks):
    kazakh = Tourist(fake_telegram, webhooks, django_capture_on_commit_callbacks, language_code="kk")
    kazakh.writes("/start")
    assert kazakh.last()["text"] == KK["choose_language"]
    kazakh.presses(data="lang:en")
    assert EN["ask_destination"] in kazakh.last()["text"]
    assert [label for label, _data in kazakh.buttons()][-1] == "All of Vietnam"


def test_every_language_has_every_text():
    assert set(RU) == set(KK) == set(EN)
    assert bot_texts.plural("ru", 21, RU["nights"]) == "21 ночь"
    assert bot_texts.plural("ru", 12, RU["nights"]) == "12 ночей"
    assert bot_texts.plural("en", 1, EN["nights"]) == "1 night"


def test_a_button_press_is_stored_as_a_message_of_its_chat(tourist, fake_telegram):
    tourist.writes("/start")
    update = fake_telegram.callback_update(chat_id=CHAT, data="lang:en")
    message = tourist.post(update)
    assert message.message_id == f"cb:{update['callback_query']['id']}"
    assert message.text == "English" and message.raw["callback_query"]["data"] == "lang:en"
    assert message.sender_ids == {"telegram_id": CHAT}
    assert Message.objects.filter(direction="in").count() == 2


def test_a_press_without_its_message_is_ignored():
    update = {"update_id": 9, "callback_query": {"id": "77", "from": {"id": 1, "is_bot": False, "first_name": "A"},
                                                 "inline_message_id": "AAQ", "data": "x"}}
    assert parse_update(update) == []
