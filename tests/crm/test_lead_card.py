"""The lead card and its fragments, quick create, and My day, through the pages:
owner, colleague, outsider and the other roles for every endpoint; validation
and double submits."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from django.utils.html import escape

from crm.models import Activity, Client, Lead, Order, Task
from tests.crm.factories import ActivityFactory, ClientFactory, LeadFactory, TagFactory, TaskFactory, default_stage

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def lead(agent):
    return LeadFactory(assignee=agent)


def endpoints(lead):
    """Every lead-card endpoint with a valid request for it."""
    return [
        ("get", f"/leads/{lead.pk}/", {}),
        ("get", f"/leads/{lead.pk}/timeline/", {}),
        ("get", f"/leads/{lead.pk}/travel/?edit=1", {}),
        ("post", f"/leads/{lead.pk}/travel/", {"version": lead.version, "adults": 3, "children": 0}),
        ("get", f"/leads/{lead.pk}/tags/?edit=1", {}),
        ("post", f"/leads/{lead.pk}/tags/", {"new_tag": "VIP"}),
        ("post", f"/leads/{lead.pk}/notes/", {"text": "Заметка", "token": str(uuid.uuid4())}),
        ("post", f"/leads/{lead.pk}/tasks/", {"title": "Позвонить", "due_at": "2030-01-10T10:00",
                                              "token": str(uuid.uuid4())}),
        ("post", f"/leads/{lead.pk}/orders/", {"operator": "ANEX", "hotel": "Vinpearl", "date_from": "2030-01-10",
                                               "date_to": "2030-01-20", "nights": 10, "adults": 2, "children": 0,
                                               "price": "1500000", "currency": "KZT", "token": str(uuid.uuid4())}),
        ("post", f"/leads/{lead.pk}/assign/", {"take": "1"}),
    ]


def test_colleague_and_outsider_get_404_on_every_endpoint_and_change_nothing(client, colleague, outsider, lead):
    for person in (colleague, outsider):
        client.force_login(person)
        for method, url, data in endpoints(lead):
            response = getattr(client, method)(url, data, headers=HTMX)
            assert response.status_code == 404, (person, url)
    lead.refresh_from_db()
    assert lead.version == 1 and lead.adults == 2
    assert not Activity.objects.filter(lead=lead).exists()
    assert not Task.objects.exists() and not Order.objects.exists()


def test_accountant_reads_the_card_but_every_change_is_refused(client, accountant, lead):
    client.force_login(accountant)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'id="note-form"' not in page and f"leads/{lead.pk}/move/" not in page
    for method, url, data in endpoints(lead)[3:]:
        response = getattr(client, method)(url, data, headers=HTMX)
        assert response.status_code in (403, 200), url
        if response.status_code == 200:  # a read (the travel form is simply not offered)
            assert "<form" not in response.content.decode()
    lead.refresh_from_db()
    assert lead.version == 1 and not Activity.objects.filter(lead=lead).exists() and not Order.objects.exists()


def test_owner_and_manager_open_the_card_with_the_clients_journey_newest_first(client, agent, manager, lead):
    older = ActivityFactory(lead=lead, text="Первое сообщение", kind="message",
                            created_at=timezone.now() - dt.timedelta(days=2))
    newer = ActivityFactory(lead=lead, text="Заметка агента", created_at=timezone.now() - dt.timedelta(days=1))
    other_lead = LeadFactory(client=lead.client, assignee=agent)
    ActivityFactory(lead=other_lead, text="Прошлая поездка", created_at=timezone.now() - dt.timedelta(days=400))
    for person in (agent, manager):
        client.force_login(person)
        content = client.get(f"/leads/{lead.pk}/").content.decode()
        assert content.index(newer.text) < content.index(older.text) < content.index("Прошлая поездка")
        assert f"/leads/{other_lead.pk}/" in content


def test_timeline_is_paged(client, agent, lead):
    start = timezone.now() - dt.timedelta(days=30)
    for number in range(45):
        ActivityFactory(lead=lead, text=f"Запись {number:02d}", created_at=start + dt.timedelta(hours=number))
    client.force_login(agent)
    first = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Запись 44" in first and "Запись 25" in first and "Запись 24" not in first
    cursor = first.split(f"/leads/{lead.pk}/timeline/?before=")[1].split('"')[0]
    second = client.get(f"/leads/{lead.pk}/timeline/?before={cursor}", headers=HTMX).content.decode()
    assert "Запись 24" in second and "Запись 05" in second and "Запись 04" not in second and "Запись 25" not in second


@pytest.mark.parametrize("cursor", [
    "9999-12-31T23:59:59.999999-23:59|1", "0001-01-01T00:00:00%2B23:59|1", "0001-01-01T00:00:00|1",
    "9000-01-01T00:00:00%2B05:00|" + "9" * 30, "nonsense", "%00|1",
])
def test_a_timeline_cursor_out_of_range_shows_the_first_page_not_a_server_error(client, agent, lead, cursor):
    """The cursor's offset or year beyond what PostgreSQL holds was a 500."""
    ActivityFactory(lead=lead, text="Запись")
    client.force_login(agent)
    older = client.get(f"/leads/{lead.pk}/timeline/?before={cursor}", headers=HTMX)
    card = client.get(f"/leads/{lead.pk}/?before={cursor}")
    assert older.status_code == card.status_code == 200
    assert "Запись" in older.content.decode() and "Запись" in card.content.decode()


def test_travel_fields_are_validated_and_saved_with_the_version(client, agent, lead):
    client.force_login(agent)
    bad = client.post(f"/leads/{lead.pk}/travel/", {
        "version": 1, "adults": 2, "children": 2, "children_ages": "5", "date_from": "2030-02-10",
        "date_to": "2030-02-01", "budget": "-1", "nights_from": 12, "nights_to": 7,
    }, headers={**HTMX, **EN})
    assert bad.status_code == 200
    content = bad.content.decode()
    for message in ("The latest departure is before the earliest.", "The most nights are fewer than the fewest.",
                    "Give one age per child (2).", "The budget cannot be negative."):
        assert message in content
    lead.refresh_from_db()
    assert lead.version == 1

    good = client.post(f"/leads/{lead.pk}/travel/", {
        "version": 1, "adults": 2, "children": 2, "children_ages": "5, 9", "destination_resort": "Фукуок",
        "budget": "2500000", "budget_currency": "KZT",
    }, headers=HTMX)
    assert good.status_code == 200 and "Фукуок" in good.content.decode()
    lead.refresh_from_db()
    assert (lead.destination_resort, lead.children_ages, lead.version) == ("Фукуок", [5, 9], 2)
    assert Activity.objects.filter(lead=lead, kind="system", data__fields__contains=["destination_resort"]).exists()

    stale = client.post(f"/leads/{lead.pk}/travel/", {"version": 1, "adults": 4, "children": 0, "budget_currency": "KZT"},
                        headers={**HTMX, **EN})
    assert "Someone else has changed this lead meanwhile" in stale.content.decode()
    lead.refresh_from_db()
    assert lead.adults == 2


def test_a_note_sent_twice_is_stored_once(client, agent, lead):
    client.force_login(agent)
    data = {"text": "Хотят отель с аквапарком", "token": str(uuid.uuid4())}
    first = client.post(f"/leads/{lead.pk}/notes/", data, headers=HTMX)
    second = client.post(f"/leads/{lead.pk}/notes/", data, headers=HTMX)
    assert first.status_code == second.status_code == 200
    assert Activity.objects.filter(lead=lead, kind="note").count() == 1
    assert "Хотят отель с аквапарком" in first.content.decode()
    empty = client.post(f"/leads/{lead.pk}/notes/", {"text": " ", "token": str(uuid.uuid4())}, headers={**HTMX, **EN})
    assert "Write the note first." in empty.content.decode()
    assert Activity.objects.filter(lead=lead, kind="note").count() == 1


def test_tasks_and_orders_are_added_once_from_the_card(client, agent, lead):
    client.force_login(agent)
    task = {"title": "Отправить подборку", "due_at": "2030-01-10T10:00", "token": str(uuid.uuid4())}
    for _ in range(2):
        assert client.post(f"/leads/{lead.pk}/tasks/", task, headers=HTMX).status_code == 200
    created = Task.objects.get()
    assert (created.lead, created.client, created.assignee) == (lead, lead.client, agent)
    order = {"operator": "ANEX Tour", "hotel": "Vinpearl", "date_from": "2030-01-10", "date_to": "2030-01-20",
             "nights": 10, "adults": 2, "children": 0, "price": "1000", "currency": "USD", "exchange_rate": "520",
             "token": str(uuid.uuid4())}
    for _ in range(2):
        assert client.post(f"/leads/{lead.pk}/orders/", order, headers=HTMX).status_code == 200
    booked = Order.objects.get()
    assert (booked.lead, booked.price_kzt, booked.status, booked.assignee) == (lead, 520000, "new", agent)
    no_rate = client.post(f"/leads/{lead.pk}/orders/", {**order, "exchange_rate": "", "token": str(uuid.uuid4())},
                          headers={**HTMX, **EN})
    assert "Give the rate to tenge" in no_rate.content.decode() and Order.objects.count() == 1


def test_an_agent_takes_a_free_lead_and_a_manager_reassigns(client, agent, colleague, manager):
    free = LeadFactory(assignee=None)
    client.force_login(agent)
    assert client.post(f"/leads/{free.pk}/assign/", {"take": "1"}, headers=HTMX).status_code == 200
    free.refresh_from_db()
    assert free.assignee == agent
    assert client.post(f"/leads/{free.pk}/assign/", {"assignee": colleague.pk}, headers=HTMX).status_code == 403
    client.force_login(manager)
    assert client.post(f"/leads/{free.pk}/assign/", {"assignee": colleague.pk}, headers=HTMX).status_code == 200
    free.refresh_from_db()
    assert free.assignee == colleague


def test_tags_are_chosen_and_created(client, agent, lead):
    existing = TagFactory(name="Семья с детьми")
    client.force_login(agent)
    response = client.post(f"/leads/{lead.pk}/tags/", {"tags": [existing.pk], "new_tag": " Новый  год "}, headers=HTMX)
    assert response.status_code == 200
    assert sorted(lead.tags.values_list("name", flat=True)) == ["Новый год", "Семья с детьми"]


# --- Quick create ------------------------------------------------------------------------


def quick(client, **fields):
    data = {"token": str(uuid.uuid4()), "adults": 2, "children": 0, "destination_country": "Вьетнам", **fields}
    return client.post("/leads/new/", data, headers={**HTMX, **EN})


def test_quick_create_finds_the_client_by_a_normalised_phone(client, agent):
    existing = ClientFactory(phone="+77011234567", owner=None)
    client.force_login(agent)
    lookup = client.get("/leads/new/client/?phone=8 (701) 123-45-67", headers=HTMX).content.decode()
    assert existing.full_name in lookup
    response = quick(client, phone="8 701 123 45 67", destination_resort="Нячанг")
    assert response.status_code == 200 and "crm:modal-close" in response["HX-Trigger"]
    lead = Lead.objects.get()
    assert (lead.client, lead.stage, lead.assignee) == (existing, default_stage("new"), agent)
    assert Client.objects.count() == 1
    assert f'data-lead-id="{lead.pk}"' in response.content.decode()


def test_quick_create_makes_a_new_client_once_on_double_submit(client, agent):
    client.force_login(agent)
    token = str(uuid.uuid4())
    for _ in range(2):
        quick(client, token=token, phone="+7 777 000 11 22", full_name="Жансая Омарова", email="Zh@Example.com")
    assert Lead.objects.count() == 1 and Client.objects.count() == 1
    new = Client.objects.get()
    assert (str(new.phone), new.email, new.owner) == ("+77770001122", "zh@example.com", agent)


def test_quick_create_refuses_bad_input_with_clear_messages(client, agent):
    client.force_login(agent)
    for fields, message in [
        ({}, "Give the client's phone or e-mail"),
        ({"phone": "12"}, "phone number"),
        ({"phone": "+77770001122"}, "Give the new client's name."),
        ({"phone": "+77770001122", "full_name": "А", "adults": 0}, "greater than or equal to 1"),
    ]:
        response = quick(client, **fields)
        assert response.status_code == 200 and escape(message) in response.content.decode(), message
    assert not Lead.objects.exists() and not Client.objects.exists()


def test_quick_create_is_refused_to_accountants_and_outsiders(client, accountant, outsider):
    for person in (accountant, outsider):
        client.force_login(person)
        assert quick(client, phone="+77770001122", full_name="Тест").status_code == 403
    assert not Lead.objects.exists()


def test_a_manager_creates_with_round_robin_when_it_is_on(client, settings, manager, agent, colleague):
    settings.LEADS_ROUND_ROBIN = True
    client.force_login(manager)
    for number in range(4):
        quick(client, phone=f"+7777000{number:04d}", full_name=f"Клиент {number}")
    assignees = list(Lead.objects.order_by("pk").values_list("assignee", flat=True))
    first, second = sorted([agent.pk, colleague.pk])
    assert assignees == [first, second, first, second]


# --- My day --------------------------------------------------------------------------------


def test_my_day_shows_only_my_tasks_grouped(client, agent, colleague):
    now = timezone.now()
    overdue = TaskFactory(lead=LeadFactory(assignee=agent), assignee=agent, title="Просрочено", due_at=now - dt.timedelta(hours=1))
    later = TaskFactory(lead=LeadFactory(assignee=agent), assignee=agent, title="Потом", due_at=now + dt.timedelta(days=5))
    TaskFactory(lead=LeadFactory(assignee=colleague), assignee=colleague, title="Чужая")
    client.force_login(agent)
    content = client.get("/my-day/").content.decode()
    assert overdue.title in content and later.title in content and "Чужая" not in content
    assert content.index('id="tasks-overdue"') < content.index(overdue.title) < content.index('id="tasks-today"')


def test_task_done_rights(client, agent, colleague, outsider, accountant):
    task = TaskFactory(lead=LeadFactory(assignee=agent), assignee=agent)
    client.force_login(colleague)
    assert client.post(f"/my-day/tasks/{task.pk}/done/", headers=HTMX).status_code == 404
    client.force_login(outsider)
    assert client.post(f"/my-day/tasks/{task.pk}/done/", headers=HTMX).status_code == 404
    client.force_login(accountant)
    assert client.post(f"/my-day/tasks/{task.pk}/done/", headers=HTMX).status_code == 403
    task.refresh_from_db()
    assert task.done_at is None
    client.force_login(agent)
    assert client.post(f"/my-day/tasks/{task.pk}/done/", headers=HTMX).status_code == 200
    task.refresh_from_db()
    assert task.done_at is not None
    assert Activity.objects.filter(kind="task", text__contains=task.title).exists()


def test_my_day_is_refused_to_outsiders(client, outsider):
    client.force_login(outsider)
    assert client.get("/my-day/").status_code == 403
