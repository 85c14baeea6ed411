"""Set-up commands against the local provider servers, and the servers' own
behaviour: re-sending a webhook until it is accepted."""

import pytest
from django.core.management import CommandError, call_command

from integrations.models import ApiLog
from messaging.models import Message
from tests.messaging.conftest import TELEGRAM_SECRET, WAZZUP_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)


def test_telegram_set_webhook_registers_url_and_secret(fake_telegram, capsys):
    call_command("telegram_set_webhook", "--url", "https://crm.example.kz/webhooks/telegram/")

    assert fake_telegram.webhook_url == "https://crm.example.kz/webhooks/telegram/"
    assert fake_telegram.secret_token == TELEGRAM_SECRET
    call = fake_telegram.api_calls("/setWebhook")[0]
    assert call.json["allowed_updates"] == ["message", "callback_query"]
    assert "Telegram webhook set to https://crm.example.kz/webhooks/telegram/" in capsys.readouterr().out
    assert all("local-demo-bot-token" not in log.request for log in ApiLog.objects.all())


def test_telegram_set_webhook_needs_the_secret(fake_telegram, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    with pytest.raises(CommandError, match="TELEGRAM_WEBHOOK_SECRET"):
        call_command("telegram_set_webhook", "--url", "https://crm.example.kz/webhooks/telegram/")
    assert not fake_telegram.api_calls()


def test_telegram_set_webhook_reports_a_refusal(fake_telegram, settings):
    settings.TELEGRAM_BOT_TOKEN = "999:wrong"
    with pytest.raises(CommandError, match="Unauthorized"):
        call_command("telegram_set_webhook", "--url", "https://crm.example.kz/webhooks/telegram/")


def test_wazzup_set_webhook_is_probed_by_wazzup_and_registered(fake_wazzup, live_server, capsys):
    call_command("wazzup_set_webhook", "--url", f"{live_server.url}/webhooks/wazzup/")

    assert fake_wazzup.webhook_url == f"{live_server.url}/webhooks/wazzup/?token={WAZZUP_TOKEN}"
    output = capsys.readouterr().out
    assert "Wazzup24 webhook set to" in output and WAZZUP_TOKEN not in output


def test_wazzup_refuses_a_url_that_does_not_answer_its_probe(fake_wazzup, live_server, settings):
    settings.WAZZUP_WEBHOOK_TOKEN = "another-token-0000"
    with pytest.raises(CommandError, match="did not answer 200"):
        call_command("wazzup_set_webhook", "--url", f"{live_server.url}/webhooks/nowhere/")
    assert fake_wazzup.webhook_url == ""


def test_a_webhook_our_server_refused_is_sent_again_until_it_is_stored_once(fake_telegram, live_server, settings):
    call_command("telegram_set_webhook", "--url", f"{live_server.url}/webhooks/telegram/")
    settings.TELEGRAM_WEBHOOK_SECRET = "rotated-secret-not-yet-known-to-telegram"
    fake_telegram.user_writes(chat_id=6240981357123, text="Есть горящие туры?", copies=2)

    with pytest.raises(TimeoutError):
        fake_telegram.wait_delivered(timeout=1)
    assert not Message.objects.exists()
    assert {403} == {status for d in fake_telegram.deliveries for status in d.attempts}

    settings.TELEGRAM_WEBHOOK_SECRET = TELEGRAM_SECRET
    fake_telegram.wait_delivered(timeout=10)

    assert Message.objects.get().text == "Есть горящие туры?"
    assert all(d.accepted for d in fake_telegram.deliveries)


def test_whatsapp_delivery_receipts_reach_our_reply_through_the_webhook(fake_whatsapp, live_server, agent,
                                                                       django_capture_on_commit_callbacks):
    from messaging.services.outbound import reply_create
    from tests.messaging.factories import ConversationFactory

    fake_whatsapp.webhook_url = f"{live_server.url}/webhooks/whatsapp/"
    fake_whatsapp.receipts = True
    conversation = ConversationFactory(platform="whatsapp", chat_id="77011234567", assignee=agent)
    with django_capture_on_commit_callbacks(execute=True):
        message, _created = reply_create(conversation=conversation, user=agent, text="Подборка готова")

    fake_whatsapp.wait_delivered(timeout=10)
    message.refresh_from_db()
    assert message.message_id, (message.status, message.error, message.send_attempts)
    assert message.message_id.startswith("wamid.LOCAL") and message.status == "delivered"
    assert all(d.accepted for d in fake_whatsapp.deliveries) and len(fake_whatsapp.deliveries) == 2
