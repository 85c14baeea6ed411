"""The provider webhooks through their public surface: secrets, storing once,
linking to the client and lead, the timeline, receipts, echoes, malformed input."""

import copy
import io
import json
import logging

import pytest

from crm.models import Activity, ActivityKind, Client, Lead, MergeSuggestion
from messaging.models import Conversation, Message
from messaging.services.inbound import inbound_process
from tests.crm.factories import ClientFactory, LeadFactory, default_stage
from tests.messaging.conftest import EMAIL_SECRET, WHATSAPP_VERIFY, payload, sign
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(webhooks, django_capture_on_commit_callbacks):
    """Post a delivery and run what it hands to the worker (tasks run eagerly here)."""
    def post(kind, data, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(webhooks, kind)(data, **kwargs)
    return post


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", "tg-webhook-secret-012345678"])
def test_telegram_refuses_a_wrong_or_missing_secret_and_stores_nothing(webhooks, secret):
    response = webhooks.telegram(payload("telegram_text.json"), secret=secret)
    assert response.status_code == 403
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_telegram_refuses_everything_while_no_secret_is_configured(webhooks, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    assert webhooks.telegram(payload("telegram_text.json"), secret="").status_code == 403
    assert not Message.objects.exists()


def test_telegram_message_is_stored_linked_to_a_new_client_and_lead_and_on_the_timeline(delivered):
    response = delivered("telegram", payload("telegram_text.json"))

    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.platform, message.chat_id, message.message_id) == ("telegram", "6240981357123", "1")
    assert message.direction == "in" and message.text == "Здравствуйте! Хотим в Нячанг в марте"
    assert message.needs_processing is False
    conversation = message.conversation
    client = Client.objects.get()
    assert client.telegram_id == 6240981357123 and client.telegram_username == "aigerim"
    assert client.full_name == "Aigerim Sadykova" and client.source == "telegram"
    lead = Lead.objects.get()
    assert (lead.client, lead.stage, lead.source) == (client, default_stage("new"), "telegram")
    assert (conversation.client, conversation.lead, conversation.unread_count) == (client, lead, 1)
    entry = Activity.objects.get(kind=ActivityKind.MESSAGE)
    assert entry.lead == lead and "Хотим в Нячанг в марте" in entry.text
    assert entry.data["message"] == message.pk


def test_a_redelivered_update_is_stored_once_and_answered_200(delivered):
    update = payload("telegram_text.json")
    first = delivered("telegram", update)
    again = delivered("telegram", update)

    assert first.status_code == again.status_code == 200
    assert Message.objects.count() == 1
    assert Conversation.objects.get().unread_count == 1
    assert Activity.objects.filter(kind=ActivityKind.MESSAGE).count() == 1


def test_the_next_message_of_a_chat_joins_its_conversation_and_lead(delivered):
    delivered("telegram", payload("telegram_text.json"))
    photo = delivered("telegram", payload("telegram_photo.json"))

    assert photo.status_code == 200
    assert Conversation.objects.count() == 1 and Lead.objects.count() == 1
    latest = Message.objects.order_by("pk").last()
    assert latest.text == "Паспорт"
    assert latest.attachments == [{"type": "photo", "file_id": "AgAC-large"}]
    assert Conversation.objects.get().unread_count == 2


def test_ignored_update_kinds_are_answered_200_and_not_stored(webhooks):
    assert webhooks.telegram(payload("telegram_edited.json")).status_code == 200
    assert not Message.objects.exists()


@pytest.mark.parametrize("body", ["not json", json.dumps({"message": {"text": "no update id"}}),
                                  json.dumps({"update_id": 5, "message": {"message_id": 1, "text": "no chat"}})])
def test_malformed_telegram_deliveries_are_400_logged_and_not_stored(client, body, caplog):
    with caplog.at_level(logging.WARNING, logger="messaging.webhooks"):
        response = client.post("/webhooks/telegram/", body, content_type="application/json",
                               HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="tg-webhook-secret-0123456789")
    assert response.status_code == 400
    assert "malformed" in caplog.text
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_whatsapp_verification_echoes_the_challenge_only_with_the_right_token(client):
    good = client.get("/webhooks/whatsapp/", {"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                              "hub.verify_token": WHATSAPP_VERIFY})
    wrong = client.get("/webhooks/whatsapp/", {"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                               "hub.verify_token": "guess"})
    assert good.status_code == 200 and good.content == b"1158201444"
    assert wrong.status_code == 403 and b"1158201444" not in wrong.content


@pytest.mark.parametrize("signature", ["", "sha256=deadbeef", sign(b"another body"), "md5=abc"])
def test_whatsapp_refuses_a_bad_signature_and_stores_nothing(webhooks, signature):
    assert webhooks.whatsapp(payload("whatsapp_text.json"), signature=signature).status_code == 403
    assert not Message.objects.exists()


def test_whatsapp_message_finds_the_client_by_phone_and_records_the_whatsapp_id(delivered):
    known = ClientFactory(full_name="Данияр Оспанов", phone="+7 701 123 45 67", whatsapp_id=None)
    lead = LeadFactory(client=known, stage=default_stage("consultation"))

    assert delivered("whatsapp", payload("whatsapp_text.json")).status_code == 200

    message = Message.objects.get()
    assert message.chat_id == "77011234567" and message.text == "Сколько стоит Фукуок на 10 ночей?"
    assert Client.objects.count() == 1
    known.refresh_from_db()
    assert known.whatsapp_id == "77011234567"
    assert message.conversation.lead == lead and Lead.objects.count() == 1
    assert Activity.objects.filter(lead=lead, kind=ActivityKind.MESSAGE).exists()


def test_a_whatsapp_event_with_one_bad_message_stores_none_of_it(webhooks):
    event = payload("whatsapp_text.json")
    value = event["entry"][0]["changes"][0]["value"]
    broken = copy.deepcopy(value["messages"][0])
    del broken["id"]
    value["messages"].append(broken)
    assert webhooks.whatsapp(event).status_code == 400
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_whatsapp_receipts_move_our_messages_forward_only(webhooks):
    conversation = ConversationFactory(platform="whatsapp", chat_id="77011234567")
    sent = MessageFactory(conversation=conversation, direction="out", status="sent", message_id="wamid.OUT-1")
    refused = MessageFactory(conversation=conversation, direction="out", status="sent", message_id="wamid.OUT-2")
    read = MessageFactory(conversation=conversation, direction="out", status="read", message_id="wamid.OUT-3")
    statuses = payload("whatsapp_statuses.json")
    statuses["entry"][0]["changes"][0]["value"]["statuses"].append(
        {"id": "wamid.OUT-3", "status": "delivered", "timestamp": "1717000102", "recipient_id": "77011234567"})

    assert webhooks.whatsapp(statuses).status_code == 200

    sent.refresh_from_db(), refused.refresh_from_db(), read.refresh_from_db()
    assert sent.status == "delivered"
    assert refused.status == "failed" and "131026" in refused.error and "undeliverable" in refused.error
    assert read.status == "read"


def test_wazzup_answers_its_probe_and_refuses_a_wrong_token(webhooks):
    assert webhooks.wazzup({"test": True}).status_code == 200
    assert webhooks.wazzup(payload("wazzup_text.json"), token="nope").status_code == 403
    assert webhooks.wazzup({"test": True}, token="").status_code == 403
    assert not Message.objects.exists()


def test_wazzup_message_is_stored_once_and_linked(delivered):
    data = payload("wazzup_text.json")
    assert delivered("wazzup", data).status_code == 200
    assert delivered("wazzup", data).status_code == 200

    message = Message.objects.get()
    assert message.chat_id == "whatsapp:77017654321" and message.text == "Добрый день"
    conversation = message.conversation
    assert conversation.wazzup_channel_id == "b96a353b-0000-4000-8000-000000000001"
    assert conversation.client.whatsapp_id == "77017654321" and str(conversation.client.phone) == "+77017654321"
    assert conversation.lead.source == "wazzup"


def test_wazzup_echo_is_stored_as_outgoing_and_statuses_apply(delivered):
    delivered("wazzup", payload("wazzup_text.json"))
    conversation = Conversation.objects.get()
    ours = MessageFactory(conversation=conversation, direction="out", status="sent", message_id="wz-out-1")

    assert delivered("wazzup", payload("wazzup_echo_and_status.json")).status_code == 200

    echo = Message.objects.get(message_id="0b7c1d2e-0000-4000-8000-00000000e001")
    assert echo.direction == "out" and echo.status == "sent" and echo.text == "Отправила вам подборку на почту"
    conversation.refresh_from_db()
    assert conversation.unread_count == 1  # the echo is ours, not unread
    ours.refresh_from_db()
    assert ours.status == "read"
    assert Activity.objects.filter(kind=ActivityKind.MESSAGE, data__direction="out").count() == 1


def test_wazzup_payload_without_messages_or_statuses_is_400(webhooks):
    assert webhooks.wazzup({"contacts": []}).status_code == 400
    assert webhooks.wazzup({"messages": [{"messageId": "x"}]}).status_code == 400
    assert not Message.objects.exists()


def test_email_needs_the_url_secret(webhooks):
    assert webhooks.email(payload("email_parse.json"), token="wrong").status_code == 403
    assert webhooks.email(payload("email_parse.json"), token="").status_code == 403
    assert not Message.objects.exists()


def test_inbound_email_is_stored_once_without_the_quoted_part_and_matched_by_address(delivered):
    known = ClientFactory(full_name="Ержан Бекович", email="erzhan.b@mail.kz")
    fields = payload("email_parse.json")

    assert delivered("email", fields).status_code == 200
    assert delivered("email", fields).status_code == 200

    message = Message.objects.get()
    assert message.chat_id == "erzhan.b@mail.kz" and message.message_id == "CAF1kz9x-abc@mail.gmail.com"
    assert message.text == "Добрый день! Интересует Дананг на майские, 2 взрослых."
    assert message.raw["subject"] == "Тур в Дананг"
    assert message.conversation.client == known and Client.objects.count() == 1
    assert message.conversation.lead.source == "email"


def test_inbound_email_in_raw_mode(delivered):
    raw = ("From: Aliya <aliya@example.kz>\r\nTo: crm@crystalbay.kz\r\nSubject: Visa\r\n"
           "Message-ID: <raw-1@example.kz>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nНужна ли виза во Вьетнам?\r\n")
    assert delivered("email", {"email": raw, "envelope": "{}", "dkim": "{@example.kz : pass}"}).status_code == 200
    message = Message.objects.get()
    assert (message.chat_id, message.message_id, message.text) == (
        "aliya@example.kz", "raw-1@example.kz", "Нужна ли виза во Вьетнам?")


@pytest.mark.parametrize("chars", [600_000, 2_000_000], ids=["over ours", "over Django's"])
def test_an_email_with_more_text_than_the_limit_is_refused_with_413_and_nothing_stored(delivered, chars):
    fields = {**payload("email_parse.json"), "text": "Хотим в Нячанг " + "а" * chars}  # 2 bytes a letter

    assert delivered("email", fields).status_code == 413
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_an_email_under_the_limit_is_stored_whole_and_its_files_do_not_count(delivered, settings):
    text = "Хотим в Нячанг, паспорт во вложении. " + "1" * 900_000
    passport = io.BytesIO(b"%PDF-1.4 " + b"0" * 3_000_000)
    passport.name = "passport.pdf"
    info = json.dumps({"attachment1": {"filename": "passport.pdf", "type": "application/pdf"}})
    fields = {**payload("email_parse.json"), "text": text, "attachments": "1", "attachment-info": info,
              "attachment1": passport}

    assert delivered("email", fields).status_code == 200

    message = Message.objects.get()
    assert message.text == text and message.attachments == [{"type": "application/pdf", "filename": "passport.pdf"}]


@pytest.mark.parametrize("rest", ["<" * 500_000, "<script>" * 60_000], ids=["tags", "scripts"])
def test_an_html_email_of_broken_tags_is_read_in_one_pass(delivered, rest):
    # From each "<" the old patterns looked to the end for a ">" or a "</script>": hours.
    fields = {**payload("email_parse.json"), "text": "", "html": "<p>Нячанг</p>" + rest}

    assert delivered("email", fields).status_code == 200
    assert Message.objects.get().text.startswith("Нячанг")
@pytest.mark.parametrize("checks", [
    {}, {"SPF": "fail", "dkim": "{@mail.kz : fail}"}, {"SPF": "softfail", "dkim": "none"},
    {"SPF": "pass", "envelope": '{"to":["crm@crystalbay.kz"],"from":"bounce@spoofer.example"}'},
    {"dkim": "{@spoofer.example : pass}"}, {"dkim": "{@mail.kz.spoofer.example : pass}"},
])
def test_a_mail_its_sender_checks_do_not_confirm_is_not_attached_to_the_client_of_its_address(
        delivered, checks, client, agent, colleague, manager):
    """``From`` is anyone's to write: without SPF or DKIM confirming it for the From's
    domain the mail is a new writer's conversation, with a suggestion naming the
    client who has the address — shown to those who may see that client."""
    known = ClientFactory(full_name="Ержан Бекович", email="erzhan.b@mail.kz", owner=agent)
    earlier = ConversationFactory(platform="email", chat_id="erzhan.b@mail.kz", client=known)
    fields = {key: value for key, value in payload("email_parse.json").items() if key not in ("SPF", "dkim")}

    assert delivered("email", {**fields, **checks}).status_code == 200

    message = Message.objects.get()
    conversation = message.conversation
    assert conversation != earlier and conversation.chat_id == "unverified:erzhan.b@mail.kz"
    assert conversation.client != known and conversation.client.email is None
    assert conversation.client.full_name == "Ержан Бекович" and conversation.lead.client == conversation.client
    assert not known.activities.filter(kind=ActivityKind.MESSAGE).exists()
    suggestion = MergeSuggestion.objects.get()
    assert {suggestion.client, suggestion.other} == {conversation.client, known}
    said = ("Письмо с адреса erzhan.b@mail.kz не прошло проверку отправителя (SPF, DKIM). "
            "Возможно, это клиент Ержан Бекович — проверьте и объедините.")
    assert suggestion.reason == said
    for person, shown in ((agent, True), (manager, True), (colleague, False)):
        client.force_login(person)
        page = client.get(f"/inbox/{conversation.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        assert (said in page) is shown, person


@pytest.mark.parametrize("checks", [
    {"dkim": "{@mail.kz : pass}"}, {"dkim": "{@gmail.com : pass, @mail.kz : pass}"},
    {"SPF": "pass", "envelope": '{"to":["crm@crystalbay.kz"],"from":"bounces@mx.mail.kz"}'},
])
def test_a_mail_whose_spf_or_dkim_confirms_its_sender_joins_the_client_of_its_address(delivered, checks):
    known = ClientFactory(full_name="Ержан Бекович", email="erzhan.b@mail.kz")
    fields = {key: value for key, value in payload("email_parse.json").items() if key not in ("SPF", "dkim")}
    assert delivered("email", {**fields, **checks}).status_code == 200
    conversation = Message.objects.get().conversation
    assert (conversation.chat_id, conversation.client) == ("erzhan.b@mail.kz", known)
    assert not MergeSuggestion.objects.exists()


def test_a_reply_to_an_unconfirmed_mail_goes_to_its_address(delivered, agent, fake_sendgrid,
                                                            django_capture_on_commit_callbacks):
    from messaging.services.outbound import reply_create

    fields = {key: value for key, value in payload("email_parse.json").items() if key not in ("SPF", "dkim")}
    delivered("email", fields)
    conversation = Conversation.objects.get()
    conversation.assignee = agent
    conversation.save(update_fields=["assignee"])
    with django_capture_on_commit_callbacks(execute=True):
        reply_create(conversation=conversation, user=agent, text="Здравствуйте!")
    assert [mail["personalizations"][0]["to"][0]["email"] for mail in fake_sendgrid.sent()] == ["erzhan.b@mail.kz"]


def test_inbound_email_without_a_sender_is_400(webhooks):
    assert webhooks.email({"text": "hello", "subject": "x", "headers": ""}, token=EMAIL_SECRET).status_code == 400
    assert not Message.objects.exists()


def test_two_records_of_one_person_leave_a_merge_suggestion(delivered):
    by_whatsapp = ClientFactory(full_name="Данияр (WhatsApp)", phone=None, whatsapp_id="77011234567")
    by_phone = ClientFactory(full_name="Данияр Оспанов", phone="+77011234567")

    delivered("whatsapp", payload("whatsapp_text.json"))

    assert Message.objects.get().conversation.client == by_whatsapp
    suggestion = MergeSuggestion.objects.get()
    assert {suggestion.client, suggestion.other} == {by_whatsapp, by_phone}
    assert "+77011234567" in suggestion.reason
    delivered("whatsapp", payload("whatsapp_text.json") | {})
    assert MergeSuggestion.objects.count() == 1


def test_a_client_whose_lead_is_closed_gets_a_new_lead(delivered):
    client = ClientFactory(telegram_id=6240981357123)
    lost = LeadFactory(client=client, stage=default_stage("lost"), lost_reason="Дорого")

    delivered("telegram", payload("telegram_text.json"))

    conversation = Conversation.objects.get()
    assert conversation.client == client
    assert conversation.lead != lost and conversation.lead.stage == default_stage("new")


def test_the_conversation_goes_to_the_agent_of_the_lead_who_is_notified_once(delivered, agent):
    client = ClientFactory(telegram_id=6240981357123)
    LeadFactory(client=client, assignee=agent)

    delivered("telegram", payload("telegram_text.json"))
    delivered("telegram", payload("telegram_photo.json"))

    assert Conversation.objects.get().assignee == agent
    assert agent.notifications.filter(kind="new_message").count() == 1


def test_processing_runs_once_however_often_it_is_asked(webhooks):
    webhooks.telegram(payload("telegram_text.json"))
    message = Message.objects.get()

    assert inbound_process(message_id=message.pk) is True
    assert inbound_process(message_id=message.pk) is False
    assert Activity.objects.filter(kind=ActivityKind.MESSAGE).count() == 1
    assert Lead.objects.count() == 1


def test_a_message_stored_while_a_drain_is_queued_waits_for_that_drain(webhooks, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from messaging.models import InboundDrain
    from messaging.services.inbound import inbound_drain

    InboundDrain.objects.update_or_create(pk=1, defaults={"queued": True, "queued_at": timezone.now()})
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.telegram(payload("telegram_text.json"))
        webhooks.telegram(payload("telegram_photo.json"))
    assert Message.objects.filter(needs_processing=True).count() == 2  # no second drain was queued

    assert inbound_drain(grace=0.01) == 2
    assert not Message.objects.filter(needs_processing=True).exists()
    assert InboundDrain.objects.get().queued is False
    assert Lead.objects.count() == 1 and Activity.objects.filter(kind=ActivityKind.MESSAGE).count() == 2


ODD_CHARACTERS = [("\x00", ""), ("\ud800", "\ufffd"), ("\udfff", "\ufffd")]


@pytest.mark.parametrize(("odd", "stored"), ODD_CHARACTERS)
def test_a_telegram_name_and_text_with_a_nul_or_a_lone_surrogate_are_kept_without_it(delivered, odd, stored):
    """PostgreSQL text holds no NUL and UTF-8 no lone surrogate: the message is kept
    with the character dropped or replaced (a 500 would have Telegram re-deliver it forever)."""
    update = payload("telegram_text.json")
    update["message"]["from"]["first_name"] = update["message"]["chat"]["first_name"] = f"Ai{odd}gerim"
    update["message"]["text"] = f"Привет{odd}!"

    assert delivered("telegram", update).status_code == 200
    message = Message.objects.get()
    assert message.text == f"Привет{stored}!" and message.sender_name == f"Ai{stored}gerim Sadykova"
    assert message.raw["message"]["from"]["first_name"] == f"Ai{stored}gerim"
    assert message.conversation.title == f"Ai{stored}gerim Sadykova" and message.needs_processing is False
    assert Client.objects.get().full_name == f"Ai{stored}gerim Sadykova"
    assert delivered("telegram", update).status_code == 200 and Message.objects.count() == 1


@pytest.mark.parametrize(("odd", "stored"), ODD_CHARACTERS)
def test_whatsapp_and_wazzup_names_and_texts_with_a_nul_or_a_lone_surrogate_are_kept_without_it(
        delivered, odd, stored):
    event = payload("whatsapp_text.json")
    value = event["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["profile"]["name"] = f"Дани{odd}яр"
    value["messages"][0]["text"]["body"] = f"Фукуок{odd}?"
    data = payload("wazzup_text.json")
    data["messages"][0]["contact"]["name"] = f"Айг{odd}уль"
    data["messages"][0]["text"] = f"Добрый{odd} день"

    assert delivered("whatsapp", event).status_code == 200
    assert delivered("wazzup", data).status_code == 200
    by_platform = {message.platform: message for message in Message.objects.all()}
    assert by_platform["whatsapp"].text == f"Фукуок{stored}?"
    assert by_platform["whatsapp"].sender_name == f"Дани{stored}яр"
    assert by_platform["wazzup"].text == f"Добрый{stored} день"
    assert by_platform["wazzup"].raw["messages"][0]["contact"]["name"] == f"Айг{stored}уль"
    assert not Message.objects.filter(needs_processing=True).exists()


def test_an_email_with_a_nul_in_its_fields_is_kept_without_it(delivered):
    fields = payload("email_parse.json")
    fields["from"] = "Ержан\x00 Бекович <Erzhan.B@Mail.kz>"
    fields["subject"] = "Тур\x00 в Дананг"
    fields["text"] = "Добрый\x00 день!"

    assert delivered("email", fields).status_code == 200
    message = Message.objects.get()
    assert (message.text, message.sender_name) == ("Добрый день!", "Ержан Бекович")
    assert message.raw["subject"] == "Тур в Дананг"


@pytest.mark.parametrize("where", ["chat", "from"])
def test_a_telegram_id_beyond_telegrams_52_bits_is_refused_400_and_logged(webhooks, where, caplog):
    """Telegram's ids fit in 52 bits: a larger one was stored and then failed in
    every drain (and could never be answered)."""
    update = payload("telegram_text.json")
    update["message"][where]["id"] = 10**30
    with caplog.at_level(logging.WARNING, logger="messaging.webhooks"):
        assert webhooks.telegram(update).status_code == 400
    assert "out of Telegram's range" in caplog.text
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_a_message_whose_processing_fails_does_not_hold_up_the_others(webhooks, caplog):
    """One row that cannot be processed (here: a Telegram id no client can hold,
    as stored before the webhook refused them) stays waiting, logged; the drain
    takes every other message."""
    from messaging.services.inbound import inbound_drain

    MessageFactory(conversation=ConversationFactory(client=None, title="?"), sender_ids={"telegram_id": 10**30},
                   needs_processing=True)
    for number in range(3):
        update = payload("telegram_text.json")
        update["update_id"] += number
        update["message"]["message_id"] += number
        webhooks.telegram(update)

    assert inbound_drain(grace=0.01) == 3
    assert list(Message.objects.filter(needs_processing=True).values_list("sender_ids", flat=True)) == [
        {"telegram_id": 10**30}]
    assert "stays waiting" in caplog.text


def test_the_receiving_statement_is_planned_once_per_connection_not_per_delivery(webhooks):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the receiving statement is PostgreSQL's")
    for number in range(8):
        update = payload("telegram_text.json")
        update["update_id"] += number
        update["message"]["message_id"] += number
        assert webhooks.telegram(update).status_code == 200
    assert Message.objects.count() == 8
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans + custom_plans FROM pg_prepared_statements"
                       " WHERE statement LIKE %s", ["%INSERT INTO messaging_message%"])
        assert [row[0] for row in cursor.fetchall()] == [8]
