"""The inbox pages through what a person sees: rights on every page and
fragment, the list and its filters, the thread and its polling, reply, assign,
close, retry, the unread badge — and query counts that do not grow."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import Conversation, Message
from tests.crm.factories import ClientFactory, LeadFactory
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def mine(agent):
    lead = LeadFactory(assignee=agent, client=ClientFactory(full_name="Айгерим Садыкова"))
    conversation = ConversationFactory(assignee=agent, client=lead.client, lead=lead, unread_count=2,
                                       preview="Хотим в Нячанг")
    MessageFactory(conversation=conversation, text="Здравствуйте!")
    MessageFactory(conversation=conversation, text="Хотим в Нячанг")
    return conversation


def endpoints(conversation, message):
    return [
        ("get", f"/inbox/{conversation.pk}/", {}),
        ("get", f"/inbox/{conversation.pk}/messages/?after=0", {}),
        ("post", f"/inbox/{conversation.pk}/reply/", {"text": "Добрый день", "token": str(uuid.uuid4())}),
        ("post", f"/inbox/{conversation.pk}/assign/", {"take": "1"}),
        ("post", f"/inbox/{conversation.pk}/status/", {"status": "closed"}),
        ("post", f"/inbox/messages/{message.pk}/retry/", {}),
    ]


def test_the_owner_opens_every_page_of_their_conversation(client, agent, mine):
    client.force_login(agent)
    failed = MessageFactory(conversation=mine, direction="out", status="failed", message_id=None, error="HTTP 403")
    for method, url, data in endpoints(mine, failed):
        response = getattr(client, method)(url, data, **HTMX)
        assert response.status_code in (200, 204), (url, response.status_code)


@pytest.mark.parametrize("person", ["colleague", "outsider"])
def test_a_colleague_and_an_outsider_get_nothing(client, person, request, mine):
    client.force_login(request.getfixturevalue(person))
    message = mine.messages.first()
    expected = 404 if person == "colleague" else 403
    for method, url, data in endpoints(mine, message):
        response = getattr(client, method)(url, data, **HTMX)
        assert response.status_code == expected, (url, response.status_code)
    assert client.get("/inbox/").status_code == (200 if person == "colleague" else 403)
    assert Message.objects.filter(direction="out").count() == 0
    mine.refresh_from_db()
    assert mine.status == "open" and mine.unread_count == 2


def test_an_accountant_reads_but_cannot_reply_assign_or_close(client, accountant, mine):
    client.force_login(accountant)
    page = client.get(f"/inbox/{mine.pk}/", **EN)
    assert page.status_code == 200 and "You can read this conversation but not reply." in page.content.decode()
    mine.refresh_from_db()
    assert mine.unread_count == 2  # reading as an accountant does not clear the agent's unread count
    assert client.post(f"/inbox/{mine.pk}/reply/", {"text": "x", "token": str(uuid.uuid4())}, **HTMX).status_code == 403
    assert client.post(f"/inbox/{mine.pk}/status/", {"status": "closed"}, **HTMX).status_code == 403
    assert client.post(f"/inbox/{mine.pk}/assign/", {"take": "1"}, **HTMX).status_code == 403


def test_the_list_shows_mine_unassigned_and_all_by_the_rule_of_leads(client, agent, colleague, manager, mine):
    free = ConversationFactory(title="Свободный чат", preview="Есть туры на Фукуок?")
    other = ConversationFactory(assignee=colleague, title="Чат коллеги")
    client.force_login(agent)

    def titles(**query):
        page = client.get("/inbox/", query)
        return {c.pk for c in page.context["conversations"]}

    assert titles() == {mine.pk}  # an agent starts on their own
    assert titles(scope="unassigned") == {free.pk}
    assert titles(scope="all") == {mine.pk, free.pk}
    assert other.pk not in titles(scope="all")
    client.force_login(manager)
    assert titles(scope="all") == {mine.pk, free.pk, other.pk}


def test_filters_channel_unread_status_and_search(client, manager, mine):
    whatsapp = ConversationFactory(platform="whatsapp", chat_id="77011234567", title="Данияр", unread_count=0)
    closed = ConversationFactory(status="closed", title="Закрытый")
    client.force_login(manager)

    def pks(**query):
        return {c.pk for c in client.get("/inbox/", {"scope": "all", **query}).context["conversations"]}

    assert pks(platform="whatsapp") == {whatsapp.pk}
    assert pks(unread="1") == {mine.pk}
    assert pks(status="closed") == {closed.pk}
    assert pks(q="нячанг") == {mine.pk}
    assert pks(q="Садыкова") == {mine.pk}
    assert pks(q="7701123") == {whatsapp.pk}


def test_list_and_thread_take_the_same_number_of_queries_for_3_or_30_rows(client, manager):
    client.force_login(manager)

    def measure(count):
        Conversation.objects.all().delete()
        conversations = [ConversationFactory(assignee=manager, lead=LeadFactory(assignee=manager)) for _ in range(count)]
        for conversation in conversations:
            for _ in range(count):
                MessageFactory(conversation=conversation, author=manager)
        with CaptureQueriesContext(connection) as listing:
            assert client.get("/inbox/list/", {"scope": "all"}, **HTMX).status_code == 200
        with CaptureQueriesContext(connection) as thread:
            assert client.get(f"/inbox/{conversations[0].pk}/").status_code == 200
        with CaptureQueriesContext(connection) as poll:
            assert client.get(f"/inbox/{conversations[0].pk}/messages/?after=0", **HTMX).status_code == 200
        return len(listing), len(thread), len(poll)

    assert measure(3) == measure(30)


def test_opening_a_thread_reads_it_and_shows_the_lead_link(client, agent, mine):
    client.force_login(agent)
    page = client.get(f"/inbox/{mine.pk}/").content.decode()
    assert "Хотим в Нячанг" in page and f'href="/leads/{mine.lead_id}/"' in page
    mine.refresh_from_db()
    assert mine.unread_count == 0


def test_polling_brings_new_messages_and_the_fresh_state_of_pending_replies(client, agent, mine):
    client.force_login(agent)
    last = mine.messages.order_by("pk").last()
    pending = MessageFactory(conversation=mine, direction="out", status="queued", message_id=None, text="Сейчас")
    quiet = client.get(f"/inbox/{mine.pk}/messages/?after={pending.pk}&pending={pending.pk}", **HTMX).content.decode()
    assert "Сейчас" not in quiet and f"pending={pending.pk}" in quiet

    Message.objects.filter(pk=pending.pk).update(status="failed", error="HTTP 403: Forbidden: bot was blocked")
    new = MessageFactory(conversation=mine, text="А на апрель есть?")
    body = client.get(f"/inbox/{mine.pk}/messages/?after={pending.pk}&pending={pending.pk}", **HTMX, **EN).content.decode()

    assert "А на апрель есть?" in body and 'hx-swap-oob="beforeend:#thread-messages"' in body
    assert f'id="message-{pending.pk}"' in body and "bot was blocked" in body and "Retry" in body
    assert f"after={new.pk}" in body and "pending=" not in body
    assert last.pk < new.pk


def test_reply_from_the_page_is_stored_once_even_when_sent_twice(client, agent, mine, fake_telegram,
                                                                django_capture_on_commit_callbacks):
    client.force_login(agent)
    data = {"text": "Добрый день! Подберу варианты.", "token": str(uuid.uuid4())}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"/inbox/{mine.pk}/reply/", data, **HTMX)
        second = client.post(f"/inbox/{mine.pk}/reply/", data, **HTMX)

    assert first.status_code == second.status_code == 200
    assert "inbox:poll" in first.headers["HX-Trigger"]
    reply = Message.objects.get(direction="out")
    assert reply.author == agent and reply.status == "sent"
    assert len(fake_telegram.api_calls("/sendMessage")) == 1


def test_an_empty_reply_comes_back_with_the_error(client, agent, mine):
    client.force_login(agent)
    response = client.post(f"/inbox/{mine.pk}/reply/", {"text": "  ", "token": str(uuid.uuid4())}, **HTMX, **EN)
    assert response.status_code == 200 and "Write the reply first." in response.content.decode()
    assert not Message.objects.filter(direction="out").exists()


def test_reply_without_javascript_redirects_back_to_the_thread(client, agent, mine, fake_telegram):
    client.force_login(agent)
    response = client.post(f"/inbox/{mine.pk}/reply/", {"text": "Здравствуйте", "token": str(uuid.uuid4())})
    assert response.status_code == 302 and response.url == f"/inbox/{mine.pk}/"


def test_a_failed_reply_shows_its_reason_and_the_retry_button(client, agent, mine):
    MessageFactory(conversation=mine, direction="out", status="failed", message_id=None,
                   error="HTTP 403: Forbidden: bot was blocked by the user")
    client.force_login(agent)
    page = client.get(f"/inbox/{mine.pk}/", **EN).content.decode()
    assert "Not sent" in page and "bot was blocked by the user" in page and "Retry" in page


def test_an_agent_takes_a_free_conversation_but_not_a_taken_one(client, agent, colleague):
    free = ConversationFactory()
    client.force_login(agent)
    assert client.post(f"/inbox/{free.pk}/assign/", {"take": "1"}, **HTMX).status_code == 200
    free.refresh_from_db()
    assert free.assignee == agent
    client.force_login(colleague)
    assert client.post(f"/inbox/{free.pk}/assign/", {"take": "1"}, **HTMX).status_code == 404


def test_a_manager_assigns_to_an_agent(client, manager, agent):
    conversation = ConversationFactory()
    client.force_login(manager)
    assert client.post(f"/inbox/{conversation.pk}/assign/", {"assignee": agent.pk}, **HTMX).status_code == 200
    conversation.refresh_from_db()
    assert conversation.assignee == agent


def test_close_and_reopen(client, agent, mine):
    client.force_login(agent)
    assert client.post(f"/inbox/{mine.pk}/status/", {"status": "closed"}, **HTMX).status_code == 200
    mine.refresh_from_db()
    assert mine.status == "closed"
    assert client.post(f"/inbox/{mine.pk}/status/", {"status": "open"}).status_code == 302
    mine.refresh_from_db()
    assert mine.status == "open"


def test_the_navigation_counts_unread_messages_of_my_and_free_conversations(client, agent, colleague, mine):
    ConversationFactory(unread_count=3)
    ConversationFactory(assignee=colleague, unread_count=7)
    client.force_login(agent)
    badge = client.get("/inbox/unread/", **HTMX).content.decode()
    assert 'data-unread="5"' in badge
    page = client.get("/leads/").content.decode()
    assert 'id="inbox-unread"' in page and 'data-unread="5"' in page


def test_the_list_and_the_badge_refuse_a_person_without_a_role(client, outsider):
    client.force_login(outsider)
    assert client.get("/inbox/list/", **HTMX).status_code == 403
    assert client.get("/inbox/unread/", **HTMX).status_code == 403
    client.logout()
    assert client.get("/inbox/").status_code == 302  # to the login page


def test_an_accountant_sees_no_unread_badge_count(client, accountant, mine):
    client.force_login(accountant)
    assert 'data-unread="0"' in client.get("/inbox/unread/", **HTMX).content.decode()


def test_a_merge_suggestion_shows_in_the_thread_and_can_be_dismissed(client, manager, agent, colleague):
    from crm.models import MergeSuggestion
    from crm.services.matching import merge_suggest

    one = ClientFactory(full_name="Данияр (WhatsApp)")
    two = ClientFactory(full_name="Данияр Оспанов")
    suggestion = merge_suggest(client=one, other=two, reason="the same phone +77011234567")
    conversation = ConversationFactory(client=one, assignee=agent)
    url = f"/inbox/{conversation.pk}/suggestions/{suggestion.pk}/dismiss/"

    client.force_login(agent)
    assert "the same phone +77011234567" in client.get(f"/inbox/{conversation.pk}/").content.decode()
    client.force_login(colleague)
    assert client.post(url, **HTMX).status_code == 404
    client.force_login(manager)
    assert client.post(url, **HTMX).status_code == 200
    suggestion.refresh_from_db()
    assert suggestion.status == MergeSuggestion.Status.DISMISSED and suggestion.resolved_by == manager
    assert "the same phone" not in client.get(f"/inbox/{conversation.pk}/").content.decode()


def test_a_nul_in_the_search_is_ignored_not_a_server_error(client, manager, mine):
    client.force_login(manager)
    for url in ("/inbox/?q=%00", "/inbox/?q=Ай%00гуль", "/inbox/list/?q=%00&status=any", "/inbox/list/?q%00=1"):
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, url
    assert mine.title in client.get("/inbox/list/?q=%00", HTTP_HX_REQUEST="true").content.decode()
