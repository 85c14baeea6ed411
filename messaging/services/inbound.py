"""Receiving: a provider's delivery stored once, fast, before the webhook answers;
everything slower happens afterwards in ``inbound_process`` (a Celery task).

- ``message_receive`` is the webhook's whole job: find or create the
  conversation, insert the message unless (platform, chat, provider id) is
  already there, and count it unread — one statement, so a concurrent
  re-delivery waits for the first and then inserts nothing. A message stored
  for the first time is handed to the worker after commit: a drain is queued
  unless one is already (see ``inbound_drain``); what a lost hand-over leaves
  is taken by the periodic drain.
- ``inbound_process`` matches the client (``crm.services.matching``), links the
  conversation to the client's open lead (or a new one), puts the message on the
  lead's timeline and tells the agent. It runs once per message, however often
  it is called.
"""

import contextlib
import datetime as dt
import json
import logging
import time
import uuid

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import ActivityKind, Notification, StageKind
from crm.services.matching import Identifiers, client_match, open_lead_for
from crm.services.timeline import activity_record
from integrations.messages import InboundMessage, StatusUpdate
from messaging.models import Conversation, InboundDrain, Message, excerpt

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
# A drain flag older than this was never published (broker down): raise it again.
DRAIN_STALE_SECONDS = 120
# How long a drain waits, once empty, before its last look for in-flight deliveries.
DRAIN_GRACE_SECONDS = 1.0

# One round trip: find or create the conversation, insert the message unless it is
# there already, and count it on the conversation. Sub-statements of one WITH do not
# see each other's rows, so a conversation created here starts with the message
# counted, and only an existing one is updated. When a concurrent delivery created
# the conversation a moment ago (invisible to this statement), nothing is inserted
# and ``conversations`` is 0: the caller runs the statement again. A stored message
# also raises the drain flag when it is down (or stuck: its drain was never
# published), and then the caller queues a drain; a plain UPDATE that matches
# nothing takes no lock, so deliveries do not queue behind the flag's row.
_RECEIVE = """
WITH existing AS (
    SELECT id FROM messaging_conversation WHERE platform = %(platform)s AND chat_id = %(chat_id)s
), created AS (
    INSERT INTO messaging_conversation (
        platform, chat_id, title, status, unread_count, last_message_at, preview, wazzup_channel_id, created_at
    )
    SELECT %(platform)s, %(chat_id)s, %(title)s, 'open', %(unread)s, %(now)s, %(preview)s, %(channel)s, %(now)s
    WHERE NOT EXISTS (SELECT 1 FROM existing)
    ON CONFLICT (platform, chat_id) DO NOTHING
    RETURNING id
), conversation AS (
    SELECT id FROM existing UNION ALL SELECT id FROM created
), new AS (
    INSERT INTO messaging_message (
        conversation_id, platform, chat_id, message_id, crm_id, direction, sender_name, sender_ids, text,
        attachments, status, error, raw, created_at, needs_processing, send_attempts
    )
    SELECT conversation.id, %(platform)s, %(chat_id)s, %(message_id)s, %(crm_id)s, %(direction)s, %(sender)s,
           %(sender_ids)s::jsonb, %(text)s, %(attachments)s::jsonb, %(status)s, '', %(raw)s::jsonb, %(now)s, TRUE, 0
    FROM conversation
    ON CONFLICT (platform, chat_id, message_id) DO NOTHING
    RETURNING id
), touched AS (
    UPDATE messaging_conversation AS c SET
        unread_count = c.unread_count + %(unread)s,
        last_message_at = GREATEST(c.last_message_at, %(now)s),
        preview = %(preview)s,
        status = 'open'
    FROM existing, new WHERE c.id = existing.id
    RETURNING c.id
), flagged AS (
    UPDATE messaging_inbounddrain SET queued = TRUE, queued_at = %(now)s
    WHERE id = 1 AND (NOT queued OR queued_at < %(stale)s) AND EXISTS (SELECT 1 FROM new)
    RETURNING id
)
SELECT (SELECT id FROM new), (SELECT count(*) FROM conversation), (SELECT count(*) FROM flagged),
       (SELECT count(*) FROM messaging_inbounddrain)
"""


def preview_of(text: str, attachments: list) -> str:
    text = " ".join(text.split())
    if not text and attachments:
        text = "📎 " + ", ".join(str(item.get("type", "")) for item in attachments)
    return text[:PREVIEW_LENGTH]


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


def _receive_cursor():
    """A cursor on Django's connection that binds parameters on the server, so the
    receiving statement is prepared once per connection instead of planned for
    every delivery (Django's own cursors bind on the client).

    Django opens its connections with psycopg's prepared statements switched off
    (``prepare_threshold=None``), and then ``prepare=True`` prepares nothing: the
    statement was parsed and planned on every delivery, three quarters of its
    time in PostgreSQL. Switching them on for the connection affects only cursors
    like this one, since Django's client-side cursors never prepare.

    ``DATABASE_PREPARED_STATEMENTS`` off (behind a PgBouncer in transaction mode
    that cannot keep prepared statements): bound on the server all the same, as
    an unnamed statement, parsed and planned every time."""
    connection.ensure_connection()
    if settings.DATABASE_PREPARED_STATEMENTS and connection.connection.prepare_threshold is None:
        connection.connection.prepare_threshold = 5
    return psycopg.Cursor(connection.connection)


def message_receive(*, inbound: InboundMessage, raw_json: str | None = None) -> tuple[int | None, bool]:
    """Store one delivered message once. Returns (message id, stored now); the id is
    None for a re-delivery. A new message is handed to ``inbound_process`` after
    commit. ``raw_json``: the delivery as received, when the caller has it (else
    ``inbound.raw`` is serialised). What the message holds must be storable
    already (the webhooks clean it as they read it: ``integrations.text``)."""
    if _adopt_echo(inbound):
        return None, False
    incoming = inbound.direction != Message.Direction.OUT
    now = timezone.now()
    params = {
        "platform": inbound.platform, "chat_id": inbound.chat_id, "title": inbound.chat_title[:200],
        "channel": inbound.extra.get("channel_id", "")[:64], "now": now,
        "stale": now - dt.timedelta(seconds=DRAIN_STALE_SECONDS),
        "unread": 1 if incoming else 0, "preview": preview_of(inbound.text, inbound.attachments),
        "message_id": inbound.message_id[:255], "crm_id": uuid.uuid4(), "direction": inbound.direction,
        "sender": inbound.contact.name[:200],
        "sender_ids": json.dumps({k: v for k, v in vars(inbound.contact).items() if v and k != "name"},
                                 ensure_ascii=False),
        "text": inbound.text,
        "attachments": json.dumps(inbound.attachments, ensure_ascii=False) if inbound.attachments else "[]",
        "status": Message.Status.RECEIVED if incoming else Message.Status.SENT,
        "raw": raw_json if raw_json is not None else json.dumps(inbound.raw, ensure_ascii=False),
    }
    if connection.vendor == "postgresql":
        with _receive_cursor() as cursor:
            for _attempt in range(3):
                cursor.execute(_RECEIVE, params, prepare=settings.DATABASE_PREPARED_STATEMENTS)
                message_id, conversations, flagged, flag_rows = cursor.fetchone()
                if conversations:
                    break
    else:
        message_id, flagged, flag_rows = _receive_portable(params)
    if message_id is None:
        return None, False
    if flagged or not flag_rows:
        transaction.on_commit(_hand_over)
    return message_id, True


def _receive_portable(params: dict) -> tuple[int | None, int, int]:
    """The same storing as ``_RECEIVE`` through the ORM, for databases other than
    PostgreSQL (SQLite on a laptop): slower, equally once-only, since the unique
    constraints decide. Returns (message id or None, flag raised, flag rows)."""
    with transaction.atomic():
        conversation, _created = Conversation.objects.get_or_create(
            platform=params["platform"], chat_id=params["chat_id"],
            defaults={"title": params["title"], "wazzup_channel_id": params["channel"], "created_at": params["now"]},
        )
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    conversation=conversation, platform=params["platform"], chat_id=params["chat_id"],
                    message_id=params["message_id"], crm_id=params["crm_id"], direction=params["direction"],
                    sender_name=params["sender"], sender_ids=json.loads(params["sender_ids"]), text=params["text"],
                    attachments=json.loads(params["attachments"]), status=params["status"],
                    raw=json.loads(params["raw"]), created_at=params["now"], needs_processing=True,
                )
        except IntegrityError:
            return None, 0, 1
        Conversation.objects.filter(pk=conversation.pk).update(
            unread_count=F("unread_count") + params["unread"], last_message_at=params["now"],
            preview=params["preview"], status=Conversation.Status.OPEN,
        )
        flagged = InboundDrain.objects.filter(Q(queued=False) | Q(queued_at__lt=params["stale"]), pk=1).update(
            queued=True, queued_at=params["now"]
        )
        return message.pk, flagged, InboundDrain.objects.filter(pk=1).count()


def _hand_over() -> None:
    """Queue a drain (the statement that stored the message raised the flag)."""
    from messaging.tasks import inbound_drain_task

    InboundDrain.objects.get_or_create(pk=1, defaults={"queued": True, "queued_at": timezone.now()})
    try:
        inbound_drain_task.delay()
    except Exception:
        # Stored all the same: the next delivery after DRAIN_STALE_SECONDS, or the periodic drain, takes it.
        logger.exception("Could not queue the processing of inbound messages; a later drain will")


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


def message_record(*, conversation: Conversation, message: Message) -> None:
    """The message's entry on the client's timeline (and its lead's). The entry
    refers to the message and keeps only an excerpt of its text (the message is
    the one copy); a longer text is a link away (``full_text_url``)."""
    arrow = "←" if message.direction == Message.Direction.IN else "→"
    body = message.text or preview_of("", message.attachments)
    data = {"message": message.pk, "conversation": conversation.pk, "direction": message.direction,
            "platform": message.platform}
    if message.is_long:
        data["full_text_url"] = reverse("messaging:message_text", args=[message.pk])
    activity_record(client=conversation.client, lead=conversation.lead, kind=ActivityKind.MESSAGE,
                    author=message.author, text=f"{message.get_platform_display()} {arrow} {excerpt(body)}", data=data)


@transaction.atomic
def inbound_process(*, message_id: int) -> bool:
    """Match, link, record and notify for one stored message; False when it was done before."""
    message = Message.objects.select_for_update().filter(pk=message_id, needs_processing=True).first()
    if message is None:
        return False
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related("client", "lead__stage", "assignee").get(
        pk=message.conversation_id)
    ids = Identifiers(name=message.sender_name, **message.sender_ids)
    if conversation.client is None and ids.normalised().identifies:
        conversation.client = client_match(identifiers=ids, source=conversation.platform).client
    if conversation.client is not None:
        lead = conversation.lead
        if lead is None or lead.stage.kind != StageKind.OPEN or lead.client_id != conversation.client_id:
            lead, _created = open_lead_for(client=conversation.client, source=conversation.platform)
            conversation.lead = lead
        if conversation.assignee_id is None and lead.assignee_id is not None:
            conversation.assignee = lead.assignee
        message_record(conversation=conversation, message=message)
    conversation.save(update_fields=["client", "lead", "assignee"])
    _notify(conversation, message)
    message.needs_processing = False
    message.save(update_fields=["needs_processing"])
    if message.direction == Message.Direction.IN and message.text.strip():
        transaction.on_commit(lambda: _assist(message.pk))
    return True


def _assist(message_id: int) -> None:
    """Hand the message to the assistant (its periodic sweep takes it when the broker is down)."""
    from messaging.tasks import message_assist_task

    try:
        message_assist_task.delay(message_id)
    except Exception:
        logger.exception("Could not queue the assistant for message %s; its sweep will", message_id)


def _lower_flag() -> None:
    InboundDrain.objects.filter(pk=1).update(queued=False)


def _raise_flag() -> bool:
    return bool(InboundDrain.objects.filter(pk=1, queued=False).update(queued=True, queued_at=timezone.now()))


def inbound_drain(*, batch: int = 100, grace: float = DRAIN_GRACE_SECONDS) -> int:
    """Process every message waiting for it, oldest first; the number processed.

    The flag that stops deliveries from queueing more drains is lowered only
    once nothing is left; then, after ``grace`` seconds (longer than a delivery's
    statement takes), the drain looks once more: a message whose statement saw
    the flag still up was stored by then, and this drain takes it. A message
    whose processing fails stays waiting (logged) for a later drain; one runs
    every few minutes."""
    processed, failed = 0, set()
    while True:
        waiting = list(Message.objects.filter(needs_processing=True).exclude(pk__in=failed)
                       .order_by("pk").values_list("pk", flat=True)[:batch])
        if not waiting:
            _lower_flag()
            if grace:
                time.sleep(grace)
            if not Message.objects.filter(needs_processing=True).exclude(pk__in=failed).exists():
                return processed
            if not _raise_flag():
                return processed  # a delivery raised it: its drain takes them
            continue
        for message_id in waiting:
            try:
                processed += inbound_process(message_id=message_id)
            except Exception:
                logger.exception("Processing inbound message %s failed; it stays waiting", message_id)
                failed.add(message_id)
