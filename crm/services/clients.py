"""Clients: one record per person, found by any normalised identifier."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from crm import access
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


@transaction.atomic
def client_get_or_create(*, full_name: str, phone: str | None, email: str | None, user,
                         source: str = "") -> tuple[Client, bool]:
    """The client with this phone or e-mail (normalised), or a new one.

    A new client needs a name and a phone or an e-mail, so that the next
    request from the same person finds them. Two people creating the same
    client at once get one row: the database's unique identifiers decide, and
    the loser finds the winner's row."""
    if not (access.is_supervisor(user) or access.is_agent(user)):
        raise PermissionDenied(_("You may not create clients."))
    phone_e164 = phone_normalize(phone)
    email = (email or "").strip().lower() or None
    if email:
        EmailValidator(message=_("“%(value)s” is not an e-mail address.") % {"value": email})(email)
    if existing := client_find(phone=phone_e164, email=email):
        return existing, False
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise ValidationError(_("Give the new client's name."), code="name_required")
    if not (phone_e164 or email):
        raise ValidationError(_("Give the new client's phone or e-mail."), code="contact_required")
    client = Client(full_name=full_name, phone=phone_e164, email=email, source=source,
                    owner=user if access.is_agent(user) and not access.is_supervisor(user) else None)
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError:
        if existing := client_find(phone=phone_e164, email=email):
            return existing, False
        raise
    return client, True
