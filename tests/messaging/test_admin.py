"""Conversations and messages in the admin: narrowed like the inbox, messages
only ever viewed."""

import pytest

from messaging.models import Conversation, Message
from tests.crm.test_admin import form_data, login, result_ids, url
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def test_conversation_shows_its_messages_read_only(client, agent):
    conversation = ConversationFactory(assignee=agent)
    MessageFactory(conversation=conversation, text="Хотим в Нячанг в марте")
    login(client, agent)
    response = client.get(url(Conversation, "change", conversation.pk))
    assert response.status_code == 200
    assert "Хотим в Нячанг в марте" in response.content.decode()
    inline = response.context["inline_admin_formsets"][0]
    assert inline.has_add_permission is False and inline.has_change_permission is False
    assert client.get(url(Conversation, "add")).status_code == 403


def test_agent_closes_own_conversation_and_colleague_cannot(client, agent, colleague):
    conversation = ConversationFactory(assignee=agent)
    MessageFactory(conversation=conversation)
    login(client, agent)
    data = form_data(client.get(url(Conversation, "change", conversation.pk)))
    data["status"] = Conversation.Status.CLOSED
    assert client.post(url(Conversation, "change", conversation.pk), data).status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED

    data["status"] = Conversation.Status.OPEN
    login(client, colleague)
    assert client.post(url(Conversation, "change", conversation.pk), data).status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED
    assert conversation.pk not in result_ids(client.get(url(Conversation, "changelist")))


def test_message_of_a_colleagues_conversation_is_hidden(client, agent, colleague):
    message = MessageFactory(conversation=ConversationFactory(assignee=colleague))
    login(client, agent)
    assert message.pk not in result_ids(client.get(url(Message, "changelist")))
    assert client.get(url(Message, "change", message.pk)).status_code == 302


def test_raw_payload_is_shown_escaped_and_cannot_be_edited(client, agent):
    message = MessageFactory(
        conversation=ConversationFactory(assignee=agent),
        raw={"message": {"text": "<script>alert(1)</script>", "from": {"first_name": "Айжан"}}},
    )
    login(client, agent)
    page = client.get(url(Message, "change", message.pk)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "Айжан" in page
    assert client.post(url(Message, "change", message.pk), {"text": "подмена"}).status_code == 403
    message.refresh_from_db()
    assert message.text != "подмена"
