"""What the logs of a webhook delivery say: every line of the request and of the
task it queues under one request id (the caller's X-Request-ID, or a new one),
returned to the caller; and never the secret of the webhook's URL."""

import io
import json
import logging
import re
import uuid

import pytest

from integrations.monitoring import broker_redis
from tests.messaging.conftest import TELEGRAM_SECRET, WAZZUP_TOKEN, payload

pytestmark = pytest.mark.django_db

WRONG_TOKEN = "wrong-url-token-value-5f2c9a"  # noqa: S105


@pytest.fixture
def console():
    """What the project's console log handler writes (JSON lines: LOG_FORMAT=json
    without DEBUG), read from a buffer instead of stderr during the test."""
    handler = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    buffer = io.StringIO()
    stream = handler.setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    handler.setStream(stream)


def post_telegram(client, request_id: str | None = None):
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    if request_id is not None:
        headers["X-Request-ID"] = request_id
    return client.post("/webhooks/telegram/", json.dumps(payload("telegram_text.json")),
                       content_type="application/json", headers=headers)


def test_the_lines_of_a_request_carry_the_callers_request_id_and_no_url_secret(client, console):
    request_id = str(uuid.uuid4())

    response = client.post(f"/webhooks/wazzup/?token={WRONG_TOKEN}", "{}", content_type="application/json",
                           headers={"X-Request-ID": request_id})

    assert response.status_code == 403
    assert response["X-Request-ID"] == request_id
    lines = console()
    by_logger = {line["name"]: line for line in lines}
    assert by_logger["messaging.webhooks"]["levelname"] == "WARNING"
    assert by_logger["django.request"]["message"] == "Forbidden: /webhooks/wazzup/"
    assert all(line["request_id"] == request_id for line in lines)
    written = json.dumps(lines)
    assert WRONG_TOKEN not in written
    # django.request's record carries the request, whose repr has the whole URL.
    assert "token=***" in written


# Transactional: the message is committed inside the request, which queues its
# processing then, as in production (not when the test's transaction ends).
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_runs_under_its_request_id(client, console):
    request_id = str(uuid.uuid4())

    response = post_telegram(client, request_id)

    assert response.status_code == 200
    lines = console()
    finished = {line["message"].split("[")[0] for line in lines if line["name"] == "celery.app.trace"}
    # The drain, and the assistant's task the drain queues in turn.
    assert finished == {"Task messaging.inbound_drain", "Task messaging.message_assist"}
    assert {line["request_id"] for line in lines} == {request_id}
    # The task ran in-process; the request keeps its id after it.
    assert response["X-Request-ID"] == request_id


@pytest.mark.django_db(transaction=True)
def test_a_queued_task_carries_the_request_id_in_its_message_headers(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    redis = broker_redis()
    redis.delete("celery")
    request_id = str(uuid.uuid4())

    try:
        post_telegram(client, request_id)
        queued = [json.loads(message) for message in redis.lrange("celery", 0, -1)]
    finally:
        redis.delete("celery")

    assert [message["headers"]["task"] for message in queued] == ["messaging.inbound_drain"]
    assert queued[0]["headers"]["X-Request-ID"] == request_id


@pytest.mark.parametrize("given", [None, "", "not-a-uuid", "1; DROP TABLE"])
def test_a_request_without_a_valid_request_id_gets_a_new_one(client, given, console):
    response = client.post(f"/webhooks/wazzup/?token={WAZZUP_TOKEN}x", "{}", content_type="application/json",
                           headers={"X-Request-ID": given} if given is not None else {})

    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert {line["request_id"] for line in console() if line["name"] == "django.request"} == {request_id}


def test_the_development_servers_request_lines_lose_the_secret_too(console):
    # What runserver's request handler logs for each request.
    logging.getLogger("django.server").info('"%s" %s %s', f"POST /webhooks/wazzup/?token={WRONG_TOKEN} HTTP/1.1",
                                            "403", "9")

    [line] = console()
    assert line["message"] == '"POST /webhooks/wazzup/?token=*** HTTP/1.1" 403 9'
