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


def test_a_key_used_again_on_another_conversation_or_by_another_person_is_refused_409(client, agent, colleague,
                                                                                        manager):
    """A key names one reply: used elsewhere it sends nothing anywhere (it was a 500)."""
    first, second = ConversationFactory(assignee=agent), ConversationFactory(assignee=agent)
    key = str(uuid.uuid4())
    client.force_login(agent)
    assert client.post(f"/api/v1/conversations/{first.pk}/messages", {"text": "Добрый день!"},
                       content_type="application/json", HTTP_IDEMPOTENCY_KEY=key).status_code == 201

    elsewhere = client.post(f"/api/v1/conversations/{second.pk}/messages", {"text": "Добрый день!"},
                            content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    other_text = client.post(f"/api/v1/conversations/{first.pk}/messages", {"text": "Другой ответ"},
                             content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    first.assignee = colleague  # the lead and its conversation went to a colleague
    first.save(update_fields=["assignee"])
    client.force_login(colleague)
    reassigned = client.post(f"/api/v1/conversations/{first.pk}/messages", {"text": "Добрый день!"},
                             content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    client.force_login(manager)
    by_manager = client.post(f"/api/v1/conversations/{first.pk}/messages", {"text": "Добрый день!"},
                             content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)

    for response in (elsewhere, other_text, reassigned, by_manager):
        assert response.status_code == 409
        assert response.json()["detail"] == "Этот ключ уже использован для другого ответа."
    assert list(Message.objects.values_list("conversation", "text")) == [(first.pk, "Добрый день!")]
