"""Two web instances and two Celery workers on one PostgreSQL and one Redis, as
behind a load balancer: a webhook flood with every delivery arriving twice (once
at each instance) is stored and processed once; two agents moving the same cards
through different instances never overwrite each other; two drains running at
once in the two workers process each message once."""

import json
import random
import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import psycopg
import pytest
import requests
from django.db import connection
from django.db.models import Count
from django.test import Client

from crm.models import Activity, ActivityKind, Lead, LeadStageChange
from messaging.models import Conversation, Message
from tests.crm.factories import LeadFactory, default_stage
from tests.liveserver import celery_worker, task_sender
from tests.messaging.factories import ConversationFactory, MessageFactory
from tests.scale.conftest import SCALE_REDIS_URL

pytestmark = [pytest.mark.worker, pytest.mark.slow]
TELEGRAM_SECRET = "scale-telegram-webhook-secret"  # noqa: S105
MESSAGES, CHATS, SENDERS = 300, 20, 16
PROCESSING_TIMEOUT = 180


def server_env(database_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "REDIS_URL": SCALE_REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "0",
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET, "LOG_LEVEL": "WARNING",
            "GUNICORN_CMD_ARGS": "--threads=4"}


@contextmanager
def two_workers(env: dict[str, str]):
    # Both queues: the assistant's work may have a queue of its own.
    with ExitStack() as stack:
        for name in ("scale-a@%h", "scale-b@%h"):
            stack.enter_context(celery_worker(env, name=name, queues="celery,assistant"))
        yield


def wait_for(condition, *, what: str, timeout: float = PROCESSING_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.3)


def update(n: int) -> dict:
    chat = 7_100_000_000 + n % CHATS
    return {"update_id": 900000 + n, "message": {
        "message_id": n, "from": {"id": chat, "is_bot": False, "first_name": f"Клиент {n % CHATS}"},
        "chat": {"id": chat, "type": "private"}, "date": 1717000000 + n, "text": f"Вопрос про тур номер {n}"}}


def test_a_flood_through_two_instances_is_stored_once_and_processed_once_by_two_workers(
        subprocess_database_url, gunicorn, scale_redis):
    env = server_env(subprocess_database_url)
    instances = [gunicorn(env), gunicorn(env)]
    # Each message is delivered twice, once to each instance, all in a random order.
    deliveries = [(instances[(n + copy) % 2], update(n)) for n in range(MESSAGES) for copy in (0, 1)]
    random.Random(12).shuffle(deliveries)
    local = threading.local()

    def post(delivery) -> int:
        base_url, body = delivery
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session.post(f"{base_url}/webhooks/telegram/", data=json.dumps(body), timeout=60, headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}).status_code

    with two_workers(env):
        with ThreadPoolExecutor(SENDERS) as pool:
            statuses = list(pool.map(post, deliveries))
        wait_for(lambda: not Message.objects.filter(needs_processing=True).exists(), what="every message processed")

    assert statuses == [200] * (2 * MESSAGES)
    assert Message.objects.count() == MESSAGES
    assert Conversation.objects.count() == CHATS
    assert sum(Conversation.objects.values_list("unread_count", flat=True)) == MESSAGES
    # Processed once: one timeline entry each, on the one open lead of its chat's client.
    entries = Activity.objects.filter(kind=ActivityKind.MESSAGE)
    assert sorted(entries.values_list("data__message", flat=True)) == sorted(Message.objects.values_list("pk", flat=True))
    assert Lead.objects.count() == CHATS
    assert not Conversation.objects.filter(lead__isnull=True).exists()
    lead_of_chat = dict(Conversation.objects.values_list("pk", "lead"))
    assert {entry.data["message"]: entry.lead_id for entry in entries} == {
        message.pk: lead_of_chat[message.conversation_id] for message in Message.objects.all()}


def test_two_drains_at_once_in_two_workers_process_each_message_once(subprocess_database_url, scale_redis):
    conversations = ConversationFactory.create_batch(6)
    waiting = [MessageFactory(conversation=conversations[n % 6], needs_processing=True) for n in range(60)]
    sender = task_sender(SCALE_REDIS_URL)
    with two_workers(server_env(subprocess_database_url)):
        # Hold the first message both drains start with until both wait for it.
        with psycopg.connect(subprocess_database_url) as holder:
            holder.execute("SELECT id FROM messaging_message WHERE id = %s FOR UPDATE", (waiting[0].pk,))
            drains = [sender.send_task("messaging.inbound_drain") for _ in range(2)]
            wait_for(lambda: sessions_waiting_on_a_lock() >= 2, what="both drains to wait for the held message",
                     timeout=60)
            holder.rollback()
        processed = [drain.get(timeout=PROCESSING_TIMEOUT) for drain in drains]
    sender.close()

    assert sum(processed) == len(waiting)  # between them, each message once
    assert not Message.objects.filter(needs_processing=True).exists()
    per_message = Activity.objects.filter(kind=ActivityKind.MESSAGE).values("data__message").annotate(n=Count("id"))
    assert sorted((row["data__message"], row["n"]) for row in per_message) == [(m.pk, 1) for m in waiting]


def sessions_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


class Agent:
    """A logged-in person's browser on one instance: the board and its moves, as htmx sends them."""

    def __init__(self, user, base_url: str):
        client = Client()
        client.force_login(user)
        self.base_url = base_url
        self.session = requests.Session()
        csrf = secrets.token_hex(16)
        self.session.cookies.set("sessionid", client.cookies["sessionid"].value)
        self.session.cookies.set("csrftoken", csrf)
        self.session.headers.update({"X-CSRFToken": csrf, "HX-Request": "true"})

    def move(self, lead_id: int, *, stage_id: int, version: int) -> int:
        return self.session.post(f"{self.base_url}/leads/{lead_id}/move/", timeout=60, data={
            "stage": stage_id, "version": version, "source": "menu"}).status_code

    def board(self) -> dict[int, list[int]]:
        """The cards of each column the board shows, in order: {stage id: [lead ids]}."""
        html = self.session.get(f"{self.base_url}/leads/", timeout=60, headers={"HX-Request": ""}).text
        columns = re.split(r'id="cards-(\d+)"', html)[1:]
        return {int(stage): [int(pk) for pk in re.findall(r'data-lead-id="(\d+)"', part)]
                for stage, part in zip(columns[::2], columns[1::2], strict=True)}


def test_two_agents_moving_cards_through_two_instances_never_overwrite_each_other(
        subprocess_database_url, gunicorn, agent, colleague):
    new, consultation, selection, offer = (default_stage(code) for code in ("new", "consultation", "selection", "offer"))
    contested = LeadFactory.create_batch(12, stage=new)
    own = {agent: LeadFactory.create_batch(8, stage=new), colleague: LeadFactory.create_batch(8, stage=new)}
    env = server_env(subprocess_database_url)
    aigerim, dmitry = Agent(agent, gunicorn(env)), Agent(colleague, gunicorn(env))

    # The same cards, seen at the same version, dragged at the same moment to
    # different columns by the two agents on the two instances.
    moves = [(person, lead, stage) for lead in contested
             for person, stage in ((aigerim, consultation), (dmitry, selection))]
    random.Random(3).shuffle(moves)
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda m: (m[1].pk, m[2].pk, m[0].move(m[1].pk, stage_id=m[2].pk,
                                                                        version=m[1].version)), moves))

    for lead in contested:
        mine = sorted((status, stage) for pk, stage, status in outcomes if pk == lead.pk)
        assert [status for status, _ in mine] == [200, 409]
        lead.refresh_from_db()
        assert lead.stage_id == mine[0][1] and lead.version == 2
        assert list(LeadStageChange.objects.filter(lead=lead).values_list("to_stage", flat=True)) == [mine[0][1]]

    # Each agent's own cards, all at once into one column from both instances: every move lands.
    moves = [(person, lead) for person, leads in ((aigerim, own[agent]), (dmitry, own[colleague])) for lead in leads]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda m: m[0].move(m[1].pk, stage_id=offer.pk, version=m[1].version), moves))
    assert statuses == [200] * len(moves)

    # Both instances show the same board, which is the database's: each card once, where its move put it.
    board = aigerim.board()
    assert board == dmitry.board()
    for stage_id, cards in board.items():
        assert cards == list(Lead.objects.filter(stage_id=stage_id).order_by("position", "pk")
                             .values_list("pk", flat=True))
    assert sorted(board[offer.pk]) == sorted(lead.pk for leads in own.values() for lead in leads)
    positions = list(Lead.objects.filter(stage=offer).values_list("position", flat=True))
    assert len(set(positions)) == len(positions)  # no two cards share a place in the column
