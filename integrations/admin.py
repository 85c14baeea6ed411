"""The API log, read-only. Requests are stored masked by the provider clients; the
admin masks again on display, so a secret that slipped into a row (a token in an
error text, say) is still never shown whole."""

import re

from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from integrations.masking import mask_secret, mask_url
from integrations.models import ApiLog

SECRET_SETTINGS = (
    "SAMO_OAUTH_TOKEN", "SAMO_PROXY_URL", "OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET",
    "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "WAZZUP_API_KEY",
    "WAZZUP_WEBHOOK_TOKEN", "BITRIX_WEBHOOK_URL", "INBOUND_EMAIL_SECRET",
)
_URL = re.compile(r"https?://[^\s\"'<>]+")
# "Authorization: Bearer …", "api_key=…", '"token": "…"' and the like.
_NAMED_SECRET = re.compile(
    r"(?i)(\b(?:authorization|x-[\w-]*token|[\w-]*token|api[_-]?key|apikey|secret|password)\b[\"']?\s*[:=]\s*[\"']?"
    r"(?:bearer\s+|basic\s+)?)([^\s\"'&,;]+)"
)


def masked(text: str) -> str:
    if not text:
        return ""
    text = _URL.sub(lambda match: mask_url(match.group(0)), text)
    text = _NAMED_SECRET.sub(lambda match: match.group(1) + mask_secret(match.group(2)), text)
    for name in SECRET_SETTINGS:
        if secret := getattr(settings, name, ""):
            text = text.replace(secret, mask_secret(secret))
    return text


@admin.register(ApiLog)
class ApiLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "service", "action", "method", "status_code", "ok", "duration_ms"]
    list_filter = ["service", "ok", "method", "created_at"]
    # Not the request text: searching it would let one probe for a secret.
    search_fields = ["service", "action"]
    date_hierarchy = "created_at"
    fields = ["created_at", "service", "action", "method", "request_masked", "status_code", "ok", "duration_ms",
              "error_masked"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("request (masked)"))
    def request_masked(self, entry):
        return format_html('<pre style="white-space:pre-wrap;max-width:60rem">{}</pre>', masked(entry.request))

    @admin.display(description=gettext_lazy("error"))
    def error_masked(self, entry):
        return masked(entry.error) or "—"
