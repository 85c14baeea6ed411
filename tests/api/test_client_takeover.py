"""Creating or importing a lead never widens what a person may see (issue 18.1).

A colleague's client named by its phone or e-mail is refused on every surface
with the answer ``/api/v1/clients/`` gives (409, nothing about the client), so
no lead of the client lands on the agent — the lead that would make the client
the agent's (``crm.access``). The owner and managers go on as before; the
system's own intakes attach to any client.
"""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from crm import services
from crm.models import Client, Lead, Pipeline
from tests.api.test_import_export import preview_then_confirm
from tests.api.test_intake import form, post
from tests.crm.factories import ClientFactory, LeadFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
RU = {"Accept-Language": "ru"}
PHONE = "+77052719384"
EMAIL = "asel.k@mail.kz"
TAKEN_RU = "ведётся другим менеджером. Обратитесь к руководителю."


@pytest.fixture
def theirs(agent):
    """The owner ``agent``'s client with its lead, messenger ids and notes."""
    owned = ClientFactory(full_name="Асель Каримова", phone=PHONE, email=EMAIL, owner=agent, telegram_id=730011,
                          notes="Любит Нячанг, бюджет до 1.5 млн")
    LeadFactory(client=owned, assignee=agent)
    return owned


def nothing_about(body: str, client: Client) -> None:
    for secret in (client.full_name, "Каримова", str(client.telegram_id), client.notes):
        assert secret not in body


def still_hidden_from(colleague, client: Client, api) -> None:
    """After the refused attempts the colleague still cannot read the client."""
    assert api(colleague).get(f"/api/v1/clients/{client.pk}/").status_code == 404
    assert not Lead.objects.filter(client=client, assignee=colleague).exists()
    assert Lead.objects.filter(client=client).count() == 1
    client.refresh_from_db()
    assert client.owner is not None and client.owner.username == "aigerim"


# --- API: POST /api/v1/leads/ --------------------------------------------------------------------


@pytest.mark.parametrize("contact", [{"phone": "8 705 271 93 84"}, {"email": "Asel.K@Mail.kz"}])
def test_api_lead_for_a_colleagues_client_is_a_409_that_names_nobody(api, agent, colleague, theirs, contact):
    answer = api(colleague).post("/api/v1/leads/", {"full_name": "whatever", **contact}, format="json",
                                 HTTP_ACCEPT_LANGUAGE="ru")
    assert answer.status_code == 409, answer.content
    assert TAKEN_RU in answer.content.decode()
    nothing_about(answer.content.decode(), theirs)
    assert str(theirs.pk) not in answer.content.decode()
    still_hidden_from(colleague, theirs, api)


@pytest.mark.parametrize("person", ["agent", "manager"])
def test_api_lead_by_phone_for_the_owner_and_a_manager_lands_on_the_client(api, request, theirs, person):
    user = request.getfixturevalue(person)
    answer = api(user).post("/api/v1/leads/", {"full_name": "whatever", "phone": PHONE}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["client"]["id"] == theirs.pk
    assert Lead.objects.filter(client=theirs).count() == 2


def test_api_lead_is_refused_to_an_outsider(api, outsider, theirs):
    assert api(outsider).post("/api/v1/leads/", {"full_name": "x", "phone": PHONE}, format="json").status_code == 403
    assert Lead.objects.filter(client=theirs).count() == 1


def test_api_client_create_answers_the_same_409(api, agent, colleague, theirs):
    answer = api(colleague).post("/api/v1/clients/", {"full_name": "whatever", "phone": PHONE},
                                 HTTP_ACCEPT_LANGUAGE="ru")
    assert answer.status_code == 409 and TAKEN_RU in answer.content.decode()
    nothing_about(answer.content.decode(), theirs)


# --- The board's quick create (page) ---------------------------------------------------------------


def quick(page, **fields):
    data = {"token": str(uuid.uuid4()), "adults": 2, "children": 0, "destination_country": "Вьетнам",
            "full_name": "whatever", **fields}
    return page.post("/leads/new/", data, headers={**HTMX, **RU})


@pytest.mark.parametrize("contact", [{"phone": "8 (705) 271-93-84"}, {"email": EMAIL.upper()}])
def test_quick_create_for_a_colleagues_client_is_refused_with_the_form(client, api, agent, colleague, theirs,
                                                                       contact):
    client.force_login(colleague)
    response = quick(client, **contact)
    assert response.status_code == 409
    body = response.content.decode()
    assert TAKEN_RU in body and 'name="token"' in body
    nothing_about(body, theirs)
    # Without htmx too: the page comes back with the message.
    plain = client.post("/leads/new/", {"token": str(uuid.uuid4()), "adults": 2, "children": 0, **contact,
                                        "full_name": "x"}, headers=RU)
    assert plain.status_code == 409 and TAKEN_RU in plain.content.decode()
    still_hidden_from(colleague, theirs, api)


def test_quick_create_for_a_colleagues_client_chosen_by_id_is_404(client, api, agent, colleague, theirs):
    client.force_login(colleague)
    assert quick(client, client=theirs.pk).status_code == 404
    still_hidden_from(colleague, theirs, api)


@pytest.mark.parametrize("person", ["agent", "manager"])
def test_quick_create_by_phone_for_the_owner_and_a_manager(client, request, theirs, person):
    client.force_login(request.getfixturevalue(person))
    response = quick(client, phone=PHONE)
    assert response.status_code == 200 and "crm:modal-close" in response["HX-Trigger"]
    assert Lead.objects.filter(client=theirs).count() == 2


def test_quick_create_is_refused_to_an_outsider(client, outsider, theirs):
    client.force_login(outsider)
    assert quick(client, phone=PHONE).status_code == 403


# --- The client look-up of the quick-create form ----------------------------------------------------


@pytest.mark.parametrize("query", ["phone=8 705 271 93 84", f"email={EMAIL.upper()}"])
def test_look_up_names_a_client_only_to_those_who_may_see_it(client, agent, colleague, manager, outsider, theirs,
                                                             query):
    url = f"/leads/new/client/?{query}&full_name=whatever"
    for person in (agent, manager):
        client.force_login(person)
        found = client.get(url, headers={**HTMX, **RU})
        assert found.status_code == 200 and theirs.full_name in found.content.decode()
        assert f'name="client" value="{theirs.pk}"' in found.content.decode()
    client.force_login(colleague)
    refused = client.get(url, headers={**HTMX, **RU})
    assert refused.status_code == 409 and TAKEN_RU in refused.content.decode()
    nothing_about(refused.content.decode(), theirs)
    assert str(theirs.pk) not in refused.content.decode()
    client.force_login(outsider)
    assert client.get(url, headers=HTMX).status_code == 403


# --- CSV import in the admin ------------------------------------------------------------------------


def import_leads(client, csv_text: str):
    return client.post("/admin/crm/lead/import/", {
        "format": "0", "import_file": SimpleUploadedFile("leads.csv", csv_text.encode())})


def test_import_is_for_managers_who_may_add_a_lead_to_any_client(client, api, agent, colleague, outsider, manager,
                                                                 theirs):
    csv_text = f"client_name,client_phone,destination_resort\nwhatever,{PHONE},Нячанг\n"
    for person in (colleague, outsider):
        client.force_login(person)
        assert import_leads(client, csv_text).status_code in (302, 403)
    still_hidden_from(colleague, theirs, api)

    client.force_login(manager)
    _html, _fields, confirm = preview_then_confirm(client, "lead", csv_text)
    confirm()
    assert Lead.objects.filter(client=theirs).count() == 2


# --- The one rule, for the surfaces that name a client by choice (tour search, admin) ---------------


def test_the_service_refuses_a_lead_an_agent_could_not_see_and_lets_the_system_make_it(agent, colleague, manager,
                                                                                        theirs):
    pipeline = Pipeline.objects.get(is_default=True)
    with pytest.raises(ValidationError) as refused:
        services.lead_create(lead=Lead(client=theirs, pipeline=pipeline), user=colleague)
    assert refused.value.code == services.CLIENT_TAKEN
    assert theirs.full_name not in " ".join(refused.value.messages)
    with pytest.raises(ValidationError):
        services.lead_quick_create(lead=Lead(pipeline=pipeline), user=colleague, full_name="x", phone=PHONE)
    assert Lead.objects.filter(client=theirs).count() == 1

    services.lead_create(lead=Lead(client=theirs, pipeline=pipeline), user=manager)
    services.lead_create(lead=Lead(client=theirs, pipeline=pipeline), user=None)  # a webhook, the booking form
    assert Lead.objects.filter(client=theirs).count() == 3


def test_the_public_booking_form_still_attaches_to_a_colleagues_client(api, agent, theirs):
    answer = post(api(), form(phone=PHONE, email=""))
    assert answer.status_code == 201, answer.content
    assert Lead.objects.get(pk=answer.json()["lead_id"]).client == theirs
