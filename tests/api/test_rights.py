"""The rights matrix through the API: for each resource, a row of the agent
(the owner) read and changed by the owner, a colleague, an outsider (logged in,
no role), a manager and an accountant — the same answers as the pages give."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from crm.models import Activity, ActivityKind, Client, Lead, Order, OrderStatus, Task
from tests.api.factories import OfferSnapshotFactory
from tests.crm.factories import ActivityFactory, ClientFactory, LeadFactory, OrderFactory, TaskFactory, default_stage
from tests.messaging.factories import ConversationFactory, MessageFactory

PEOPLE = ["agent", "colleague", "outsider", "manager", "accountant"]


@pytest.fixture
def owned(agent):
    """One row of each resource that belongs to the agent."""
    lead = LeadFactory(assignee=agent, client__owner=agent)
    return {
        "client": lead.client,
        "lead": lead,
        "order": OrderFactory(lead=lead, assignee=agent),
        "task": TaskFactory(lead=lead, assignee=agent),
        "note": ActivityFactory(lead=lead, author=agent),
        "offer": OfferSnapshotFactory(lead=lead),
        "conversation": ConversationFactory(client=lead.client, lead=lead, assignee=agent),
    }


READ = {  # resource -> list URL
    "client": "/api/v1/clients/",
    "lead": "/api/v1/leads/",
    "order": "/api/v1/orders/",
    "task": "/api/v1/tasks/",
    "note": "/api/v1/notes/",
    "offer": "/api/v1/offers/",
    "conversation": "/api/v1/conversations/",
}
# What each person gets when reading the agent's row: list shows it? detail status.
READ_ANSWERS = {
    "agent": (True, 200),
    "colleague": (False, 404),
    "outsider": (None, 403),
    "manager": (True, 200),
    "accountant": (True, 200),
}


@pytest.mark.parametrize("resource", sorted(READ))
@pytest.mark.parametrize("person", PEOPLE)
def test_reading_the_agents_row(api, request, owned, resource, person):
    client = api(request.getfixturevalue(person))
    row = owned[resource]
    listed, detail_status = READ_ANSWERS[person]
    answer = client.get(READ[resource])
    if listed is None:
        assert answer.status_code == 403
        assert answer.json()["detail"]
    else:
        assert answer.status_code == 200
        assert (row.pk in {item["id"] for item in answer.json()["results"]}) is listed
    assert client.get(f"{READ[resource]}{row.pk}/").status_code == detail_status


def test_nobody_logged_in_gets_403(api, owned):
    for url in [*READ.values(), "/api/v1/pipelines/", "/api/v1/stages/"]:
        answer = api().get(url)
        assert answer.status_code == 403, url
        assert answer.json()["detail"]


@pytest.mark.parametrize(("person", "expected"), [
    ("agent", 200), ("colleague", 200), ("outsider", 403), ("manager", 200), ("accountant", 200),
])
def test_pipelines_and_stages_are_read_by_everyone_who_works_leads(api, request, person, expected):
    client = api(request.getfixturevalue(person))
    pipelines = client.get("/api/v1/pipelines/")
    assert pipelines.status_code == expected
    assert client.get("/api/v1/stages/").status_code == expected
    if expected == 200:
        default = next(p for p in pipelines.json()["results"] if p["slug"] == "default")
        assert [stage["code"] for stage in default["stages"]][0] == "new"


CHANGE_ANSWERS = {"agent": 200, "colleague": 404, "outsider": 403, "manager": 200, "accountant": 403}


@pytest.mark.parametrize("person", PEOPLE)
def test_editing_the_travel_request(api, request, owned, person):
    lead = owned["lead"]
    answer = api(request.getfixturevalue(person)).patch(
        f"/api/v1/leads/{lead.pk}/", {"nights_from": 7, "nights_to": 9, "version": lead.version}, format="json")
    assert answer.status_code == CHANGE_ANSWERS[person], answer.content
    lead.refresh_from_db()
    assert (lead.nights_from == 7) is (CHANGE_ANSWERS[person] == 200)


@pytest.mark.parametrize("person", PEOPLE)
def test_moving_the_lead(api, request, owned, person):
    lead, stage = owned["lead"], default_stage("consultation")
    answer = api(request.getfixturevalue(person)).post(f"/api/v1/leads/{lead.pk}/move/", {"stage": stage.pk})
    assert answer.status_code == CHANGE_ANSWERS[person], answer.content
    lead.refresh_from_db()
    assert (lead.stage_id == stage.pk) is (CHANGE_ANSWERS[person] == 200)
    if CHANGE_ANSWERS[person] == 200:
        assert answer.json()["stage"]["code"] == "consultation"
        assert lead.stage_changes.filter(to_stage=stage).exists()


@pytest.mark.parametrize(("person", "expected"), [
    # The owner may not give their lead away; only a manager assigns.
    ("agent", 403), ("colleague", 404), ("outsider", 403), ("manager", 200), ("accountant", 403),
])
def test_assigning_the_lead(api, request, owned, colleague, person, expected):
    lead = owned["lead"]
    answer = api(request.getfixturevalue(person)).post(f"/api/v1/leads/{lead.pk}/assign/", {"assignee": colleague.pk})
    assert answer.status_code == expected, answer.content
    lead.refresh_from_db()
    assert (lead.assignee_id == colleague.pk) is (expected == 200)


@pytest.mark.parametrize("person", PEOPLE)
def test_confirming_the_order(api, request, owned, person):
    order = owned["order"]
    answer = api(request.getfixturevalue(person)).post(f"/api/v1/orders/{order.pk}/status/", {"status": "confirmed"})
    assert answer.status_code == CHANGE_ANSWERS[person], answer.content
    order.refresh_from_db()
    assert (order.status == OrderStatus.CONFIRMED) is (CHANGE_ANSWERS[person] == 200)


@pytest.mark.parametrize(("person", "expected"), [
    ("agent", 200), ("colleague", 404), ("outsider", 403), ("manager", 200), ("accountant", 200),
])
def test_recording_payment(api, request, owned, person, expected):
    order = owned["order"]
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CONFIRMED)
    answer = api(request.getfixturevalue(person)).post(f"/api/v1/orders/{order.pk}/status/", {"status": "paid"})
    assert answer.status_code == expected, answer.content
    if expected == 200:
        assert answer.json()["status"] == "paid"
        assert order.log.filter(to_status="paid").exists()


def test_accountant_sees_only_the_payment_step_as_allowed(api, accountant, manager, owned):
    order = owned["order"]
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CONFIRMED)
    assert api(accountant).get(f"/api/v1/orders/{order.pk}/").json()["allowed_statuses"] == ["paid"]
    assert api(manager).get(f"/api/v1/orders/{order.pk}/").json()["allowed_statuses"] == ["paid", "cancelled"]


@pytest.mark.parametrize("person", PEOPLE)
def test_completing_the_task(api, request, owned, person):
    task = owned["task"]
    answer = api(request.getfixturevalue(person)).post(f"/api/v1/tasks/{task.pk}/complete/")
    assert answer.status_code == CHANGE_ANSWERS[person], answer.content
    task.refresh_from_db()
    assert (task.done_at is not None) is (CHANGE_ANSWERS[person] == 200)


# Creating on the agent's lead: the colleague cannot even name it (a hidden lead is an unknown id).
CREATE_ON_LEAD = {"agent": 201, "colleague": 400, "outsider": 403, "manager": 201, "accountant": 403}


@pytest.mark.parametrize("person", PEOPLE)
def test_adding_a_note(api, request, owned, person):
    lead = owned["lead"]
    answer = api(request.getfixturevalue(person)).post("/api/v1/notes/", {"lead": lead.pk, "text": "Хочет у моря"})
    assert answer.status_code == CREATE_ON_LEAD[person], answer.content
    made = Activity.objects.filter(lead=lead, kind=ActivityKind.NOTE, text="Хочет у моря").exists()
    assert made is (CREATE_ON_LEAD[person] == 201)


@pytest.mark.parametrize("person", PEOPLE)
def test_adding_a_task(api, request, owned, person):
    lead = owned["lead"]
    due = (timezone.now() + dt.timedelta(days=1)).isoformat()
    answer = api(request.getfixturevalue(person)).post("/api/v1/tasks/", {"lead": lead.pk, "title": "Позвонить",
                                                                          "due_at": due})
    assert answer.status_code == CREATE_ON_LEAD[person], answer.content
    assert Task.objects.filter(lead=lead, title="Позвонить").exists() is (CREATE_ON_LEAD[person] == 201)


@pytest.mark.parametrize("person", PEOPLE)
def test_adding_an_order(api, request, owned, person):
    lead = owned["lead"]
    start = timezone.localdate() + dt.timedelta(days=30)
    answer = api(request.getfixturevalue(person)).post("/api/v1/orders/", {
        "lead": lead.pk, "hotel": "Amiana Resort", "date_from": start.isoformat(),
        "date_to": (start + dt.timedelta(days=7)).isoformat(), "nights": 7, "price": "2100000",
    }, format="json")
    assert answer.status_code == CREATE_ON_LEAD[person], answer.content
    made = Order.objects.filter(lead=lead, hotel="Amiana Resort").first()
    assert (made is not None) is (CREATE_ON_LEAD[person] == 201)
    if made:
        assert made.status == OrderStatus.NEW and made.price_kzt == 2100000 and made.assignee_id == lead.assignee_id


@pytest.mark.parametrize("person", PEOPLE)
def test_booking_the_offer(api, request, owned, person):
    offer = owned["offer"]
    answer = api(request.getfixturevalue(person)).post(f"/api/v1/offers/{offer.pk}/book/")
    expected = {**CHANGE_ANSWERS, "agent": 201, "manager": 201}[person]
    assert answer.status_code == expected, answer.content
    offer.refresh_from_db()
    assert (offer.order_id is not None) is (expected == 201)
    if expected == 201:
        assert answer.json()["id"] == offer.order_id
        again = api(request.getfixturevalue(person)).post(f"/api/v1/offers/{offer.pk}/book/")
        assert again.status_code == 200 and again.json()["id"] == offer.order_id


@pytest.mark.parametrize(("person", "expected"), [
    ("agent", 201), ("colleague", 201), ("outsider", 403), ("manager", 201), ("accountant", 403),
])
def test_creating_a_lead_for_a_new_client(api, request, person, expected):
    user = request.getfixturevalue(person)
    answer = api(user).post("/api/v1/leads/", {
        "full_name": "Ерлан Жумабаев", "phone": "8 701 555 12 34", "destination_resort": "Фукуок", "adults": 2,
    }, format="json")
    assert answer.status_code == expected, answer.content
    if expected == 201:
        lead = Lead.objects.get(pk=answer.json()["id"])
        assert str(lead.client.phone) == "+77015551234"
        assert lead.stage.code == "new"
        # An agent who creates a lead takes it, as on the board.
        assert lead.assignee_id == (user.pk if person in ("agent", "colleague") else None)


def test_a_lead_for_a_colleagues_client_names_it_by_phone_not_by_id(api, agent, colleague):
    theirs = ClientFactory(owner=colleague)
    LeadFactory(client=theirs, assignee=colleague)
    by_id = api(agent).post("/api/v1/leads/", {"client": theirs.pk}, format="json")
    assert by_id.status_code == 400 and "client" in by_id.json()


@pytest.mark.parametrize(("person", "expected"), [
    ("agent", 201), ("colleague", 201), ("outsider", 403), ("manager", 201), ("accountant", 403),
])
def test_creating_a_client(api, request, person, expected):
    answer = api(request.getfixturevalue(person)).post(
        "/api/v1/clients/", {"full_name": "Мадина Ахметова", "email": "Madina@Example.kz"})
    assert answer.status_code == expected, answer.content
    if expected == 201:
        assert Client.objects.get(pk=answer.json()["id"]).email == "madina@example.kz"


def test_creating_a_client_that_exists_finds_it_or_says_it_is_a_colleagues(api, agent, colleague):
    mine = ClientFactory(owner=agent, email="known@example.kz")
    found = api(agent).post("/api/v1/clients/", {"full_name": "Другое имя", "email": "KNOWN@example.kz"})
    assert found.status_code == 200 and found.json()["id"] == mine.pk
    refused = api(colleague).post("/api/v1/clients/", {"full_name": "Другое имя", "email": "known@example.kz"})
    assert refused.status_code == 409
    assert str(mine.pk) not in refused.content.decode()


def test_a_personal_token_works_until_it_is_revoked(agent, owned):
    token_row, token = AuthToken.objects.create(user=agent, expiry=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"/api/v1/leads/{owned['lead'].pk}/").status_code == 200
    # The token is stored hashed: the database never holds it whole.
    assert token not in {token_row.digest, token_row.token_key}
    token_row.delete()
    assert client.get(f"/api/v1/leads/{owned['lead'].pk}/").status_code == 403


def test_an_inactive_persons_token_stops_working(agent, owned):
    _row, token = AuthToken.objects.create(user=agent, expiry=None)
    agent.is_active = False
    agent.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/leads/").status_code == 403


@pytest.mark.parametrize("person", PEOPLE)
def test_reading_the_agents_thread(api, request, owned, person):
    conversation = owned["conversation"]
    MessageFactory(conversation=conversation, text="Нужен тур на двоих")
    answer = api(request.getfixturevalue(person)).get(f"/api/v1/conversations/{conversation.pk}/messages")
    assert answer.status_code == READ_ANSWERS[person][1]
    if answer.status_code == 200:
        assert [message["text"] for message in answer.json()] == ["Нужен тур на двоих"]


def test_an_admin_issues_a_token_in_the_admin_and_revokes_it(client, admin_user, agent):
    client.force_login(admin_user)
    added = client.post("/admin/knox/authtoken/add/", {"user": agent.pk, "expiry_0": "", "expiry_1": ""}, follow=True)
    assert added.status_code == 200
    token = AuthToken.objects.get(user=agent)
    shown = re.search(r"TOKEN ([0-9a-f]{64})", added.content.decode()).group(1)
    api_client = APIClient()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {shown}")
    assert api_client.get("/api/v1/leads/").status_code == 200
    # The list shows the token's hash, never the token.
    assert shown not in client.get("/admin/knox/authtoken/").content.decode()
    client.post(f"/admin/knox/authtoken/{token.pk}/delete/", {"post": "yes"})
    assert api_client.get("/api/v1/leads/").status_code == 403


def test_an_agent_cannot_issue_tokens(client, agent):
    client.force_login(agent)
    assert client.get("/admin/knox/authtoken/add/").status_code == 403
