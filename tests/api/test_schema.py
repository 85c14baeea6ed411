"""The OpenAPI schema: valid, complete, its docs served from our own static files,
and — Schemathesis against a real gunicorn — no answer is a 5xx and every
answer matches what the schema says (status, content type, headers, body)."""

import time

import pytest
import requests
import schemathesis
from django.test import Client as DjangoClient
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase, given, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from integrations.samo.fake import DEFAULT_TOKEN
from tests.api.factories import OfferSnapshotFactory
from tests.crm.factories import ActivityFactory, LeadFactory, OrderFactory, TaskFactory, UserFactory
from tests.messaging.factories import ConversationFactory, MessageFactory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Examples per operation: the whole run stays around a minute on two shared cores.
MAX_EXAMPLES = 30
RUN_SECONDS_LIMIT = 150


def test_the_schema_is_valid_and_lists_every_resource():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = set(schema["paths"])
    for path in (
        "/api/v1/clients/", "/api/v1/leads/", "/api/v1/leads/{id}/move/", "/api/v1/leads/{id}/assign/",
        "/api/v1/pipelines/", "/api/v1/stages/", "/api/v1/orders/", "/api/v1/orders/{id}/status/",
        "/api/v1/conversations/", "/api/v1/conversations/{id}/messages", "/api/v1/tasks/",
        "/api/v1/tasks/{id}/complete/", "/api/v1/notes/", "/api/v1/offers/", "/api/v1/offers/{id}/book/",
        "/api/v1/tours/search/", "/api/v1/analytics/summary/", "/api/public/v1/leads",
    ):
        assert path in paths, path
    intake = schema["paths"]["/api/public/v1/leads"]["post"]
    assert set(intake["responses"]) == {"201", "400", "409", "429", "503"}
    assert "Retry-After" in intake["responses"]["429"]["headers"]


def test_the_docs_are_served_from_local_static_files(db):
    page = DjangoClient().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert DjangoClient().get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200
    assert DjangoClient().get("/api/schema/").status_code == 200


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_answer_unlike_the_schema(subprocess_database_url, gunicorn,
                                                                           fake_samo):
    manager = UserFactory(username="schema-manager", role="manager")
    agent = UserFactory(username="schema-agent", role="agent")
    for assignee in (agent, None):
        lead = LeadFactory(assignee=assignee)
        OrderFactory(lead=lead, assignee=assignee)
        TaskFactory(lead=lead, assignee=assignee or agent)
        ActivityFactory(lead=lead, author=agent)
        OfferSnapshotFactory(lead=lead)
        MessageFactory(conversation=ConversationFactory(client=lead.client, lead=lead, assignee=assignee))
    tokens = {person.username: AuthToken.objects.create(user=person, expiry=None)[1] for person in (manager, agent)}
    base_url = gunicorn({
        "DATABASE_URL": subprocess_database_url,
        "API_USER_RATE_LIMIT": "100000/m",
        "PUBLIC_INTAKE_RATE_LIMIT": "100000/m",
        "SAMO_API_URL": fake_samo.url,
        "SAMO_OAUTH_TOKEN": DEFAULT_TOKEN,
    })
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/")
    session = requests.Session()
    failures, calls = [], {"count": 0}
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        for username, token in tokens.items():

            @given(case=operation.as_strategy())
            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def run(case):
                calls["count"] += 1
                case.call_and_validate(base_url=base_url, session=session, checks=CHECKS,
                                       headers={"Authorization": f"Token {token}"})  # noqa: B023 (used at once)

            try:
                run()
            except Exception as exc:  # every operation is tried; all failures are reported together
                failures.append(f"{operation.label} as {username}: {exc}")
    elapsed = time.monotonic() - started
    print(f"schemathesis: {calls['count']} calls in {elapsed:.0f} s")
    assert not failures, "\n\n".join(failures)
    assert calls["count"] > 100
    assert elapsed < RUN_SECONDS_LIMIT


def test_unknown_api_addresses_answer_json(api, manager):
    client = api(manager)
    missing = client.get("/api/v1/no-such-thing/")
    assert missing.status_code == 404 and missing.json()["detail"]
    assert client.get("/api/v1/conversations/-5/messages").json()["detail"]
    assert client.get("/api/v1/leads").status_code == 301
    assert client.post("/api/v1/conversations/-5/messages", {"text": "x"}).status_code == 404
