"""/metrics: closed without METRICS_TOKEN; with it, the Prometheus text format with
the requests, the Celery queues, task outcomes by name (counted in Redis, where
every worker process adds to them) and the inbox's backlog."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crystalbay.celery import beat_heartbeat
from integrations.monitoring import TASK_OUTCOMES_KEY, broker_redis
from messaging.models import Message
from messaging.tasks import message_send_task
from tests.messaging.factories import MessageFactory

pytestmark = pytest.mark.django_db

METRICS_TOKEN = "metrics-token-for-tests-0123456789"  # noqa: S105
BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def samples(response) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture
def broker(settings):
    redis = broker_redis()
    redis.delete(TASK_OUTCOMES_KEY, "celery", "assistant")
    yield redis
    redis.delete(TASK_OUTCOMES_KEY, "celery", "assistant")


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Bearer wrong-token", METRICS_TOKEN,
                                           f"Token {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x"])
def test_metrics_refuse_a_caller_without_the_token(client, settings, authorization):
    settings.METRICS_TOKEN = METRICS_TOKEN

    response = client.get("/metrics", headers={"Authorization": authorization} if authorization else {})

    assert response.status_code == 403


def test_metrics_are_closed_while_no_token_is_set(client, settings, manager):
    settings.METRICS_TOKEN = ""
    client.force_login(manager)

    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403
    assert client.get("/metrics").status_code == 403


def test_metrics_report_requests_queues_task_outcomes_and_the_inbox_backlog(client, settings, broker):
    settings.METRICS_TOKEN = METRICS_TOKEN
    beat_heartbeat.apply()
    beat_heartbeat.apply()
    # As a worker runs it: the failure is recorded, not raised into the caller.
    assert message_send_task.apply(args=("not-a-message-id",), throw=False).failed()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    beat_heartbeat.delay()
    MessageFactory.create_batch(2, needs_processing=True)
    MessageFactory(needs_processing=False)
    MessageFactory.create_batch(3, direction=Message.Direction.OUT, status=Message.Status.QUEUED, message_id=None)
    MessageFactory(direction=Message.Direction.OUT, status=Message.Status.FAILED, message_id=None)
    MessageFactory(direction=Message.Direction.OUT, status=Message.Status.SENT)
    client.get("/health")

    response = client.get("/metrics", headers=BEARER)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    figures = samples(response)
    assert figures[("crystalbay_celery_queue_length", (("queue", "celery"),))] == 1
    assert figures[("crystalbay_celery_queue_length", (("queue", "assistant"),))] == 0
    assert figures[("crystalbay_celery_tasks_total", (("outcome", "success"), ("task", "crystalbay.beat_heartbeat")))] == 2
    assert figures[("crystalbay_celery_tasks_total", (("outcome", "failure"), ("task", "messaging.message_send")))] == 1
    assert figures[("crystalbay_inbound_messages_awaiting_processing", ())] == 2
    assert figures[("crystalbay_replies", (("status", "queued"),))] == 3
    assert figures[("crystalbay_replies", (("status", "sending"),))] == 0
    assert figures[("crystalbay_replies", (("status", "failed"),))] == 1
    assert figures[("crystalbay_source_up", (("source", "broker"),))] == 1
    assert figures[("crystalbay_source_up", (("source", "database"),))] == 1
    assert figures[("crystalbay_beat_last_run_timestamp_seconds", ())] > 0
    health = ("django_http_responses_total_by_status_view_method_total",
              (("method", "GET"), ("status", "200"), ("view", "health")))
    assert figures[health] >= 1
