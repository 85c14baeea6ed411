"""A local SAMO-Tour server speaking the wire format of ``shared/protocols/samo.md``.

For tests and demos only: it is used when ``SAMO_API_URL`` points at it
(``python manage.py samo_fake_server --port 8765``), never otherwise, and every
answer carries ``X-Samo-Demo: 1`` so that the pages label its offers as demo data.

Data: departures from Almaty and Astana to Vietnam (Nha Trang, Cam Ranh, Phu
Quoc, Da Nang, Phan Thiet) and from Almaty to Thailand (Phuket); real-looking
hotels, rooms and meal plans; prices in USD computed deterministically from the
hotel, room, meal, date, nights and travellers; flights on fixed weekdays. The
quirks of real operators are kept: ids and numbers sometimes as strings, both
check-in formats, EUR named "euro", ``convertedPrice`` with no-break spaces.

It can be told to fail: ``mode`` 401 (invalid token), 403 (address not
allow-listed), 500, ``method_error`` (``{"error": …}`` on 200) or ``empty``
(``""`` for every action), and to answer slowly (``delay_ms``). It counts the
calls per action. Control it in-process (``server.state``) or over HTTP:
``GET /__fake__/stats``, ``POST /__fake__/mode`` with JSON
``{"mode": "500", "delay_ms": 200}``, ``POST /__fake__/reset``.
"""

import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

DEFAULT_TOKEN = "local-demo-token-0000"  # noqa: S105 (the local server's own, public token)
PAGE_SIZE = 10
MODES = ("ok", "401", "403", "500", "method_error", "empty")

TOWN_FROMS = [
    {"id": 1344, "name": "Алматы", "nameAlt": "ALMATY", "stateFromKey": 3, "stateFromName": "Казахстан",
     "stateFromNameAlt": "KAZAKHSTAN", "packet_type": 0, "selected": 1, "default": 1},
    {"id": "1345", "name": "Астана", "nameAlt": "ASTANA", "stateFromKey": 3, "stateFromName": "Казахстан",
     "stateFromNameAlt": "KAZAKHSTAN", "packet_type": 0, "selected": 0, "default": 0},
]
STATES = {22: {"name": "Вьетнам", "nameAlt": "VIETNAM"}, 5: {"name": "Таиланд", "nameAlt": "THAILAND"}}
DIRECTIONS = {1344: (22, 5), 1345: (22,)}
# resort id: (state, name, region, airport)
TOWNS = {
    1452: (22, "Нячанг", "Кханьхоа", "CXR"),
    1453: (22, "Камрань", "Кханьхоа", "CXR"),
    1460: (22, "Фукуок", "Кьензянг", "PQC"),
    1470: (22, "Дананг", "Дананг", "DAD"),
    1480: (22, "Фантьет", "Биньтхуан", "CXR"),
    2010: (5, "Пхукет", "Пхукет", "HKT"),
}
# (departure, airport): (flight weekdays, Monday = 0; return fare per adult in USD; flight number)
FLIGHTS = {
    (1344, "CXR"): ((0, 2, 4, 6), 430, "KC 957"),
    (1344, "PQC"): ((1, 5), 470, "DV 7731"),
    (1344, "DAD"): ((3, 6), 455, "KC 961"),
    (1344, "HKT"): ((0, 3), 510, "KC 941"),
    (1345, "CXR"): ((1, 4), 480, "KC 953"),
    (1345, "PQC"): ((4,), 520, "DV 7735"),
}
AIRPORT_NAMES = {"ALA": "Алматы", "NQZ": "Астана", "CXR": "Камрань", "PQC": "Фукуок", "DAD": "Дананг", "HKT": "Пхукет"}
DEPARTURE_AIRPORTS = {1344: "ALA", 1345: "NQZ"}
STARS = {401: "3*", 402: "4*", 403: "5*"}
MEALS = {1: ("RO", "Без питания"), 2: ("BB", "Завтраки"), 3: ("HB", "Полупансион"), 4: ("FB", "Полный пансион"),
         5: ("AI", "Всё включено")}
ROOMS = {11: ("Standard", Decimal("1.00")), 12: ("Superior", Decimal("1.18")), 13: ("Deluxe Ocean View", Decimal("1.45")),
         14: ("Family Suite", Decimal("1.90")), 15: ("Pool Villa", Decimal("2.60"))}
MEAL_SUPPLEMENT = {1: 0, 2: 9, 3: 24, 4: 38, 5: 55}  # USD per person per night
# hotel id: (resort, name, stars, USD per room-night, rooms, meals)
HOTELS = {
    30160: (1452, "Sunrise Nha Trang Beach Hotel & Spa", 5, 118, (11, 13, 14), (2, 3)),
    30161: (1452, "Liberty Central Nha Trang", 4, 64, (11, 12, 13), (2,)),
    30162: (1452, "Novotel Nha Trang", 4, 79, (12, 13), (1, 2)),
    30163: (1452, "Havana Nha Trang Hotel", 5, 96, (11, 13), (2, 3)),
    30164: (1452, "Ibis Styles Nha Trang", 3, 38, (11, 12), (1, 2)),
    30165: (1452, "Vinpearl Resort Nha Trang", 5, 162, (13, 15), (4, 5)),
    30170: (1453, "Movenpick Resort Cam Ranh", 5, 171, (13, 14, 15), (2, 5)),
    30171: (1453, "Arena Cam Ranh", 4, 72, (12, 14), (2, 3)),
    30180: (1460, "Vinpearl Resort & Spa Phu Quoc", 5, 149, (13, 15), (2, 5)),
    30181: (1460, "Sol by Melia Phu Quoc", 4, 83, (11, 13), (2, 5)),
    30182: (1460, "Novotel Phu Quoc Resort", 5, 128, (12, 13), (2, 3)),
    30183: (1460, "Lahana Resort Phu Quoc", 3, 41, (11,), (2,)),
    30190: (1470, "Furama Resort Danang", 5, 176, (13, 15), (2, 3)),
    30191: (1470, "Sala Danang Beach Hotel", 4, 74, (11, 13), (2,)),
    30192: (1470, "Muong Thanh Luxury Da Nang", 4, 61, (11, 12), (2, 3)),
    30200: (1480, "Anantara Mui Ne Resort", 5, 139, (13, 15), (2, 3)),
    30201: (1480, "Muine Bay Resort", 4, 66, (11, 13), (2,)),
    40100: (2010, "Katathani Phuket Beach Resort", 5, 158, (13, 14), (2, 3)),
    40101: (2010, "Centara Karon Resort Phuket", 4, 88, (11, 13), (2, 5)),
}
CURRENCIES = [
    {"id": 1, "name": "RUB", "alias": "RUB"},
    {"id": 2, "name": "USD", "alias": "USD"},
    {"id": "3", "name": "euro", "alias": "EUR"},
    {"id": 4, "name": "KZT", "alias": "KZT"},
]
KZT_RATES = {1: Decimal("6.32"), 2: Decimal("512.35"), 3: Decimal("556.10"), 4: Decimal("1")}
CURRENCY_CODES = {1: "RUB", 2: "USD", 3: "EUR", 4: "KZT"}
TOUR_IDS = {1344: 7612, 1345: 7613}


def _unit(*parts) -> float:
    """A stable pseudo-random number in [0, 1) for the given facts."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _ids(text: str) -> set[int]:
    return {int(part) for part in text.split(",") if part.strip().isdigit()}


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except (TypeError, ValueError):
        return None


def _grouped_thousands(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", "\u00a0")


@dataclass
class FakeState:
    mode: str = "ok"
    delay_ms: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, action: str) -> None:
        with self.lock:
            self.calls[action] = self.calls.get(action, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        with self.lock:
            self.mode, self.delay_ms, self.calls = "ok", 0, {}


class Catalogue:
    """The answers, computed from the tables above."""

    def __init__(self, today: dt.date | None = None):
        self.today = today or dt.date.today()

    # --- reference data

    def townfroms(self, params):
        return TOWN_FROMS

    def _direction(self, params) -> tuple[int | None, int | None]:
        town_from = int(params.get("TOWNFROMINC") or 0) or None
        state = int(params.get("STATEINC") or 0) or None
        return town_from, state

    def states(self, params):
        town_from, _ = self._direction(params)
        return [{"id": str(sid), **STATES[sid]} for sid in DIRECTIONS.get(town_from, ())]

    def _towns_of(self, town_from, state) -> list[int]:
        if state not in DIRECTIONS.get(town_from, ()):
            return []
        return [tid for tid, (sid, _n, _r, airport) in TOWNS.items() if sid == state and (town_from, airport) in FLIGHTS]

    def towns(self, params):
        town_from, state = self._direction(params)
        return [{"id": tid, "name": TOWNS[tid][1], "region": TOWNS[tid][2], "regionKey": 100 + tid % 97}
                for tid in self._towns_of(town_from, state)]

    def tours(self, params):
        town_from, state = self._direction(params)
        if state not in DIRECTIONS.get(town_from, ()):
            return []
        city = next(t["name"] for t in TOWN_FROMS if int(t["id"]) == town_from)
        return [{"id": TOUR_IDS[town_from] * 10 + state, "name": f"{STATES[state]['name']} из г. {city} (чартер)",
                 "typeKey": 1, "url": ""}]

    def _hotels_of(self, town_from, state, towns=frozenset(), stars=frozenset()) -> list[int]:
        resorts = set(self._towns_of(town_from, state))
        return [hid for hid, (tid, _n, star, *_rest) in HOTELS.items()
                if tid in resorts and (not towns or tid in towns) and (not stars or 400 + star - 2 in stars)]

    def hotels(self, params):
        town_from, state = self._direction(params)
        chosen = self._hotels_of(town_from, state, _ids(params.get("TOWNS", "")), _ids(params.get("STARS", "")))
        return [{"id": hid, "name": HOTELS[hid][1], "star": f"{HOTELS[hid][2]}*", "starGroupList": "",
                 "townKey": str(HOTELS[hid][0]), "starKey": 400 + HOTELS[hid][2] - 2} for hid in chosen]

    def meals(self, params):
        town_from, state = self._direction(params)
        used = sorted({m for hid in self._hotels_of(town_from, state) for m in HOTELS[hid][5]})
        return [{"id": mid, "name": MEALS[mid][0], "nameAlt": MEALS[mid][1]} for mid in used]

    def stars(self, params):
        town_from, state = self._direction(params)
        used = sorted({HOTELS[hid][2] for hid in self._hotels_of(town_from, state)})
        return [{"id": 400 + s - 2, "name": STARS[400 + s - 2]} for s in used]

    def _flight(self, town_from, town_id):
        return FLIGHTS.get((town_from, TOWNS[town_id][3]))

    def _departure_days(self, town_from, state, start: dt.date, days: int) -> list[dt.date]:
        weekdays = set()
        for tid in self._towns_of(town_from, state):
            weekdays |= set(self._flight(town_from, tid)[0])
        return [start + dt.timedelta(d) for d in range(days) if (start + dt.timedelta(d)).weekday() in weekdays]

    def checkin(self, params):
        town_from, state = self._direction(params)
        start = self.today + dt.timedelta(days=1)
        days = self._departure_days(town_from, state, start, 180)
        if town_from == 1345:  # this operator version answers with a list of items
            return [{"checkin": d.strftime("%Y%m%d")} for d in days]
        valid = "".join("1" if start + dt.timedelta(d) in days else "0" for d in range(180))
        return {"start": start.strftime("%Y%m%d"), "valid": valid}

    def nights(self, params):
        town_from, state = self._direction(params)
        return {"nights": list(range(6, 15)) if self._towns_of(town_from, state) else []}

    def currencies(self, params):
        return [{**c, "rates": [{"id": 4, "nominal": 1, "value": str(KZT_RATES[int(c["id"])]), "alias": "KZT"}]}
                for c in CURRENCIES]

    def currency_list(self, params):
        return [{"id": c["id"], "name": c["name"]} for c in CURRENCIES]

    def currency_rates(self, params):
        currency, base = int(params.get("CURRENCY") or 0), int(params.get("CURRENCYBASE") or 0)
        if currency not in KZT_RATES or base not in KZT_RATES:
            return []
        return [{"rate": str((KZT_RATES[currency] / KZT_RATES[base]).quantize(Decimal("0.0001"))),
                 "currency": CURRENCY_CODES[currency], "base": CURRENCY_CODES[base], "date": self.today.strftime("%Y%m%d")}]

    def all(self, params):
        checkin = self.checkin(params)
        return {"CHECKIN_BEG": {"startDate": checkin.get("start") if isinstance(checkin, dict) else "",
                                "validDates": checkin.get("valid") if isinstance(checkin, dict) else ""},
                "CURRENCIES": self.currencies(params), "TOWNS": self.towns(params), "STARS": self.stars(params),
                "HOTELS": self.hotels(params), "MEALS": self.meals(params)}

    # --- prices

    def _rows(self, params) -> list[dict]:
        town_from, state = self._direction(params)
        beg, end = _date(params.get("CHECKIN_BEG")), _date(params.get("CHECKIN_END"))
        try:
            nights_from, nights_till = int(params["NIGHTS_FROM"]), int(params["NIGHTS_TILL"])
            adults, children = int(params["ADULT"]), int(params.get("CHILD") or 0)
            currency = int(params["CURRENCY"])
        except (KeyError, ValueError):
            raise ValueError("required parameter missing") from None
        if not beg or not end or currency not in KZT_RATES:
            raise ValueError("bad CHECKIN_BEG / CHECKIN_END / CURRENCY")
        hotels = self._hotels_of(town_from, state, _ids(params.get("TOWNS", "")), _ids(params.get("STARS", "")))
        wanted_hotels, wanted_meals = _ids(params.get("HOTELS", "")), _ids(params.get("MEALS", ""))
        cost_min = Decimal(params.get("COSTMIN") or 0)
        cost_max = Decimal(params["COSTMAX"]) if params.get("COSTMAX") else None
        rate = KZT_RATES[2] / KZT_RATES[currency]
        code = CURRENCY_CODES[currency]
        rows = []
        for hid in hotels:
            if wanted_hotels and hid not in wanted_hotels:
                continue
            tid, name, star, night_rate, rooms, meals = HOTELS[hid]
            days, fare, _number = self._flight(town_from, tid)
            day = beg
            while day <= end:
                if day.weekday() in days and day > self.today:
                    for nights in range(max(nights_from, 6), min(nights_till, 14) + 1):
                        for room in rooms:
                            for meal in meals:
                                if wanted_meals and meal not in wanted_meals:
                                    continue
                                row = self._row(town_from, hid, tid, name, star, night_rate, fare, room, meal, day,
                                                nights, adults, children, rate, code, currency)
                                if cost_min <= Decimal(row["price"]) and (cost_max is None or Decimal(row["price"]) <= cost_max):
                                    rows.append(row)
                day += dt.timedelta(days=1)
        if params.get("FREIGHT") == "1":
            rows = [r for r in rows if r["freights"]["econom"]["out"] != "N" and r["freights"]["econom"]["in"] != "N"]
        rows.sort(key=lambda r: (Decimal(r["price"]), r["id"]))
        return rows

    def _row(self, town_from, hid, tid, name, star, night_rate, fare, room, meal, day, nights, adults, children,
             rate, code, currency) -> dict:
        season = Decimal(str(0.9 + 0.25 * _unit("season", tid, day.isocalendar()[1])))
        room_name, room_factor = ROOMS[room]
        travellers = Decimal(adults) + Decimal(children) * Decimal("0.6")
        hotel_usd = Decimal(night_rate) * room_factor * season * nights * max(Decimal(1), travellers / 2)
        meal_usd = Decimal(MEAL_SUPPLEMENT[meal]) * travellers * nights
        flight_usd = Decimal(fare) * (Decimal(adults) + Decimal(children) * Decimal("0.75"))
        price_usd = (hotel_usd + meal_usd + flight_usd).quantize(Decimal("1"))
        price = _money(price_usd * rate)
        availability_roll = _unit("rooms", hid, room, day)
        letter = "N" if availability_roll < 0.06 else "R" if availability_roll < 0.2 else "Y"
        hotel_availability = letter * min(nights, 4) if letter != "Y" else "Y" * min(nights, 4)
        seats = ["Y", "Y", "Y", "F", "R", "N"]
        out_seats = seats[int(_unit("out", town_from, tid, day) * len(seats))]
        in_seats = seats[int(_unit("in", town_from, tid, day, nights) * len(seats))]
        row_id = f"{town_from}{hid}{room}{meal}:{nights}:{day:%Y%m%d}"
        numeric = (hid + nights) % 3 == 0  # some operators send numbers as numbers, others as strings
        return {
            "id": row_id, "hotelKey": hid if numeric else str(hid), "hotel": name, "star": f"{star}*",
            "town": TOWNS[tid][1], "townKey": tid, "tour": self.tours({"TOWNFROMINC": town_from, "STATEINC": TOWNS[tid][0]})[0]["name"],
            "tourKey": TOUR_IDS[town_from] * 10 + TOWNS[tid][0],
            "checkIn": day.strftime("%Y%m%d"), "checkOut": (day + dt.timedelta(nights)).strftime("%Y%m%d"),
            "nights": nights if numeric else str(nights), "hnights": nights, "adult": adults, "child": children,
            "infant": 0, "packetType": 0, "meal": MEALS[meal][0], "mealKey": meal, "room": room_name, "roomKey": room,
            "htPlace": f"{adults} ADL" + (f" + {children} CHD" if children else ""), "htPlaceKey": 100 + adults * 10 + children,
            "price": f"{price:.2f}" if not numeric else float(price), "currency": code, "currencyKey": currency,
            "convertedPrice": f"{_grouped_thousands(_money(price_usd * KZT_RATES[2]))} KZT",
            "bron": (1 if numeric else True) if letter != "N" else 0, "grouped": 0,
            "hotelAvailability": hotel_availability,
            "freights": {"econom": {"in": in_seats, "out": out_seats}},
        }

    def prices(self, params):
        try:
            rows = self._rows(params)
        except ValueError as exc:
            return {"error": str(exc)}
        if not rows:
            return ""
        if params.get("CATCLAIM"):
            rows = [r for r in rows if str(r["hotelKey"]) in params.get("HOTELS", "").split(",")]
        elif params.get("PARTITION_PRICE"):
            cheapest = {}
            for row in rows:
                cheapest.setdefault(str(row["hotelKey"]), {**row, "grouped": 1})
            rows = list(cheapest.values())
        if not rows:
            return ""
        pages = (len(rows) + PAGE_SIZE - 1) // PAGE_SIZE
        page = min(max(int(params.get("PRICEPAGE") or 1), 1), pages)
        return {"prices": rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], "pager": {"current": page, "total": pages}}

    # --- related

    def freights(self, params):
        claim = params.get("CATCLAIM", "")
        try:
            head, nights, day = claim.split(":")
            town_from, hid = int(head[:4]), int(head[4:9])
            day, nights = _date(day), int(nights)
            tid = HOTELS[hid][0]
        except (ValueError, KeyError):
            return ""
        _days, _fare, number = self._flight(town_from, tid)
        home, away = DEPARTURE_AIRPORTS[town_from], TOWNS[tid][3]
        back = day + dt.timedelta(nights)

        def route(date, source, target, flight_number, dep, arr, status):
            return {"info": {"date": date.strftime("%Y%m%d"), "sourceTown": AIRPORT_NAMES[source],
                             "targetTown": AIRPORT_NAMES[target]},
                    "freights": [{"name": flight_number, "transportCompany": "Air Astana" if number.startswith("KC") else "SCAT",
                                  "departure": {"port": AIRPORT_NAMES[source], "portAlias": source, "time": dep},
                                  "arrival": {"port": AIRPORT_NAMES[target], "portAlias": target, "time": arr},
                                  "places": [{"class": "Econom", "status": status, "baggage": "23 кг"}]}]}

        out_status = "noplace" if _unit("out", town_from, tid, day) >= 5 / 6 else "yesplace"
        back_status = "noplace" if _unit("in", town_from, tid, day, nights) >= 5 / 6 else "yesplace"
        back_number = number[:-1] + str((int(number[-1]) + 1) % 10)
        return {"routes": [route(day, home, away, number, "23:55", "08:40", out_status),
                           route(back, away, home, back_number, "10:10", "17:25", back_status)]}

    def hotel_details(self, params):
        hid = int(params.get("HOTELINC") or 0)
        if hid not in HOTELS:
            return False
        tid, name, star, _rate, rooms, _meals = HOTELS[hid]
        return {"id": hid, "name": name, "address": f"{TOWNS[tid][1]}, {TOWNS[tid][2]}, Вьетнам" if TOWNS[tid][0] == 22 else TOWNS[tid][1],
                "description": f"{name}: {star}* на первой линии, бассейн, спа, детский клуб.",
                "latitude": f"{12 + _unit('lat', hid) * 4:.5f}", "longitude": f"{106 + _unit('lon', hid) * 3:.5f}",
                "attributes": [{"name": "Пляж"}, {"name": "Бассейн"}, {"name": "Wi-Fi"}],
                "rooms": [{"name": ROOMS[r][0]} for r in rooms], "photos": []}

    def answer(self, action: str, params: dict) -> tuple[int, object]:
        handlers = {
            "SearchTour_TOWNFROMS": self.townfroms, "SearchTour_STATES": self.states, "SearchTour_TOWNS": self.towns,
            "SearchTour_TOURS": self.tours, "SearchTour_HOTELS": self.hotels, "SearchTour_MEALS": self.meals,
            "SearchTour_STARS": self.stars, "SearchTour_CHECKIN": self.checkin, "SearchTour_NIGHTS": self.nights,
            "SearchTour_CURRENCIES": self.currencies, "SearchTour_ALL": self.all, "SearchTour_PRICES": self.prices,
            "Currency_CURRENCIES": self.currency_list, "Currency_RATES": self.currency_rates,
            "Hotels_DETAILS": self.hotel_details, "FreightMonitor_FREIGHTSBYPACKET": self.freights,
        }
        if action.startswith("Claim_"):
            return 403, {"error": "Доступ запрещён"}
        handler = handlers.get(action)
        if handler is None:
            return 200, {"error": f"Unknown action {action}"}
        payload = handler(params)
        if isinstance(payload, dict) and "error" in payload:
            return 200, {action: payload}
        return 200, {action: payload}


class _Handler(BaseHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment (no Nagle / delayed-ACK stall of ~40 ms per call).
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def log_message(self, format, *args):  # the request line carries the token: never print it
        return

    @property
    def fake(self) -> "FakeSamoServer":
        return self.server.fake

    def _send(self, status: int, body: str | bytes, content_type: str = "application/json; charset=utf-8",
              headers: dict | None = None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Samo-Demo", "1")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, data) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False))

    def do_POST(self):
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if path == "/__fake__/mode":
            data = json.loads(body or b"{}")
            mode = str(data.get("mode", "ok"))
            if mode not in MODES:
                return self._json(400, {"error": f"mode must be one of {', '.join(MODES)}"})
            self.fake.state.mode = mode
            self.fake.state.delay_ms = int(data.get("delay_ms", self.fake.state.delay_ms))
            return self._json(200, {"mode": mode, "delay_ms": self.fake.state.delay_ms})
        if path == "/__fake__/reset":
            self.fake.state.reset()
            return self._json(200, {"reset": True})
        # SAMO answers a POST to the API with a server fault.
        return self._send(500, "<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")

    def do_GET(self):
        split = urlsplit(self.path)
        if split.path == "/__fake__/stats":
            state = self.fake.state
            return self._json(200, {"mode": state.mode, "delay_ms": state.delay_ms, "calls": state.total,
                                    "by_action": dict(state.calls)})
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        action = params.get("action", "")
        state = self.fake.state
        state.count(action)
        if state.delay_ms:
            time.sleep(state.delay_ms / 1000)
        if params.get("samo_action") != "api" or params.get("type") != "json" or not action:
            return self._send(500, "<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")
        if state.mode == "403":
            return self._json(403, {"error": f"apiKey provided, but invalid, blacklisted address {self.client_address[0]}"})
        if state.mode == "401" or params.get("oauth_token") != self.fake.token:
            return self._send(401, "<html><body>Unauthorized</body></html>", "text/html", {
                "WWW-Authenticate": "OAuth realm='Service', error='invalid_token', "
                                    "error_description='The access token provided is invalid.', scope='online-api'"})
        if state.mode == "500":
            return self._send(500, "<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")
        if state.mode == "method_error":
            return self._json(200, {action: {"error": 110}})
        if state.mode == "empty":
            return self._json(200, {action: ""})
        status, data = self.fake.catalogue.answer(action, params)
        return self._json(status, data)


class FakeSamoServer:
    """``with FakeSamoServer() as samo: ... samo.url ... samo.state.calls``"""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str = DEFAULT_TOKEN,
                 today: dt.date | None = None):
        self.token = token
        self.state = FakeState()
        self.catalogue = Catalogue(today)
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = self
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/export/default.php"

    def start(self) -> "FakeSamoServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="fake-samo", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
