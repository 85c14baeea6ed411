"""The client's journey: every app writes its entries here, never to the model directly."""

from crm.models import Activity, Client, Lead


def activity_record(*, client: Client, kind: str, text: str, author=None, lead: Lead | None = None,
                    data: dict | None = None) -> Activity:
    """Add one entry to the client's timeline (and the lead's, when given). Callers
    check rights before: this records what a permitted action did."""
    if lead is not None and lead.client_id != client.pk:
        raise ValueError("The lead belongs to another client.")
    return Activity.objects.create(client=client, lead=lead, kind=kind, text=text, author=author, data=data or {})
