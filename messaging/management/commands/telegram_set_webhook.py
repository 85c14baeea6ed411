"""Register our Telegram webhook: ``manage.py telegram_set_webhook --url https://crm.example.kz/webhooks/telegram/``."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.http import ProviderError
from integrations.telegram import client


class Command(BaseCommand):
    help = "Point the Telegram bot's updates at our /webhooks/telegram/ URL, with TELEGRAM_WEBHOOK_SECRET."

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help="the public https URL of /webhooks/telegram/")
        parser.add_argument("--drop-pending", action="store_true", help="forget updates Telegram still holds")

    def handle(self, *args, url, drop_pending, **options):
        if not settings.TELEGRAM_WEBHOOK_SECRET:
            raise CommandError("Set TELEGRAM_WEBHOOK_SECRET first: without it the webhook would accept anyone.")
        try:
            client.set_webhook(url=url, secret_token=settings.TELEGRAM_WEBHOOK_SECRET,
                               drop_pending_updates=drop_pending)
            info = client.webhook_info()
        except ProviderError as exc:
            raise CommandError(f"Telegram refused: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"Telegram webhook set to {info.get('url')} ({info.get('pending_update_count', 0)} updates pending)."))
