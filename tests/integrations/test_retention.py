"""Retention: the API log's old rows deleted, old incoming messages' raw webhook
payloads blanked, nightly by beat, in batches."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crystalbay.celery import app
from integrations.models import ApiLog
from integrations.retention import api_log_prune
from integrations.tasks import api_log_prune_task
from messaging.models import Message, Platform
from messaging.tasks import raw_payloads_clear_task
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_api_log_rows_past_the_retention_are_deleted_and_newer_ones_kept(settings):
    settings.API_LOG_RETENTION_DAYS = 90
    old = [ApiLog.objects.create(service="samo", action="SearchTour_PRICES", created_at=days_ago(91 + n))
           for n in range(3)]
    kept = [ApiLog.objects.create(service="samo", action="SearchTour_PRICES", created_at=days_ago(89)),
            ApiLog.objects.create(service="telegram", action="sendMessage")]

    assert api_log_prune_task.apply().result == len(old)

    assert list(ApiLog.objects.order_by("pk")) == kept


def test_api_log_is_deleted_in_batches_not_in_one_statement():
    for n in range(5):
        ApiLog.objects.create(service="samo", created_at=days_ago(100 + n))

    with CaptureQueriesContext(connection) as queries:
        assert api_log_prune(older_than_days=90, batch_size=2) == 5

    deletes = [query["sql"] for query in queries if query["sql"].startswith("DELETE")]
    assert len(deletes) == 3
    assert not ApiLog.objects.exists()


def test_zero_days_keeps_everything(settings):
    settings.API_LOG_RETENTION_DAYS = 0
    settings.WEBHOOK_PAYLOAD_RETENTION_DAYS = 0
    ApiLog.objects.create(service="samo", created_at=days_ago(5000))
    MessageFactory(raw={"update_id": 1}, created_at=days_ago(5000))

    assert api_log_prune_task.apply().result == 0
    assert raw_payloads_clear_task.apply().result == 0
    assert ApiLog.objects.count() == 1
    assert Message.objects.get().raw == {"update_id": 1}


def test_old_raw_webhook_payloads_are_blanked_and_the_messages_stay(settings):
    settings.WEBHOOK_PAYLOAD_RETENTION_DAYS = 90
    update = {"update_id": 1, "message": {"from": {"id": 6240981357123, "first_name": "Aigerim"}}}
    old = MessageFactory.create_batch(3, raw=update, created_at=days_ago(120))
    recent = MessageFactory(raw=update, created_at=days_ago(30))
    reply = MessageFactory(direction=Message.Direction.OUT, status=Message.Status.SENT, created_at=days_ago(120),
                           raw={"reply_markup": {"inline_keyboard": []}})
    website = MessageFactory(conversation=ConversationFactory(platform=Platform.WEB), created_at=days_ago(120),
                             raw={"page_url": "https://crystalbay.kz/vietnam", "utm_source": "instagram"})

    assert raw_payloads_clear_task.apply().result == 3

    for message in old:
        message.refresh_from_db()
        assert message.raw == {}
        assert message.text == "Здравствуйте! Хотим в Нячанг в марте"
    for message, raw in ((recent, update), (reply, reply.raw), (website, website.raw)):
        message.refresh_from_db()
        assert message.raw == raw
    assert Message.objects.count() == 6


def test_beat_runs_both_every_night():
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert {"integrations.api_log_prune", "messaging.raw_payloads_clear"} <= tasks
