"""The rule engine: what a tourist's message says, read with regular
expressions, no model, in well under a millisecond.

Clients write to a Kazakh agency mostly in Russian, some in English or Kazakh,
in chat style: typos, slang ("2 ляма", "800к", "2+1"), Russian case endings
("в Нячанге", "из Астаны"). Each reader below takes one kind of fact and blanks
the words it used, so that a later reader does not read them again (a phone's
digits as a budget, "двое детей" as two adults). The intent is chosen last, by
weighted cue words plus the travel facts found.

How ambiguous phrases are read (the labelled set ``tests/data/ai_messages.jsonl``
follows the same rules):

- a month without a year is its next occurrence; today's own month is this
  year's, whole (1st to last day); "в начале / середине / конце" a month is its
  days 1–10 / 11–20 / 21–end; a bare date is both ``date_from`` and
  ``date_to``; "с X" gives only ``date_from``, "после X" the day after X, "до X"
  only ``date_to``; a range of dates does not imply nights; "завтра",
  "послезавтра", "через N дней" beside a departure or trip word ("вылет через
  2 дня") are that one day, today + N (never nights), and a departure within
  three days is urgent;
- "на новый год" is 28 December – 8 January (the Kazakh New Year and Orthodox
  Christmas holidays), "на майские" 1–10 May, seasons their three months;
- nights: "неделю" 7, "две недели" 14, "полторы недели" 10; "N дней" is N−1
  nights (a tour of 10 days has 9 nights); the count may follow the word
  ("ночей 10-11", "nights 7-10") or be abbreviated ("7-10н", "10 н.");
- travellers: "вдвоём", "нас трое", "N человек" are head counts: adults are
  the count less the children said (all of it when it is no larger than the
  children: "на двоих, дети 5 и 8 лет"); "семья из N" with no children said is
  2 adults and N−2 children; "с мужем / с женой / с подругой …" is the writer
  plus each companion; "на одного", "одному", "for one", "solo" and "с одним
  родителем" are 1 adult; children are counted only when mentioned, ages only
  when said ("5 лет", "3 г", "(5)", "aged 4 and 9", or two or more numbers
  after the children: "kids 3 and 8");
- a budget is the upper figure of a range; without a currency an amount of
  50 000 or more is tenge, a smaller one has no currency; money in a message
  about a payment, documents or a complaint is not a budget;
- a departure city is read in a request or a booking, or after "из / вылет /
  from"; "A или B" between two destinations leaves the destination open;
- what a message thanks for ("Спасибо за помощь с визой") is not a request;
  asking when vouchers or tickets come is about documents, even of a booking
  made; a question about direct flights with only places and dates is a
  question;
- Kazakh is read also when written in Russian letters ("Салеметсиз бе",
  "канша турады", "акпан айында"), as are its month names.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.conf import settings

from messaging.assistant.extraction import Extraction, Intent

_WORD_NUMBERS = {
    "один": 1, "одна": 1, "одного": 1, "одним": 1, "одной": 1, "one": 1, "бір": 1,
    "два": 2, "две": 2, "двух": 2, "двумя": 2, "двое": 2, "two": 2, "екі": 2,
    "три": 3, "трех": 3, "тремя": 3, "трое": 3, "three": 3, "үш": 3,
    "четыре": 4, "четырех": 4, "четырьмя": 4, "четверо": 4, "four": 4, "төрт": 4,
    "пять": 5, "пяти": 5, "пятеро": 5, "five": 5, "шесть": 6, "шести": 6, "six": 6,
    "семь": 7, "семи": 7, "seven": 7, "восемь": 8, "восьми": 8, "eight": 8,
    "девять": 9, "девяти": 9, "nine": 9, "десять": 10, "десяти": 10, "ten": 10,
    "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14, "пятнадцать": 15,
    "двадцать": 20,
}
NUM = r"(?:\d{1,2}|" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + r")"


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _WORD_NUMBERS[word]


def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


# ---------------------------------------------------------------- places

@dataclass(frozen=True)
class Place:
    name: str  # canonical, in English as the SAMO catalogue names it
    pattern: re.Pattern
    country: str | None = None  # a resort's country


def _places(table: list[tuple]) -> list[Place]:
    return [Place(row[0], _compile(rf"(?<!\w)(?:{row[-1]})(?!\w)"), *row[1:-1]) for row in table]


VIETNAM = "Vietnam"
COUNTRIES = _places([
    (VIETNAM, r"в[ьъ]?[еэ]тн?ам\w*|viet\s?nam\w*"),
    ("Thailand", r"та[йи]л[ае]нд\w*|тайк\w*|thailand"),
    ("Turkey", r"турци\w*|турц\w*|turkey|turkiye|түркия\w*"),
    ("UAE", r"оаэ|эмират\w*|uae|emirates"),
    ("Egypt", r"еги[пб]\w*|egypt"),
    ("China", r"кита[йяюе]\w*|china"),
    ("Indonesia", r"индонези\w*|indonesia"),
    ("Maldives", r"мальдив\w*|maldives"),
    ("Sri Lanka", r"шри[\s-]?ланк\w*|sri\s?lanka"),
])
RESORTS = _places([
    ("Nha Trang", VIETNAM, r"н[яа]\s?ч[ая]н[гк]\w*|нха\s?чанг\w*|nha\s?trang\w*"),
    ("Cam Ranh", VIETNAM, r"камран[ьи]\w*|cam\s?ranh"),
    ("Phu Quoc", VIETNAM, r"фу\s?куок\w*|фукок\w*|phu\s?quoc"),
    ("Da Nang", VIETNAM, r"да\s?нанг\w*|da\s?nang"),
    ("Phan Thiet", VIETNAM, r"фан\s?тх?ь?ет\w*|муй\s?не|mui\s?ne|phan\s?thiet"),
    ("Ho Chi Minh City", VIETNAM, r"хошимин\w*|хо\s?ши\s?мин\w*|сайгон\w*|ho\s?chi\s?minh|saigon"),
    ("Hanoi", VIETNAM, r"хано[йяюе]\w*|ha\s?noi"),
    ("Ha Long", VIETNAM, r"ха\s?лонг\w*|ha\s?long"),
    ("Da Lat", VIETNAM, r"далат\w*|da\s?lat"),
    ("Hoi An", VIETNAM, r"хой\s?ан\w*|hoi\s?an"),
    ("Phuket", "Thailand", r"пх?укет\w*|phuket"),
    ("Pattaya", "Thailand", r"пат+ай\w*|pattaya"),
    ("Koh Samui", "Thailand", r"самуи|samui"),
    ("Dubai", "UAE", r"дуба[йяюе]\w*|dubai"),
    ("Antalya", "Turkey", r"анталь\w*|antalya"),
    ("Alanya", "Turkey", r"аланья\w*|alanya"),
    ("Sharm El Sheikh", "Egypt", r"шарм\w*|sharm"),
    ("Hurghada", "Egypt", r"хургад\w*|hurghada"),
    ("Hainan", "China", r"хайнан\w*|hainan|санья|sanya"),
    ("Bali", "Indonesia", r"бали|bali"),
])
# The departure cities of the catalogue; other home towns are not departures.
CITIES = _places([
    ("Almaty", r"алма[\s-]?ат\w*|алмат\w*|almaty|alma[\s-]?ata"),
    ("Astana", r"астан\w*|нур[\s-]?султан\w*|astana|nur[\s-]?sultan"),
])
DEPARTURE_CUE = _compile(r"(?:из|from|вылет\w*|departure|depart\w*|город вылета)\s*[:\-]?\s*$")
UNDECIDED = _compile(r"(?<!\w)(?:или|or|не знаем|либо)(?!\w)")


# ---------------------------------------------------------------- dates

# Each month's words: Russian and English, then Kazakh (also written without its own
# letters, "акпан", "кыркуйек"; "казан" only with a Kazakh ending, not Russian "Казани").
MONTH_WORDS = (
    (r"январ\w*|янв|january|jan", r"[қк]а[ңн]тар\w*"), (r"феврал\w*|фев|february|feb", r"а[қк]пан\w*"),
    (r"март\w*|march", r"наурыз\w*"), (r"апрел\w*|april|apr", r"с[әа]у[іи]р\w*"), (r"ма[йяе]|may", r"мамыр\w*"),
    (r"июн\w*|june|jun", r"маусым\w*"), (r"июл\w*|july|jul", r"ш[іи]лде\w*"),
    (r"август\w*|авг|august|aug", r"тамыз\w*"), (r"сентябр\w*|сент|september|sept?", r"[қк]ыр[кқ][үу]йек\w*"),
    (r"октябр\w*|окт|october|oct", r"қазан\w*|казан(?:да|нан|ға|га|ды|ның|нын|дағы|дагы)?"),
    (r"ноябр\w*|нояб?|november|nov", r"[қк]араша\w*"), (r"декабр\w*|дек|december|dec", r"желто[қк]сан\w*"),
)
KAZAKH_MONTH = _compile("^(?:" + "|".join(kazakh for _, kazakh in MONTH_WORDS) + ")$")
MONTHS = [_compile(rf"^(?:{common}|{kazakh})$") for common, kazakh in MONTH_WORDS]
# English "may" is a month only beside a number or after "in".
MONTH = (r"(?<!\w)(?:" + "|".join(f"{common}|{kazakh}" for common, kazakh in MONTH_WORDS).replace(
    "|may|", r"|(?<=in )may|may(?= \d)|(?<=\d )may|") + r")(?!\w)")
DASH = r"\s*(?:-|–|—|по|до|to|till|until)\s*"
YEAR = r"(?:\s+(?P<y>20\d\d))?"
FROM = r"с|со|from|после|after|до|by|не позже|не позднее"
PARTS = {"начал": (1, 10), "early": (1, 10), "beginning": (1, 10), "серед": (11, 20), "mid": (11, 20),
         "middle": (11, 20), "кон": (21, 31), "late": (21, 31), "end": (21, 31)}


def _month_number(word: str) -> int:
    return next(number for number, pattern in enumerate(MONTHS, 1) if pattern.match(word.lower()))


def _year_of(month: int, today: dt.date, year: str | None) -> int:
    """A month's year: the one said, else its next occurrence (today's month is this year's)."""
    if year:
        return int(year) + (2000 if int(year) < 100 else 0)
    return today.year if month >= today.month else today.year + 1


def _day(day: str | int, month: int, today: dt.date, year: str | None = None) -> dt.date | None:
    """A day of a month: in the year said, else the next one on or after today."""
    try:
        if year:
            return dt.date(_year_of(month, today, year), month, int(day))
        found = dt.date(today.year, month, int(day))
        return found if found >= today else dt.date(today.year + 1, month, int(day))
    except ValueError:
        return None


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _month(month: int, year: int, first: int = 1, last: int = 31) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, first), dt.date(year, month, min(last, _last_day(year, month)))


def _with_preposition(prep: str | None, day: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """A single day: "с X" from, "после X" from the day after, "до X" until, bare both."""
    prep = (prep or "").lower()
    if prep in ("после", "after"):
        return day + dt.timedelta(days=1), None
    if prep in ("с", "со", "from"):
        return day, None
    if prep:
        return None, day
    return day, day


def _ordered(start: dt.date | None, end: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """A range whose end fell before its start crosses New Year."""
    if start and end and end < start:
        end = end.replace(year=end.year + 1)
    return start, end


def _numeric_range(m, today):
    start = _day(m["d1"], int(m["m1"]), today, m["y1"])
    end = _day(m["d2"], int(m["m2"]), today, m["y2"] or m["y1"])
    return _ordered(start, end)


def _numeric_day(m, today):
    if not 1 <= int(m["m"]) <= 12:
        return None
    day = _day(m["d"], int(m["m"]), today, m["y"])
    return _with_preposition(m["prep"], day) if day else None


def _day_range(m, today):
    month2 = _month_number(m["m2"])
    month1 = _month_number(m["m1"]) if m["m1"] else month2
    return _ordered(_day(m["d1"], month1, today, m["y"]), _day(m["d2"], month2, today, m["y"]))


def _single_day(m, today):
    day = _day(m["d"], _month_number(m["m"]), today, m["y"])
    return _with_preposition(m["prep"], day) if day else None


def _month_part(m, today):
    month = _month_number(m["m"])
    first, last = next(days for stem, days in PARTS.items() if m["part"].lower().startswith(stem))
    return _month(month, _year_of(month, today, m["y"]), first, last)


def _month_range(m, today):
    month1, month2 = _month_number(m["m1"]), _month_number(m["m2"])
    year1 = _year_of(month1, today, m["y"])
    year2 = year1 if month2 >= month1 else year1 + 1
    return _month(month1, year1)[0], _month(month2, year2)[1]


def _whole_month(m, today):
    month = _month_number(m["m"])
    first, last = _month(month, _year_of(month, today, m["y"]))
    return (first, None) if (m["prep"] or "").lower() in ("с", "со", "from") else (first, last)


def _new_year(m, today):
    start = dt.date(today.year - 1 if today <= dt.date(today.year, 1, 8) else today.year, 12, 28)
    return start, dt.date(start.year + 1, 1, 8)


def _may_holidays(m, today):
    year = today.year if today <= dt.date(today.year, 5, 10) else today.year + 1
    return dt.date(year, 5, 1), dt.date(year, 5, 10)


SEASONS = {"лет": 6, "summer": 6, "осен": 9, "autumn": 9, "fall": 9, "зим": 12, "winter": 12, "весн": 3, "spring": 3}


def _season(m, today):
    first_month = next(month for stem, month in SEASONS.items() if m[0].lower().startswith(stem))
    start = dt.date(today.year, first_month, 1)
    end_month = (first_month + 1) % 12 + 1
    end_year = start.year + (1 if end_month < first_month else 0)
    end = dt.date(end_year, end_month, _last_day(end_year, end_month))
    if end < today:
        start, end = start.replace(year=start.year + 1), end.replace(year=end.year + 1)
    return start, end


RELATIVE_DAYS = {"сегодня": 0, "today": 0, "завтра": 1, "tomorrow": 1, "послезавтра": 2}


RELATIVE = r"послезавтра|завтра|сегодня|tomorrow|today|(?:через|in)\s+(?P<{}>\d{{1,2}}|" + "|".join(
    sorted(_WORD_NUMBERS, key=len, reverse=True)) + r")\s+(?:дн(?:я|ей)|день|days?)|через\s+день"


def _departure_day(m, today):
    """Today + N: "завтра", "послезавтра", "через N дней" (the count is that of its words)."""
    word = next(m[name] for name in ("rel", "rel2", "rel3") if m[name]).lower()
    count = m["n"] or m["n2"]
    days = _number(count.lower()) if count else 1 if word == "через день" else RELATIVE_DAYS[word]
    day = today + dt.timedelta(days=days)
    return day, day


def _week(m, today):
    monday = today - dt.timedelta(days=today.weekday())
    if m[0].lower().startswith(("на эт", "this")):
        return today, monday + dt.timedelta(days=6)
    return monday + dt.timedelta(days=7), monday + dt.timedelta(days=13)


def _next_month(m, today):
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return _month(month, year)


DEPARTING = r"вылет\w*|летим|улетаем|выезжаем|выезд\w*|flight|fly\w*|departure|leav\w*"
# A relative day ("завтра", "через 2 дня") is the trip's only beside one of these.
TRIP = DEPARTING + r"|тур|поездк\w*|отдых\w*|поедем|едем|заезд\w*|trip"
DateReader = Callable[[re.Match, dt.date], tuple[dt.date | None, dt.date | None] | None]
# The most precise forms first: the first that reads a date wins.
DATE_READERS: list[tuple[re.Pattern, DateReader]] = [(_compile(pattern), reader) for pattern, reader in (
    (r"(?<![\d.,])(?P<d1>\d{1,2})[./](?P<m1>\d{1,2})(?:[./](?P<y1>\d{2,4}))?" + DASH
     + r"(?P<d2>\d{1,2})[./](?P<m2>\d{1,2})(?:[./](?P<y2>\d{2,4}))?(?!\d|[.,]\d)", _numeric_range),
    (rf"(?:(?P<prep>{FROM})\s+)?(?<![\d.,])(?P<d>\d{{1,2}})[./](?P<m>\d{{1,2}})(?:[./](?P<y>\d{{2,4}}))?(?!\d|[.,]\d)",
     _numeric_day),
    (rf"(?<![\d.,])(?P<d1>\d{{1,2}})(?:\s*(?P<m1>{MONTH}))?{DASH}(?P<d2>\d{{1,2}})\s*(?P<m2>{MONTH}){YEAR}",
     _day_range),
    (rf"(?P<m2>{MONTH})\s+(?P<d1>\d{{1,2}}){DASH}(?P<d2>\d{{1,2}})(?!\d)(?P<m1>)?{YEAR}", _day_range),
    (rf"(?:(?P<prep>{FROM})\s+)?(?<![\d.,])(?P<d>\d{{1,2}})(?:-?(?:го|е|ое|th|st|nd|rd))?\s*(?P<m>{MONTH}){YEAR}",
     _single_day),
    (rf"(?:(?P<prep>{FROM})\s+)?(?P<m>{MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?!\d){YEAR}", _single_day),
    (rf"(?<!\w)(?P<part>начал\w*|середин\w*|конц\w*|конец|early|mid|middle of|beginning of|late|end of)\s*(?P<m>{MONTH}){YEAR}",
     _month_part),
    (rf"(?P<m1>{MONTH}){DASH}(?P<m2>{MONTH}){YEAR}", _month_range),
    (r"нов(?:ый|ого|ом|ым)\s+год\w*|(?<!\w)нг(?!\w)|new\s+year\w*|жаңа\s+жыл\w*|новогодн\w*", _new_year),
    (r"майск\w*|may\s+holidays", _may_holidays),
    (rf"(?<!\w)(?:(?:{TRIP})\s+(?:\w+\s+){{0,2}}(?P<rel>{RELATIVE.format('n')})"
     rf"|(?P<rel2>{RELATIVE.format('n2')})\s+(?:\w+\s+){{0,2}}(?:{TRIP})(?!\w)"
     rf"|(?:на|for)\s+(?P<rel3>послезавтра|завтра|tomorrow))(?!\w)", _departure_day),
    (r"на\s+(?:этой|следующей)\s+неделе|(?:this|next)\s+week", _week),
    (r"в\s+следующем\s+месяце|next\s+month", _next_month),
    (rf"(?:(?P<prep>в|во|на|in|с|со|from)\s+)?(?P<m>{MONTH}){YEAR}", _whole_month),
    (r"(?<!\w)(?:летом|лето|осенью|осень|зимой|зима|весной|весна|summer|autumn|winter|spring)(?!\w)", _season),
)]


# ---------------------------------------------------------------- nights

CHILD_NOUN = r"(?:дет\w*|реб\w*|kids?|children|child|бала\w*|малыш\w*)"
ADULT_NOUN = r"(?:взросл\w*|взр\b\.?|adults?|ересек\w*)"
NIGHT = r"(?:ноч\w*|нч|nights?|түн\w*)"
DAY = r"(?:дн(?:ей|я|и)|день|сут\w*|days?|күн\w*)"
RANGE = r"\s*(?:-|–|—|до|или|or|to|/)\s*"
NIGHT_READERS: list[tuple[re.Pattern, int, int]] = [  # (pattern, multiplier, offset): nights = n × multiplier + offset
    (_compile(rf"(?<!\w)(?:от\s+)?(?P<a>{NUM}){RANGE}(?P<b>{NUM})\s*{NIGHT}(?!\w)"), 1, 0),
    (_compile(rf"(?<!\w)(?P<a>{NUM})\s*-?\s*{NIGHT}(?!\w)"), 1, 0),
    # after the word ("ночей 10-11", "nights 7-10") or abbreviated to "н" ("7-10н", "10 н.")
    (_compile(rf"(?<!\w)(?:ноч(?:ей|и)|nights?)\s*[:\-]?\s*(?:от\s+)?(?P<a>\d{{1,2}})(?:{RANGE}(?P<b>\d{{1,2}}))?"
              rf"(?![\d.,/]\d)(?!\s*(?:{ADULT_NOUN}|{CHILD_NOUN}|чел|лет|год|г\.|[+%]))"), 1, 0),
    (_compile(rf"(?<![\w.,])(?P<a>\d{{1,2}})(?:{RANGE}(?P<b>\d{{1,2}}))?\s?н(?!\w)\.?"), 1, 0),
    (_compile(rf"(?<!\w)(?:от\s+)?(?P<a>{NUM}){RANGE}(?P<b>{NUM})\s*{DAY}(?!\w)"), 1, -1),
    (_compile(rf"(?<!\w)(?P<a>{NUM})\s*-?\s*{DAY}(?!\w)"), 1, -1),
    (_compile(rf"(?<!\w){DAY}\s+на\s+(?P<a>{NUM})(?!\w)"), 1, -1),
    (_compile(rf"(?<!\w)(?P<a>{NUM})\s*(?:недел\w*|weeks?|апта\w*)(?!\w)"), 7, 0),
]
LATER = _compile(rf"(?<!\w)(?:через|in)\s+(?:{NUM}\s+)?(?:{DAY}|недел\w*|weeks?)(?!\w)")  # when, not how long
HALF_WEEK = _compile(r"(?<!\w)полтор\w*\s+недел\w*")
ONE_WEEK = _compile(r"(?<!через )(?<!\w)(?:недел[юяьи]|неделька|недельку|a\s+week|one\s+week|бір\s+апта\w*)(?!\w)")


# ---------------------------------------------------------------- travellers

PLUS = _compile(r"(?<![\d+])(?P<a>[1-9])\s*\+\s*(?P<c>[0-5])(?![\d+])")
CHILDREN_COUNTED = _compile(rf"(?<!\w)(?P<n>{NUM})\s*{CHILD_NOUN}")
NO_CHILDREN = _compile(r"без\s+детей|no\s+kids|without\s+(?:kids|children)")
ADULTS = [_compile(rf"(?<!\w)(?P<n>{NUM})\s*{ADULT_NOUN}"),
          _compile(rf"(?<!\w)(?:взросл\w*|adults?)\s*[:\-]?\s*(?P<n>{NUM})(?!\w)(?!\s*(?:\+|лет|года))")]
FAMILY = _compile(rf"(?<!\w)(?:семь(?:я|ей|ею|ей|и)|family)\s+(?:из\s+|of\s+)?(?P<n>{NUM})(?!\w)")
TOTALS = [_compile(rf"(?<!\w)(?<!ещ[её] )(?P<n>{NUM})\s*(?:человек\w*|чел\b\.?|people|persons?|pax|адам\w*|туриста?)"),
          _compile(rf"(?<!\w)нас\s+(?P<n>{NUM})(?!\w)"),
          _compile(r"(?<!\w)на\s*(?P<n>\d)\s*-?\s*(?:их|х|ых)(?!\w)")]
GROUPS = {"вдвоем": 2, "на двоих": 2, "двоих": 2, "двое": 2, "for two": 2, "two of us": 2, "екеуміз": 2,
          "втроем": 3, "на троих": 3, "трое": 3, "вчетвером": 4, "на четверых": 4, "четверо": 4,
          "впятером": 5, "пятеро": 5}
GROUP = _compile(r"(?<!\w)(?:" + "|".join(sorted(GROUPS, key=len, reverse=True)) + r")(?!\w)")
COMPANION = _compile(
    r"(?<!\w)(?:муж(?:ем|ом)|жен(?:ой|ою)|супруг(?:ом|ой)|парнем|девушкой|подруг(?:ой|ою)|другом|мам(?:ой|ою)|"
    r"пап(?:ой|ою)|отцом|матерью|сестр(?:ой|ою)|братом|бабушкой|дедушкой|коллегой|күйеуіммен|әйеліммен|"
    r"(?:with|and)\s+my\s+(?:wife|husband|partner|girlfriend|boyfriend|friend|mother|mom|father|dad|sister|brother))(?!\w)"
)
SOLO = _compile(
    r"(?<!\w)(?:я\s+(?:одна|один)|(?:поеду|поедет|еду|едет|лечу|полечу|полетит|летит)\s+(?:одна|один)|"
    r"(?:одна|один)\s+(?:поеду|поедет|еду|лечу|полечу)|solo|alone|just\s+me|by\s+myself|1\s+person|бір\s+адам|жалғыз|"
    # "на одного", "одному", "for one" unless of a child or a length; "с одним родителем" (a child with one parent)
    rf"(?:на\s+одного|одному|for\s+one(?:\s+(?:person|adult))?)"
    rf"(?!\s*(?:{CHILD_NOUN}|ноч|дн|день|недел|месяц|night|day|week|month))"
    r"|с\s+одним\s+(?:из\s+)?родител\w*|with\s+(?:one|a\s+single)\s+parent)(?!\w)"
)
# One age ("5", "1,5"): a decimal only when no digit follows ("5,12" is two ages). Atomic, and a list of at most
# ten, so that a long run of "1,1,1…" is read once instead of in every way of splitting it (exponential).
AGE = r"(?>\d{1,2}(?:[.,]\d(?!\d))?)"
AGE_LIST = rf"{AGE}(?:\s*(?:,|и|and|&|/)\s*{AGE}){{0,9}}"
AGES = [_compile(rf"(?<![\d.,])(?P<list>{AGE_LIST})\s*(?:лет|года?|годик\w*|г(?!\w)\.?|y\.?o\.?|years?|жас\w*)(?!\w)"),
        _compile(rf"\(\s*(?P<list>{AGE_LIST})\s*\)"),
        # after the children: "aged 4 and 9", "в возрасте 5", or a list of two or more ("kids 3 and 8")
        _compile(rf"(?<!\w){CHILD_NOUN}\s*,?\s*(?:(?:aged?|ages|of age|в возрасте|возраст(?:ом|а)?)\s*[:\-]?\s*"
                 rf"(?P<list>{AGE_LIST})|[:\-]?\s*(?P<many>\d{{1,2}}(?:\s*(?:,|и|and|&|/)\s*\d{{1,2}}){{1,9}}))(?![\d.,/]\d)"
                 rf"(?!\s*(?:{ADULT_NOUN}|{CHILD_NOUN}|чел|people|[+]))"),
        _compile(r"(?<![\d.,])(?P<months>\d{1,2})\s*(?:мес\w*|months?)(?!\w)")]
SINGLE_CHILDREN = [_compile(r"(?<!\w)(?:реб[еe]н\w*|реб\.?|малыш\w*|kid|child|baby|бала(?:мен|м|сы)?)(?!\w)"),
                   _compile(r"(?<!\w)(?:сын\w*|son)(?!\w)"),
                   _compile(r"(?<!\w)(?:доч(?:ь|к\w*|ер\w*)|daughter)(?!\w)")]
MAX_CHILD_AGE = 17


# ---------------------------------------------------------------- money and contacts

AMOUNT = r"(?<![\d.,])(?P<amount>\d{1,3}(?:[ \u00a0.,]\d{3}){1,4}(?!\d)|\d{1,12}(?:[.,]\d{1,6})?(?![\d])|полтор\w*|пол\s?)"
MULTIPLIER = r"(?P<mult>млн\w*|миллион\w*|лям\w*|лимон\w*|тыс\w*|тысяч\w*|(?<=\d)[кk](?!\w)|mln|million|thousand)"
CURRENCY = r"(?P<cur>тенге|тг|тнг|₸|kzt|usd|\$|доллар\w*|долл\.?|бакс\w*|у\.е\.?|eur|€|евро|rub|руб\w*|₽)"
# The lower figure of a range; never read from inside a number (else every digit of a long one starts a scan).
UPPER = r"(?:(?<![\d.,])\d{1,12}(?:[.,]\d{1,6})?\s*(?:-|–|до)\s*)?"
BUDGET_READERS = [_compile(pattern) for pattern in (
    rf"(?P<cur>\$|€|₸|usd|eur|kzt)\s*{UPPER}{AMOUNT}\s*{MULTIPLIER}?",
    rf"{UPPER}{AMOUNT}\s*{MULTIPLIER}?\s*{CURRENCY}(?!\w)",
    rf"{UPPER}{AMOUNT}\s*{MULTIPLIER}(?!\w)",
    rf"(?:бюджет\w*|budget)\s*[:\-]?\s*(?:до|около|примерно|up to|around)?\s*{UPPER}{AMOUNT}(?!\w)",
)]
MULTIPLIERS = (("млн", 1_000_000), ("милл", 1_000_000), ("лям", 1_000_000), ("лимон", 1_000_000),
               ("mln", 1_000_000), ("million", 1_000_000), ("тыс", 1000), ("thousand", 1000), ("к", 1000), ("k", 1000))
CURRENCIES = (("KZT", ("тенге", "тг", "тнг", "₸", "kzt")), ("USD", ("usd", "$", "доллар", "долл", "бакс", "у")),
              ("EUR", ("eur", "€", "евро")), ("RUB", ("rub", "руб", "₽")))
TENGE_FROM = 50_000
PHONE_DIGITS = re.compile(r"\d")
MIN_PHONE_DIGITS = 9
# Each number-like run the matcher tries costs a parse (~0.3 ms): a message has a dozen, a run of "1 - 1 - …"
# thousands. The phone is rarely after the hundredth.
MAX_PHONE_TRIES = 100
# Read from the start of an address only, within the lengths RFC 5321 allows (64 before "@", labels of 63).
EMAIL = _compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")


# ---------------------------------------------------------------- intent, language, urgency

INTENT_CUES: dict[str, list[tuple[re.Pattern, int]]] = {intent: [(_compile(rf"(?<!\w)(?:{p})"), w) for p, w in cues]
                                                        for intent, cues in {
    Intent.COMPLAINT: [
        (r"жалоб\w*|претензи\w*|ужас\w*|кошмар\w*|безобрази\w*|отвратит\w*|недовол\w*|разочаров\w*|обман\w*|мошенн\w*"
         r"|хамств\w*|хамил\w*|грязн\w*|грязь|не соответству\w*|не работает|сорван\w*|сорвал\w*|опоздал\w*"
         r"|не приехал\w*|не встретил\w*|никто не \w+|отменил(?:и|ся|ось)|требую|верните деньги|вернуть деньги"
         r"|complain\w*|terrible|awful|disappoint\w*|refund|disgust\w*|rude|dirty|nothing like|шағым\w*", 3)],
    Intent.PAYMENT: [
        (r"оплат\w*|оплачу|оплачен\w*|плат[её]ж\w*|предоплат\w*|доплат\w*|рассрочк\w*|kaspi|каспи|реквизит\w*"
         r"|invoice|pay|payment|paid|card|карт(?:ой|у|е|а)(?!\w)|перевел\w*|перевела|списал\w*|списан\w*|чек(?!\w)"
         r"|квитанц\w*|төле\w*|ақша\w*", 2),
        (r"курс\w*\s+(?:\w+\s+)?(?:доллар\w*|валют\w*|евро|тенге|рубл\w*|usd|eur)|exchange\s+rate\w*"
         r"|как\s+(?:можно\s+|мне\s+|нам\s+)?(?:о|за)?платить|способ\w*\s+оплат\w*"
         r"|how\s+(?:can\s+i\s+|do\s+i\s+|to\s+)?pay", 3)],
    Intent.DOCUMENTS: [
        (r"виз[аыуео]\w*|визов\w*|e-?visa|visa|паспорт\w*|passport\w*|документ\w*|documents?|ваучер\w*|voucher\w*"
         r"|страхов\w*|insurance|билет\w*|tickets?|договор\w*|contract|программ\w* тура|доверенност\w*|справк\w*"
         r"|свидетельств\w*|құжат\w*|төлқұжат\w*", 2),
        (r"(?:когда|where|when)\s+(?:\w+\s+){0,3}?(?:пришл\w*|вышл\w*|отправ\w*|скин\w*|будут|получ\w*|send|will|are)"
         r"\s+(?:\w+\s+){0,2}?(?:ваучер\w*|документ\w*|билет\w*|voucher\w*|tickets?|documents?)", 3)],
    Intent.BOOKING: [
        (r"брон\w*|заброн\w*|оформ(?:ляем|им|ить|ите|ляйте)|беру(?!\w)|бер[её]м(?!\w)|book\w*|reserv\w*"
         r"|вариант\s*\d|this option|этот вариант|этот отель|option you sent|заявк\w*|брондау\w*"
         r"|(?:поменять|изменить|перенести) дат\w*|добавить (?:ещ[её] )?(?:одного )?(?:человека|туриста)", 3),
        (r"book\s+(?:us|it|me|them|this|that|the)(?!\w)|забронируйте|бронируйте|оформляйте|оформите", 3)],
    Intent.TOUR_REQUEST: [
        (r"тур(?:ы|а|у|ов|ом|ам|лар\w*|ға|ды)?(?!\w)|путевк\w*|подбер\w*|подобрат\w*|подбор\w*|отдох\w*|отдых\w*"
         r"|поехать|полететь|слетать|хотим|хочу|ищу|ищем|интересует|горящ\w*|варианты|дешев\w*|недорог\w*"
         r"|tours?|trip|holiday|vacation|package|сколько стоит|есть что-нибудь|демалыс\w*", 1)],
    Intent.QUESTION: [
        (r"погод\w*|климат\w*|сезон\w*|температур\w*|работаете|офис\w*|адрес\w*|weather|office|open\w*", 2),
        (r"подскажите|скажите|вопрос|можно ли|нужн[ао]? ли|есть ли|как(?!\w)|где(?!\w)|когда(?!\w)|почему"
         r"|сколько(?!\s+стоит)|какая|какой|какие|минимальн\w*|where|when|how|do you|can i|is it", 1),
        (r"(?:прям\w*|direct|non-?stop)\s+(?:рейс\w*|перел[её]т\w*|flights?)", 2),
    ],
    Intent.OTHER: [(r"спасибо|благодар\w*|рахмет|thanks?|thank you", 2)],
}.items()}
# Ties go to the first: the more specific need wins.
INTENT_ORDER = (Intent.COMPLAINT, Intent.PAYMENT, Intent.DOCUMENTS, Intent.BOOKING, Intent.TOUR_REQUEST,
                Intent.QUESTION, Intent.OTHER)
TRAVEL_INTENTS = (Intent.TOUR_REQUEST, Intent.BOOKING)
BUDGET_INTENTS = (Intent.TOUR_REQUEST, Intent.BOOKING, Intent.QUESTION, Intent.OTHER)
URGENT = _compile(
    r"(?<!\w)(?:срочн\w*|горит|горящ\w*|asap|urgent\w*|немедленно|как можно скорее|прямо сейчас|что (?:нам )?делать"
    r"|помогите|help|завис\w*|не прош(?:ел|ла|ло)|не проходит|дважды|два раза|failed|declined|шұғыл\w*|тез арада"
    r"|өтпей|уже \d+ час\w*|на месте)"
)
URGENT_DAYS = 3
# "Спасибо за помощь с визой": what is thanked for is no request (up to five words, to a clause's end).
THANKED = _compile(
    r"(?<!\w)(?:спасибо|благодар\w*|рахмет|thanks?|thank\s+you)(?:\s+(?:вам|you|большое|огромное|so\s+much|a\s+lot))*"
    r"\s+(?:за|for)(?P<topic>(?:\s+(?!(?:а|но|и|but|and|когда|где|можно|please|пожалуйста)(?!\w))[\w-]+){1,5})"
)
KAZAKH_LETTERS = re.compile(r"[әғқңөұүһі]")
# Kazakh written without its own letters, as many do on a Russian keyboard.
KAZAKH_WORDS = {"рахмет", "салем", "салеметсиз", "саламатсыз", "сәлем", "бар", "ма", "ме", "ба", "бе", "па", "пе",
                "канша", "керек", "жок", "иа", "ия", "калай", "болады", "турлар", "жане", "бизге", "маган", "кажет",
                "турады", "тураты", "ересек", "ересектер", "бала", "балам", "баламен", "балалар", "баланын", "жаста",
                "жас", "жасар", "айында", "айда", "айы", "сиз", "сизге", "биз", "бизде", "мен", "менен",
                "пен", "бен", "кун", "тун", "тунге", "кунге", "адам", "адамга", "кайда", "кашан", "неше", "жаксы",
                "барамыз", "баргымыз", "келеди", "агай", "апай", "отбасы", "демалыс", "болса", "бага"}
WORD = re.compile(r"[^\W\d_]+")
CYRILLIC = re.compile(r"[а-яәғқңөұүһі]")


# ---------------------------------------------------------------- reading

@dataclass
class _Reading:
    """The message being read: lower-cased, with the parts already understood blanked."""

    text: str
    today: dt.date
    notes: list[str] = field(default_factory=list)

    def take(self, match: re.Match, note: str | None = None) -> re.Match:
        start, end = match.span()
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]
        if note:
            self.notes.append(f"{note}: {match[0].strip()}")
        return match

    def find(self, pattern: re.Pattern, note: str | None = None) -> re.Match | None:
        match = pattern.search(self.text)
        return self.take(match, note) if match else None

    def take_all(self, pattern: re.Pattern) -> list[re.Match]:
        """Blank every match in one pass (taking them one by one copies the text each time)."""
        matches: list[re.Match] = []

        def blank(match: re.Match) -> str:
            matches.append(match)
            return " " * len(match[0])

        self.text = pattern.sub(blank, self.text)
        return matches


def _read_email(reading: _Reading) -> str | None:
    match = reading.find(EMAIL, "email")
    return match[0] if match else None


def _read_phone(reading: _Reading) -> str | None:
    if len(PHONE_DIGITS.findall(reading.text)) < MIN_PHONE_DIGITS:  # spares the slow matcher most messages
        return None
    for match in phonenumbers.PhoneNumberMatcher(reading.text, settings.PHONENUMBER_DEFAULT_REGION,
                                                    max_tries=MAX_PHONE_TRIES):
        reading.text = reading.text[:match.start] + " " * len(match.raw_string) + reading.text[match.end:]
        reading.notes.append("phone")
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _amount(match: re.Match) -> Decimal | None:
    raw = match["amount"].strip().lower()
    if raw.startswith("полтор"):
        value = Decimal("1.5")
    elif raw.startswith("пол"):
        value = Decimal("0.5")
    elif re.fullmatch(r"\d{1,3}(?:[ \u00a0.,]\d{3})+", raw):
        value = Decimal(re.sub(r"\D", "", raw))
    else:
        try:
            value = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            return None
    multiplier = (match.groupdict().get("mult") or "").strip().lower()
    if multiplier:
        value *= next(factor for stem, factor in MULTIPLIERS if multiplier.startswith(stem))
    return value


def _currency(word: str | None, amount: Decimal) -> str | None:
    word = (word or "").lower()
    for code, stems in CURRENCIES:
        if word and word.startswith(stems):
            return code
    return "KZT" if amount >= TENGE_FROM else None


def _read_budget(reading: _Reading) -> tuple[Decimal | None, str | None]:
    for pattern in BUDGET_READERS:
        for match in pattern.finditer(reading.text):
            amount = _amount(match)
            if amount is not None and 10 <= amount <= 100_000_000:
                reading.take(match, "budget")
                if amount == amount.to_integral_value():
                    amount = amount.quantize(Decimal(1))
                return amount, _currency(match.groupdict().get("cur"), amount)
    return None, None


def _read_dates(reading: _Reading) -> tuple[dt.date | None, dt.date | None]:
    for pattern, reader in DATE_READERS:
        for match in pattern.finditer(reading.text):
            found = reader(match, reading.today)
            if found and any(found):
                reading.take(match, "dates")
                return found
    return None, None


def _read_nights(reading: _Reading) -> tuple[int | None, int | None]:
    reading.take_all(LATER)
    if reading.find(HALF_WEEK, "nights"):
        return 10, 10
    for pattern, multiplier, offset in NIGHT_READERS:
        match = pattern.search(reading.text)
        if not match:
            continue
        low = _number(match["a"].lower()) * multiplier + offset
        high = _number(match.groupdict()["b"].lower()) * multiplier + offset if match.groupdict().get("b") else low
        if 1 <= low <= high <= 60:
            reading.take(match, "nights")
            return low, high
    if reading.find(ONE_WEEK, "nights"):
        return 7, 7
    return None, None


def _ages(reading: _Reading) -> list[int]:
    ages: list[int] = []
    for pattern in AGES:
        for match in reading.take_all(pattern):
            if match.groupdict().get("months"):
                ages.append(0)
            else:
                ages.extend(int(float(age.replace(",", "."))) for age in re.findall(
                    AGE if match["list"] else r"\d{1,2}", match["list"] or match["many"]))
    return [age for age in ages if age <= MAX_CHILD_AGE]


def _count(reading: _Reading, patterns: list[re.Pattern]) -> int | None:
    for pattern in patterns:
        if match := reading.find(pattern, "travellers"):
            return _number(match["n"].lower())
    return None


def _read_travellers(reading: _Reading) -> tuple[int | None, int | None, list[int] | None]:
    """Adults, children and the children's ages, by the rules in the module's docstring."""
    plus = reading.find(PLUS, "travellers")
    counted = _count(reading, [CHILDREN_COUNTED])
    adults = _count(reading, ADULTS)
    mentions_children = any(pattern.search(reading.text) for pattern in SINGLE_CHILDREN) or counted or plus
    ages = _ages(reading) if mentions_children or re.search(CHILD_NOUN, reading.text) else []
    singles = sum(1 for pattern in SINGLE_CHILDREN if pattern.search(reading.text))
    children_said = [n for n in (counted, int(plus["c"]) if plus else None, len(ages), singles) if n]
    children = max(children_said) if children_said else (0 if reading.find(NO_CHILDREN) else None)
    if adults is None and plus:
        adults = int(plus["a"])
    family = reading.find(FAMILY, "travellers")
    if adults is None and family:
        size = _number(family["n"].lower())
        if children is None and size > 2:
            children = size - 2
        adults = size - (children or 0)
    if adults is None:
        total = _count(reading, TOTALS)
        group = reading.find(GROUP, "travellers")
        total = total or (GROUPS[re.sub(r"\s+", " ", group[0].lower()).replace("ё", "е")] if group else None)
        if total is not None:
            # "на двоих, дети 5 и 8 лет": a count no larger than the children counts the adults.
            adults = total - (children or 0) if total > (children or 0) else total
    if adults is None and (companions := len(COMPANION.findall(reading.text))):
        adults = 1 + companions
    if adults is None and reading.find(SOLO, "travellers"):
        adults = 1
    return adults, children, ages or None


def _find_place(text: str, places: list[Place]) -> tuple[Place | None, bool]:
    """The first place named, and whether the writer hesitates between two ("A или B")."""
    found = sorted((match.start(), match.end(), place) for place in places
                   for match in [place.pattern.search(text)] if match)
    if not found:
        return None, False
    first = found[0]
    others = [hit for hit in found[1:] if hit[2].name != first[2].name]
    undecided = bool(others and UNDECIDED.search(text, first[1], others[0][0]))
    return first[2], undecided


def _read_destination(reading: _Reading) -> tuple[str | None, str | None]:
    resort, resort_undecided = _find_place(reading.text, RESORTS)
    country, country_undecided = _find_place(reading.text, COUNTRIES)
    if country_undecided:
        return None, None
    if resort and not resort_undecided:
        reading.notes.append(f"resort: {resort.name}")
        return resort.country, resort.name
    country_name = country.name if country else (resort.country if resort else None)
    if country_name:
        reading.notes.append(f"country: {country_name}")
    return country_name, None


def _read_departure(reading: _Reading, intent: str) -> str | None:
    for city in CITIES:
        match = city.pattern.search(reading.text)
        if match and (intent in TRAVEL_INTENTS or DEPARTURE_CUE.search(reading.text[:match.start()])):
            reading.notes.append(f"departure: {city.name}")
            return city.name
    return None


def place_named(value: str, places: list[Place]) -> Place | None:
    """The canonical place a free-form name stands for ("Нячанг", "nha trang city"), if any."""
    folded = value.strip().casefold()
    return next((place for place in places if place.name.casefold() == folded), None) or next(
        (place for place in places if place.pattern.search(folded)), None)


def language_of(text: str) -> str:
    """ru, kk or en: Kazakh by its letters and words, else the script most words are in."""
    words = WORD.findall(text.lower().replace("ё", "е"))
    cyrillic = [word for word in words if CYRILLIC.search(word)]
    latin = [word for word in words if not CYRILLIC.search(word)]
    if cyrillic:
        kazakh = [word for word in cyrillic
                  if KAZAKH_LETTERS.search(word) or word in KAZAKH_WORDS or KAZAKH_MONTH.match(word)]
        marked = any(KAZAKH_LETTERS.search(word) for word in kazakh) or len(kazakh) >= min(2, len(cyrillic))
        if marked and len(kazakh) >= 0.3 * len(cyrillic):
            return "kk"
        if len(cyrillic) >= len(latin):
            return "ru"
    return "en" if latin else "ru"


def _unthanked(text: str) -> str:
    """``text`` with what it thanks for blanked."""
    return THANKED.sub(lambda m: m[0][:m.start("topic") - m.start()] + " " * len(m["topic"]), text)


def _intent(text: str, facts: int) -> tuple[str, dict[str, int]]:
    """The intent with the highest score: its cue words' weights (the travel facts
    found count for a tour request, a question mark for a question)."""
    text = _unthanked(text)
    scores = {intent: sum(weight * len(pattern.findall(text)) for pattern, weight in cues)
              for intent, cues in INTENT_CUES.items()}
    scores[Intent.TOUR_REQUEST] += facts
    scores[Intent.QUESTION] += 1 if "?" in text else 0
    best = max(INTENT_ORDER, key=lambda intent: (scores[intent], -INTENT_ORDER.index(intent)))
    return (best if scores[best] > 0 else Intent.OTHER), scores


def _confidence(intent: str, scores: dict[str, int], facts: int) -> float:
    """Higher with a clear winning intent and more facts; lower when two intents tie."""
    if intent == Intent.OTHER:
        return 0.3
    ranked = sorted(scores.values(), reverse=True)
    value = 0.35 + 0.08 * min(ranked[0], 5) + 0.05 * min(facts, 5)
    if len(ranked) > 1 and ranked[1] == ranked[0]:
        value -= 0.15
    return round(max(0.1, min(value, 0.95)), 2)


def extract_rules(text: str, *, today: dt.date) -> Extraction:
    """What ``text`` says, read by rules (see the module's docstring for the
    choices made on ambiguous phrases)."""
    reading = _Reading(text=(text or "").lower().replace("ё", "е"), today=today)
    email = _read_email(reading)
    phone = _read_phone(reading)
    country, resort = _read_destination(reading)
    budget, currency = _read_budget(reading)
    date_from, date_to = _read_dates(reading)
    nights_from, nights_to = _read_nights(reading)
    adults, children, ages = _read_travellers(reading)
    said = [country, date_from or date_to, nights_from, adults or children, budget]
    facts = sum(1 for value in said if value is not None)
    intent, scores = _intent(reading.text, facts)
    if intent not in BUDGET_INTENTS:
        budget, currency = None, None
    departure = _read_departure(reading, intent)
    soon = date_from is not None and 0 <= (date_from - today).days <= URGENT_DAYS
    urgent = bool(URGENT.search(_unthanked(reading.text))) or soon
    reading.notes.insert(0, f"intent: {intent} ({', '.join(f'{k} {v}' for k, v in scores.items() if v)})")
    if urgent:
        reading.notes.append("urgent")
    return Extraction(
        intent=intent, language=language_of(text or ""), destination_country=country, destination_resort=resort,
        departure_city=departure, date_from=date_from, date_to=date_to, nights_from=nights_from, nights_to=nights_to,
        adults=adults, children=children, children_ages=ages, budget_amount=budget, budget_currency=currency,
        phone=phone, email=email, urgent=urgent, confidence=_confidence(intent, scores, facts + (departure is not None)),
        engine="rules", notes=reading.notes,
    )
