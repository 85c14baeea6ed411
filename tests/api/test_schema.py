"""The OpenAPI schema: valid, complete, its docs served from our own static files
to people who are signed in, and — Schemathesis against a real gunicorn — no
answer is a 5xx and every answer matches what the schema says (status, content
type, headers, body), for valid input and for input the schema calls invalid."""

import time

import pytest
import requests
import schemathesis
from django.test import Client as DjangoClient
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase, given, settings
from knox.models import AuthToken
from schemathesis import GenerationMode
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
# Examples per operation: valid ones as each person, invalid ones (page_size=-7e-272, a
# NUL in a search, a date that is no date…) as the manager; the whole run takes about four
# minutes on two shared cores. Invalid input is checked for its answer's shape, not for
# being refused: django-filter ignores some values it cannot read (an empty number, a
# boolean written as a number) by design.
MAX_EXAMPLES = 30
MAX_NEGATIVE_EXAMPLES = 8
RUN_SECONDS_LIMIT = 360
# gunicorn's own refusal of a request line over 4 KB, before Django: not the API's answer.
URI_TOO_LONG = 414


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
    browser = DjangoClient()
    browser.force_login(UserFactory(role="agent"))
    page = browser.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "<script>" not in html and "<style>" not in html  # the Content-Security-Policy allows neither
    script = browser.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
    redoc = browser.get("/api/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in redoc
    assert "googleapis" not in redoc and "<script>" not in redoc
    assert browser.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200
    assert browser.get("/api/schema/").status_code == 200


def test_the_docs_and_the_schema_are_for_people_who_are_signed_in(db):
    visitor = DjangoClient()
    for path in ("/api/docs/", "/api/docs/?script=", "/api/redoc/"):
        response = visitor.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/api/"), path
    schema = visitor.get("/api/schema/")
    assert schema.status_code == 403 and b"paths" not in schema.content
    token = AuthToken.objects.create(user=UserFactory(role="agent"), expiry=None)[1]
    assert visitor.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


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
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/",
                                           headers={"Authorization": f"Token {tokens['schema-manager']}"})
    session = requests.Session()
    failures, calls = [], {"count": 0}
    started = time.monotonic()
    runs = [(GenerationMode.POSITIVE, username, MAX_EXAMPLES) for username in tokens]
    runs.append((GenerationMode.NEGATIVE, "schema-manager", MAX_NEGATIVE_EXAMPLES))
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, username, examples in runs:
            token = tokens[username]

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def run(case):
                calls["count"] += 1
                response = case.call(base_url=base_url, session=session,
                                     headers={"Authorization": f"Token {token}"})  # noqa: B023 (used at once)
                if response.status_code != URI_TOO_LONG:
                    case.validate_response(response, checks=CHECKS)

            try:
                run()
            # Every operation is tried and all failures are reported together (Schemathesis
            # raises a BaseExceptionGroup, which ``except Exception`` would let through).
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} as {username} ({mode.value}): {exc}")
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
    newline = client.post("/api/v1/conversations/%0A5/messages", {"text": "x"})
    assert newline.status_code == 404 and newline.json()["detail"]  # it was Django's HTML page
