"""Replies built without a model, in the client's language (Russian, Kazakh,
English): the real offers SAMO returned, the questions a search still needs, or
a short holding answer. The texts go to tourists, not to the agency's staff,
so they live here per language rather than in the interface's catalogue
(which has no Kazakh)."""

from __future__ import annotations

from decimal import Decimal

from messaging.assistant.extraction import Intent
from messaging.assistant.offers import OfferLine, OfferPick

MONTHS = {
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
           "ноября", "декабря"),
    "kk": ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек", "қазан",
           "қараша", "желтоқсан"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}

TEXTS = {
    "ru": {
        "hello": "Здравствуйте{name}!",
        "offers": "Подобрали варианты по вашему запросу{where}:",
        "line": "{n}. {hotel} {stars} ({resort}) — вылет {date}, {nights} ноч., {meal} — {price}",
        "assumed": "Считали: {items}. Если нужно иначе — напишите, пересчитаем.",
        "over_budget": "В указанный бюджет вариантов не нашлось; это самые доступные.",
        "stale": "Цены из последней выгрузки туроператора, перед бронированием проверим их ещё раз.",
        "prices_change": "Цены актуальны на момент подбора и могут измениться. Какой вариант вам интересен?",
        "none": "На эти даты свободных туров{where} сейчас нет. Подобрать другие даты или курорт?",
        "samo_down": "Сейчас не получается загрузить цены туроператора. Менеджер пришлёт подборку, как только "
                     "система ответит.",
        "ask": "Чтобы подобрать тур, подскажите, пожалуйста:",
        "q_destination": "куда хотите поехать (страна или курорт)?",
        "q_dates": "когда планируете вылет (даты или месяц)?",
        "q_nights": "на сколько ночей?",
        "q_travellers": "сколько взрослых и детей (возраст детей)?",
        "q_departure": "из какого города вылет — Алматы или Астана?",
        "escalated": "Спасибо, что написали. Передали ваше сообщение менеджеру — он свяжется с вами в ближайшее "
                     "время.",
        "payment": "Спасибо! Передали вопрос по оплате менеджеру, он проверит и ответит вам в ближайшее время.",
        "documents": "Спасибо! Менеджер подготовит информацию по документам и визе и ответит вам.",
        "question": "Спасибо за вопрос! Менеджер уточнит детали и ответит вам в ближайшее время.",
        "other": "Спасибо за сообщение! Менеджер ответит вам в ближайшее время.",
    },
    "kk": {
        "hello": "Сәлеметсіз бе{name}!",
        "offers": "Сұрауыңыз бойынша нұсқаларды таңдадық{where}:",
        "line": "{n}. {hotel} {stars} ({resort}) — ұшу {date}, {nights} түн, {meal} — {price}",
        "assumed": "Есептедік: {items}. Басқаша керек болса, жазыңыз — қайта есептейміз.",
        "over_budget": "Көрсетілген бюджетке нұсқа табылмады; бұлар ең қолжетімділері.",
        "stale": "Бағалар туроператордың соңғы жүктемесінен; брондау алдында қайта тексереміз.",
        "prices_change": "Бағалар таңдау кезіндегі, өзгеруі мүмкін. Қай нұсқа ұнады?",
        "none": "Бұл күндерге{where} бос турлар қазір жоқ. Басқа күндер немесе курорт ұсынайық па?",
        "samo_down": "Қазір туроператордың бағаларын жүктей алмай тұрмыз. Менеджер жүйе жауап бергенде "
                     "нұсқаларды жібереді.",
        "ask": "Тур таңдау үшін, өтінеміз, айтыңызшы:",
        "q_destination": "қайда барғыңыз келеді (ел немесе курорт)?",
        "q_dates": "қашан ұшасыз (күндер немесе ай)?",
        "q_nights": "неше түнге?",
        "q_travellers": "неше ересек және бала (балалардың жасы)?",
        "q_departure": "қай қаладан ұшасыз — Алматы ма, Астана ма?",
        "escalated": "Жазғаныңызға рақмет. Хабарламаңызды менеджерге бердік — ол сізбен жақын арада "
                     "хабарласады.",
        "payment": "Рақмет! Төлем туралы сұрақты менеджерге бердік, ол тексеріп, жақын арада жауап береді.",
        "documents": "Рақмет! Менеджер құжаттар мен виза туралы ақпарат дайындап, жауап береді.",
        "question": "Сұрағыңызға рақмет! Менеджер нақтылап, жақын арада жауап береді.",
        "other": "Хабарламаңызға рақмет! Менеджер жақын арада жауап береді.",
    },
    "en": {
        "hello": "Hello{name}!",
        "offers": "Here are options for your request{where}:",
        "line": "{n}. {hotel} {stars} ({resort}) — departing {date}, {nights} nights, {meal} — {price}",
        "assumed": "We assumed: {items}. Tell us if it should be different and we will search again.",
        "over_budget": "Nothing fits the budget you named; these are the most affordable options.",
        "stale": "Prices are from the operator's last update; we will check them again before booking.",
        "prices_change": "Prices are as of now and may change. Which option do you like?",
        "none": "There are no tours available{where} for these dates right now. Shall we look at other dates "
                "or resorts?",
        "samo_down": "We cannot load the operator's prices right now. Your manager will send options as soon as "
                     "the system answers.",
        "ask": "To find a tour for you, please tell us:",
        "q_destination": "where would you like to go (country or resort)?",
        "q_dates": "when would you like to depart (dates or month)?",
        "q_nights": "for how many nights?",
        "q_travellers": "how many adults and children (children's ages)?",
        "q_departure": "which city do you fly from — Almaty or Astana?",
        "escalated": "Thank you for writing. We have passed your message to your manager, who will contact you "
                     "shortly.",
        "payment": "Thank you! We have passed your payment question to your manager, who will check and reply "
                   "shortly.",
        "documents": "Thank you! Your manager will prepare the information on documents and visas and reply.",
        "question": "Thank you for your question! Your manager will check the details and reply shortly.",
        "other": "Thank you for your message! Your manager will reply shortly.",
    },
}


def texts(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["ru"])


def money(amount: Decimal, currency: str = "KZT") -> str:
    grouped = f"{int(amount.quantize(Decimal('1'))):,}".replace(",", "\u00a0")
    return f"{grouped}\u00a0₸" if currency == "KZT" else f"{grouped}\u00a0{currency}"


def date_text(day, language: str) -> str:
    return f"{day.day} {MONTHS.get(language, MONTHS['ru'])[day.month - 1]}"


def offer_line(n: int, line: OfferLine, language: str) -> str:
    price = money(line.price_kzt) if line.price_kzt is not None else money(line.price, line.currency)
    return texts(language)["line"].format(n=n, hotel=line.hotel, stars=line.stars, resort=line.resort,
                                          date=date_text(line.checkin, language), nights=line.nights,
                                          meal=line.meal or "—", price=price).replace("  ", " ")


def _hello(name: str, language: str) -> str:
    first = name.split()[0] if name.strip() else ""
    return texts(language)["hello"].format(name=f", {first}" if first else "")


def offers_reply(*, pick: OfferPick, language: str, name: str = "", where: str = "") -> str:
    t = texts(language)
    where = f" ({where})" if where else ""
    if pick.error:
        return f"{_hello(name, language)} {t['samo_down']}"
    if not pick.found:
        return f"{_hello(name, language)} {t['none'].format(where=where)}"
    lines = [f"{_hello(name, language)} {t['offers'].format(where=where)}", ""]
    lines += [offer_line(n, line, language) for n, line in enumerate(pick.offers, start=1)]
    lines.append("")
    if pick.over_budget:
        lines.append(t["over_budget"])
    if pick.assumptions:
        lines.append(t["assumed"].format(items=", ".join(pick.assumptions)))
    if pick.stale:
        lines.append(t["stale"])
    lines.append(t["prices_change"])
    return "\n".join(lines).strip()


QUESTION_KEYS = {"destination": "q_destination", "dates": "q_dates", "nights": "q_nights",
                 "travellers": "q_travellers", "departure": "q_departure"}


def questions_reply(*, missing: list[str], language: str, name: str = "") -> str:
    t = texts(language)
    asked = [f"• {t[QUESTION_KEYS[item]]}" for item in missing if item in QUESTION_KEYS]
    return "\n".join([f"{_hello(name, language)} {t['ask']}", *asked])


def holding_reply(*, intent: str, escalated: bool, language: str, name: str = "") -> str:
    t = texts(language)
    key = "escalated" if escalated else {Intent.PAYMENT: "payment", Intent.DOCUMENTS: "documents",
                                          Intent.QUESTION: "question"}.get(intent, "other")
    return f"{_hello(name, language)} {t[key]}"
