"""The client's journey: every app writes its entries here, never to the model directly."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from crm import access
from crm.models import Activity, ActivityKind, Client, Lead


def activity_record(*, client: Client, kind: str, text: str, author=None, lead: Lead | None = None,
                    data: dict | None = None) -> Activity:
    """Add one entry to the client's timeline (and the lead's, when given). Callers
    check rights before: this records what a permitted action did."""
    if lead is not None and lead.client_id != client.pk:
        raise ValueError("The lead belongs to another client.")
    return Activity.objects.create(client=client, lead=lead, kind=kind, text=text, author=author, data=data or {})


def note_add(*, lead: Lead, user, text: str) -> Activity:
    """A note on the lead by someone who may change it; empty notes are refused."""
    text = (text or "").strip()
    if not access.can_change(user, lead):
        raise PermissionDenied(_("You may not change this lead."))
    if not text:
        raise ValidationError(_("Write the note first."), code="empty")
    return activity_record(client=lead.client, lead=lead, kind=ActivityKind.NOTE, text=text, author=user)
