"""A large, realistic Kazakhstan → Vietnam data set for benchmarks (``manage.py seed_demo``).

Rows go in with ``bulk_create`` in batches — no per-row ``save()``, no signals —
so a hundred thousand leads take seconds. Identifiers that must be unique
(phones, emails, Telegram and WhatsApp ids) are checked against the rows
already in the database, so the generator can run on top of the demo fixture
or of an earlier run. Everything random comes from one ``random.Random(seed)``:
the same seed on the same database gives the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import CharField, Max
from django.db.models.functions import Cast, Lower
from django.utils import timezone

from crm.models import (
    Channel,
    Client,
    Currency,
    Language,
    Lead,
    MealPlan,
    Order,
    OrderLog,
    OrderStatus,
    Pipeline,
    Stage,
    StageKind,
)
from crm.roles import Role

ALMATY = ZoneInfo("Asia/Almaty")
HISTORY_DAYS = 730
# Requests come in office hours and in the evening, Almaty time.
HOURS = range(8, 24)
HOUR_WEIGHTS = [2, 6, 9, 10, 9, 8, 8, 8, 8, 7, 6, 6, 5, 4, 3, 2]
COLUMN_STEP = 1024.0
TENGE = Decimal("1")

KAZAKH_MEN = ["Ерлан", "Нурлан", "Арман", "Данияр", "Бауыржан", "Ержан", "Асхат", "Тимур", "Алихан", "Руслан",
              "Мади", "Санжар", "Айдос", "Жандос", "Серик", "Марат", "Кайрат", "Азамат"]
KAZAKH_WOMEN = ["Айгерим", "Асель", "Динара", "Жанар", "Гульнар", "Айжан", "Мадина", "Сауле", "Алия", "Камила",
                "Дана", "Томирис", "Аружан", "Гаухар", "Жансая", "Гульмира"]
KAZAKH_SURNAMES = ["Жумабаев", "Сапаров", "Касымов", "Ахметов", "Абдрахманов", "Тулегенов", "Нурланов",
                   "Сейтказиев", "Ермеков", "Оспанов", "Искаков", "Муканов", "Бекмуханов", "Кенжебаев", "Смагулов",
                   "Утепов", "Байжанов", "Омаров", "Есенов", "Калиев"]
RUSSIAN_MEN = ["Сергей", "Максим", "Дмитрий", "Андрей", "Алексей", "Иван", "Артём", "Павел", "Никита", "Олег",
               "Владимир", "Евгений"]
RUSSIAN_WOMEN = ["Анна", "Екатерина", "Ольга", "Наталья", "Мария", "Татьяна", "Ирина", "Елена", "Юлия",
                 "Светлана", "Виктория", "Ксения"]
RUSSIAN_SURNAMES = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов",
                    "Новиков", "Морозов", "Волков", "Ковалёв", "Фёдоров", "Белов", "Ли", "Ким", "Пак", "Цой"]
TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"], strict=True,
))
# RFC 2606 domains: generated addresses must never reach a real mailbox.
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]
# Kazakhstan mobile operators' codes; every 7-digit subscriber number behind them is valid.
MOBILE_CODES = ["700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778"]

CITIES = ["Алматы", "Астана", "Шымкент", "Караганда", "Актобе", "Атырау", "Усть-Каменогорск"]
CITY_WEIGHTS = [48, 32, 7, 5, 3, 3, 2]
# Charter and scheduled flights to Vietnam leave from the two big cities only.
DEPARTURE_CITIES = {"Алматы", "Астана"}
LANGUAGES = [Language.RU, Language.KK, Language.EN]
LANGUAGE_WEIGHTS = [74, 22, 4]
SOURCES = [Channel.TELEGRAM, Channel.WHATSAPP, Channel.WAZZUP, Channel.WEB, Channel.PHONE, Channel.EMAIL,
           Channel.REFERRAL, Channel.WALK_IN, Channel.IMPORT]
SOURCE_WEIGHTS = [30, 28, 8, 14, 8, 4, 5, 2, 1]

RESORTS: dict[str, list[tuple[str, int]]] = {
    "Нячанг": [("Vinpearl Resort Nha Trang", 5), ("Sheraton Nha Trang Hotel & Spa", 5),
               ("InterContinental Nha Trang", 5), ("Amiana Resort Nha Trang", 5), ("Novotel Nha Trang", 4),
               ("Citadines Bayfront Nha Trang", 4), ("Liberty Central Nha Trang", 4), ("Nhi Nhi Hotel", 3)],
    "Нячанг (Камрань)": [("Alma Resort Cam Ranh", 5), ("Mövenpick Resort Cam Ranh", 5),
                         ("Radisson Blu Resort Cam Ranh", 5), ("Duyen Ha Resort Cam Ranh", 5)],
    "Фукуок": [("Vinpearl Resort & Spa Phu Quoc", 5), ("Novotel Phu Quoc Resort", 5),
               ("JW Marriott Phu Quoc Emerald Bay", 5), ("InterContinental Phu Quoc Long Beach Resort", 5),
               ("Seashells Phu Quoc Hotel & Spa", 5), ("Mercure Phu Quoc Resort & Villas", 4),
               ("Famiana Resort & Spa", 4), ("Phu Quoc Ocean Pearl Hotel", 3)],
    "Дананг": [("Furama Resort Danang", 5), ("Pullman Danang Beach Resort", 5), ("Sheraton Grand Danang Resort", 5),
               ("Hyatt Regency Danang Resort & Spa", 5), ("TMS Hotel Da Nang Beach", 4),
               ("Four Points by Sheraton Danang", 4), ("Sala Danang Beach Hotel", 4), ("Minh Toan Ocean Hotel", 3)],
    "Фантьет (Муйне)": [("Anantara Mui Ne Resort", 5), ("Centara Mirage Resort Mui Ne", 5),
                        ("Sea Links Beach Hotel", 5), ("Pandanus Resort", 4), ("The Cliff Resort & Residences", 4),
                        ("Muine Bay Resort", 4), ("Sunny Beach Resort & Spa", 3)],
    "Ханой": [("Hilton Hanoi Opera", 5), ("Sofitel Legend Metropole Hanoi", 5), ("Pan Pacific Hanoi", 5),
              ("Silk Path Hotel Hanoi", 4), ("Hanoi La Siesta Hotel & Spa", 4)],
    "Хошимин": [("Caravelle Saigon", 5), ("Rex Hotel Saigon", 5), ("Liberty Central Saigon Riverside", 4)],
}
RESORT_NAMES = list(RESORTS)
RESORT_WEIGHTS = [34, 12, 22, 16, 8, 5, 3]
ROOMS = ["Superior", "Deluxe", "Deluxe Ocean View", "Deluxe Garden View", "Family Room", "Junior Suite",
         "Premier Sea View", "Pool Villa"]
MEALS = [MealPlan.BB, MealPlan.HB, MealPlan.FB, MealPlan.AI, MealPlan.RO]
MEAL_WEIGHTS = [50, 15, 8, 22, 5]
OPERATORS = ["ANEX Tour", "Pegas Touristik", "FUN&SUN", "Coral Travel", "Kompas"]
OPERATOR_WEIGHTS = [30, 25, 20, 15, 10]
# Tenge per person and night by hotel stars, before the flight.
NIGHT_PRICE = {3: 38_000, 4: 62_000, 5: 98_000}
FLIGHT_PRICE = 260_000
LOST_REASONS = [
    "Дорого, нашли дешевле в другом агентстве",
    "Не согласовали отпуск на работе",
    "Передумали, поедут в Турцию",
    "Не отвечает на звонки и сообщения",
    "Перенесли поездку на следующий год",
    "Не подошли даты вылета",
    "Купили тур напрямую у оператора",
]

# A two-year history is mostly closed: most won leads have travelled, most of the
# rest are lost, and a tail of open requests stands in every column.
WON_STAGE_WEIGHTS = {"completed": 70, "paid": 14, "accepted": 6, "confirmed": 10}
OTHER_STAGE_WEIGHTS = {"lost": 55, "new": 12, "consultation": 9, "selection": 9, "offer": 8, "extras": 7}
# Nine orders in ten sit on won leads, one each (won leads are capped at 60% of all
# leads); the rest are new orders of leads choosing extras, cancelled orders of lost
# leads, and cancelled first attempts of won leads that were rebooked.
WON_ORDER_SHARE = Decimal("0.9")
MAX_WON_SHARE = Decimal("0.6")


@dataclass(frozen=True)
class SeedResult:
    clients: int
    leads: int
    orders: int
    order_log_entries: int
    agents: list[str]
    seed: int


class _LeadPlan(NamedTuple):
    client_index: int
    code: str
    created_at: dt.datetime
    trip_start: dt.date


def _feminine(surname: str) -> str:
    return surname + "а" if surname.endswith(("ов", "ев", "ёв", "ин")) else surname


def _latin(text: str) -> str:
    return "".join(TRANSLIT.get(ch, ch) for ch in text.lower())


class _Generator:
    def __init__(self, *, seed: int, batch_size: int):
        self.rng = random.Random(seed)
        self.batch_size = batch_size
        self.now = timezone.now()

    # --- helpers ---------------------------------------------------------

    def moment(self, *, days_ago_min: float, days_ago_max: float) -> dt.datetime:
        """A time in Almaty office-and-evening hours, between the given ages."""
        day = (self.now - dt.timedelta(days=self.rng.uniform(days_ago_min, days_ago_max))).astimezone(ALMATY)
        hour = self.rng.choices(HOURS, weights=HOUR_WEIGHTS)[0]
        moment = day.replace(hour=hour, minute=self.rng.randrange(60), second=self.rng.randrange(60), microsecond=0)
        return min(moment, self.now)

    def later(self, start: dt.datetime, *, hours_min: float, hours_max: float) -> dt.datetime:
        moment = start + dt.timedelta(seconds=round(self.rng.uniform(hours_min, hours_max) * 3600))
        return min(moment, self.now)

    # --- people ----------------------------------------------------------

    def agents(self) -> list:
        """The active agents (the demo's ``agent`` and ``agent2`` when loaded); a few new ones otherwise."""
        user_model = get_user_model()
        agents = list(user_model.objects.filter(groups__name=Role.AGENT, is_active=True).order_by("pk"))
        if agents:
            return agents
        group = Group.objects.get(name=Role.AGENT)
        names = [("Айдана", "Мухамедиярова"), ("Дмитрий", "Ли"), ("Жанель", "Сарсенова")]
        for number, (first_name, last_name) in enumerate(names, start=1):
            agent, created = user_model.objects.get_or_create(
                username=f"seed-agent-{number}",
                defaults={"first_name": first_name, "last_name": last_name, "is_staff": True},
            )
            if created:
                agent.set_unusable_password()
                agent.save(update_fields=["password"])
            agent.groups.add(group)
            agents.append(agent)
        return agents

    def lead_plans(self, *, clients: int, leads: int, orders: int) -> list[_LeadPlan]:
        """Who asks, where the request ends up and when it came: enough won leads for most orders, the rest by
        funnel weights; every client asks at least once, the other requests come from returning clients."""
        rng = self.rng
        won = min(int(orders * WON_ORDER_SHARE), int(leads * MAX_WON_SHARE))
        codes = rng.choices(list(WON_STAGE_WEIGHTS), weights=list(WON_STAGE_WEIGHTS.values()), k=won)
        codes += rng.choices(list(OTHER_STAGE_WEIGHTS), weights=list(OTHER_STAGE_WEIGHTS.values()), k=leads - won)
        rng.shuffle(codes)
        askers = rng.sample(range(clients), min(clients, leads))
        askers += rng.choices(range(clients), k=leads - len(askers))
        today = self.now.astimezone(ALMATY).date()
        plans = []
        for client_index, code in zip(askers, codes, strict=True):
            if code == "completed":
                created_at = self.moment(days_ago_min=75, days_ago_max=HISTORY_DAYS)
                trip_start = created_at.date() + dt.timedelta(days=rng.randint(14, 40))
            elif code in WON_STAGE_WEIGHTS:
                created_at = self.moment(days_ago_min=3, days_ago_max=75)
                trip_start = today + dt.timedelta(days=rng.randint(3, 120))
            else:
                age = {"new": (0, 4), "lost": (1, HISTORY_DAYS)}.get(code, (0.5, 90))
                created_at = self.moment(days_ago_min=age[0], days_ago_max=age[1])
                trip_start = created_at.date() + dt.timedelta(days=rng.randint(14, 150))
            plans.append(_LeadPlan(client_index, code, created_at, trip_start))
        return plans

    def clients(self, count: int, *, first_contact: dict[int, dt.datetime], agents: list) -> list[Client]:
        rng = self.rng
        # Read as text: turning each stored number back into a PhoneNumber is slow.
        taken_phones = set(Client.objects.exclude(phone=None).values_list(Cast("phone", CharField()), flat=True))
        taken_emails = set(Client.objects.exclude(email=None).values_list(Lower("email"), flat=True))
        taken_telegram = set(Client.objects.exclude(telegram_id=None).values_list("telegram_id", flat=True))
        taken_whatsapp = set(Client.objects.exclude(whatsapp_id=None).values_list("whatsapp_id", flat=True))
        # Serial numbers in e-mail addresses start past every existing client id,
        # so two runs never produce the same address.
        serial = (Client.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
        rows = []
        for index in range(count):
            kazakh = rng.random() < 0.62
            woman = rng.random() < 0.58
            if kazakh:
                first = rng.choice(KAZAKH_WOMEN if woman else KAZAKH_MEN)
                last = rng.choice(KAZAKH_SURNAMES)
            else:
                first = rng.choice(RUSSIAN_WOMEN if woman else RUSSIAN_MEN)
                last = rng.choice(RUSSIAN_SURNAMES)
            if woman:
                last = _feminine(last)
            while True:
                phone = f"+7{rng.choice(MOBILE_CODES)}{rng.randrange(10**7):07d}"
                if phone not in taken_phones:
                    taken_phones.add(phone)
                    break
            while True:
                email = f"{_latin(first)}.{_latin(last)}{serial}@{rng.choice(EMAIL_DOMAINS)}"
                serial += 1
                if email not in taken_emails:
                    taken_emails.add(email)
                    break
            source = rng.choices(SOURCES, weights=SOURCE_WEIGHTS)[0]
            telegram_id = None
            if source == Channel.TELEGRAM or rng.random() < 0.15:
                while (telegram_id := rng.randrange(100_000_000, 7_999_999_999)) in taken_telegram:
                    pass
                taken_telegram.add(telegram_id)
            whatsapp_id = None
            if (source in (Channel.WHATSAPP, Channel.WAZZUP) or rng.random() < 0.2) and phone[1:] not in taken_whatsapp:
                whatsapp_id = phone[1:]
                taken_whatsapp.add(whatsapp_id)
            # A client record starts with the first request (minutes before it).
            if index in first_contact:
                created_at = first_contact[index] - dt.timedelta(minutes=rng.randint(1, 30))
            else:
                created_at = self.moment(days_ago_min=0, days_ago_max=HISTORY_DAYS)
            consent = rng.random() < 0.35
            rows.append(Client(
                full_name=f"{first} {last}", phone=phone, email=email, telegram_id=telegram_id,
                telegram_username=f"{_latin(first)}_{_latin(last)[:3]}{rng.randrange(100)}" if telegram_id else "",
                whatsapp_id=whatsapp_id, city=rng.choices(CITIES, weights=CITY_WEIGHTS)[0],
                language=rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0], source=source,
                owner=rng.choice(agents) if rng.random() < 0.8 else None,
                marketing_consent=consent, consent_at=created_at if consent else None, created_at=created_at,
            ))
        return Client.objects.bulk_create(rows, batch_size=self.batch_size)

    def leads(self, plans: list[_LeadPlan], *, clients: list[Client], stages: dict[str, Stage],
              pipeline: Pipeline, agents: list) -> list[Lead]:
        rng = self.rng
        positions = {
            row["stage"]: row["last"] or 0.0
            for row in Lead.objects.filter(pipeline=pipeline).values("stage").annotate(last=Max("position"))
        }
        rows = []
        for plan in plans:
            client, stage = clients[plan.client_index], stages[plan.code]
            created_at, trip_start = plan.created_at, plan.trip_start
            nights_from = rng.choice([6, 7, 7, 8, 9, 10, 10, 10, 11, 12, 14])
            children = rng.choices([0, 1, 2, 3], weights=[55, 25, 17, 3])[0]
            adults = rng.choices([1, 2, 3, 4], weights=[10, 70, 8, 12])[0]
            stars = rng.choices([3, 4, 5], weights=[10, 40, 50])[0]
            per_person = NIGHT_PRICE[stars] * nights_from + FLIGHT_PRICE
            budget = Decimal(round(per_person * (adults + 0.7 * children) * rng.uniform(0.9, 1.3), -5))
            if plan.code == "completed":
                back_home = trip_start + dt.timedelta(days=nights_from + 1)
                stage_changed_at = min(dt.datetime.combine(back_home, dt.time(11), ALMATY), self.now)
            elif plan.code == "new":
                stage_changed_at = created_at
            else:
                stage_changed_at = self.later(created_at, hours_min=1, hours_max=24 * 21)
            positions[stage.pk] = positions.get(stage.pk, 0.0) + COLUMN_STEP
            assignee = None if plan.code == "new" and rng.random() < 0.5 else rng.choice(agents)
            rows.append(Lead(
                client_id=client.pk, pipeline_id=pipeline.pk, stage=stage, position=positions[stage.pk],
                assignee=assignee, source=client.source,
                departure_city=client.city if client.city in DEPARTURE_CITIES else "Алматы",
                destination_country="Вьетнам", destination_resort=rng.choices(RESORT_NAMES, weights=RESORT_WEIGHTS)[0],
                date_from=trip_start - dt.timedelta(days=rng.randint(0, 3)),
                date_to=trip_start + dt.timedelta(days=rng.randint(0, 7)),
                nights_from=nights_from, nights_to=nights_from + rng.choice([0, 0, 1, 2, 3]),
                adults=adults, children=children, children_ages=sorted(rng.randint(1, 15) for _ in range(children)),
                budget=budget, hotel_stars=stars, meal_plan=rng.choices(MEALS, weights=MEAL_WEIGHTS)[0],
                sla_due_at=stage_changed_at + dt.timedelta(hours=stage.sla_hours)
                if stage.kind == StageKind.OPEN and stage.sla_hours else None,
                stage_changed_at=stage_changed_at,
                lost_reason=rng.choice(LOST_REASONS) if plan.code == "lost" else "",
                created_by=assignee if client.source in (Channel.PHONE, Channel.WALK_IN) else None,
                created_at=created_at,
            ))
        return Lead.objects.bulk_create(rows, batch_size=self.batch_size)

    # --- orders ----------------------------------------------------------

    def order_targets(self, leads: list[Lead], count: int) -> list[tuple[Lead, str]]:
        """(lead, final status) for each order: won leads first, then extras (new) and lost (cancelled) leads,
        then cancelled first attempts of won leads that were rebooked."""
        rng = self.rng
        won = [lead for lead in leads if lead.stage.kind == StageKind.WON]
        targets = [(lead, self.won_order_status(lead.stage.code)) for lead in won[:count]]
        others = [(lead, OrderStatus.NEW) for lead in leads if lead.stage.code == "extras"]
        others += [(lead, OrderStatus.CANCELLED) for lead in leads if lead.stage.kind == StageKind.LOST]
        rng.shuffle(others)
        targets += others[: count - len(targets)]
        while len(targets) < count and won:
            targets.append((rng.choice(won), OrderStatus.CANCELLED))
        return targets

    def won_order_status(self, code: str) -> str:
        if code == "completed":
            return OrderStatus.COMPLETED
        # A won lead has at least a deposit; "paid" means paid in full.
        return OrderStatus.PAID if self.rng.random() < (0.9 if code == "confirmed" else 0.6) else OrderStatus.CONFIRMED

    def orders(self, targets: list[tuple[Lead, str]]) -> tuple[list[Order], list[list[tuple[str, dt.datetime]]]]:
        rng = self.rng
        rows, histories = [], []
        for lead, status in targets:
            hotel, stars = rng.choice(RESORTS[lead.destination_resort])
            if lead.stage.code == "completed" and status == OrderStatus.COMPLETED:
                # The trip the lead was closed after: home the day before the stage changed.
                nights = lead.nights_from
                date_from = lead.stage_changed_at.astimezone(ALMATY).date() - dt.timedelta(days=nights + 1)
            else:
                nights = rng.randint(lead.nights_from, lead.nights_to)
                date_from = lead.date_from + dt.timedelta(days=rng.randint(0, (lead.date_to - lead.date_from).days))
            people = lead.adults + 0.7 * lead.children
            per_person = NIGHT_PRICE[stars] * nights + FLIGHT_PRICE
            price_kzt = Decimal(round(per_person * people * rng.uniform(0.85, 1.2), -2))
            currency, rate, price = Currency.KZT, Decimal("1"), price_kzt
            if rng.random() < 0.12:
                currency, rate = Currency.USD, Decimal(rng.randint(4_650_000, 5_350_000)) / 10_000
                price = (price_kzt / rate).quantize(TENGE)
                price_kzt = (price * rate).quantize(TENGE, rounding=ROUND_HALF_UP)
            margin = Decimal(rng.randint(800, 1500)) / 10_000
            lost = lead.stage.kind == StageKind.LOST
            if lost:
                # Booked while the lead was alive, cancelled when it was lost.
                alive = (lead.stage_changed_at - lead.created_at).total_seconds()
                created_at = lead.created_at + dt.timedelta(seconds=round(alive * rng.uniform(0.1, 0.6)))
            else:
                created_at = self.later(lead.created_at, hours_min=2, hours_max=24 * 5)
            history = self.status_history(status, created_at=created_at, trip_end=date_from + dt.timedelta(days=nights),
                                          cancelled_at=lead.stage_changed_at if lost else None)
            histories.append(history)
            rows.append(Order(
                client_id=lead.client_id, lead_id=lead.pk, assignee_id=lead.assignee_id, status=status,
                operator=rng.choices(OPERATORS, weights=OPERATOR_WEIGHTS)[0], departure_city=lead.departure_city,
                destination_country=lead.destination_country, destination_resort=lead.destination_resort,
                hotel=hotel, hotel_stars=stars, room=rng.choice(ROOMS), meal_plan=lead.meal_plan or MealPlan.BB,
                date_from=date_from, date_to=date_from + dt.timedelta(days=nights), nights=nights,
                adults=lead.adults, children=lead.children, price=price, currency=currency, exchange_rate=rate,
                price_kzt=price_kzt, cost_kzt=(price_kzt * (1 - margin)).quantize(TENGE, rounding=ROUND_HALF_UP),
                operator_booking_number=str(rng.randrange(1_000_000, 9_999_999))
                if any(step == OrderStatus.CONFIRMED for step, _ in history) else "",
                created_by_id=lead.assignee_id, created_at=created_at,
            ))
        return Order.objects.bulk_create(rows, batch_size=self.batch_size), histories

    def status_history(self, status: str, *, created_at: dt.datetime, trip_end: dt.date,
                       cancelled_at: dt.datetime | None) -> list[tuple[str, dt.datetime]]:
        """The order's way to ``status`` (new → confirmed → paid → completed, or → cancelled), oldest first."""
        rng = self.rng
        if status == OrderStatus.CANCELLED:
            steps = [OrderStatus.NEW] + ([OrderStatus.CONFIRMED] if rng.random() < 0.6 else []) + [status]
        else:
            flow = [OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.COMPLETED]
            steps = flow[: flow.index(status) + 1]
        history, moment = [], created_at
        for step in steps:
            if step == OrderStatus.COMPLETED:
                moment = max(moment, min(dt.datetime.combine(trip_end, dt.time(12), ALMATY), self.now))
            elif step == OrderStatus.CANCELLED and cancelled_at:
                moment = max(moment, cancelled_at)
            elif step != OrderStatus.NEW:
                moment = self.later(moment, hours_min=2, hours_max=24 * 4)
            history.append((step, moment))
        return history

    def order_log(self, orders: list[Order], histories: list[list[tuple[str, dt.datetime]]]) -> int:
        rows = []
        for order, history in zip(orders, histories, strict=True):
            previous = ""
            for status, moment in history:
                rows.append(OrderLog(order_id=order.pk, from_status=previous, to_status=status,
                                     changed_by_id=order.assignee_id, changed_at=moment))
                previous = status
        OrderLog.objects.bulk_create(rows, batch_size=self.batch_size)
        return len(rows)


def demo_data_seed(*, leads: int, orders: int, clients: int | None = None, seed: int | None = None,
                   batch_size: int = 2000) -> SeedResult:
    """Add ``clients`` clients (default leads // 3, at least 1), ``leads`` leads over every stage of the default
    pipeline and ``orders`` orders (on won leads first) with their status logs, in one transaction.

    Orders need leads to sit on: with too few leads fewer orders are made, and the result says how many."""
    if leads < 0 or orders < 0 or (clients is not None and clients < 0):
        raise ValueError("Counts cannot be negative.")
    client_count = max(leads // 3, 1) if clients is None else clients
    if leads and not client_count:
        raise ValueError("Leads need at least one client.")
    seed = random.randrange(2**32) if seed is None else seed
    generator = _Generator(seed=seed, batch_size=batch_size)
    pipeline = Pipeline.objects.get(slug="default")
    stages = {stage.code: stage for stage in pipeline.stages.all()}
    plans = generator.lead_plans(clients=client_count, leads=leads, orders=orders)
    first_contact: dict[int, dt.datetime] = {}
    for plan in plans:
        if plan.client_index not in first_contact or plan.created_at < first_contact[plan.client_index]:
            first_contact[plan.client_index] = plan.created_at
    with transaction.atomic():
        agents = generator.agents()
        new_clients = generator.clients(client_count, first_contact=first_contact, agents=agents)
        new_leads = generator.leads(plans, clients=new_clients, stages=stages, pipeline=pipeline, agents=agents)
        new_orders, histories = generator.orders(generator.order_targets(new_leads, orders))
        log_entries = generator.order_log(new_orders, histories)
    return SeedResult(clients=len(new_clients), leads=len(new_leads), orders=len(new_orders),
                      order_log_entries=log_entries, agents=[agent.get_username() for agent in agents], seed=seed)
