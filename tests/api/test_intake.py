"""POST /api/public/v1/leads — the website's booking form, as the site's
JavaScript sends it: validation in the asked language, de-duplication into
clients, the lead on the board and in the inbox, idempotency, the per-IP limit,
CORS and the Turnstile check against a local siteverify."""

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.cache import cache
from django.utils import timezone

from crm.models import Activity, Channel, Client, Lead
from integrations.models import ApiLog
from messaging.models import Conversation, Message, Platform
from tests.api.turnstile_server import PASSING_TOKEN_PREFIX, SECRET
from tests.crm.factories import ClientFactory

URL = "/api/public/v1/leads"


def next_month() -> str:
    day = timezone.localdate().replace(day=1) + dt.timedelta(days=32)
    return f"{day:%Y-%m}"


def form(**overrides) -> dict:
    return {
        "destination": "Нячанг", "month": next_month(), "nights": 9, "adults": 2, "children": 1,
        "budget": 1200000, "name": "Айгуль Серикова", "email": "aigul@example.kz", "phone": "+7 701 765 43 21",
        "language": "ru", "notes": "Ребёнку 6 лет, отель у моря", "utm_source": "instagram", "utm_medium": "cpc",
        "utm_campaign": "vietnam-spring", "page_url": "https://crystalbay.kz/vietnam/nha-trang", **overrides,
    }


def post(client, body: dict, **headers):
    return client.post(URL, body, format="json", **headers)


@pytest.fixture
def site(api, db):
    return api()


def test_a_request_becomes_a_web_lead_in_the_first_stage(site, manager, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(site, form(), REMOTE_ADDR="203.0.113.7")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert set(body) == {"lead_id", "status", "next_step_message"}
    assert body["status"] == "received"
    assert "Айгуль" in body["next_step_message"] and "WhatsApp" in body["next_step_message"]
    lead = Lead.objects.select_related("client", "stage").get(pk=body["lead_id"])
    assert lead.source == Channel.WEB
    assert lead.stage.code == "new" and lead.pipeline.is_default
    assert (lead.destination_resort, lead.nights_from, lead.nights_to, lead.adults, lead.children) == (
        "Нячанг", 9, 9, 2, 1)
    assert lead.budget == 1200000 and lead.budget_currency == "KZT"
    assert lead.date_from.day == 1 and lead.date_to.month == lead.date_from.month and lead.date_to.day >= 28
    assert str(lead.client.phone) == "+77017654321" and lead.client.email == "aigul@example.kz"
    assert lead.client.whatsapp_id == "77017654321"
    assert lead.client.source == Channel.WEB
    entry = Activity.objects.get(lead=lead, data__intake__isnull=False)
    assert entry.data["intake"]["ip"] == "203.0.113.7"
    assert entry.data["intake"]["utm_campaign"] == "vietnam-spring"
    assert entry.data["intake"]["page_url"] == "https://crystalbay.kz/vietnam/nha-trang"
    # In the inbox: a website conversation linked to the client and this lead.
    conversation = Conversation.objects.get(platform=Platform.WEB, client=lead.client)
    assert conversation.lead_id == lead.pk and conversation.unread_count == 1
    message = Message.objects.get(conversation=conversation)
    assert "Нячанг" in message.text and "Ребёнку 6 лет" in message.text
    # On the board, and in the API's lead list.
    manager_client = api(manager)
    assert lead.client.full_name in manager_client.get("/leads/").content.decode()
    assert lead.pk in [row["id"] for row in manager_client.get("/api/v1/leads/", {"source": "web"}).json()["results"]]


def test_the_same_person_again_is_the_same_client(site):
    known = ClientFactory(phone="+77017654321", email=None, full_name="Айгуль С.")
    answer = post(site, form(phone="8 (701) 765-43-21", email=""))
    assert answer.status_code == 201, answer.content
    assert Lead.objects.get(pk=answer.json()["lead_id"]).client_id == known.pk
    assert Client.objects.count() == 1
    by_email = post(site, form(phone="", email="AIGUL@example.kz"))
    assert Lead.objects.get(pk=by_email.json()["lead_id"]).client.email == "aigul@example.kz"


def test_an_email_only_request_is_answered_by_email(site):
    answer = post(site, form(phone="", language="en"))
    assert answer.status_code == 201
    assert "e-mail" in answer.json()["next_step_message"]
    assert answer.json()["next_step_message"].startswith("Thank you, Айгуль Серикова!")


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Give your phone (WhatsApp) or your e-mail, so that we can answer."),
    ("ru", "Укажите телефон (WhatsApp) или e-mail, чтобы мы могли ответить."),
])
def test_field_errors_come_in_the_requested_language(site, language, expected):
    answer = post(site, form(phone="", email="", language=language))
    assert answer.status_code == 400
    assert answer.json() == {"phone": [expected], "email": [expected]}
    assert not Lead.objects.exists()


def test_each_field_is_checked_with_a_clear_message(site):
    answer = post(site, {"name": "", "email": "not-an-email", "phone": "12", "month": "2020-01", "nights": 0,
                         "adults": 0, "budget": -5, "page_url": "not a url", "language": "en"})
    errors = answer.json()
    assert answer.status_code == 400
    assert set(errors) >= {"name", "email", "phone", "month", "nights", "adults", "budget", "page_url"}
    assert errors["month"] == ["This month has passed."]
    assert errors["phone"] == ["“12” is not a phone number."] or "phone number" in errors["phone"][0]
    both = post(site, form(date_from=str(timezone.localdate() + dt.timedelta(days=10)), language="en"))
    assert both.json() == {"month": ["Give either a month or dates, not both."]}
    backwards = post(site, form(month="", date_from=str(timezone.localdate() + dt.timedelta(days=10)),
                                date_to=str(timezone.localdate() + dt.timedelta(days=3)), language="en"))
    assert backwards.json() == {"date_to": ["The end of the trip is before its start."]}


def test_the_browser_language_is_used_when_the_form_names_none(site):
    answer = post(site, form(phone="", email="", language=""), HTTP_ACCEPT_LANGUAGE="en")
    assert answer.json()["phone"] == ["Give your phone (WhatsApp) or your e-mail, so that we can answer."]


def test_a_retry_with_the_same_key_gets_the_first_answer(site, django_capture_on_commit_callbacks):
    key = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        first = post(site, form(), HTTP_IDEMPOTENCY_KEY=key)
    again = post(site, form(), HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1


def test_the_same_key_with_another_request_is_refused(site):
    key = "booking-form-7f3a"
    assert post(site, form(), HTTP_IDEMPOTENCY_KEY=key).status_code == 201
    other = post(site, form(nights=14), HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"]
    assert Lead.objects.count() == 1


def test_a_key_the_cache_forgot_still_finds_its_lead(site):
    key = str(uuid.uuid4())
    first = post(site, form(), HTTP_IDEMPOTENCY_KEY=key)
    cache.clear()
    again = post(site, form(), HTTP_IDEMPOTENCY_KEY=key)
    assert again.status_code == 201 and again.json()["lead_id"] == first.json()["lead_id"]
    cache.clear()
    assert post(site, form(nights=14), HTTP_IDEMPOTENCY_KEY=key).status_code == 409
    assert Lead.objects.count() == 1


def test_a_refused_request_leaves_its_key_free(site):
    key = str(uuid.uuid4())
    assert post(site, form(phone="", email=""), HTTP_IDEMPOTENCY_KEY=key).status_code == 400
    assert post(site, form(), HTTP_IDEMPOTENCY_KEY=key).status_code == 201


def test_a_malformed_key_is_a_field_error(site):
    answer = post(site, form(language="en"), HTTP_IDEMPOTENCY_KEY="has spaces in it")
    assert answer.status_code == 400 and "Idempotency-Key" in answer.json()


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_posts_with_one_key_make_one_lead(live_server):
    key = str(uuid.uuid4())

    def send(_):
        return requests.post(live_server.url + URL, json=form(), headers={"Idempotency-Key": key}, timeout=30)

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(send, range(10)))
    assert [answer.status_code for answer in answers] == [201] * 10
    assert len({answer.json()["lead_id"] for answer in answers}) == 1
    assert Lead.objects.count() == 1
    assert Client.objects.count() == 1
    assert sum(answer.headers.get("Idempotent-Replayed") == "true" for answer in answers) == 9


def test_the_21st_request_in_a_minute_from_one_ip_is_429(site):
    for number in range(20):
        answer = post(site, {"name": ""}, REMOTE_ADDR="198.51.100.20")
        assert answer.status_code == 400, number
    throttled = post(site, form(), REMOTE_ADDR="198.51.100.20")
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert throttled.json()["detail"]
    assert not Lead.objects.exists()
    # Another visitor is not held back.
    assert post(site, form(), REMOTE_ADDR="198.51.100.21").status_code == 201


def test_the_limit_is_a_setting(site, settings):
    settings.PUBLIC_INTAKE_RATE_LIMIT = "2/m"
    assert post(site, form()).status_code == 201
    assert post(site, form()).status_code == 201
    assert post(site, form()).status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_the_client(site, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    answer = post(site, form(), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.77, 203.0.113.9")
    entry = Activity.objects.get(lead_id=answer.json()["lead_id"], data__intake__isnull=False)
    assert entry.data["intake"]["ip"] == "203.0.113.9"


def test_cors_answers_the_agencys_sites_only(site, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://crystalbay.kz"]
    preflight = site.options(URL, HTTP_ORIGIN="https://crystalbay.kz", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                             HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, idempotency-key")
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://crystalbay.kz"
    assert "idempotency-key" in preflight["Access-Control-Allow-Headers"]
    allowed = post(site, form(), HTTP_ORIGIN="https://crystalbay.kz")
    assert allowed["Access-Control-Allow-Origin"] == "https://crystalbay.kz"
    for origin in ("https://evil.example", "https://crystalbay.kz.evil.example", "null"):
        refused = site.options(URL, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
        assert not any(name.lower().startswith("access-control-") for name in refused.headers), origin
        answer = post(site, form(email=f"{uuid.uuid4().hex[:8]}@example.kz", phone=""), HTTP_ORIGIN=origin)
        assert "Access-Control-Allow-Origin" not in answer.headers
    # The private API never answers cross-origin requests.
    assert "Access-Control-Allow-Origin" not in site.get("/api/v1/leads/", HTTP_ORIGIN="https://crystalbay.kz")


def test_turnstile_passes_a_good_token_once(site, fake_turnstile):
    token = f"{PASSING_TOKEN_PREFIX}.1"
    answer = post(site, form(turnstile_token=token), REMOTE_ADDR="203.0.113.8")
    assert answer.status_code == 201, answer.content
    asked = fake_turnstile.state["requests"][-1]
    assert asked["secret"] == SECRET and asked["response"] == token and asked["remoteip"] == "203.0.113.8"
    reused = post(site, form(turnstile_token=token, language="en"))
    assert reused.status_code == 400
    assert reused.json() == {"turnstile_token": [
        "The anti-robot check did not pass: reload the page and send the form again."]}
    log = ApiLog.objects.filter(service="turnstile").order_by("pk")
    assert [row.ok for row in log] == [True, True]
    assert all(SECRET not in row.request + row.error for row in log)


def test_turnstile_refuses_a_missing_or_forged_token(site, fake_turnstile):
    missing = post(site, form(language="en"))
    assert missing.json() == {"turnstile_token": ["Confirm that you are not a robot."]}
    forged = post(site, form(turnstile_token="forged"))
    assert forged.status_code == 400 and "turnstile_token" in forged.json()
    assert not Lead.objects.exists()


def test_a_retry_is_answered_without_checking_the_spent_token_again(site, fake_turnstile,
                                                                   django_capture_on_commit_callbacks):
    key = str(uuid.uuid4())
    token = f"{PASSING_TOKEN_PREFIX}.2"
    with django_capture_on_commit_callbacks(execute=True):
        first = post(site, form(turnstile_token=token), HTTP_IDEMPOTENCY_KEY=key)
    again = post(site, form(turnstile_token=token), HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(fake_turnstile.state["requests"]) == 1


def test_turnstile_down_is_503_and_nothing_is_written(site, fake_turnstile):
    fake_turnstile.state["mode"] = "500"
    answer = post(site, form(turnstile_token=f"{PASSING_TOKEN_PREFIX}.3"))
    assert answer.status_code == 503 and answer.json()["detail"]
    assert not Lead.objects.exists()
    assert ApiLog.objects.get(service="turnstile").ok is False


def test_turnstile_unreachable_is_503(site, settings):
    settings.TURNSTILE_SECRET_KEY = SECRET
    settings.TURNSTILE_API_URL = "http://127.0.0.1:9"
    assert post(site, form(turnstile_token=f"{PASSING_TOKEN_PREFIX}.4")).status_code == 503
