"""A message the assistant keeps failing on (issue 18): every run is counted
before it starts, so a run killed at its time limit counts too; after
ASSISTANT_MAX_ATTEMPTS runs the message is marked not understood, an agent sees
it in the inbox, and the sweep never queues it again. The assistant runs on a
queue of its own. Eager Celery here; ``test_assistant_live`` has a real worker."""

import datetime as dt

import pytest
from django.utils import timezone

from crystalbay.celery import app
from messaging.assistant.services import assist_waiting
from messaging.models import Message, MessageInsight
from messaging.tasks import assist_sweep_task
from tests.messaging.factories import ConversationFactory, MessageFactory
from tests.messaging.test_assistant import REQUEST, tourist  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


def _left_behind(agent, *, attempts: int) -> Message:
    """An inbound message processed ten minutes ago whose assistant runs were all
    killed: each counted itself, none got further."""
    conversation = ConversationFactory(assignee=agent)
    message = MessageFactory(conversation=conversation, text="1" * 1_000_000, needs_processing=False,
                             created_at=timezone.now() - dt.timedelta(minutes=10))
    Message.objects.filter(pk=message.pk).update(assist_attempts=attempts)
    return message


def test_a_run_is_counted_and_a_finished_message_is_not_run_again(tourist):  # noqa: F811
    message = tourist(REQUEST)
    message.refresh_from_db()
    assert message.assist_attempts == 1 and MessageInsight.objects.get(message=message).done

    from messaging.tasks import message_assist_task

    assert message_assist_task.delay(message.pk).result == "skipped"
    message.refresh_from_db()
    assert message.assist_attempts == 1


def test_a_message_left_after_its_last_attempt_is_marked_not_understood_and_never_queued_again(client, agent):
    message = _left_behind(agent, attempts=3)
    assert message.pk in assist_waiting()  # what the sweep found every 5 minutes, forever

    assert assist_sweep_task.delay().result == 1

    insight = MessageInsight.objects.get(message=message)
    assert (insight.gave_up, insight.done, insight.engine) == (True, True, "")
    assert Message.objects.get(pk=message.pk).assist_attempts == 3  # no fourth run was made
    assert message.pk not in assist_waiting()
    assert assist_sweep_task.delay().result == 0
    client.force_login(agent)
    page = client.get(f"/inbox/{message.conversation_id}/", **RU).content.decode()
    assert "Не удалось разобрать — ответьте вручную" in page


def test_a_message_with_attempts_left_is_tried_again(agent):
    message = _left_behind(agent, attempts=2)

    assert assist_sweep_task.delay().result == 1

    insight = MessageInsight.objects.get(message=message)
    assert (insight.gave_up, insight.done, insight.engine) == (False, True, "rules")  # read from its beginning
    assert Message.objects.get(pk=message.pk).assist_attempts == 3


def test_a_message_understood_whose_draft_kept_failing_is_answered_by_hand(client, agent):
    message = _left_behind(agent, attempts=3)
    MessageInsight.objects.create(message=message, intent="tour_request", language="ru", engine="rules",
                                  fields={"intent": "tour_request", "language": "ru"}, done=False)

    assert assist_sweep_task.delay().result == 1

    insight = MessageInsight.objects.get(message=message)
    assert (insight.gave_up, insight.done, insight.intent) == (True, True, "tour_request")
    assert message.pk not in assist_waiting()
    client.force_login(agent)
    page = client.get(f"/inbox/{message.conversation_id}/", **RU).content.decode()
    assert "Черновика не будет — ответьте вручную" in page


def test_the_assistant_has_a_queue_of_its_own_and_storing_and_sending_keep_the_default():
    def queue(task: str) -> str:
        return app.amqp.router.route({}, task)["queue"].name

    assert [queue(task) for task in ("messaging.message_assist", "messaging.draft_regenerate",
                                     "messaging.assist_sweep")] == ["assistant"] * 3
    assert [queue(task) for task in ("messaging.inbound_drain", "messaging.message_send")] == ["celery"] * 2


def test_the_task_has_time_limits_of_its_own(settings):
    from messaging.tasks import message_assist_task

    assert message_assist_task.time_limit == settings.ASSISTANT_TIME_LIMIT < 300
    assert message_assist_task.soft_time_limit == settings.ASSISTANT_SOFT_TIME_LIMIT < settings.ASSISTANT_TIME_LIMIT
