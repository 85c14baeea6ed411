"""Every list of the API reads a fixed number of queries, however many rows the
page holds (related rows joined or prefetched once, never per row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from crm.api.leads import LeadSerializer
from crm.models import Lead
from tests.api.factories import OfferSnapshotFactory
from tests.crm.factories import ActivityFactory, LeadFactory, OrderFactory, TagFactory, TaskFactory
from tests.messaging.factories import ConversationFactory

LISTS = ["/api/v1/clients/", "/api/v1/leads/", "/api/v1/orders/", "/api/v1/tasks/", "/api/v1/notes/",
         "/api/v1/offers/", "/api/v1/conversations/", "/api/v1/pipelines/", "/api/v1/stages/"]


def add_rows(count: int, *, agent) -> None:
    tags = [TagFactory(), TagFactory()]
    for number in range(count):
        lead = LeadFactory(assignee=agent if number % 2 else None, client__owner=agent)
        lead.tags.set(tags)
        lead.client.tags.set(tags)
        OrderFactory(lead=lead, assignee=lead.assignee)
        TaskFactory(lead=lead, assignee=agent)
        ActivityFactory(lead=lead, author=agent)
        OfferSnapshotFactory(lead=lead)
        ConversationFactory(client=lead.client, lead=lead, assignee=lead.assignee)


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(url)
    assert answer.status_code == 200, answer.content
    return len(captured)


@pytest.mark.parametrize("person", ["agent", "manager", "accountant"])
def test_list_queries_do_not_grow_with_the_rows(api, request, agent, person):
    client = api(request.getfixturevalue(person))
    add_rows(2, agent=agent)
    few = {url: queries(client, url) for url in LISTS}
    add_rows(12, agent=agent)
    many = {url: queries(client, url) for url in LISTS}
    assert many == few
    # The lead list — a page of leads with their client, stage, agent and tags — stays small.
    assert few["/api/v1/leads/"] <= 8


def test_a_page_of_fifty_leads(api, manager, agent):
    add_rows(3, agent=agent)
    LeadFactory.create_batch(60)
    answer = api(manager).get("/api/v1/leads/", {"page_size": 50})
    body = answer.json()
    assert body["count"] == 63 and len(body["results"]) == 50 and body["next"]
    assert {"id", "full_name", "phone", "email"} <= set(body["results"][0]["client"])


def test_lead_rows_written_by_hand_match_the_declared_fields(agent):
    full = LeadFactory(assignee=agent, hotel_stars=4, meal_plan="AI", children=1, children_ages=[6])
    full.tags.set([TagFactory(name="VIP"), TagFactory(name="семья")])
    Lead.objects.filter(pk=full.pk).update(sla_due_at=timezone.now(), ai_score=80)
    LeadFactory(assignee=None, budget=None, date_from=None, date_to=None, nights_from=None, nights_to=None,
                client__phone=None)
    for lead in Lead.objects.select_related("client", "stage", "assignee").prefetch_related("tags"):
        serializer = LeadSerializer(lead)
        assert serializer.data == serializers.Serializer.to_representation(serializer, lead)
