"""Every integration the settings page shows, with the settings it reads.

An integration's ``key`` is the ``service`` its client writes to ``ApiLog``. A
value is shown only through ``display``: URLs with their secrets masked, secrets
through ``mask_secret``, never whole.
"""

import enum
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from integrations.masking import mask_secret, mask_url
from integrations.models import ApiLog


class Kind(enum.Enum):
    VALUE = enum.auto()
    URL = enum.auto()
    SECRET = enum.auto()
    # A URL whose path is the secret (a Bitrix24 inbound webhook: /rest/<user>/<code>/).
    SECRET_URL = enum.auto()


# Mail backends that deliver nothing: outbound email is not configured with them.
DEVELOPMENT_EMAIL_BACKENDS = frozenset(
    f"django.core.mail.backends.{name}.EmailBackend" for name in ("console", "locmem", "dummy", "filebased")
)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with each of ``secrets`` masked wherever it appears whole."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, mask_secret(secret))
    return text


@dataclass(frozen=True)
class Setting:
    name: str
    kind: Kind = Kind.VALUE
    required: bool = True
    unset_values: frozenset[str] = frozenset()

    @property
    def raw(self) -> str:
        value = getattr(settings, self.name, "")
        return "" if value is None else str(value)

    @property
    def is_plain(self) -> bool:
        return self.kind is Kind.VALUE

    @property
    def is_set(self) -> bool:
        return bool(self.raw) and self.raw not in self.unset_values

    def display(self, secrets: tuple[str, ...]) -> str:
        value = self.raw
        if not value:
            return ""
        if self.kind is Kind.SECRET:
            return mask_secret(value)
        # URLs are shown decoded, for people to read (the mask itself is percent-encoded).
        if self.kind is Kind.SECRET_URL:
            parts = urlsplit(value)
            return mask_url(f"{parts.scheme}://{parts.netloc}/") + mask_secret(parts.path.strip("/"))
        if self.kind is Kind.URL:
            return redact(mask_url(value, secrets), secrets)
        return value


@dataclass(frozen=True)
class Integration:
    key: str
    name: str
    description: Promise
    settings: tuple[Setting, ...]

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s.raw for s in self.settings if s.kind in (Kind.SECRET, Kind.SECRET_URL) and s.raw)

    @property
    def missing(self) -> list[str]:
        return [s.name for s in self.settings if s.required and not s.is_set]

    @property
    def configured(self) -> bool:
        return not self.missing

    @property
    def partly_configured(self) -> bool:
        return bool(self.missing) and any(s.is_set for s in self.settings if s.required)


INTEGRATIONS: tuple[Integration, ...] = (
    Integration(
        key="samo",
        name="SAMO-Tour",
        description=_("The tour operator's online API: reference data, tour search, prices and bookings."),
        settings=(
            Setting("SAMO_API_URL", Kind.URL),
            Setting("SAMO_OAUTH_TOKEN", Kind.SECRET),
            Setting("SAMO_PROXY_URL", Kind.URL, required=False),
        ),
    ),
    Integration(
        key="openai",
        name="OpenAI",
        description=_(
            "Reads inbound messages and drafts replies; without a key the built-in rule-based extractor works."
        ),
        settings=(
            Setting("OPENAI_API_KEY", Kind.SECRET),
            Setting("OPENAI_BASE_URL", Kind.URL, required=False),
            Setting("OPENAI_MODEL", required=False),
        ),
    ),
    Integration(
        key="telegram",
        name="Telegram",
        description=_("The bot tourists write to; its updates arrive at /webhooks/telegram/."),
        settings=(
            Setting("TELEGRAM_BOT_TOKEN", Kind.SECRET),
            Setting("TELEGRAM_WEBHOOK_SECRET", Kind.SECRET),
            Setting("TELEGRAM_API_URL", Kind.URL, required=False),
        ),
    ),
    Integration(
        key="whatsapp",
        name="WhatsApp Cloud API",
        description=_("Meta's WhatsApp Business platform; events arrive signed at /webhooks/whatsapp/."),
        settings=(
            Setting("WHATSAPP_ACCESS_TOKEN", Kind.SECRET),
            Setting("WHATSAPP_PHONE_NUMBER_ID"),
            Setting("WHATSAPP_APP_SECRET", Kind.SECRET),
            Setting("WHATSAPP_VERIFY_TOKEN", Kind.SECRET),
            Setting("WHATSAPP_API_URL", Kind.URL, required=False),
        ),
    ),
    Integration(
        key="wazzup",
        name="Wazzup24",
        description=_("WhatsApp and Telegram through the Wazzup24 aggregator; webhooks arrive at /webhooks/wazzup/."),
        settings=(
            Setting("WAZZUP_API_KEY", Kind.SECRET),
            Setting("WAZZUP_WEBHOOK_TOKEN", Kind.SECRET),
            Setting("WAZZUP_API_URL", Kind.URL, required=False),
        ),
    ),
    Integration(
        key="email",
        name="Email",
        description=_(
            "Outbound mail through the mail backend; inbound mail posted by a parse webhook to /webhooks/email/."
        ),
        settings=(
            Setting("EMAIL_BACKEND", unset_values=DEVELOPMENT_EMAIL_BACKENDS),
            Setting("EMAIL_HOST", required=False),
            Setting("EMAIL_PORT", required=False),
            Setting("EMAIL_HOST_USER", required=False),
            Setting("EMAIL_HOST_PASSWORD", Kind.SECRET, required=False),
            Setting("SENDGRID_API_KEY", Kind.SECRET, required=False),
            Setting("DEFAULT_FROM_EMAIL", required=False),
            Setting("INBOUND_EMAIL_SECRET", Kind.SECRET),
        ),
    ),
    Integration(
        key="bitrix",
        name="Bitrix24",
        description=_("Optional sync of clients, leads and deals to a Bitrix24 portal."),
        settings=(Setting("BITRIX_WEBHOOK_URL", Kind.SECRET_URL),),
    ),
)


@dataclass(frozen=True)
class IntegrationStatus:
    integration: Integration
    settings: list[tuple[Setting, str]]
    last_call: ApiLog | None
    last_error: ApiLog | None

    @property
    def last_error_text(self) -> str:
        """The logged error, with this integration's secrets masked should a client
        have let one through."""
        return redact(self.last_error.error if self.last_error else "", self.integration.secrets)


def integration_status_list() -> list[IntegrationStatus]:
    """Each integration with its settings as they may be shown, its last call and
    its last failed call: two queries per integration, each one row from the
    (service, -created_at) index however long the log grows."""
    rows = []
    for integration in INTEGRATIONS:
        log = ApiLog.objects.filter(service=integration.key).defer("request")
        rows.append(
            IntegrationStatus(
                integration=integration,
                settings=[(setting, setting.display(integration.secrets)) for setting in integration.settings],
                last_call=log.first(),
                last_error=log.filter(ok=False).first(),
            )
        )
    return rows
