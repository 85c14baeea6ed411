"""Against a real gunicorn with PostgreSQL, Redis and (when the test says so) a real
Celery worker: concurrent re-deliveries, inbound while the worker is stopped,
and sending from the worker with retries."""

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from crm.models import Activity, ActivityKind, Lead
from messaging.models import Conversation, Message
from tests.liveserver import celery_worker, task_sender
from tests.messaging.conftest import TELEGRAM_SECRET, WAZZUP_TOKEN, payload, sign
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = [pytest.mark.slow]
WORKER_REDIS_URL = "redis://127.0.0.1:6379/9"
DISTINCT, DUPLICATES, SENDERS, CHATS = 700, 300, 8, 40


def server_env(database_url: str, fake_telegram=None) -> dict[str, str]:
    env = {"DATABASE_URL": database_url, "REDIS_URL": WORKER_REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "0",
           "TELEGRAM_BOT_TOKEN": "123456:local-demo-bot-token", "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
           "WHATSAPP_APP_SECRET": "local-demo-app-secret", "WAZZUP_WEBHOOK_TOKEN": WAZZUP_TOKEN,
           "MESSAGING_RETRY_BACKOFF": "0.2", "LOG_LEVEL": "WARNING"}
    if fake_telegram is not None:
        env["TELEGRAM_API_URL"] = fake_telegram.url
    return env


def update(n: int) -> dict:
    chat = 7_000_000_000 + n % CHATS
    return {"update_id": 500000 + n, "message": {
        "message_id": n, "from": {"id": chat, "is_bot": False, "first_name": f"Клиент {n % CHATS}"},
        "chat": {"id": chat, "type": "private"}, "date": 1717000000 + n, "text": f"Сообщение {n}"}}


def test_eight_concurrent_senders_with_30_percent_duplicates_store_each_message_once(subprocess_database_url,
                                                                                   gunicorn):
    redis.Redis.from_url(WORKER_REDIS_URL).flushdb()
    base_url = gunicorn({**server_env(subprocess_database_url), "GUNICORN_CMD_ARGS": "--threads=8"})
    deliveries = [update(n) for n in range(DISTINCT)]
    deliveries += [random.choice(deliveries) for _ in range(DUPLICATES)]
    random.Random(2026).shuffle(deliveries)
    session = requests.Session()

    def post(data):
        return session.post(f"{base_url}/webhooks/telegram/", data=json.dumps(data), timeout=30,
                            headers={"Content-Type": "application/json",
                                     "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}).status_code

    with ThreadPoolExecutor(SENDERS) as pool:
        statuses = list(pool.map(post, deliveries))

    assert len(statuses) == DISTINCT + DUPLICATES
    assert set(statuses) == {200}
    assert Message.objects.count() == DISTINCT
    assert Conversation.objects.count() == CHATS
    assert sum(Conversation.objects.values_list("unread_count", flat=True)) == DISTINCT
    assert Message.objects.filter(needs_processing=True).count() == DISTINCT  # no worker: waiting, not lost
    redis.Redis.from_url(WORKER_REDIS_URL).flushdb()


@pytest.mark.worker
def test_inbound_is_stored_with_the_worker_stopped_and_processed_when_it_starts(subprocess_database_url, gunicorn):
    redis.Redis.from_url(WORKER_REDIS_URL).flushdb()
    env = server_env(subprocess_database_url)
    base_url = gunicorn(env)
    telegram = [requests.post(f"{base_url}/webhooks/telegram/", json=update(n), timeout=10,
                              headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}) for n in range(5)]
    body = json.dumps(payload("whatsapp_text.json")).encode()
    whatsapp = requests.post(f"{base_url}/webhooks/whatsapp/", data=body, timeout=10,
                             headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)})
    wazzup = requests.post(f"{base_url}/webhooks/wazzup/?token={WAZZUP_TOKEN}", json=payload("wazzup_text.json"),
                           timeout=10)

    assert [r.status_code for r in (*telegram, whatsapp, wazzup)] == [200] * 7
    assert Message.objects.count() == 7 and Message.objects.filter(needs_processing=True).count() == 7
    assert not Lead.objects.exists()

    with celery_worker(env, name="inbox-inbound-test@%h"):
        deadline = time.monotonic() + 90
        while Message.objects.filter(needs_processing=True).exists() and time.monotonic() < deadline:
            time.sleep(0.3)

    assert not Message.objects.filter(needs_processing=True).exists()
    assert Lead.objects.count() == 7  # five Telegram chats, one WhatsApp and one Wazzup client
    assert Activity.objects.filter(kind=ActivityKind.MESSAGE).count() == 7
    assert not Conversation.objects.filter(lead__isnull=True).exists()


@pytest.mark.worker
def test_a_real_worker_sends_a_reply_retrying_a_5xx(subprocess_database_url, fake_telegram):
    redis.Redis.from_url(WORKER_REDIS_URL).flushdb()
    conversation = ConversationFactory(chat_id="6240981357123")
    message = MessageFactory(conversation=conversation, direction="out", status="queued", message_id=None,
                             text="Отправляю подборку отелей")
    fake_telegram.fail(503, times=2)
    sender = task_sender(WORKER_REDIS_URL)

    with celery_worker(server_env(subprocess_database_url, fake_telegram), name="inbox-send-test@%h"):
        outcome = sender.send_task("messaging.message_send", args=[message.pk]).get(timeout=90)

    message.refresh_from_db()
    assert outcome == "sent" and message.status == "sent" and message.send_attempts == 3
    calls = fake_telegram.api_calls("/sendMessage")
    assert len(calls) == 3 and calls[-1].json == {"chat_id": "6240981357123", "text": "Отправляю подборку отелей"}


def test_with_the_broker_down_deliveries_are_still_stored_and_answered_200(subprocess_database_url, gunicorn):
    base_url = gunicorn({**server_env(subprocess_database_url), "REDIS_URL": "redis://127.0.0.1:9/0"})
    response = requests.post(f"{base_url}/webhooks/telegram/", json=update(1), timeout=30,
                             headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert response.status_code == 200
    assert Message.objects.filter(needs_processing=True).count() == 1
