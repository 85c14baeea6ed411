"""Receiving: a provider's delivery stored once, fast, before the webhook answers;
everything slower happens afterwards in ``inbound_process`` (a Celery task).

- ``message_receive`` is the webhook's whole job: find or create the
  conversation, insert the message unless (platform, chat, provider id) is
  already there, and count it unread — one statement, so a concurrent
  re-delivery waits for the first and then inserts nothing. Only a message
  stored for the first time is handed to the worker, after commit; a lost
  hand-over is picked up by ``inbound_sweep``.
- ``inbound_process`` matches the client (``crm.services.matching``), links the
  conversation to the client's open lead (or a new one), puts the message on the
  lead's timeline and tells the agent. It runs once per message, however often
  it is called.
"""

import contextlib
import datetime as dt
import json
import logging
import uuid
from dataclasses import asdict

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import ActivityKind, Notification, StageKind
from crm.services.matching import Identifiers, client_match, open_lead_for
from crm.services.timeline import activity_record
from integrations.messages import InboundMessage, StatusUpdate
from messaging.models import Conversation, Message

logger = logging.getLogger(__name__)
PREVIEW_LENGTH = 200
# Receipts move a message forward only: a late "delivered" never undoes "read".
STATUS_AFTER = {
    Message.Status.SENT: (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.FAILED),
    Message.Status.DELIVERED: (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT,
                               Message.Status.FAILED),
    Message.Status.READ: (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT,
                          Message.Status.DELIVERED, Message.Status.FAILED),
    Message.Status.FAILED: (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT),
}
SWEEP_AFTER = dt.timedelta(minutes=2)

_INSERT = """
WITH new AS (
    INSERT INTO messaging_message (
        conversation_id, platform, chat_id, message_id, crm_id, direction, sender_name, sender_ids, text,
        attachments, status, error, raw, created_at, needs_processing, send_attempts
    ) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s::jsonb, %s, '', %s::jsonb, %s, TRUE, 0)
    ON CONFLICT (platform, chat_id, message_id) DO NOTHING
    RETURNING id, created_at
), touched AS (
    UPDATE messaging_conversation AS c SET
        unread_count = c.unread_count + %s,
        last_message_at = GREATEST(c.last_message_at, new.created_at),
        preview = %s,
        status = %s
    FROM new WHERE c.id = %s
    RETURNING c.id
)
SELECT id FROM new
"""


def preview_of(text: str, attachments: list) -> str:
    text = " ".join(text.split())
    if not text and attachments:
        text = "📎 " + ", ".join(str(item.get("type", "")) for item in attachments)
    return text[:PREVIEW_LENGTH]


def _conversation_id(inbound: InboundMessage) -> int:
    platform, chat_id = inbound.platform, inbound.chat_id
    found = Conversation.objects.filter(platform=platform, chat_id=chat_id).values_list("pk", flat=True).first()
    if found is not None:
        return found
    Conversation.objects.bulk_create([Conversation(
        platform=platform, chat_id=chat_id, title=inbound.chat_title[:200],
        wazzup_channel_id=inbound.extra.get("channel_id", "")[:64],
    )], ignore_conflicts=True)
    return Conversation.objects.filter(platform=platform, chat_id=chat_id).values_list("pk", flat=True).get()


def _adopt_echo(inbound: InboundMessage) -> bool:
    """Wazzup may echo a message we sent ourselves (it names our crmMessageId): that
    row gets Wazzup's id instead of a second, outgoing copy."""
    crm_id = inbound.extra.get("crm_message_id")
    if inbound.direction != Message.Direction.OUT or not crm_id:
        return False
    try:
        crm_uuid = uuid.UUID(crm_id)
    except ValueError:
        return False
    ours = Message.objects.filter(crm_id=crm_uuid, platform=inbound.platform)
    ours.filter(message_id__isnull=True).update(message_id=inbound.message_id)
    return ours.exists()


def message_receive(*, inbound: InboundMessage) -> tuple[int | None, bool]:
    """Store one delivered message once. Returns (message id, stored now); the id is
    None for a re-delivery. A new message is handed to ``inbound_process`` after commit."""
    if _adopt_echo(inbound):
        return None, False
    conversation_id = _conversation_id(inbound)
    incoming = inbound.direction != Message.Direction.OUT
    now = timezone.now()
    params = [
        conversation_id, inbound.platform, inbound.chat_id, inbound.message_id[:255], uuid.uuid4(),
        inbound.direction, inbound.contact.name[:200],
        json.dumps({k: v for k, v in asdict(inbound.contact).items() if v and k != "name"}, ensure_ascii=False),
        inbound.text, json.dumps(inbound.attachments, ensure_ascii=False),
        Message.Status.RECEIVED if incoming else Message.Status.SENT,
        json.dumps(inbound.raw, ensure_ascii=False), now,
        1 if incoming else 0, preview_of(inbound.text, inbound.attachments), Conversation.Status.OPEN,
        conversation_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, params)
        row = cursor.fetchone()
    if row is None:
        return None, False
    message_id = row[0]
    transaction.on_commit(lambda: _hand_over(message_id))
    return message_id, True


def _hand_over(message_id: int) -> None:
    from messaging.tasks import inbound_process_task

    try:
        inbound_process_task.delay(message_id)
    except Exception:
        # Stored all the same: the sweep hands it over once the broker is back.
        logger.exception("Could not queue processing of message %s; the sweep will", message_id)


def status_update(*, update: StatusUpdate) -> int:
    """Apply a delivery receipt to our outgoing message (forward only); the number
    of messages it changed (0 for an unknown id or an older news)."""
    match = Q(message_id=update.message_id)
    if update.crm_id:
        with contextlib.suppress(ValueError):
            match |= Q(crm_id=uuid.UUID(update.crm_id))
    changes = {"status": update.status}
    if update.status == Message.Status.FAILED:
        changes["error"] = update.error or _("The provider could not deliver the message.")
    elif update.status == Message.Status.SENT:
        changes["sent_at"] = update.at or timezone.now()
    return Message.objects.filter(match, platform=update.platform, direction=Message.Direction.OUT,
                                  status__in=STATUS_AFTER[update.status]).update(**changes)


def _notify(conversation: Conversation, message: Message) -> None:
    user = conversation.assignee
    if user is None or message.direction != Message.Direction.IN:
        return
    if Notification.objects.filter(user=user, kind=Notification.Kind.NEW_MESSAGE, lead=conversation.lead,
                                   read_at__isnull=True).exists():
        return
    Notification.objects.create(
        user=user, kind=Notification.Kind.NEW_MESSAGE, lead=conversation.lead,
        text=(_("New message from %(name)s: %(text)s") % {"name": conversation.title,
                                                           "text": message.text[:200]})[:500],
    )


def timeline_text(message: Message) -> str:
    arrow = "←" if message.direction == Message.Direction.IN else "→"
    body = message.text or preview_of("", message.attachments)
    return f"{message.get_platform_display()} {arrow} {body}"


@transaction.atomic
def inbound_process(*, message_id: int) -> bool:
    """Match, link, record and notify for one stored message; False when it was done before."""
    message = Message.objects.select_for_update().filter(pk=message_id, needs_processing=True).first()
    if message is None:
        return False
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related("client", "lead__stage", "assignee").get(
        pk=message.conversation_id)
    ids = Identifiers(name=message.sender_name, **message.sender_ids)
    if conversation.client is None and ids.normalised().lookups():
        conversation.client = client_match(identifiers=ids, source=conversation.platform).client
    if conversation.client is not None:
        lead = conversation.lead
        if lead is None or lead.stage.kind != StageKind.OPEN or lead.client_id != conversation.client_id:
            lead, _created = open_lead_for(client=conversation.client, source=conversation.platform)
            conversation.lead = lead
        if conversation.assignee_id is None and lead.assignee_id is not None:
            conversation.assignee = lead.assignee
        activity_record(client=conversation.client, lead=conversation.lead, kind=ActivityKind.MESSAGE,
                        text=timeline_text(message), author=message.author,
                        data={"message": message.pk, "conversation": conversation.pk, "direction": message.direction,
                              "platform": message.platform})
    conversation.save(update_fields=["client", "lead", "assignee"])
    _notify(conversation, message)
    message.needs_processing = False
    message.save(update_fields=["needs_processing"])
    return True


def inbound_sweep(*, older_than: dt.timedelta = SWEEP_AFTER, limit: int = 500) -> list[int]:
    """Ids of stored messages still waiting for processing a while after they came
    (their hand-over to the worker was lost): the periodic job queues them again."""
    cutoff = timezone.now() - older_than
    return list(Message.objects.filter(needs_processing=True, created_at__lt=cutoff).order_by("created_at")
                .values_list("pk", flat=True)[:limit])
