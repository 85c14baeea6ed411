"""What the database itself guarantees, whoever writes: no duplicate person, no
duplicate provider message."""

import pytest
from django.db import IntegrityError, transaction

from crm.models import Client
from messaging.models import Message
from tests.crm.factories import ClientFactory
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def test_phone_is_stored_in_e164_whatever_the_spelling():
    client = Client.objects.create(full_name="Ержан Бекова", phone="8 (701) 123-45-67")
    client.refresh_from_db()
    assert str(client.phone) == "+77011234567"


def test_same_phone_written_differently_is_refused_by_the_database():
    Client.objects.create(full_name="Ержан Беков", phone="+7 701 123 45 67")
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.create(full_name="Ержан Б.", phone="87011234567")
    assert Client.objects.count() == 1


def test_same_phone_refused_even_through_bulk_insert():
    Client.objects.create(full_name="Ержан Беков", phone="+77011234567")
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.bulk_create([Client(full_name="Дубль", phone="8 701 123 45 67")])


def test_email_is_unique_whatever_the_case():
    ClientFactory(email="Aliya.Nurova@Mail.kz")
    assert Client.objects.get().email == "aliya.nurova@mail.kz"
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.bulk_create([Client(full_name="Алия", email="ALIYA.NUROVA@mail.kz")])


def test_clients_without_identifiers_do_not_collide():
    Client.objects.create(full_name="Без телефона", phone="", email="  ")
    Client.objects.create(full_name="Тоже без телефона")
    assert Client.objects.filter(phone__isnull=True, email__isnull=True).count() == 2


def test_telegram_and_whatsapp_ids_are_unique():
    ClientFactory(telegram_id=123456789, whatsapp_id="+7 701 555 00 11")
    assert Client.objects.get().whatsapp_id == "77015550011"
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientFactory(telegram_id=123456789)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientFactory(whatsapp_id="77015550011")


def test_second_message_with_same_provider_id_is_refused_by_the_database():
    message = MessageFactory(platform="telegram", message_id="42")
    duplicate = Message(
        conversation=message.conversation, platform="telegram", chat_id=message.chat_id, message_id="42",
        direction="in", status="received", text="повтор",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    assert Message.objects.count() == 1


def test_same_message_id_in_another_chat_or_platform_is_a_different_message():
    message = MessageFactory(platform="telegram", message_id="42")
    MessageFactory(conversation=message.conversation, message_id="42", chat_id="other-chat")
    other = ConversationFactory(platform="whatsapp", chat_id=message.chat_id)
    MessageFactory(conversation=other, message_id="42")
    assert Message.objects.filter(message_id="42").count() == 3


def test_outgoing_messages_awaiting_a_provider_id_do_not_collide():
    conversation = ConversationFactory()
    for _ in range(2):
        MessageFactory(conversation=conversation, message_id=None, direction="out", status="queued")
    assert conversation.messages.count() == 2


def test_incoming_message_must_carry_the_provider_id():
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFactory(message_id=None, direction="in")
