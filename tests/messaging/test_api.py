"""``/api/v1/conversations/<id>/messages``: the same rights and service as the inbox."""

import uuid

import pytest

from messaging.models import Message
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def test_reply_through_the_api_is_sent_once_per_idempotency_key(client, agent, fake_telegram,
                                                                django_capture_on_commit_callbacks):
    conversation = ConversationFactory(assignee=agent)
    client.force_login(agent)
    key = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"/api/v1/conversations/{conversation.pk}/messages", {"text": "Добрый день!"},
                            content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
        again = client.post(f"/api/v1/conversations/{conversation.pk}/messages", {"text": "Добрый день!"},
                            content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["crm_id"] == key and first.json()["status"] == "queued"
    assert Message.objects.get().status == "sent"
    assert fake_telegram.api_calls("/sendMessage")[0].json["text"] == "Добрый день!"


def test_the_api_reads_the_thread(client, agent):
    conversation = ConversationFactory(assignee=agent)
    MessageFactory(conversation=conversation, text="Привет")
    client.force_login(agent)
    data = client.get(f"/api/v1/conversations/{conversation.pk}/messages").json()
    assert [m["text"] for m in data] == ["Привет"]


@pytest.mark.parametrize(("person", "status"), [("colleague", 404), ("outsider", 403), ("accountant", 403)])
def test_the_api_refuses_who_may_not_reply(client, agent, request, person, status):
    conversation = ConversationFactory(assignee=agent)
    client.force_login(request.getfixturevalue(person))
    response = client.post(f"/api/v1/conversations/{conversation.pk}/messages", {"text": "x"},
                           content_type="application/json")
    assert response.status_code == status
    assert not Message.objects.exists()


def test_the_api_validates_text_and_key(client, agent):
    conversation = ConversationFactory(assignee=agent)
    client.force_login(agent)
    url = f"/api/v1/conversations/{conversation.pk}/messages"
    assert client.post(url, {"text": ""}, content_type="application/json").status_code == 400
    assert client.post(url, {"text": "x" * 4097}, content_type="application/json").status_code == 400
    assert client.post(url, {"text": "ok"}, content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY="not-a-uuid").status_code == 400
    assert client.post(url, {"text": "ok"}, content_type="application/json").status_code in (201,)
    client.logout()
    assert client.post(url, {"text": "ok"}, content_type="application/json").status_code in (401, 403)
