"""Replying: a reply is stored first (queued) and sent by a Celery task through
the provider of its conversation.

- ``reply_create`` takes the reply's own id (``crm_id``) from the form or the
  API: the same id twice (a double click, a resent request) finds the first
  reply instead of making a second.
- ``message_send`` claims the message with a conditional update (queued →
  sending), so two runs of the task send once. A transient failure (no
  connection, 429, 5xx) puts it back in the queue for the task to try again with
  backoff; anything else — or the last try — marks it failed with the reason,
  which the thread shows with a retry button (``message_retry``).
- Wazzup gets our id as ``crmMessageId`` and refuses a repeat, so a send whose
  answer was lost is simply tried again. Telegram, WhatsApp and mail have no
  such key: a send that got no answer may have gone out, so it is marked failed
  for a person to check rather than sent twice.
- The database, not the broker, holds what is to be sent: a queued reply says
  when its next try is due (``send_due_at``). Handing it to the broker may fail
  (Redis down) without failing the reply; ``replies_overdue_claim`` finds the
  replies whose try is overdue and hands them over again (the sweep).
"""

import datetime as dt
import logging
import random
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import access
from integrations.email.client import email_send
from integrations.email.inbound import reply_address
from integrations.http import ProviderError
from integrations.telegram import client as telegram
from integrations.wazzup import client as wazzup
from integrations.wazzup.inbound import split_chat_key
from integrations.whatsapp import client as whatsapp
from messaging.models import Conversation, Draft, Message, Platform
from messaging.services.inbound import message_record, preview_of

logger = logging.getLogger(__name__)
MAX_LENGTH = 4096
# A send still "sending" this long after it started was cut off (a worker died).
STALE_SENDING = dt.timedelta(minutes=10)
IDEMPOTENT_PLATFORMS = {Platform.WAZZUP}
# The code of the refusal of a reply id already used for another reply.
KEY_REUSED = "key_reused"


@dataclass(frozen=True)
class SendOutcome:
    status: str
    retry_in: float | None = None


def may_reply(user, conversation: Conversation) -> bool:
    return (access.is_agent(user) or access.is_supervisor(user)) and access.can_change(user, conversation)


def _author_name(user) -> str:
    return (user.get_full_name() or user.get_username())[:200]


@transaction.atomic
def reply_create(*, conversation: Conversation, user, text: str, crm_id: uuid.UUID | None = None
                 ) -> tuple[Message, bool]:
    """Store a reply (queued) and hand it to the sending task after commit.
    Returns (the reply, created now). The same ``crm_id`` again is the same reply
    only from the same person, in the same conversation, with the same text; any
    other use of it is refused (``KEY_REUSED``), never sent elsewhere."""
    if not may_reply(user, conversation):
        raise PermissionDenied(_("You may not reply in this conversation."))
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write the reply first."), code="empty")
    if len(text) > MAX_LENGTH:
        raise ValidationError(_("A reply can be at most %(max)d characters long."), params={"max": MAX_LENGTH},
                              code="too_long")
    crm_id = crm_id or uuid.uuid4()
    message = Message(conversation=conversation, platform=conversation.platform, chat_id=conversation.chat_id,
                      crm_id=crm_id, direction=Message.Direction.OUT, author=user, sender_name=_author_name(user),
                      text=text, status=Message.Status.QUEUED, send_due_at=timezone.now())
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        earlier = Message.objects.filter(crm_id=crm_id).first()
        if earlier is None:
            raise
        if (earlier.conversation_id, earlier.author_id, earlier.text) != (conversation.pk, user.pk, text):
            raise ValidationError(_("This key was already used for another reply."), code=KEY_REUSED) from None
        return earlier, False
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=message.created_at, preview=preview_of(text, []), unread_count=0,
        status=Conversation.Status.OPEN,
    )
    # A person's reply answers what the assistant's pending draft would have
    # (``draft_send`` then marks its own draft sent or edited).
    Draft.objects.filter(conversation=conversation, status=Draft.Status.PENDING).update(
        status=Draft.Status.SUPERSEDED, decided_at=timezone.now())
    _record_and_queue(conversation, message)
    return message, True


@transaction.atomic
def system_reply_create(*, conversation: Conversation, text: str, sender_name: str,
                        reply_markup: dict | None = None) -> Message:
    """A reply written by the system (the assistant's auto-sent draft, the
    Telegram bot), stored and sent like a person's; ``reply_markup``: Telegram
    buttons, kept on the message and sent with it."""
    text = (text or "").strip()[:MAX_LENGTH]
    if not text:
        raise ValidationError(_("Write the reply first."), code="empty")
    message = Message.objects.create(
        conversation=conversation, platform=conversation.platform, chat_id=conversation.chat_id,
        direction=Message.Direction.OUT, sender_name=sender_name[:200], text=text, status=Message.Status.QUEUED,
        send_due_at=timezone.now(), raw={"reply_markup": reply_markup} if reply_markup else {},
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at,
                                                         preview=preview_of(text, []))
    _record_and_queue(conversation, message)
    return message


def _record_and_queue(conversation: Conversation, message: Message) -> None:
    """A stored reply goes on the lead's timeline and to the sending task (after commit)."""
    if conversation.client_id:
        message_record(conversation=conversation, message=message)
    _queue(message.pk)


def _queue(message_id: int) -> None:
    transaction.on_commit(lambda: _hand_over(message_id))


def _hand_over(message_id: int) -> None:
    """Give the reply to the sending task; with the broker down it waits, stored
    as queued, for the sweep (``replies_overdue_claim``)."""
    from messaging.tasks import message_send_task

    try:
        message_send_task.delay(message_id)
    except Exception:
        logger.exception("Could not queue reply %s for sending; the sweep will send it", message_id)


@transaction.atomic
def replies_overdue_claim(*, overdue_after: dt.timedelta) -> list[int]:
    """The queued replies whose try has been due for ``overdue_after`` (their
    hand-over to the broker failed, or its task was lost), each marked due now, so
    that the next sweep leaves them alone for as long again. Two sweeps at once
    take different rows; were a reply handed over twice, its send still claims it
    once (``message_send``)."""
    now = timezone.now()
    overdue = list(
        Message.objects.filter(direction=Message.Direction.OUT, status=Message.Status.QUEUED,
                               send_due_at__lt=now - overdue_after)
        .order_by("send_due_at").select_for_update(skip_locked=True).values_list("pk", flat=True)
    )
    Message.objects.filter(pk__in=overdue).update(send_due_at=now)
    for message_id in overdue:
        _queue(message_id)
    return overdue


@transaction.atomic
def message_retry(*, message: Message, user) -> bool:
    """Send a failed reply again (the retry button); False when it is not failed (any more)."""
    if not may_reply(user, message.conversation):
        raise PermissionDenied(_("You may not reply in this conversation."))
    again = Message.objects.filter(pk=message.pk, direction=Message.Direction.OUT, status=Message.Status.FAILED
                                   ).update(status=Message.Status.QUEUED, error="", send_due_at=timezone.now())
    if again:
        _queue(message.pk)
    return bool(again)


def _claim(message_id: int) -> tuple[Message | None, bool]:
    """Take a queued reply for sending (queued → sending); or one left "sending" by a
    worker that died (then the second value is True)."""
    now = timezone.now()
    mine = Message.objects.filter(pk=message_id, direction=Message.Direction.OUT)
    changes = {"status": Message.Status.SENDING, "send_attempts": F("send_attempts") + 1, "send_started_at": now}
    if mine.filter(status=Message.Status.QUEUED).update(**changes):
        interrupted = False
    elif mine.filter(status=Message.Status.SENDING, send_started_at__lt=now - STALE_SENDING).update(**changes):
        interrupted = True
    else:
        return None, False
    return Message.objects.select_related("conversation__client").get(pk=message_id), interrupted


def _email_thread(conversation: Conversation) -> tuple[str, str]:
    last = (conversation.messages.filter(direction=Message.Direction.IN).order_by("-created_at", "-pk")
            .values("message_id", "raw").first()) or {"message_id": "", "raw": {}}
    subject = (last["raw"] or {}).get("subject", "") or _("Your request")
    subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    in_reply_to = last["message_id"] if last["message_id"] and not last["message_id"].startswith("sha256:") else ""
    return subject, in_reply_to


def _deliver(message: Message) -> str | None:
    """Send through the conversation's provider; the provider's id of the sent message."""
    conversation = message.conversation
    if conversation.platform == Platform.TELEGRAM:
        return telegram.send_message(chat_id=conversation.chat_id, text=message.text,
                                     reply_markup=(message.raw or {}).get("reply_markup"))
    if conversation.platform == Platform.WHATSAPP:
        return whatsapp.send_text(to=conversation.chat_id, text=message.text)
    if conversation.platform == Platform.WAZZUP:
        chat_type, chat_id = split_chat_key(conversation.chat_id)
        channel = conversation.wazzup_channel_id or settings.WAZZUP_CHANNEL_ID
        return wazzup.send_text(channel_id=channel, chat_type=chat_type, chat_id=chat_id, text=message.text,
                                crm_message_id=str(message.crm_id))
    address = reply_address(conversation.chat_id) if "@" in conversation.chat_id else (
        conversation.client.email if conversation.client else "")
    if not address:
        raise ProviderError(_("This conversation has no e-mail address to answer to."), service="email")
    subject, in_reply_to = _email_thread(conversation)
    return email_send(to=address, subject=subject, body=message.text, in_reply_to=in_reply_to,
                      message_id=f"{message.crm_id}@{settings.DEFAULT_FROM_EMAIL.rsplit('@', 1)[-1].strip('> ')}")


def _fail(message_id: int, reason: str) -> SendOutcome:
    Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
        status=Message.Status.FAILED, error=reason[:2000])
    return SendOutcome(Message.Status.FAILED)


def backoff(attempt: int) -> float:
    """Seconds before the next try: doubling from ``MESSAGING_RETRY_BACKOFF``, with jitter."""
    return settings.MESSAGING_RETRY_BACKOFF * 2 ** attempt * random.uniform(0.8, 1.2)


def message_send(*, message_id: int, last_try: bool = False, attempt: int = 0) -> SendOutcome:
    """Send one queued reply (see the module's rules). ``last_try``: a transient
    failure now marks it failed instead of queueing it again."""
    message, interrupted = _claim(message_id)
    if message is None:
        return SendOutcome("skipped")
    if interrupted and message.platform not in IDEMPOTENT_PLATFORMS:
        return _fail(message_id, _("Sending was interrupted; the message may not have gone out. Check, then retry."))
    try:
        provider_id = _deliver(message)
    except ProviderError as exc:
        reason = str(exc) if not exc.status_code else f"HTTP {exc.status_code}: {exc}"
        uncertain = exc.maybe_done and message.platform not in IDEMPOTENT_PLATFORMS
        if uncertain:
            return _fail(message_id, _("No answer from the provider: the message may have gone out. Check, then "
                                       "retry. (%(reason)s)") % {"reason": reason})
        if exc.transient and not last_try:
            retry_in = max(exc.retry_after or 0, backoff(attempt))
            Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
                status=Message.Status.QUEUED, error=reason[:2000],
                send_due_at=timezone.now() + dt.timedelta(seconds=retry_in))
            return SendOutcome(Message.Status.QUEUED, retry_in=retry_in)
        return _fail(message_id, reason)
    except Exception as exc:
        logger.exception("Sending message %s failed", message_id)
        return _fail(message_id, f"{type(exc).__name__}: {exc}")
    changes = {"status": Message.Status.SENT, "sent_at": timezone.now(), "error": ""}
    if provider_id:
        changes["message_id"] = provider_id[:255]
    try:
        Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(**changes)
    except IntegrityError:
        # The provider's id is already stored (a receipt or an echo got here first).
        changes.pop("message_id")
        Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(**changes)
    return SendOutcome(Message.Status.SENT)
