"""The assistant end to end with a real Celery worker: a Telegram message posted
to gunicorn is stored, processed by the worker, understood, put on a lead with a
score, and answered by a draft listing offers the local SAMO server returned."""

import datetime as dt
import time

import pytest
import redis
import requests
from django.utils import timezone

from crm.models import Lead
from integrations.samo.fake import DEFAULT_TOKEN as SAMO_TOKEN
from messaging.models import Draft, MessageInsight
from tests.liveserver import celery_worker
from tests.messaging.conftest import TELEGRAM_SECRET
from tests.messaging.test_assistant import MARCH
from tests.messaging.test_live import WORKER_REDIS_URL, server_env

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def assistant_env(database_url: str, fake_samo, fake_telegram) -> dict[str, str]:
    """The servers' environment: local Telegram and SAMO, no model (the rules read)."""
    return {**server_env(database_url, fake_telegram), "SAMO_API_URL": fake_samo.url, "SAMO_OAUTH_TOKEN": SAMO_TOKEN,
            "SAMO_PROXY_URL": "", "OPENAI_API_KEY": ""}


def test_a_telegram_request_becomes_a_scored_lead_with_a_draft_of_real_offers(subprocess_database_url, gunicorn,
                                                                             fake_samo, fake_telegram):
    redis.Redis.from_url(WORKER_REDIS_URL).flushdb()
    env = assistant_env(subprocess_database_url, fake_samo, fake_telegram)
    base_url = gunicorn(env)
    update = fake_telegram.message_update(chat_id=880011, text="хотим в Нячанг в марте на 10 ночей, 2 взрослых",
                                          first_name="Дана")
    with celery_worker(env, name="assistant-e2e@%h"):
        response = requests.post(f"{base_url}/webhooks/telegram/", json=update, timeout=10,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
        assert response.status_code == 200
        deadline = time.monotonic() + 90
        while not Draft.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.3)

    insight = MessageInsight.objects.get()
    assert (insight.intent, insight.engine, insight.done) == ("tour_request", "rules", True)
    lead = Lead.objects.get(pk=insight.lead_id)
    assert (lead.destination_resort, lead.destination_country, lead.nights_from, lead.adults, lead.source) == (
        "Нячанг", "Вьетнам", 10, 2, "telegram")
    assert lead.date_from == MARCH
    assert lead.ai_score is not None and lead.ai_score >= 40 and lead.ai_reasons
    draft = Draft.objects.get()
    assert draft.status == "pending" and draft.kind == "offers" and len(draft.offers) == 3
    assert fake_samo.state.calls.get("SearchTour_PRICES", 0) >= 1
    for offer in draft.offers:
        assert offer["hotel"] in draft.text and offer["resort"] == "Нячанг"
    assert not fake_telegram.api_calls("/sendMessage")  # a draft waits for an agent: nothing went out


def test_a_megabyte_message_delays_no_other_message(subprocess_database_url, gunicorn, fake_samo, fake_telegram):
    """Issue 18: three 1 MB messages kept the workers busy for minutes and were queued
    again every 5 minutes. Now one is read from its beginning in a moment, and the next
    ordinary message is matched and drafted within seconds."""
    from messaging.assistant.services import assist_waiting
    from messaging.models import Message

    redis.Redis.from_url(WORKER_REDIS_URL).flushdb()
    env = assistant_env(subprocess_database_url, fake_samo, fake_telegram)
    base_url = gunicorn(env)
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    huge = fake_telegram.message_update(chat_id=880021, text="1" * 1_000_000)
    ordinary = fake_telegram.message_update(chat_id=880022, text="хотим в Нячанг в марте на 10 ночей, 2 взрослых")
    with celery_worker(env, name="assistant-huge@%h"):
        assert requests.post(f"{base_url}/webhooks/telegram/", json=huge, timeout=30, headers=headers).status_code == 200
        started = time.monotonic()
        assert requests.post(f"{base_url}/webhooks/telegram/", json=ordinary, timeout=10,
                             headers=headers).status_code == 200
        while not Draft.objects.filter(conversation__chat_id="880022").exists() and time.monotonic() - started < 60:
            time.sleep(0.2)
        drafted_in = time.monotonic() - started

    assert drafted_in < 15, f"the ordinary message waited {drafted_in:.1f} s"
    message = Message.objects.get(chat_id="880021")
    assert len(message.text) == 1_000_000  # stored whole
    insight = MessageInsight.objects.get(message=message)
    assert insight.done and message.assist_attempts <= 3  # understood from its beginning, or marked not understood
    assert message.pk not in assist_waiting(older_than_seconds=0)  # the sweep will not queue it again


def test_runs_killed_at_the_time_limit_count_and_the_third_is_the_last(subprocess_database_url, fake_telegram):
    """Issue 18: a message whose runs the time limit killed was queued again by the sweep
    every 5 minutes, forever. The model here answers after 30 s; a run may take 2 s."""
    from messaging.assistant.services import assist_waiting
    from messaging.models import Message
    from tests.integrations.openai.server import KEY, FakeOpenAI
    from tests.liveserver import task_sender
    from tests.messaging.factories import MessageFactory

    redis.Redis.from_url(WORKER_REDIS_URL).flushdb()
    message = MessageFactory(text="Здравствуйте, сколько стоит виза во Вьетнам?", needs_processing=False,
                             created_at=timezone.now() - dt.timedelta(minutes=10))
    sender = task_sender(WORKER_REDIS_URL)

    def sweep() -> int:
        return sender.send_task("messaging.assist_sweep", queue="assistant").get(timeout=90)  # the first waits for the worker to start

    with FakeOpenAI() as model:
        model.mode, model.delay = "timeout", 30.0
        env = {**server_env(subprocess_database_url, fake_telegram), "OPENAI_API_KEY": KEY,
               "OPENAI_BASE_URL": model.base_url, "OPENAI_TIMEOUT": "60", "ASSISTANT_TIME_LIMIT": "2"}
        with celery_worker(env, name="assistant-killed@%h", pool="prefork"):
            for _ in range(6):
                if MessageInsight.objects.filter(message=message, gave_up=True).exists():
                    break
                attempts = Message.objects.get(pk=message.pk).assist_attempts
                assert sweep() == 1
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not (
                        Message.objects.get(pk=message.pk).assist_attempts > attempts
                        or MessageInsight.objects.filter(message=message, gave_up=True).exists()):
                    time.sleep(0.2)
                time.sleep(3)  # the run is killed two seconds after it started
            assert sweep() == 0

    insight = MessageInsight.objects.get(message=message)
    assert (insight.gave_up, insight.done) == (True, True)
    assert Message.objects.get(pk=message.pk).assist_attempts == 3
    assert message.pk not in assist_waiting()
    assert not Draft.objects.filter(message=message).exists()
