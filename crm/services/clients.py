"""Clients: one record per person, found by any normalised identifier.

Rule for every surface where a person names a client — the board's quick
create, the API, the CSV import, the tour search's "new lead for a client", the
client look-up: creating a lead never widens what the person may see. A client
the person may not see (an agent's colleague's) is refused with one message that
says nothing about it — no name, no id — as ``/api/v1/clients/`` refuses it
(409). Without this, the new lead would be the agent's, and through it the client
(``crm.access``: a client counts as an agent's when one of its leads is).
The system's own intakes (webhooks, the public booking form) have no person and
attach to any client."""

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


CLIENT_TAKEN = "client_taken"


def client_check_open(*, user, client: Client, by_contact: bool = False) -> None:
    """Refuse (``ValidationError`` with code ``CLIENT_TAKEN``) a client the person
    may not see; ``user`` None is the system, which may use any client.
    ``by_contact``: the person typed the client's phone or e-mail (the message says so)."""
    if user is None or access.can_view(user, client):
        return
    if by_contact:
        message = _("A client with this phone or e-mail already exists and is handled by another agent. "
                    "Ask your manager.")
    else:
        message = _("This client is handled by another agent. Ask your manager.")
    raise ValidationError(message, code=CLIENT_TAKEN)


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


def client_find_for(*, user, phone: str | None = None, email: str | None = None) -> Client | None:
    """The existing client with this phone or e-mail, for a person who is about to
    work with it: refused (``client_check_open``) when it is not the person's to see."""
    client = client_find(phone=phone, email=email)
    if client is not None:
        client_check_open(user=user, client=client, by_contact=True)
    return client


@transaction.atomic
def client_get_or_create(*, full_name: str, phone: str | None, email: str | None, user,
                         source: str = "") -> tuple[Client, bool]:
    """The client with this phone or e-mail (normalised), or a new one.

    A new client needs a name and a phone or an e-mail, so that the next
    request from the same person finds them. Two people creating the same
    client at once get one row: the database's unique identifiers decide, and
    the loser finds the winner's row. An existing client the person may not see
    is refused (see the module's rule)."""
    if not (access.is_supervisor(user) or access.is_agent(user)):
        raise PermissionDenied(_("You may not create clients."))
    phone_e164 = phone_normalize(phone)
    email = (email or "").strip().lower() or None
    if email:
        EmailValidator(message=_("“%(value)s” is not an e-mail address.") % {"value": email})(email)
    if existing := client_find_for(user=user, phone=phone_e164, email=email):
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
        if existing := client_find_for(user=user, phone=phone_e164, email=email):
            return existing, False
        raise
    return client, True
