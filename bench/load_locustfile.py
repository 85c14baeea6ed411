"""The working day bench/load.py replays, for Locust (run by bench/load.py, headless).

- ``Agent`` (one per agent in the plan): the inbox open on one of their
  conversations, its thread polled every ``INBOX_POLL_SECONDS`` and the list every
  third time, as the page's htmx does; about every ``action_seconds`` one thing
  more: the board, a lead card, a reply through the reply form, or a move of one
  of their cards to the next open stage from the card (with the version it shows).
- ``TelegramProvider``: Telegram's deliveries with the webhook secret, from the
  plan's known chats and some new ones, one in ten delivered again.
- ``Website``: the booking form of the agency's site (``/api/public/v1/leads``),
  each visitor from an address of their own behind the proxy.

The plan (bench/load.py writes it; path in ``LOAD_PLAN``) holds the agents'
sessions, conversations and leads, the open stages and the rates.
"""

import itertools
import json
import os
import random
import re
import secrets
import uuid
from pathlib import Path

from locust import HttpUser, constant_pacing, constant_throughput, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
_agents = iter(PLAN["agents"])
_update_ids = itertools.count(PLAN["first_update_id"])
_recent: list[str] = []
AFTER = re.compile(r"after=(\d+)")
VERSION = re.compile(r'data-version="(\d+)"')


class Agent(HttpUser):
    fixed_count = len(PLAN["agents"])
    wait_time = constant_pacing(PLAN["poll_seconds"])

    def on_start(self):
        self.me = next(_agents)
        csrf = secrets.token_hex(16)
        self.client.cookies.set("sessionid", self.me["session"])
        self.client.cookies.set("csrftoken", csrf)
        self.client.headers.update({"X-CSRFToken": csrf})
        self.rng = random.Random(self.me["session"])
        self.ticks = 0
        self.open_conversation(self.rng.choice(self.me["conversations"]))

    def open_conversation(self, pk: int):
        self.conversation, self.after = pk, 0
        page = self.client.get(f"/inbox/{pk}/", name="/inbox/[id]/ (open a thread)")
        found = AFTER.findall(page.text)
        self.after = int(found[-1]) if found else 0

    @task
    def tick(self):
        htmx = {"HX-Request": "true"}
        poll = self.client.get(f"/inbox/{self.conversation}/messages/?after={self.after}", headers=htmx,
                               name="/inbox/[id]/messages/ (thread poll)")
        found = AFTER.findall(poll.text)
        if found:
            self.after = int(found[-1])
        self.ticks += 1
        if self.ticks % 3 == 0:
            self.client.get("/inbox/list/", headers=htmx, name="/inbox/list/ (list poll)")
        if self.rng.random() < PLAN["poll_seconds"] / PLAN["action_seconds"]:
            action = self.rng.choices([self.board, self.card, self.reply, self.move, self.switch],
                                      weights=[3, 4, 3, 2, 1])[0]
            action()

    def board(self):
        self.client.get("/leads/", name="/leads/ (board)")

    def card(self) -> tuple[int, int | None]:
        lead = self.rng.choice(self.me["leads"])
        page = self.client.get(f"/leads/{lead}/", name="/leads/[id]/ (lead card)")
        found = VERSION.search(page.text)
        return lead, int(found.group(1)) if found else None

    def reply(self):
        self.client.post(f"/inbox/{self.conversation}/reply/", headers={"HX-Request": "true"},
                         data={"text": "Добрый день! Подобрала для вас три отеля в Нячанге, отправляю варианты.",
                               "token": str(uuid.uuid4())}, name="/inbox/[id]/reply/ (reply form)")

    def move(self):
        lead, version = self.card()
        if version is None:
            return
        stages = PLAN["open_stages"]
        stage = stages[(self.me["leads"].index(lead) + version) % len(stages)]
        self.client.post(f"/leads/{lead}/move/", headers={"HX-Request": "true"},
                         data={"stage": stage, "version": version, "source": "card"},
                         name="/leads/[id]/move/ (card move)")

    def switch(self):
        self.open_conversation(self.rng.choice(self.me["conversations"]))


class TelegramProvider(HttpUser):
    fixed_count = PLAN["webhook_users"]
    wait_time = constant_throughput(PLAN["webhooks_per_second"] / PLAN["webhook_users"])

    @task
    def deliver(self):
        if _recent and random.random() < 0.1:
            body = random.choice(_recent)
        else:
            number = next(_update_ids)
            new_chat = random.random() < PLAN["new_chat_share"]
            chat = number if new_chat else random.choice(PLAN["chats"])
            body = json.dumps({"update_id": number, "message": {
                "message_id": number, "from": {"id": chat, "is_bot": False, "first_name": "Клиент"},
                "chat": {"id": chat, "type": "private", "first_name": "Клиент"}, "date": 1717000000,
                "text": random.choice(PLAN["client_texts"])}}, ensure_ascii=False)
            _recent.append(body)
            del _recent[:-200]
        self.client.post("/webhooks/telegram/", data=body.encode(), name="/webhooks/telegram/", headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": PLAN["telegram_secret"]})


class Website(HttpUser):
    fixed_count = PLAN["intake_users"]
    wait_time = constant_throughput(PLAN["intake_per_second"] / PLAN["intake_users"])

    @task
    def book(self):
        number = next(_update_ids)
        visitor = f"10.{number % 250}.{number // 250 % 250}.{number % 199 + 1}"
        self.client.post("/api/public/v1/leads", name="/api/public/v1/leads (booking form)", json={
            "destination": "Нячанг", "month": PLAN["month"], "nights": 9, "adults": 2, "children": 1,
            "budget": 1200000, "name": "Айгуль Серикова", "email": f"visitor{number}@example.kz",
            "phone": f"+7 702 {number % 10_000_000:07d}", "language": "ru", "notes": "Отель у моря",
        }, headers={"X-Forwarded-For": visitor, "Idempotency-Key": str(uuid.uuid4())})
