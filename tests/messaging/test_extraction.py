"""Understanding a message: the rule engine phrase by phrase, its accuracy on
the labelled set, and the model engine against a local OpenAI-compatible
server, falling back to the rules whenever the model fails."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from bench.ai_extract import TARGET_ACCURACY, load, score
from integrations.models import ApiLog
from messaging.assistant.extraction import FIELDS, Extraction, extract
from messaging.assistant.llm import SCHEMA
from messaging.assistant.rules import extract_rules
from tests.integrations.openai import server

fake_openai = server.fake_openai  # the local model server, as a fixture of this module
TODAY = dt.date(2026, 11, 21)
D = dt.date


def read(text: str, today: dt.date = TODAY) -> Extraction:
    return extract_rules(text, today=today)


def facts(text: str, *names: str) -> tuple:
    found = read(text)
    return tuple(getattr(found, name) for name in names)


@pytest.mark.parametrize(("text", "intent"), [
    ("Хотим во Вьетнам в марте", "tour_request"),
    ("Подберите тур подешевле", "tour_request"),
    ("Бронируем этот вариант!", "booking"),
    ("please book the second option", "booking"),
    ("Скиньте реквизиты для оплаты", "payment"),
    ("Can I pay by card?", "payment"),
    ("Нужна ли виза во Вьетнам?", "documents"),
    ("Когда пришлёте ваучер и билеты?", "documents"),
    ("Ужас, номер грязный, требую переселить", "complaint"),
    ("I want a refund, the hotel was awful", "complaint"),
    ("Где находится ваш офис?", "question"),
    ("Какая погода в Нячанге в январе?", "question"),
    ("Спасибо, всё понятно", "other"),
    ("Здравствуйте", "other"),
])
def test_intent(text, intent):
    assert read(text).intent == intent


@pytest.mark.parametrize(("text", "urgent"), [
    ("Срочно нужен тур!", True),
    ("горит путёвка, помогите", True),
    ("need a tour asap", True),
    ("Оплата не прошла, деньги списались", True),
    ("Платёж завис", True),
    ("Вылет завтра, где ваучер?", True),
    ("Хотим в Нячанг в марте", False),
    ("Спасибо!", False),
])
def test_urgency(text, urgent):
    assert read(text).urgent is urgent


@pytest.mark.parametrize(("text", "language"), [
    ("Здравствуйте, хотим в Нячанг", "ru"),
    ("Сәлеметсіз бе! Турлар бар ма?", "kk"),
    ("Рахмет, бәрі жақсы", "kk"),
    ("Спасибо, рахмет!", "ru"),  # one Kazakh word in Russian is still Russian
    ("Hello, we want to go to Vietnam", "en"),
    ("Hello, хотим в Nha Trang на 10 nights в декабре", "ru"),
])
def test_language(text, language):
    assert read(text).language == language


@pytest.mark.parametrize(("text", "country", "resort"), [
    ("Хотим в Нячанг", "Vietnam", "Nha Trang"),
    ("отдыхали в Нячанге", "Vietnam", "Nha Trang"),
    ("nhatrang please", "Vietnam", "Nha Trang"),
    ("тур в нячанк", "Vietnam", "Nha Trang"),
    ("на Фукуок", "Vietnam", "Phu Quoc"),
    ("отель на Фукуоке", "Vietnam", "Phu Quoc"),
    ("Phu Quoc island", "Vietnam", "Phu Quoc"),
    ("в Дананг", "Vietnam", "Da Nang"),
    ("в Дананге", "Vietnam", "Da Nang"),
    ("Фантьет", "Vietnam", "Phan Thiet"),
    ("Фантхьет", "Vietnam", "Phan Thiet"),
    ("Муйне", "Vietnam", "Phan Thiet"),
    ("в Камрань", "Vietnam", "Cam Ranh"),
    ("Cam Ranh", "Vietnam", "Cam Ranh"),
    ("Хошимин", "Vietnam", "Ho Chi Minh City"),
    ("в Ханое", "Vietnam", "Hanoi"),
    ("Халонг", "Vietnam", "Ha Long"),
    ("во Вьетнам", "Vietnam", None),
    ("в тайланд", "Thailand", None),
    ("на Пхукет", "Thailand", "Phuket"),
    ("в Турцию", "Turkey", None),
    ("в Дубай", "UAE", "Dubai"),
    ("в ОАЭ", "UAE", None),
    ("в Египет", "Egypt", None),
    ("в Китай", "China", None),
    ("Нячанг или Фукуок?", "Vietnam", None),  # undecided between two resorts
    ("Вьетнам или Таиланд?", None, None),
    ("Хочу тур", None, None),
])
def test_destination(text, country, resort):
    assert facts(text, "destination_country", "destination_resort") == (country, resort)


@pytest.mark.parametrize(("text", "city"), [
    ("тур из Алматы", "Almaty"),
    ("вылет из Алма-Аты", "Almaty"),
    ("Хочу тур, я в Алмате", "Almaty"),
    ("tour from Almaty", "Almaty"),
    ("Хотим тур из Астаны", "Astana"),
    ("вылет из Нур-Султана", "Astana"),
    ("Do you have an office in Astana?", None),  # a question about the office, not a departure
])
def test_departure_city(text, city):
    assert read(text).departure_city == city


@pytest.mark.parametrize(("text", "date_from", "date_to"), [
    ("в марте", D(2027, 3, 1), D(2027, 3, 31)),
    ("в декабре", D(2026, 12, 1), D(2026, 12, 31)),
    ("в ноябре", D(2026, 11, 1), D(2026, 11, 30)),  # today's month is this year's
    ("в феврале 2028", D(2028, 2, 1), D(2028, 2, 29)),
    ("с 10 по 20 июня", D(2027, 6, 10), D(2027, 6, 20)),
    ("10-20 марта", D(2027, 3, 10), D(2027, 3, 20)),
    ("10.03–20.03", D(2027, 3, 10), D(2027, 3, 20)),
    ("с 28 декабря по 8 января", D(2026, 12, 28), D(2027, 1, 8)),
    ("на новый год", D(2026, 12, 28), D(2027, 1, 8)),
    ("на майские", D(2027, 5, 1), D(2027, 5, 10)),
    ("в конце апреля", D(2027, 4, 21), D(2027, 4, 30)),
    ("в начале июля", D(2027, 7, 1), D(2027, 7, 10)),
    ("в середине января", D(2027, 1, 11), D(2027, 1, 20)),
    ("после 15 мая", D(2027, 5, 16), None),
    ("с 5 января", D(2027, 1, 5), None),
    ("вылет 12 марта", D(2027, 3, 12), D(2027, 3, 12)),
    ("вылет 25.11", D(2026, 11, 25), D(2026, 11, 25)),
    ("10.03.2027", D(2027, 3, 10), D(2027, 3, 10)),
    ("from 20 December", D(2026, 12, 20), None),
    ("December 20-30", D(2026, 12, 20), D(2026, 12, 30)),
    ("in March", D(2027, 3, 1), D(2027, 3, 31)),
    ("март-апрель", D(2027, 3, 1), D(2027, 4, 30)),
    ("летом", D(2027, 6, 1), D(2027, 8, 31)),
    ("вылет завтра", D(2026, 11, 22), D(2026, 11, 22)),
    ("на следующей неделе", D(2026, 11, 23), D(2026, 11, 29)),
    ("Наурыз айында", D(2027, 3, 1), D(2027, 3, 31)),
    ("Хочу тур", None, None),
])
def test_dates(text, date_from, date_to):
    assert facts(text, "date_from", "date_to") == (date_from, date_to)


def test_a_month_is_read_against_the_day_the_message_was_written():
    assert facts("в марте", "date_from") == (D(2027, 3, 1),)
    assert read("в марте", today=D(2027, 2, 10)).date_from == D(2027, 3, 1)
    assert read("в марте", today=D(2027, 4, 1)).date_from == D(2028, 3, 1)


@pytest.mark.parametrize(("text", "nights"), [
    ("на 10 ночей", (10, 10)),
    ("10-12 ночей", (10, 12)),
    ("от 7 до 9 ночей", (7, 9)),
    ("7 нч", (7, 7)),
    ("10 nights", (10, 10)),
    ("десять ночей", (10, 10)),
    ("на неделю", (7, 7)),
    ("две недели", (14, 14)),
    ("2 weeks", (14, 14)),
    ("полторы недели", (10, 10)),
    ("на 7 дней", (6, 6)),  # N days are N-1 nights
    ("дней на 10", (9, 9)),
    ("10 түн", (10, 10)),
    ("через неделю", (None, None)),  # when, not how long
])
def test_nights(text, nights):
    assert facts(text, "nights_from", "nights_to") == nights


@pytest.mark.parametrize(("text", "travellers"), [
    ("вдвоём", (2, None, None)),
    ("на двоих", (2, None, None)),
    ("нас трое взрослых", (3, None, None)),
    ("2 взрослых и ребёнок 5 лет", (2, 1, [5])),
    ("2 взр + 2 реб (3 и 7 лет)", (2, 2, [3, 7])),
    ("2+1", (2, 1, None)),
    ("2 adults and 2 kids (4 and 9)", (2, 2, [4, 9])),
    ("семья из четырёх", (2, 2, None)),  # unspecified children: 2 adults
    ("семья из 4 человек, ребёнок 10 лет", (3, 1, [10])),
    ("с мужем", (2, None, None)),
    ("я с мужем и дочкой 4 года", (2, 1, [4])),
    ("с мамой и сестрой", (3, None, None)),
    ("я одна", (1, None, None)),
    ("нас 5 человек, двое детей", (3, 2, None)),
    ("с ребёнком 1,5 года", (None, 1, [1])),
    ("сын 10 лет и дочь 6 лет", (None, 2, [10, 6])),
    ("2 ересек 1 бала", (2, 1, None)),
    ("2 взрослых без детей", (2, 0, None)),
    ("Хочу тур", (None, None, None)),
])
def test_travellers(text, travellers):
    assert facts(text, "adults", "children", "children_ages") == travellers


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("до 1,5 млн тенге", Decimal("1500000"), "KZT"),
    ("1 500 000 тг", Decimal("1500000"), "KZT"),
    ("1500000₸", Decimal("1500000"), "KZT"),
    ("$2000", Decimal("2000"), "USD"),
    ("2000 долларов", Decimal("2000"), "USD"),
    ("3000 usd", Decimal("3000"), "USD"),
    ("бюджет 800к", Decimal("800000"), "KZT"),
    ("€1500", Decimal("1500"), "EUR"),
    ("1500 евро", Decimal("1500"), "EUR"),
    ("100 тыс рублей", Decimal("100000"), "RUB"),
    ("бюджет 2 ляма", Decimal("2000000"), "KZT"),
    ("полтора миллиона", Decimal("1500000"), "KZT"),
    ("бюджет 500-600 тыс", Decimal("600000"), "KZT"),  # the upper figure
    ("бюджет 3000", Decimal("3000"), None),  # a small amount without a currency has none
    ("Оплатила 300 000 тг, пришлите чек", None, None),  # a payment, not a budget
])
def test_budget(text, amount, currency):
    found = read(f"Тур во Вьетнам, {text}" if amount else text)
    assert (found.budget_amount, found.budget_currency) == (amount, currency)


@pytest.mark.parametrize(("text", "phone"), [
    ("мой номер 8 701 234 56 78", "+77012345678"),
    ("звоните +7 (707) 123-45-67", "+77071234567"),
    ("whatsapp 87771234567", "+77771234567"),
    ("тур в Нячанг на 10 ночей", None),
])
def test_phone(text, phone):
    assert read(text).phone == phone


def test_a_phone_and_an_email_are_not_read_as_budget_or_dates():
    found = read("Нячанг, пишите aigul.s@mail.kz или звоните 8 701 234 56 78")
    assert (found.email, found.phone) == ("aigul.s@mail.kz", "+77012345678")
    assert found.budget_amount is None and found.date_from is None and found.nights_from is None


def test_several_facts_in_one_message_with_typos_and_slang():
    found = read("Здраствуйте! нужен тур на 2их в нячанк с 10 по 20 января, дети 5 и 8 лет, бюджет 2 ляма, из алматы")
    assert found.as_json() == {
        "intent": "tour_request", "language": "ru", "destination_country": "Vietnam", "destination_resort": "Nha Trang",
        "departure_city": "Almaty", "date_from": "2027-01-10", "date_to": "2027-01-20", "nights_from": None,
        "nights_to": None, "adults": 2, "children": 2, "children_ages": [5, 8], "budget_amount": 2000000,
        "budget_currency": "KZT", "engine": "rules",
    }
    assert any(note.startswith("intent: tour_request") for note in found.notes)


def test_confidence_grows_with_what_was_understood():
    vague, clear = read("Здравствуйте"), read("Нячанг в марте на 10 ночей вдвоём, до 1 млн, из Алматы")
    assert 0 <= vague.confidence < clear.confidence <= 1


@pytest.mark.parametrize(("text", "nights"), [
    ("ночей 10-11", (10, 11)),
    ("Вьетнам, ночей 10, вылет из Алматы", (10, 10)),
    ("ночи: 8", (8, 8)),
    ("7-10н", (7, 10)),
    ("10н", (10, 10)),
    ("Нячанг, 10 н., 2 взр", (10, 10)),
    ("на 10 ноч", (10, 10)),
    ("nights 7-10", (7, 10)),
    ("ночей 2 взрослых", (None, None)),  # a count of people, not of nights
])
def test_nights_after_the_word_or_abbreviated(text, nights):
    assert facts(text, "nights_from", "nights_to") == nights


@pytest.mark.parametrize(("text", "travellers"), [
    ("2 взр, 1 реб 3 г", (2, 1, [3])),
    ("ребенок 5 г.", (None, 1, [5])),
    ("дети 3 и 8 г", (None, 2, [3, 8])),
    ("family of 4 (kids 3 and 8)", (2, 2, [3, 8])),
    ("2 adults, children aged 4 and 9", (2, 2, [4, 9])),
    ("a kid (5)", (None, 1, [5])),
    ("дети в возрасте 6, 11", (None, 2, [6, 11])),
])
def test_child_ages_abbreviated_or_after_the_children(text, travellers):
    assert facts(text, "adults", "children", "children_ages") == travellers


@pytest.mark.parametrize(("text", "adults"), [
    ("Сколько стоит тур в Дананг на 10 дней на одного?", 1),
    ("одному в Нячанг на неделю", 1),
    ("a tour for one, 7 nights", 1),
    ("solo trip to Bali", 1),
    ("документы для ребенка, который едет с одним родителем", 1),
    ("на одного ребенка", None),
    ("for one week", None),
])
def test_one_traveller(text, adults):
    assert read(text).adults == adults


@pytest.mark.parametrize(("text", "language", "date_from", "date_to"), [
    ("Салеметсиз бе, Фукуокка тур канша турады? 2 ересек, 1 бала 4 жаста, акпан айында", "kk",
     D(2027, 2, 1), D(2027, 2, 28)),
    ("Салеметсиз бе, наурызда турлар бар ма?", "kk", D(2027, 3, 1), D(2027, 3, 31)),
    ("Рахмет!", "kk", None, None),
    ("кантар айында", "kk", D(2027, 1, 1), D(2027, 1, 31)),
    ("қаңтарда", "kk", D(2027, 1, 1), D(2027, 1, 31)),
    ("сауир", "kk", D(2027, 4, 1), D(2027, 4, 30)),
    ("сәуірде", "kk", D(2027, 4, 1), D(2027, 4, 30)),
    ("мамыр", "kk", D(2027, 5, 1), D(2027, 5, 31)),
    ("маусымда", "kk", D(2027, 6, 1), D(2027, 6, 30)),
    ("шилде айында", "kk", D(2027, 7, 1), D(2027, 7, 31)),
    ("шілдеде", "kk", D(2027, 7, 1), D(2027, 7, 31)),
    ("тамызда", "kk", D(2027, 8, 1), D(2027, 8, 31)),
    ("кыркуйек айында", "kk", D(2027, 9, 1), D(2027, 9, 30)),
    ("қыркүйекте", "kk", D(2027, 9, 1), D(2027, 9, 30)),
    ("казанда", "kk", D(2027, 10, 1), D(2027, 10, 31)),
    ("қазан айында", "kk", D(2027, 10, 1), D(2027, 10, 31)),
    ("карашада", "kk", D(2026, 11, 1), D(2026, 11, 30)),
    ("желтоксанда", "kk", D(2026, 12, 1), D(2026, 12, 31)),
    ("желтоқсан айында", "kk", D(2026, 12, 1), D(2026, 12, 31)),
    ("Хотим в Нячанг, вылет из Казани", "ru", None, None),  # a Russian city, not October
])
def test_kazakh_in_russian_letters_and_its_months(text, language, date_from, date_to):
    assert facts(text, "language", "date_from", "date_to") == (language, date_from, date_to)


@pytest.mark.parametrize(("text", "day", "urgent"), [
    ("У меня вылет через 2 дня а в приложении бронь не отображается!!", D(2026, 11, 23), True),
    ("вылетаем через три дня, где билеты?", D(2026, 11, 24), True),
    ("тур через 10 дней в Нячанг", D(2026, 12, 1), False),
    ("улетаем завтра", D(2026, 11, 22), True),
    ("нужен тур на послезавтра", D(2026, 11, 23), True),
    ("please send the invoice, I'll pay tomorrow", None, False),  # not the trip's day
    ("Оплачу через 2 дня", None, False),
])
def test_a_day_counted_from_today_is_a_date_not_nights(text, day, urgent):
    found = read(text)
    assert (found.date_from, found.date_to, found.nights_from, found.urgent) == (day, day, None, urgent)


@pytest.mark.parametrize(("text", "intent"), [
    ("Здравствуйте, мы вчера бронировали Дананг, когда пришлете ваучеры?", "documents"),
    ("We booked Phu Quoc, when will you send the tickets?", "documents"),
    ("please book us the Sol by Melia Phu Quoc, 2 adults, 11 nights from Jan 10", "booking"),
    ("Nha Trang 10-20 March, 2 adults, book it", "booking"),
    ("Спасибо за быструю помощь с визой!", "other"),
    ("Thanks for the help with the tickets", "other"),
    ("Спасибо за подборку, бронируем вариант 2", "booking"),  # a request after the thanks still counts
    ("Подскажите, какой курс доллара вы берете при оплате в тенге?", "payment"),
    ("Как можно оплатить?", "payment"),
    ("Из Астаны во Вьетнам прямые рейсы есть? Планируем на майские", "question"),
    ("Прямые рейсы в Нячанг есть? Нас 2 взрослых и ребенок, 10 ночей в марте", "tour_request"),
])
def test_intent_of_less_plain_messages(text, intent):
    assert read(text).intent == intent


def test_thanks_for_help_is_not_urgent():
    assert read("Thanks for the help with the visa!").urgent is False


def test_every_field_is_right_on_nine_messages_in_ten_of_the_labelled_set():
    found = score(load(), lambda text, today: extract_rules(text, today=today))
    assert found["messages"]["all"] >= 100 and found["messages"]["holdout"] >= 25
    below = {name: value for name, value in found["accuracy"]["all"].items() if value < TARGET_ACCURACY}
    assert not below, below


def test_the_labelled_set_has_every_field_for_every_message():
    rows = load()
    assert all(set(FIELDS) <= set(row["expected"]) and row["today"] for row in rows)
    intents = {row["expected"]["intent"] for row in rows}
    languages = {row["expected"]["language"] for row in rows}
    assert intents == {"tour_request", "booking", "payment", "documents", "complaint", "question", "other"}
    assert languages == {"ru", "kk", "en"}


# ---------------------------------------------------------------- the model engine

def test_the_schema_is_valid_for_strict_structured_output():
    def check(schema):
        if schema.get("type") == "object" or "properties" in schema:
            assert schema["additionalProperties"] is False
            assert set(schema["required"]) == set(schema["properties"])
            for child in schema["properties"].values():
                check(child)
        if "items" in schema:
            check(schema["items"])

    check(SCHEMA)
    assert set(FIELDS) <= set(SCHEMA["properties"])
    assert SCHEMA["properties"]["intent"]["enum"] == list(
        ("tour_request", "booking", "payment", "documents", "complaint", "question", "other"))
    assert None in SCHEMA["properties"]["budget_currency"]["enum"]
    assert SCHEMA["properties"]["date_from"]["type"] == ["string", "null"]


def model_answer(**changes) -> dict:
    answer = {
        "intent": "tour_request", "language": "ru", "destination_country": "Вьетнам", "destination_resort": "nha trang",
        "departure_city": "Almaty", "date_from": "2027-03-01", "date_to": "2027-03-31", "nights_from": 10,
        "nights_to": None, "adults": 2, "children": 1, "children_ages": [5], "budget_amount": 1500000,
        "budget_currency": "KZT", "phone": "8 701 234 56 78", "email": None, "urgent": False, "confidence": 0.9,
        "reasons": ["Нячанг в марте"],
    }
    return {**answer, **changes}


def answering(answer: dict):
    return lambda request: json.dumps(answer, ensure_ascii=False)


@pytest.mark.django_db
def test_the_model_answer_is_parsed_normalised_and_logged(fake_openai):
    fake_openai.reply = answering(model_answer())

    found = extract("Нячанг в марте на 10 ночей, двое и ребёнок 5 лет, до 1,5 млн, 8 701 234 56 78", today=TODAY)

    assert found.engine == "openai"
    assert (found.destination_country, found.destination_resort, found.departure_city) == (
        "Vietnam", "Nha Trang", "Almaty")
    assert (found.date_from, found.date_to, found.nights_from, found.nights_to) == (
        D(2027, 3, 1), D(2027, 3, 31), 10, 10)
    assert (found.adults, found.children, found.children_ages) == (2, 1, [5])
    assert (found.budget_amount, found.budget_currency, found.phone) == (Decimal("1500000"), "KZT", "+77012345678")
    assert found.confidence == 0.9 and found.notes == ["Нячанг в марте"]
    sent = fake_openai.requests[0]["json"]
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert sent["response_format"]["json_schema"]["schema"] == SCHEMA
    assert "2026-11-21" in sent["messages"][0]["content"] and "Phan Thiet" in sent["messages"][0]["content"]
    assert sent["messages"][1] == {"role": "user", "content": "Нячанг в марте на 10 ночей, двое и ребёнок 5 лет, "
                                                              "до 1,5 млн, 8 701 234 56 78"}
    log = ApiLog.objects.get()
    assert (log.service, log.action, log.ok) == ("openai", "extract", True)


@pytest.mark.django_db
def test_unusable_values_of_the_model_become_none(fake_openai):
    fake_openai.reply = answering(model_answer(
        destination_resort="Atlantis", destination_country=None, departure_city="Shymkent", date_from="31.02.2027",
        date_to="2031-01-01", nights_from=500, nights_to=None, adults=-1, children_ages=[5, 40], budget_amount=-3,
        phone="12", email="not an email", confidence=7))

    found = extract("что-то", today=TODAY)

    assert found.engine == "openai" and found.intent == "tour_request"
    assert (found.destination_country, found.destination_resort, found.departure_city) == (None, None, None)
    assert (found.date_from, found.date_to, found.nights_from, found.adults) == (None, None, None, None)
    assert (found.children, found.children_ages, found.budget_amount, found.budget_currency) == (1, [5], None, None)
    assert (found.phone, found.email, found.confidence) == (None, None, 1.0)
    assert any(note.startswith("dropped: ") and "date_from" in note for note in found.notes)


FALLBACKS = [
    ("malformed", None, "fallback: bad_response"),
    ("timeout", None, "fallback: timeout"),
    ("429", 429, "fallback: rate_limited"),
    ("500", 500, "fallback: server_error"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("mode", "status", "reason"), FALLBACKS)
def test_when_the_model_fails_the_rules_answer_and_say_why(fake_openai, settings, caplog, mode, status, reason):
    fake_openai.mode = mode
    fake_openai.delay = 1.0
    settings.OPENAI_TIMEOUT = 0.3

    found = extract("Хотим в Нячанг в марте на 10 ночей вдвоём", today=TODAY)

    assert found.engine == "rules" and reason in found.notes
    assert (found.destination_resort, found.nights_from, found.adults) == ("Nha Trang", 10, 2)
    log = ApiLog.objects.get()
    assert (log.action, log.ok) == ("extract", False)
    assert log.status_code == (status if status else (200 if mode == "malformed" else None))
    assert "the rules answer instead" in caplog.text


@pytest.mark.django_db
def test_an_answer_without_a_usable_intent_falls_back_to_the_rules(fake_openai):
    fake_openai.reply = answering(model_answer(intent="buy_now"))

    found = extract("Спасибо!", today=TODAY)

    assert (found.engine, found.intent) == ("rules", "other") and "fallback: bad_response" in found.notes


def test_without_a_model_the_rules_answer(settings):
    settings.OPENAI_API_KEY = ""
    found = extract("Хотим в Нячанг", today=TODAY)
    assert found.engine == "rules" and not any(note.startswith("fallback") for note in found.notes)


@pytest.mark.django_db
def test_asking_for_the_model_without_one_falls_back_and_says_so(settings):
    settings.OPENAI_API_KEY = ""
    found = extract("Хотим в Нячанг", today=TODAY, engine="openai")
    assert found.engine == "rules" and "fallback: not_configured" in found.notes


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown extraction engine"):
        extract("Хотим в Нячанг", engine="magic")
