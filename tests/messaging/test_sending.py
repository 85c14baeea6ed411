"""Replies through the local provider servers: the right payload reaches each
provider, transient failures are retried, permanent ones are shown, nothing is
sent twice."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from crm.models import Activity, ActivityKind
from integrations.models import ApiLog
from integrations.telegram.fake import DEFAULT_TOKEN as TELEGRAM_TOKEN
from messaging.models import Message
from messaging.services.outbound import message_retry, message_send, reply_create
from messaging.tasks import replies_sweep_task
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Create a reply and run the sending task (eagerly) after commit."""
    def reply(conversation, user, text="Добрый день! Подобрала три отеля в Нячанге.", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            message, _created = reply_create(conversation=conversation, user=user, text=text, **kwargs)
        message.refresh_from_db()
        return message
    return reply


def test_telegram_reply_reaches_the_bot_api_with_its_payload(fake_telegram, send, agent):
    conversation = ConversationFactory(platform="telegram", chat_id="6240981357123", assignee=agent)

    message = send(conversation, agent)

    calls = fake_telegram.api_calls("/sendMessage")
    assert len(calls) == 1
    assert calls[0].path == f"/bot{TELEGRAM_TOKEN}/sendMessage"
    assert calls[0].json == {"chat_id": "6240981357123", "text": "Добрый день! Подобрала три отеля в Нячанге."}
    assert message.status == "sent" and message.message_id == "1" and message.sent_at is not None
    log = ApiLog.objects.get(service="telegram")
    assert log.ok and log.action == "sendMessage" and TELEGRAM_TOKEN not in log.request
    assert Activity.objects.filter(kind=ActivityKind.MESSAGE, data__direction="out").count() == 1


def test_whatsapp_reply_goes_to_the_cloud_api_messages_endpoint(fake_whatsapp, send, agent):
    conversation = ConversationFactory(platform="whatsapp", chat_id="77011234567", assignee=agent)

    message = send(conversation, agent, text="Фукуок на 10 ночей — от 980 000 ₸")

    call = fake_whatsapp.api_calls("/messages")[0]
    assert call.path == "/v21.0/106540352242922/messages"
    assert call.headers["Authorization"] == "Bearer EAAG-local-demo-access-token"
    assert call.json == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+77011234567",
                         "type": "text", "text": {"preview_url": False, "body": "Фукуок на 10 ночей — от 980 000 ₸"}}
    assert message.status == "sent" and message.message_id.startswith("wamid.LOCAL")


def test_wazzup_reply_carries_our_id_and_a_repeat_is_not_sent_twice(fake_wazzup, send, agent):
    conversation = ConversationFactory(platform="wazzup", chat_id="whatsapp:77017654321", assignee=agent,
                                       wazzup_channel_id="chan-1")

    message = send(conversation, agent, text="Здравствуйте, Айгуль!")
    call = fake_wazzup.api_calls("/v3/message")[0]
    assert call.json == {"channelId": "chan-1", "chatType": "whatsapp", "chatId": "77017654321",
                         "text": "Здравствуйте, Айгуль!", "crmMessageId": str(message.crm_id)}
    assert message.status == "sent" and message.message_id

    # The answer was lost: the message is queued again and sent again with the same crmMessageId.
    Message.objects.filter(pk=message.pk).update(status="queued")
    outcome = message_send(message_id=message.pk)
    assert outcome.status == "sent"
    assert len(fake_wazzup.api_calls("/v3/message")) == 2
    assert len(fake_wazzup.crm_message_ids) == 1


def test_email_reply_goes_through_sendgrid_in_the_thread(fake_sendgrid, send, agent):
    conversation = ConversationFactory(platform="email", chat_id="erzhan.b@mail.kz", assignee=agent)
    MessageFactory(conversation=conversation, message_id="CAF1kz9x-abc@mail.gmail.com",
                   raw={"subject": "Тур в Дананг"})

    message = send(conversation, agent, text="Ержан, добрый день! Высылаю варианты.")

    sent = fake_sendgrid.sent()[0]
    assert sent["personalizations"][0]["to"] == [{"email": "erzhan.b@mail.kz"}]
    assert sent["subject"] == "Re: Тур в Дананг"
    assert sent["content"][0]["value"] == "Ержан, добрый день! Высылаю варианты."
    assert sent["personalizations"][0]["headers"]["In-Reply-To"] == "<CAF1kz9x-abc@mail.gmail.com>"
    assert sent["personalizations"][0]["headers"]["Message-ID"] == f"<{message.crm_id}@localhost>"
    assert sent["tracking_settings"]["click_tracking"]["enable"] is False
    assert message.status == "sent"
    assert ApiLog.objects.get(service="email").ok


def test_a_provider_5xx_is_retried_until_it_goes_through(fake_telegram, send, agent):
    fake_telegram.fail(502, times=2)
    conversation = ConversationFactory(assignee=agent)

    message = send(conversation, agent)

    assert len(fake_telegram.api_calls("/sendMessage")) == 3
    assert message.status == "sent" and message.send_attempts == 3
    assert ApiLog.objects.filter(service="telegram", ok=False, status_code=502).count() == 2


def test_a_429_waits_and_is_retried(fake_telegram, send, agent):
    fake_telegram.fail(429)
    message = send(ConversationFactory(assignee=agent), agent)
    assert message.status == "sent" and len(fake_telegram.api_calls("/sendMessage")) == 2


def test_a_provider_4xx_is_not_retried_and_the_reason_is_kept(fake_telegram, send, agent):
    fake_telegram.fail(403)
    message = send(ConversationFactory(assignee=agent), agent)

    assert len(fake_telegram.api_calls("/sendMessage")) == 1
    assert message.status == "failed"
    assert "403" in message.error and "bot was blocked by the user" in message.error


def test_retries_end_and_the_message_is_failed(fake_whatsapp, send, agent, settings):
    settings.MESSAGING_SEND_RETRIES = 2
    fake_whatsapp.fail(500, times=10)
    message = send(ConversationFactory(platform="whatsapp", chat_id="77011234567", assignee=agent), agent)

    assert len(fake_whatsapp.api_calls("/messages")) == 3
    assert message.status == "failed" and "500" in message.error


def test_no_answer_in_time_is_not_resent_blindly(fake_telegram, send, agent, settings):
    settings.MESSAGING_READ_TIMEOUT = 0.3
    fake_telegram.delay = 1.0
    message = send(ConversationFactory(assignee=agent), agent)

    assert len(fake_telegram.api_calls("/sendMessage")) == 1
    assert message.status == "failed" and "(no answer in 0.3 s)" in message.error


def test_the_retry_button_sends_a_failed_message_again_once(fake_telegram, django_capture_on_commit_callbacks, send,
                                                             agent):
    fake_telegram.fail(400)
    message = send(ConversationFactory(assignee=agent), agent)
    assert message.status == "failed"

    with django_capture_on_commit_callbacks(execute=True):
        assert message_retry(message=message, user=agent) is True
        assert message_retry(message=message, user=agent) is False

    message.refresh_from_db()
    assert message.status == "sent" and message.error == ""
    assert len(fake_telegram.api_calls("/sendMessage")) == 2


def test_the_same_reply_token_twice_makes_one_message_and_one_send(fake_telegram, send, agent):
    conversation = ConversationFactory(assignee=agent)
    token = uuid.uuid4()

    first = send(conversation, agent, crm_id=token)
    second = send(conversation, agent, crm_id=token)

    assert first.pk == second.pk and Message.objects.count() == 1
    assert len(fake_telegram.api_calls("/sendMessage")) == 1


def test_a_claimed_message_is_not_sent_by_a_second_run(fake_telegram, send, agent):
    message = send(ConversationFactory(assignee=agent), agent)
    assert message_send(message_id=message.pk).status == "skipped"
    assert len(fake_telegram.api_calls("/sendMessage")) == 1


@pytest.mark.parametrize("person", ["colleague", "outsider", "accountant"])
def test_only_people_who_may_work_the_conversation_can_reply(person, agent, request):
    from django.core.exceptions import PermissionDenied

    conversation = ConversationFactory(assignee=agent)
    with pytest.raises(PermissionDenied):
        reply_create(conversation=conversation, user=request.getfixturevalue(person), text="Привет")
    assert not Message.objects.exists()


def test_the_sweep_sends_overdue_replies_once_and_leaves_those_still_waiting_their_try(
        fake_telegram, settings, django_capture_on_commit_callbacks):
    settings.MESSAGING_SEND_SWEEP_SECONDS = 60
    now = timezone.now()

    def queued(text, due_in_seconds):
        return MessageFactory(direction="out", status="queued", message_id=None, text=text,
                              send_due_at=now + dt.timedelta(seconds=due_in_seconds))

    overdue = queued("Не ушло, пока Redis лежал", -120)
    in_backoff = queued("Ждёт повтора после 503", 300)
    just_handed_over = queued("Только что передано", -10)

    with django_capture_on_commit_callbacks(execute=True):
        assert replies_sweep_task() == 1
        assert replies_sweep_task() == 0

    statuses = dict(Message.objects.filter(direction="out").values_list("pk", "status"))
    assert statuses == {overdue.pk: "sent", in_backoff.pk: "queued", just_handed_over.pk: "queued"}
    assert [call.json["text"] for call in fake_telegram.api_calls("/sendMessage")] == ["Не ушло, пока Redis лежал"]

