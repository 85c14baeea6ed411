"""Run a local provider server for demos: Telegram, Meta's WhatsApp Cloud API,
Wazzup24 or SendGrid (``integrations/*/fake.py``). Point the matching
``*_API_URL`` at it; make a user write with ``POST /__fake__/inbound``."""

import time

from django.core.management.base import BaseCommand

from integrations.email.fake import FakeSendGrid
from integrations.telegram.fake import FakeTelegram
from integrations.wazzup.fake import FakeWazzup
from integrations.whatsapp.fake import FakeWhatsApp

SERVERS = {"telegram": FakeTelegram, "whatsapp": FakeWhatsApp, "wazzup": FakeWazzup, "sendgrid": FakeSendGrid}


class Command(BaseCommand):
    help = "Serve a local Telegram / WhatsApp Cloud / Wazzup24 / SendGrid API for demos and manual tests."

    def add_arguments(self, parser):
        parser.add_argument("provider", choices=sorted(SERVERS))
        parser.add_argument("--port", type=int, default=8780)
        parser.add_argument("--webhook-url", default="", help="where to deliver webhooks (WhatsApp, SendGrid); "
                                                              "Telegram and Wazzup learn it from the set-up command")

    def handle(self, *args, provider, port, webhook_url, **options):
        server = SERVERS[provider](port=port)
        if webhook_url:
            server.webhook_url = webhook_url
        with server:
            self.stdout.write(f"Local {provider} server on {server.url} (Ctrl+C to stop)")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                self.stdout.write("stopped")
