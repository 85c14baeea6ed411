"""What messaging does when another app announces something.

The CRM, which imports no other app of ours, announces each website booking-form
request with ``crm.services.intake.lead_received``; the inbox shows it as an
inbound message of the website channel. Connected in ``MessagingConfig.ready``.
"""

from django.utils import timezone

from crm.services.intake import intake_summary
from integrations.messages import Contact, InboundMessage
from messaging.models import Platform
from messaging.services.inbound import message_receive


def show_in_inbox(sender, *, lead, client, submission, **kwargs) -> None:
    """The request as the first message of a website conversation of its own
    (one per request, like the lead), stored like any provider's delivery."""
    message_receive(inbound=InboundMessage(
        platform=Platform.WEB, chat_id=f"lead-{lead.pk}", message_id=f"lead-{lead.pk}", sent_at=timezone.now(),
        text=intake_summary(submission), chat_title=client.full_name,
        contact=Contact(name=submission.name, phone=submission.phone, email=submission.email,
                        whatsapp_id=submission.phone),
        raw={"page_url": submission.page_url, "utm_source": submission.utm_source,
             "utm_medium": submission.utm_medium, "utm_campaign": submission.utm_campaign, "lead": lead.pk},
    ))
