"""Redis down: the site answers (the cache behaves as empty, tasks wait in the
database), and when Redis is back the replies go out by themselves. A private
redis-server on a free port is stopped and started again, never the shared one;
the project runs under a real gunicorn, and a real Celery worker (with the
periodic schedule) starts after Redis returns."""

import socket
import subprocess
import time
import uuid
from contextlib import contextmanager

import pytest
import redis
import requests
from knox.models import AuthToken

from crm.models import Lead
from integrations.samo.fake import DEFAULT_TOKEN as SAMO_TOKEN
from integrations.telegram.fake import DEFAULT_TOKEN as TELEGRAM_TOKEN
from messaging.models import Message
from tests.integrations.openai.server import KEY as OPENAI_KEY
from tests.liveserver import celery_worker
from tests.messaging.factories import ConversationFactory, MessageFactory
from tests.tours.conftest import search_params

pytestmark = [pytest.mark.slow, pytest.mark.worker]
REPLY_BOUND_SECONDS = 3


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


@contextmanager
def private_redis(port: int):
    """A throw-away redis-server on ``port`` (nothing kept on disk), stopped on leaving."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_with_redis_down_the_site_answers_and_replies_go_out_when_it_returns(
    subprocess_database_url, gunicorn, fake_telegram, fake_samo, fake_openai, client, manager,
):
    port = free_port()
    env = {"DATABASE_URL": subprocess_database_url, "REDIS_URL": f"redis://127.0.0.1:{port}/0",
           "CELERY_TASK_ALWAYS_EAGER": "0", "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
           "TELEGRAM_API_URL": fake_telegram.url, "SAMO_API_URL": fake_samo.url, "SAMO_OAUTH_TOKEN": SAMO_TOKEN,
           "OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": fake_openai.base_url,
           "MESSAGING_SEND_SWEEP_SECONDS": "2", "LOG_LEVEL": "WARNING", "METRICS_TOKEN": "outage-metrics-token"}
    conversation = ConversationFactory(chat_id="6240981357001")
    failed = MessageFactory(conversation=conversation, direction="out", status="failed", message_id=None,
                            text="Подборка отелей в Нячанге", error="HTTP 502: Bad Gateway")
    token = AuthToken.objects.create(user=manager, expiry=None)[1]
    api = {"Authorization": f"Token {token}"}
    client.force_login(manager)
    session = {"sessionid": client.cookies["sessionid"].value}

    with private_redis(port):
        base_url = gunicorn(env)
        assert requests.get(f"{base_url}/api/v1/leads/", headers=api, timeout=10).status_code == 200
    # Redis is down from here on.

    started = time.monotonic()
    reply = requests.post(f"{base_url}/api/v1/conversations/{conversation.pk}/messages", headers=api, timeout=30,
                          json={"text": "Добрый день! Подберу варианты."})
    answered_in = time.monotonic() - started
    assert reply.status_code == 201, reply.text
    assert answered_in < REPLY_BOUND_SECONDS, answered_in
    stored = Message.objects.get(direction="out", text="Добрый день! Подберу варианты.")
    assert stored.status == "queued"

    for path in ("/api/v1/leads/", "/api/v1/conversations/", f"/api/v1/conversations/{conversation.pk}/messages"):
        assert requests.get(f"{base_url}{path}", headers=api, timeout=30).status_code == 200, path
    assert requests.get(f"{base_url}/analytics/", cookies=session, timeout=30).status_code == 200
    search = requests.get(f"{base_url}/api/v1/tours/search/", params=search_params(), headers=api, timeout=30)
    assert search.status_code == 200 and search.json()["results"], search.text

    booking = {"name": "Айгуль Серикова", "phone": "+7 701 765 43 21", "destination": "Вьетнам"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = requests.post(f"{base_url}/api/public/v1/leads", json=booking, headers=key, timeout=30)
    again = requests.post(f"{base_url}/api/public/v1/leads", json=booking, headers=key, timeout=30)
    assert (first.status_code, again.status_code) == (201, 201), (first.text, again.text)
    assert again.headers["Idempotent-Replayed"] == "true"  # the key's record on the lead, not the cache
    assert again.json()["lead_id"] == first.json()["lead_id"] and Lead.objects.count() == 1

    page = requests.get(f"{base_url}/inbox/{conversation.pk}/", cookies=session, timeout=30)
    csrf = {**session, "csrftoken": page.cookies["csrftoken"]}
    retried = requests.post(f"{base_url}/inbox/messages/{failed.pk}/retry/", cookies=csrf, timeout=30,
                            headers={"X-CSRFToken": page.cookies["csrftoken"]}, allow_redirects=False)
    assert retried.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "queued"

    health = requests.get(f"{base_url}/health", headers={"Authorization": "Bearer outage-metrics-token"}, timeout=30)
    assert health.status_code == 200 and health.json()["checks"]["broker"]["ok"] is False
    assert not fake_telegram.api_calls("/sendMessage")

    with private_redis(port), celery_worker(env, name="redis-outage-test@%h", beat=True):
        deadline = time.monotonic() + 90
        while Message.objects.filter(direction="out").exclude(status="sent").exists() and time.monotonic() < deadline:
            time.sleep(0.3)

    assert set(Message.objects.filter(direction="out").values_list("status", flat=True)) == {"sent"}
    sent = sorted(call.json["text"] for call in fake_telegram.api_calls("/sendMessage"))
    assert sent == ["Добрый день! Подберу варианты.", "Подборка отелей в Нячанге"]
