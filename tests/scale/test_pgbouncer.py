"""The web behind a private PgBouncer in transaction mode (each transaction may
run on another server connection): concurrent webhook deliveries, many of them
repeated, are stored exactly once and answered 200.

The webhook's receiving statement is a server-side prepared statement. PgBouncer
keeps prepared statements across server connections only from 1.21 on, with
``max_prepared_statements``; without it (or with 0), ``DATABASE_PREPARED_STATEMENTS=0``
turns preparing off and the same statement runs unnamed."""

import json
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from messaging.models import Conversation, Message
from tests.liveserver import pgbouncer_server, pgbouncer_version
from tests.scale.conftest import SCALE_REDIS_URL

pytestmark = [pytest.mark.slow]
TELEGRAM_SECRET = "pgbouncer-telegram-webhook-secret"  # noqa: S105
DISTINCT, REPEATS, CHATS, SENDERS = 240, 80, 12, 12
VERSION = pgbouncer_version()
needs_pgbouncer = pytest.mark.skipif(VERSION is None, reason="PgBouncer is not installed (bin/setup --dev installs it)")


def update(n: int) -> dict:
    chat = 7_200_000_000 + n % CHATS
    return {"update_id": 700000 + n, "message": {
        "message_id": n, "from": {"id": chat, "is_bot": False, "first_name": f"Клиент {n % CHATS}"},
        "chat": {"id": chat, "type": "private"}, "date": 1717000000 + n, "text": f"Сообщение {n}"}}


def flood(base_url: str) -> list[int]:
    deliveries = [update(n) for n in range(DISTINCT)]
    deliveries += [random.choice(deliveries) for _ in range(REPEATS)]
    random.Random(21).shuffle(deliveries)

    def post(body) -> int:
        return requests.post(f"{base_url}/webhooks/telegram/", data=json.dumps(body), timeout=60, headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}).status_code

    with ThreadPoolExecutor(SENDERS) as pool:
        return list(pool.map(post, deliveries))


def serve_through_pgbouncer(gunicorn, database_url: str, **env: str) -> str:
    # Eight threads: more clients at once than PgBouncer's three server connections.
    return gunicorn({"DATABASE_URL": database_url, "REDIS_URL": SCALE_REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "0",
                     "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET, "DATABASE_SERVER_SIDE_CURSORS": "0",
                     "GUNICORN_CMD_ARGS": "--threads=8", **env})


def assert_stored_once(statuses: list[int]) -> None:
    assert statuses == [200] * (DISTINCT + REPEATS)
    assert Message.objects.count() == DISTINCT
    assert Conversation.objects.count() == CHATS
    assert sum(Conversation.objects.values_list("unread_count", flat=True)) == DISTINCT


@needs_pgbouncer
def test_without_prepared_statements_the_webhook_works_through_pgbouncer_in_transaction_mode(
        subprocess_database_url, gunicorn, scale_redis):
    keeps_none = {"max_prepared_statements": 0} if VERSION >= (1, 21) else {}
    with pgbouncer_server(connection.settings_dict, **keeps_none) as pooled_url:
        base_url = serve_through_pgbouncer(gunicorn, pooled_url, DATABASE_PREPARED_STATEMENTS="0")
        statuses = flood(base_url)
        assert requests.get(f"{base_url}/health", timeout=30).status_code == 200
    assert_stored_once(statuses)


@needs_pgbouncer
@pytest.mark.skipif(VERSION is not None and VERSION < (1, 21),
                    reason=f"PgBouncer {VERSION} keeps no prepared statements (max_prepared_statements is 1.21+)")
def test_with_max_prepared_statements_the_prepared_webhook_works_through_pgbouncer(
        subprocess_database_url, gunicorn, scale_redis):
    with pgbouncer_server(connection.settings_dict, max_prepared_statements=100) as pooled_url:
        statuses = flood(serve_through_pgbouncer(gunicorn, pooled_url, DATABASE_PREPARED_STATEMENTS="1"))
    assert_stored_once(statuses)
