"""The one rule every surface uses: owner, colleague, outsider and the other roles."""

import pytest
from django.http import Http404

from crm import access
from crm.models import Client, Lead, Order, Task
from messaging.models import Conversation, Message
from tests.crm.factories import ClientFactory, LeadFactory, OrderFactory, TaskFactory
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(agent, colleague):
    """One row of each kind owned by the agent, one by the colleague, one by nobody."""
    mine, theirs, free = (LeadFactory(assignee=agent), LeadFactory(assignee=colleague), LeadFactory(assignee=None))
    for lead in (mine, theirs, free):
        lead.client.owner = lead.assignee
        lead.client.save()
        OrderFactory(lead=lead)
        TaskFactory(lead=lead, assignee=lead.assignee)
        conversation = ConversationFactory(client=lead.client, lead=lead, assignee=lead.assignee)
        MessageFactory(conversation=conversation)
    return {"mine": mine, "theirs": theirs, "free": free}


def visible_client_ids(user, model, rows):
    field = {Lead: "client", Order: "client", Task: "client", Conversation: "client", Message: "conversation__client"}
    ids = access.visible_to(user, model.objects.all()).values_list(field.get(model, "pk"), flat=True)
    return set(ids)


@pytest.mark.parametrize("model", [Lead, Order, Task, Conversation, Message, Client])
def test_agent_sees_own_and_unassigned_rows_only(model, agent, colleague, rows):
    expected = {rows["mine"].client_id, rows["free"].client_id}
    assert visible_client_ids(agent, model, rows) == expected
    assert visible_client_ids(colleague, model, rows) == {rows["theirs"].client_id, rows["free"].client_id}


@pytest.mark.parametrize("model", [Lead, Order, Task, Conversation, Message, Client])
def test_outsider_sees_nothing(model, outsider, rows):
    assert not access.visible_to(outsider, model.objects.all()).exists()


@pytest.mark.parametrize("role", ["manager", "admin_user", "superuser", "accountant"])
def test_supervisors_and_accountants_see_everything(role, request, rows):
    user = request.getfixturevalue(role)
    assert access.visible_to(user, Lead.objects.all()).count() == 3
    assert access.visible_to(user, Order.objects.all()).count() == 3


def test_client_of_a_lead_assigned_to_the_agent_is_visible_even_if_owned_by_a_colleague(agent, colleague):
    client = ClientFactory(owner=colleague)
    LeadFactory(client=client, assignee=agent)
    assert access.visible_to(agent, Client.objects.all()).get() == client
    assert access.visible_to(agent, Client.objects.all()).count() == 1


def test_change_rights(agent, colleague, outsider, manager, accountant, rows):
    mine, theirs, free = rows["mine"], rows["theirs"], rows["free"]
    assert access.can_change(agent, mine) and access.can_change(agent, free)
    assert not access.can_change(agent, theirs)
    assert not access.can_change(outsider, mine)
    assert access.can_change(manager, theirs)
    assert not access.can_change(accountant, mine)
    assert access.can_view(accountant, mine)


def test_inactive_user_loses_every_right(agent, rows):
    agent.is_active = False
    agent.save()
    assert not access.visible_to(agent, Lead.objects.all()).exists()
    assert not access.can_change(agent, rows["mine"])


def test_get_visible_or_404_hides_a_colleagues_lead(agent, rows):
    assert access.get_visible_or_404(agent, Lead.objects.all(), pk=rows["mine"].pk) == rows["mine"]
    with pytest.raises(Http404):
        access.get_visible_or_404(agent, Lead.objects.all(), pk=rows["theirs"].pk)
    with pytest.raises(Http404):
        access.get_visible_or_404(agent, Lead.objects.all(), pk=999999)
