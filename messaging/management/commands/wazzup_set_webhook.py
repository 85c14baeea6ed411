"""Register our Wazzup24 webhook: ``manage.py wazzup_set_webhook --url https://crm.example.kz/webhooks/wazzup/``
(the ``?token=`` with WAZZUP_WEBHOOK_TOKEN is added)."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.http import ProviderError
from integrations.masking import mask_url
from integrations.wazzup import client


def with_token(url: str, token: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "token"] + [("token", token)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class Command(BaseCommand):
    help = "Subscribe our /webhooks/wazzup/ URL (with WAZZUP_WEBHOOK_TOKEN) to Wazzup24 messages and statuses."

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help="the public https URL of /webhooks/wazzup/")

    def handle(self, *args, url, **options):
        token = settings.WAZZUP_WEBHOOK_TOKEN
        if not token:
            raise CommandError("Set WAZZUP_WEBHOOK_TOKEN first: it is what protects the webhook URL.")
        full = with_token(url, token)
        if len(full) > 200:
            raise CommandError("Wazzup accepts webhook URLs of at most 200 characters.")
        try:
            client.set_webhook(url=full)
            current = client.webhook_settings()
        except ProviderError as exc:
            raise CommandError(f"Wazzup refused: {exc}") from exc
        shown = mask_url(str(current.get("webhooksUri", "")), (token,))
        self.stdout.write(self.style.SUCCESS(f"Wazzup24 webhook set to {shown}."))
