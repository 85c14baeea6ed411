import datetime as dt

import pytest
from django.utils import timezone

from integrations.masking import mask_secret
from integrations.models import ApiLog
from integrations.registry import INTEGRATIONS

SAMO_TOKEN = "secret-token-value-123456"
TELEGRAM_TOKEN = "7312345678:AAH-telegram-bot-token-xyz"
BITRIX_CODE = "k3y9webhookcode77"
INTEGRATION_NAMES = ["SAMO-Tour", "OpenAI", "Telegram", "WhatsApp Cloud API", "Wazzup24", "Email", "Bitrix24"]


@pytest.fixture
def client(client):
    """The page read in English, the language these assertions are written in."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def card(content: str, key: str) -> str:
    """The HTML of one integration's card."""
    start = content.index(f'id="integration-{key}"')
    end = content.find('<article class="card', start + 1)
    return content[start : end if end != -1 else None]


def test_the_registry_lists_every_integration_of_the_spec():
    assert [integration.name for integration in INTEGRATIONS] == INTEGRATION_NAMES


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["manager", "admin_user", "superuser"])
def test_managers_admins_and_superusers_see_every_integration_and_the_health_report(client, request, person):
    client.force_login(request.getfixturevalue(person))

    response = client.get("/settings/")

    assert response.status_code == 200
    content = response.content.decode()
    for integration in INTEGRATIONS:
        assert f'id="integration-{integration.key}"' in content
        assert integration.name in content
    assert 'id="health"' in content
    assert 'data-health-status="ok"' in content


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["agent", "accountant", "outsider"])
def test_people_without_the_api_log_permission_get_403(client, request, person):
    client.force_login(request.getfixturevalue(person))

    response = client.get("/settings/")

    assert response.status_code == 403
    assert "SAMO-Tour" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get("/settings/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/settings/"


def test_secrets_are_shown_only_masked(client, manager, settings):
    settings.SAMO_API_URL = f"https://samo.example.kz/export/default.php?samo_action=api&oauth_token={SAMO_TOKEN}"
    settings.SAMO_OAUTH_TOKEN = SAMO_TOKEN
    settings.TELEGRAM_BOT_TOKEN = TELEGRAM_TOKEN
    settings.TELEGRAM_API_URL = f"https://telegram.example.kz/bot{TELEGRAM_TOKEN}"
    settings.BITRIX_WEBHOOK_URL = f"https://crystalbay.bitrix24.kz/rest/1/{BITRIX_CODE}/"
    settings.SAMO_PROXY_URL = "http://proxyuser:proxy-pass-999@proxy.crystalbay.kz:3128"
    client.force_login(manager)

    content = client.get("/settings/").content.decode()

    for secret in (SAMO_TOKEN, TELEGRAM_TOKEN, BITRIX_CODE, "proxy-pass-999"):
        assert secret not in content
    samo = card(content, "samo")
    assert mask_secret(SAMO_TOKEN) == "••••••3456"
    assert "••••••3456" in samo
    assert "https://samo.example.kz/export/default.php?samo_action=api&amp;oauth_token=••••••3456" in samo
    assert "http://•••@proxy.crystalbay.kz:3128" in samo
    assert "Configured" in samo
    assert mask_secret(TELEGRAM_TOKEN) in card(content, "telegram")
    assert "https://crystalbay.bitrix24.kz/••••••" in card(content, "bitrix")


def test_an_integration_with_some_settings_is_incomplete_and_one_without_is_not_configured(client, manager, settings):
    settings.SAMO_API_URL = "https://samo.example.kz/export/default.php"
    settings.SAMO_OAUTH_TOKEN = ""
    settings.OPENAI_API_KEY = ""
    client.force_login(manager)

    content = client.get("/settings/").content.decode()

    assert "Incomplete" in card(content, "samo")
    assert "Not configured" in card(content, "openai")


def test_the_last_call_and_the_last_error_of_each_integration_are_shown(client, manager, settings):
    settings.SAMO_OAUTH_TOKEN = SAMO_TOKEN
    now = timezone.now()
    ApiLog.objects.create(
        service="samo",
        action="SearchTour_PRICES",
        status_code=502,
        duration_ms=1200,
        ok=False,
        error=f"Bad gateway from the operator (token {SAMO_TOKEN})",
        created_at=now - dt.timedelta(hours=2),
    )
    ApiLog.objects.create(
        service="samo", action="SearchTour_CURRENCIES", status_code=200, duration_ms=345, ok=True, created_at=now
    )
    ApiLog.objects.create(service="telegram", action="sendMessage", status_code=200, duration_ms=80, ok=True)
    client.force_login(manager)

    content = client.get("/settings/").content.decode()

    samo = card(content, "samo")
    assert "HTTP 200" in samo
    assert "345 ms" in samo
    assert "Last error" in samo
    assert "Bad gateway from the operator (token ••••••3456)" in samo
    assert "HTTP 502" in samo
    assert SAMO_TOKEN not in content
    telegram = card(content, "telegram")
    assert "80 ms" in telegram
    assert "Last error" not in telegram
    assert "No calls yet" in card(content, "openai")


def test_the_page_makes_the_same_number_of_queries_however_long_the_log(client, manager, django_assert_num_queries):
    client.force_login(manager)
    # session, user, permissions (user's, groups'), the health check's SELECT 1 and
    # last SAMO call, two per integration, the user's groups for the role badge,
    # the navigation's count of unread notifications, the inbox badge (the user's
    # roles, the sum of unread messages).
    expected = 2 + 2 + 2 + 2 * len(INTEGRATIONS) + 1 + 1 + 2
    with django_assert_num_queries(expected):
        assert client.get("/settings/").status_code == 200

    ApiLog.objects.bulk_create(
        ApiLog(service=integration.key, action="call", status_code=500 if n % 2 else 200, ok=not n % 2)
        for integration in INTEGRATIONS
        for n in range(5)
    )
    with django_assert_num_queries(expected):
        assert client.get("/settings/").status_code == 200


def test_check_again_re_renders_only_the_health_report(client, manager):
    client.force_login(manager)

    response = client.get("/settings/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="health"')
    assert "<html" not in content
    assert 'id="integration-samo"' not in content


def test_the_sendgrid_key_is_shown_masked_on_the_email_card(client, manager, settings):
    settings.SENDGRID_API_KEY = "SG.sendgrid-secret-key-value-9876"
    client.force_login(manager)
    html = client.get("/settings/").content.decode()
    assert "SENDGRID_API_KEY" in html
    assert "SG.sendgrid-secret-key-value-9876" not in html and "9876" in html
