"""The assistant through what users touch: a Telegram message posted to the
webhook (local SAMO and Telegram servers, eager Celery), the lead it fills and
scores, the draft waiting in the inbox reply box, and the agent's decisions."""

import datetime as dt
import json
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Activity, Lead, Notification
from messaging.assistant.services import message_assist
from messaging.models import AssistantSettings, Conversation, Draft, Message, MessageInsight
from tests.crm.factories import ClientFactory, LeadFactory
from tests.messaging.factories import ConversationFactory, MessageFactory


def _next_march() -> dt.date:
    today = dt.date.today()
    return dt.date(today.year + (today.month > 3), 3, 1)


MARCH = _next_march()  # "в марте": its next occurrence
pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
REQUEST = "хотим в Нячанг в марте на 10 ночей, 2 взрослых"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def tourist(fake_samo, fake_telegram, webhooks, django_capture_on_commit_callbacks):
    """Posts what a tourist writes in Telegram to our webhook and runs what follows
    (eager Celery: processing, the assistant, sending); returns the stored message."""
    def write(text: str, chat_id: int = 777001):
        update = fake_telegram.message_update(chat_id=chat_id, text=text)
        with django_capture_on_commit_callbacks(execute=True):
            assert webhooks.telegram(update).status_code == 200
        return Message.objects.get(platform="telegram", chat_id=str(chat_id),
                                   message_id=str(update["message"]["message_id"]))
    return write


def test_a_tour_request_fills_the_lead_scores_it_and_drafts_real_offers(tourist):
    message = tourist(REQUEST)
    insight = MessageInsight.objects.get(message=message)
    assert (insight.intent, insight.engine, insight.done) == ("tour_request", "rules", True)
    lead = Lead.objects.get(pk=insight.lead_id)
    assert (lead.destination_country, lead.destination_resort, lead.nights_from, lead.nights_to, lead.adults) == (
        "Вьетнам", "Нячанг", 10, 10, 2)
    assert lead.date_from == MARCH and lead.date_to == MARCH.replace(day=31)
    assert lead.ai_score == insight.score and 40 <= lead.ai_score <= 100 and lead.ai_reasons
    assert lead.ai_category in ("hot", "warm")
    assert Activity.objects.filter(lead=lead, kind="ai", data__filled__contains=["destination_resort"]).exists()
    draft = Draft.objects.get(conversation=message.conversation)
    assert (draft.status, draft.kind, draft.engine, draft.language) == ("pending", "offers", "template", "ru")
    assert len(draft.offers) == 3
    for offer in draft.offers:
        assert offer["hotel"] in draft.text and offer["resort"] == "Нячанг" and offer["nights"] == 10
        assert f"{int(offer['price_kzt']):,}".replace(",", "\u00a0") in draft.text
    assert insight.next_stage.code == "selection"


def test_the_drafted_offers_are_exactly_what_samo_returned(tourist, fake_samo):
    message = tourist(REQUEST)
    draft = Draft.objects.get(conversation=message.conversation)
    from messaging.assistant.offers import TripRequest, offers_for

    again = offers_for(TripRequest(destination_country="Vietnam", destination_resort="Nha Trang",
                                   date_from=MARCH, date_to=MARCH.replace(day=31), nights_from=10,
                                   nights_to=10, adults=2))
    samo_rows = {offer.row.id: offer for offer in again.result.offers}
    for offer in draft.offers:
        row = samo_rows[offer["key"]].row
        assert (offer["hotel"], offer["price"], offer["checkin"]) == (row.hotel, str(row.price),
                                                                      row.check_in.isoformat())


def test_running_again_does_nothing_twice(tourist):
    message = tourist(REQUEST)
    assert message_assist(message_id=message.pk) is None
    assert MessageInsight.objects.filter(message=message).count() == 1
    assert Draft.objects.filter(conversation=message.conversation).count() == 1


def test_an_agents_value_is_never_overwritten_but_suggested(tourist, agent, client, fake_telegram):
    first = tourist("Здравствуйте, хотим в Фукуок")
    lead = first.conversation.lead
    client.force_login(agent)
    lead.assignee = agent
    lead.save()
    from crm.services.leads import lead_update

    lead_update(lead=lead, user=agent, changes={"destination_resort": "Da Nang"})
    second = tourist(REQUEST)
    lead.refresh_from_db()
    insight = MessageInsight.objects.get(message=second)
    assert lead.destination_resort == "Da Nang"
    assert insight.suggestions["destination_resort"] == "Нячанг"
    assert lead.nights_from == 10 and "nights_from" in insight.filled


def test_a_request_without_dates_gets_questions_not_offers(tourist, fake_samo):
    message = tourist("Здравствуйте! Хотим на море во Вьетнам, подскажите варианты")
    draft = Draft.objects.get(conversation=message.conversation)
    assert draft.kind == "questions" and draft.offers == []
    assert "когда планируете вылет" in draft.text
    assert fake_samo.state.calls.get("SearchTour_PRICES", 0) == 0


def test_a_complaint_is_escalated_at_once_and_never_sent_alone(tourist, manager, agent, fake_telegram):
    AssistantSettings.objects.update_or_create(pk=1, defaults={
        "auto_send_intents": ["tour_request", "question", "other", "complaint"], "auto_send_confidence": 0})
    conversation_message = tourist("Это ужасно, отель грязный, верните деньги! Жалоба")
    insight = MessageInsight.objects.get(message=conversation_message)
    assert insight.intent == "complaint" and insight.escalated
    assert Notification.objects.filter(user=manager, kind="escalation").count() == 1
    draft = Draft.objects.get(conversation=conversation_message.conversation)
    assert draft.status == "pending" and draft.kind == "escalation"
    assert not Message.objects.filter(direction="out").exists()


def test_auto_send_when_an_admin_enabled_it_and_the_assistant_is_sure(tourist, fake_telegram):
    AssistantSettings.objects.update_or_create(pk=1, defaults={"auto_send_intents": ["tour_request"],
                                                               "auto_send_confidence": 0.1})
    message = tourist(REQUEST)
    draft = Draft.objects.get(conversation=message.conversation)
    assert draft.status == "auto_sent" and draft.sent_message is not None
    sent = Message.objects.get(pk=draft.sent_message_id)
    assert sent.status == "sent" and sent.text == draft.text
    assert fake_telegram.sent[777001][-1]["text"] == draft.text


def test_a_newer_message_gets_the_draft_not_the_older_one(tourist):
    first = tourist("Здравствуйте")
    second = tourist(REQUEST)
    drafts = Draft.objects.filter(conversation=first.conversation)
    assert [d.message_id for d in drafts.filter(status="pending")] == [second.pk]


# --- The model ---------------------------------------------------------------


def _model_says(fake_openai, draft_text: str):
    def reply(request):
        name = request["response_format"]["json_schema"]["name"]
        if name == "draft":
            facts = json.loads(request["messages"][-1]["content"])
            return json.dumps({"reply": draft_text.format(offers=facts["offers"])})
        return "{broken"  # extraction: malformed, the rules take over
    fake_openai.reply = reply


def test_a_grounded_model_draft_is_used(tourist, fake_openai):
    _model_says(fake_openai, "{offers[0][hotel]}, {offers[1][hotel]} и {offers[2][hotel]}: "
                             "от {offers[0][price_kzt]} ₸. Какой вам ближе?")
    message = tourist(REQUEST)
    insight = MessageInsight.objects.get(message=message)
    assert insight.engine == "rules" and "fallback" in insight.fallback
    draft = Draft.objects.get(conversation=message.conversation)
    assert draft.engine == "openai" and draft.text.startswith(draft.offers[0]["hotel"])


def test_a_model_draft_with_an_invented_price_is_refused(tourist, fake_openai):
    _model_says(fake_openai, "{offers[0][hotel]}, {offers[1][hotel]}, {offers[2][hotel]} — всего 99 999 ₸!")
    message = tourist(REQUEST)
    draft = Draft.objects.get(conversation=message.conversation)
    assert draft.engine == "template" and "99999" in draft.fallback
    assert "99 999" not in draft.text


@pytest.mark.parametrize("mode", ["timeout", "429", "malformed"])
def test_a_failing_model_never_blocks_the_message(tourist, fake_openai, mode):
    fake_openai.mode, fake_openai.delay = mode, 3
    message = tourist(REQUEST)
    insight = MessageInsight.objects.get(message=message)
    assert insight.engine == "rules" and insight.fallback and insight.done
    assert Draft.objects.get(conversation=message.conversation).engine == "template"
    assert Message.objects.filter(pk=message.pk, needs_processing=False).exists()


# --- The inbox ---------------------------------------------------------------


@pytest.fixture
def drafted(agent):
    lead = LeadFactory(assignee=agent, client=ClientFactory(full_name="Айгерим Садыкова"))
    conversation = ConversationFactory(assignee=agent, client=lead.client, lead=lead)
    message = MessageFactory(conversation=conversation, text="Здравствуйте, сколько стоит виза?")
    MessageInsight.objects.create(message=message, lead=lead, intent="question", language="ru", engine="rules",
                                  fields={"intent": "question", "language": "ru"}, done=True)
    return Draft.objects.create(conversation=conversation, message=message, lead=lead, kind="answer", language="ru",
                                engine="template", text="Здравствуйте, Айгерим! Менеджер ответит.")


def test_the_draft_waits_in_the_reply_box(client, agent, drafted):
    client.force_login(agent)
    page = client.get(f"/inbox/{drafted.conversation_id}/").content.decode()
    assert f'name="draft" value="{drafted.pk}"' in page and "Менеджер ответит." in page


def test_sending_as_drafted_and_a_double_click_send_once(client, agent, drafted, fake_telegram):
    client.force_login(agent)
    for _ in range(2):
        response = client.post(f"/inbox/{drafted.conversation_id}/reply/",
                               {"text": drafted.text, "token": str(uuid.uuid4()), "draft": drafted.pk}, **HTMX)
        assert response.status_code in (200, 422)
    drafted.refresh_from_db()
    assert (drafted.status, drafted.similarity, drafted.decided_by) == ("sent", 1.0, agent)
    assert Message.objects.filter(direction="out", conversation=drafted.conversation).count() == 1


def test_an_edited_draft_is_counted_as_edited(client, agent, drafted, fake_telegram):
    client.force_login(agent)
    client.post(f"/inbox/{drafted.conversation_id}/reply/",
                {"text": "Здравствуйте, Айгерим! Виза во Вьетнам не нужна до 30 дней.", "token": str(uuid.uuid4()),
                 "draft": drafted.pk}, **HTMX)
    drafted.refresh_from_db()
    assert drafted.status == "edited" and 0 < drafted.similarity < 1


def test_discard_and_another_draft(client, agent, drafted, fake_samo, django_capture_on_commit_callbacks):
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/inbox/drafts/{drafted.pk}/regenerate/", HTTP_ACCEPT_LANGUAGE="en", **HTMX)
        assert response.status_code == 200 and "writing another draft" in response.content.decode()
    drafted.refresh_from_db()
    fresh = Draft.objects.get(conversation=drafted.conversation, status="pending")
    assert drafted.status == "superseded" and fresh.pk != drafted.pk
    response = client.get(f"/inbox/{drafted.conversation_id}/reply-box/?waiting=1", **HTMX)
    assert f'value="{fresh.pk}"' in response.content.decode()
    client.post(f"/inbox/drafts/{fresh.pk}/discard/", **HTMX)
    fresh.refresh_from_db()
    assert fresh.status == "discarded" and fresh.decided_by == agent
    assert not Message.objects.filter(direction="out").exists()


@pytest.mark.parametrize(("person", "status"), [("colleague", 404), ("outsider", 403), ("accountant", 403)])
def test_only_who_may_reply_decides_on_a_draft(client, request, drafted, person, status):
    client.force_login(request.getfixturevalue(person))
    for url in (f"/inbox/drafts/{drafted.pk}/discard/", f"/inbox/drafts/{drafted.pk}/regenerate/"):
        assert client.post(url, **HTMX).status_code == status
    client.post(f"/inbox/{drafted.conversation_id}/reply/",
                {"text": "x", "token": str(uuid.uuid4()), "draft": drafted.pk}, **HTMX)
    drafted.refresh_from_db()
    assert drafted.status == "pending" and not Message.objects.filter(direction="out").exists()


def test_the_poll_announces_a_new_draft_once(client, agent, drafted):
    client.force_login(agent)
    url = f"/inbox/{drafted.conversation_id}/messages/?after=999999"
    assert "draft-notice" in client.get(url + "&draft=0", **HTMX).content.decode()
    assert "draft-notice" not in client.get(url + f"&draft={drafted.pk}", **HTMX).content.decode()


def test_the_thread_query_count_does_not_grow_with_insights(client, agent, drafted):
    client.force_login(agent)
    url = f"/inbox/{drafted.conversation_id}/"
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(10):
        message = MessageFactory(conversation=drafted.conversation, text=f"Ещё вопрос {n}")
        MessageInsight.objects.create(message=message, intent="question", language="ru", engine="rules")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(many) == len(few)
    assert page.content.decode().count("message-insight") == 11
    assert Conversation.objects.count() == 1


def test_the_lead_card_shows_the_suggestion_and_the_stage_to_move_to(tourist, agent, client):
    first = tourist("Здравствуйте, хотим в Фукуок")
    lead = first.conversation.lead
    lead.assignee = agent
    lead.save()
    from crm.services.leads import lead_update

    lead_update(lead=lead, user=agent, changes={"destination_resort": "Da Nang"})
    tourist(REQUEST)
    client.force_login(agent)
    page = client.get(f"/leads/{lead.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="lead-assistant"' in page and "Нячанг" in page
    assert "Ready for “Tour selection”." in page


def test_managers_see_acceptance_and_edit_rates_in_the_admin(client, manager, agent, drafted, fake_telegram):
    client.force_login(agent)
    client.post(f"/inbox/{drafted.conversation_id}/reply/",
                {"text": drafted.text + " Хорошего дня!", "token": str(uuid.uuid4()), "draft": drafted.pk}, **HTMX)
    Draft.objects.create(conversation=drafted.conversation, kind="answer", language="ru", engine="template",
                         text="Спасибо!", status="discarded", generation_ms=40)
    client.force_login(manager)
    page = client.get("/admin/messaging/draft/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Drafts decided: 2" in page and "accepted 50.0 %" in page and "edited 50.0 %" in page
    assert "discarded 50.0 %" in page
    client.force_login(agent)
    assert client.get("/admin/messaging/draft/").status_code in (302, 403)


def test_a_message_the_bot_answered_is_marked_and_left_by_the_sweep(tourist):
    message = tourist("/start")
    insight = MessageInsight.objects.get(message=message)
    assert (insight.engine, insight.done) == ("bot", True)
    assert not Draft.objects.filter(conversation=message.conversation).exists()
    from messaging.assistant.services import assist_waiting

    Message.objects.filter(pk=message.pk).update(created_at=message.created_at - dt.timedelta(minutes=10))
    assert message.pk not in assist_waiting()


def test_a_reply_of_the_agents_own_replaces_the_pending_draft(client, agent, drafted, fake_telegram):
    client.force_login(agent)
    response = client.post(f"/inbox/{drafted.conversation_id}/reply/",
                           {"text": "Отвечу сама", "token": str(uuid.uuid4())}, **HTMX)
    drafted.refresh_from_db()
    assert drafted.status == "superseded" and 'name="draft"' not in response.content.decode()


def test_the_booking_forms_values_stay_and_the_same_place_in_english_is_no_suggestion(tourist):
    first = tourist("Здравствуйте")
    lead = first.conversation.lead
    Lead.objects.filter(pk=lead.pk).update(source="web", destination_resort="Нячанг", adults=3)
    second = tourist(REQUEST)
    lead.refresh_from_db()
    insight = MessageInsight.objects.get(message=second)
    assert (lead.destination_resort, lead.adults) == ("Нячанг", 3)
    assert "destination_resort" not in insight.suggestions and insight.suggestions["adults"] == 2
    assert lead.nights_from == 10 and "nights_from" in insight.filled


def test_another_draft_shows_the_next_hotels(tourist, agent, client, django_capture_on_commit_callbacks):
    message = tourist(REQUEST)
    first = Draft.objects.get(conversation=message.conversation)
    Conversation.objects.filter(pk=message.conversation_id).update(assignee=agent)
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/inbox/drafts/{first.pk}/regenerate/", **HTMX)
    second = Draft.objects.get(conversation=message.conversation, status="pending")
    assert second.offers and not {o["hotel"] for o in second.offers} & {o["hotel"] for o in first.offers}
    assert min(float(o["price"]) for o in second.offers) >= max(float(o["price"]) for o in first.offers)


def test_a_place_written_in_latin_on_the_lead_is_the_same_place(tourist):
    first = tourist("Здравствуйте")
    lead = first.conversation.lead
    Lead.objects.filter(pk=lead.pk).update(source="web", destination_resort="Nha Trang", destination_country="VIETNAM")
    second = tourist(REQUEST)
    insight = MessageInsight.objects.get(message=second)
    assert "destination_resort" not in insight.suggestions and "destination_country" not in insight.suggestions
