"""Webhook senders with the providers' real wire formats, and the local provider
servers with the project pointed at them."""

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from integrations.email.fake import FakeSendGrid
from integrations.telegram.fake import DEFAULT_TOKEN as TELEGRAM_TOKEN
from integrations.telegram.fake import FakeTelegram
from integrations.wazzup.fake import DEFAULT_API_KEY as WAZZUP_KEY
from integrations.wazzup.fake import DEFAULT_CHANNEL_ID, FakeWazzup
from integrations.whatsapp.fake import DEFAULT_APP_SECRET, DEFAULT_PHONE_NUMBER_ID, FakeWhatsApp
from integrations.whatsapp.fake import DEFAULT_TOKEN as WHATSAPP_TOKEN
from tests.integrations.openai.server import fake_openai  # noqa: F401  (fixture: the local OpenAI-compatible server)
from tests.integrations.samo.servers import fake_samo  # noqa: F401  (fixture: the local SAMO server)
from tests.liveserver import gunicorn, subprocess_database_url  # noqa: F401  (fixtures)

PAYLOADS = Path(__file__).parent / "payloads"
TELEGRAM_SECRET = "tg-webhook-secret-0123456789"  # noqa: S105
WHATSAPP_VERIFY = "wa-verify-token-0123"  # noqa: S105
WAZZUP_TOKEN = "wazzup-url-token-0123456789"  # noqa: S105
EMAIL_SECRET = "inbound-email-secret-0123456789"  # noqa: S105


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def sign(body: bytes, secret: str = DEFAULT_APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture(autouse=True)
def provider_settings(settings):
    settings.TELEGRAM_BOT_TOKEN = TELEGRAM_TOKEN
    settings.TELEGRAM_WEBHOOK_SECRET = TELEGRAM_SECRET
    settings.WHATSAPP_ACCESS_TOKEN = WHATSAPP_TOKEN
    settings.WHATSAPP_APP_SECRET = DEFAULT_APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = WHATSAPP_VERIFY
    settings.WHATSAPP_PHONE_NUMBER_ID = DEFAULT_PHONE_NUMBER_ID
    settings.WAZZUP_API_KEY = WAZZUP_KEY
    settings.WAZZUP_WEBHOOK_TOKEN = WAZZUP_TOKEN
    settings.WAZZUP_CHANNEL_ID = DEFAULT_CHANNEL_ID
    settings.INBOUND_EMAIL_SECRET = EMAIL_SECRET
    settings.MESSAGING_RETRY_BACKOFF = 0.01
    settings.MESSAGING_READ_TIMEOUT = 2
    settings.LEADS_ROUND_ROBIN = False
    return settings


class Webhooks:
    """Posts deliveries as each provider does (through Django's test client)."""

    def __init__(self, client):
        self.client = client

    def telegram(self, update: dict, secret: str | None = TELEGRAM_SECRET):
        headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
        return self.client.post("/webhooks/telegram/", json.dumps(update), content_type="application/json", **headers)

    def whatsapp(self, event: dict, signature: str | None = None):
        body = json.dumps(event).encode()  # \uXXXX escapes, as Meta sends
        headers = {"HTTP_X_HUB_SIGNATURE_256": signature if signature is not None else sign(body)}
        return self.client.post("/webhooks/whatsapp/", body, content_type="application/json", **headers)

    def wazzup(self, data: dict, token: str = WAZZUP_TOKEN):
        return self.client.post(f"/webhooks/wazzup/?token={token}", json.dumps(data), content_type="application/json")

    def email(self, fields: dict, token: str = EMAIL_SECRET):
        return self.client.post(f"/webhooks/email/?token={token}", fields)


@pytest.fixture
def webhooks(client):
    return Webhooks(client)


@pytest.fixture
def fake_telegram(settings):
    with FakeTelegram(retry_interval=0.1) as server:
        settings.TELEGRAM_API_URL = server.url
        yield server


@pytest.fixture
def fake_whatsapp(settings):
    with FakeWhatsApp(retry_interval=0.1) as server:
        settings.WHATSAPP_API_URL = server.url + "/v21.0"
        yield server


@pytest.fixture
def fake_wazzup(settings):
    with FakeWazzup(retry_interval=0.1) as server:
        settings.WAZZUP_API_URL = server.url
        yield server


@pytest.fixture
def fake_sendgrid(settings):
    with FakeSendGrid(retry_interval=0.1) as server:
        settings.EMAIL_BACKEND = "sendgrid_backend.SendgridBackend"
        settings.SENDGRID_API_KEY = server.api_key
        settings.SENDGRID_HOST_URL = server.url
        settings.SENDGRID_SANDBOX_MODE_IN_DEBUG = False
        settings.SENDGRID_TRACK_CLICKS_HTML = settings.SENDGRID_TRACK_CLICKS_PLAIN = False
        settings.SENDGRID_TRACK_EMAIL_OPENS = False
        yield server
