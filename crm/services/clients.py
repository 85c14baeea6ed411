"""Clients: one record per person, found by any normalised identifier."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from crm.models import Client


def phone_normalize(raw: str | None) -> str | None:
    """E.164 form of a phone number written any usual way (``8 701 …``, ``+7 (701) …``);
    None for empty input; ValidationError for something that is not a phone number."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("“%(value)s” is not a phone number."), params={"value": raw}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("“%(value)s” is not a valid phone number."), params={"value": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def client_find(*, phone: str | None = None, email: str | None = None, telegram_id: int | None = None,
                whatsapp_id: str | None = None) -> Client | None:
    """The existing client matching any of the identifiers, after normalisation."""
    lookups = []
    if phone_e164 := phone_normalize(phone):
        lookups.append({"phone": phone_e164})
    if email and email.strip():
        lookups.append({"email__iexact": email.strip()})
    if telegram_id:
        lookups.append({"telegram_id": telegram_id})
    if whatsapp_id and (digits := "".join(ch for ch in whatsapp_id if ch.isdigit())):
        lookups.append({"whatsapp_id": digits})
    for lookup in lookups:
        if client := Client.objects.filter(**lookup).first():
            return client
    return None
