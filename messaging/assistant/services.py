"""The assistant's work on one inbound message, and the agent's decisions on
its drafts.

``message_assist`` runs in Celery after ``inbound_process`` linked the message
to its client and lead. Once per message, however often it runs:

1. The Telegram bot gets the message first (``bot.bot_handle``); what it
   answers needs no draft.
2. Understand it (``extraction.extract``: the model when configured, else or
   on failure the rules).
3. Under the conversation's lock, record the ``MessageInsight`` (unique per
   message: a second run stops here), fill the lead's empty travel fields (an
   agent's value is never overwritten: the message's differing value becomes a
   suggestion), score it, and escalate complaints, urgent and payment
   messages to the assignee and managers at once.
4. Outside any lock (SAMO and the model may take seconds), find real offers
   and write the draft; then store it as the conversation's one pending draft,
   or send it on its own when an admin allowed that intent and the assistant
   is sure enough. A draft is written only for the conversation's latest
   inbound message.

A failure in step 4 leaves the insight (``done`` False) for a re-run; nothing
here can lose or block the message, which was stored before any of it. Each run
is counted before it starts (``assist_attempt_count``); after
``ASSISTANT_MAX_ATTEMPTS`` failed or killed runs the message is marked not
understood (``assist_give_up``) and is never tried again.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import time
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm import access
from crm.models import Activity, ActivityKind, Channel, Currency, Lead, Notification, Order, StageKind
from crm.roles import Role
from messaging.assistant.extraction import Extraction, Intent, extract
from messaging.assistant.offers import RUSSIAN_NAMES, OfferPick, TripRequest, offers_for
from messaging.assistant.scoring import lead_score
from messaging.models import AssistantSettings, BotSession, Conversation, Draft, Message, MessageInsight
from messaging.services.outbound import may_reply, reply_create, system_reply_create

logger = logging.getLogger(__name__)
ASSISTANT_NAME = "Crystal Bay AI"
BOT_ENGINE = "bot"  # the insight of a message the Telegram bot answered
# Extraction field → lead field.
LEAD_FIELDS = {
    "destination_country": "destination_country", "destination_resort": "destination_resort",
    "departure_city": "departure_city", "date_from": "date_from", "date_to": "date_to",
    "nights_from": "nights_from", "nights_to": "nights_to", "adults": "adults", "children": "children",
    "children_ages": "children_ages", "budget_amount": "budget", "budget_currency": "budget_currency",
}
PLACE_FIELDS = {"destination_country", "destination_resort", "departure_city"}
ENGLISH_NAMES = {russian.casefold(): english for english, russian in RUSSIAN_NAMES.items()}
MESSAGE_SOURCES = {Channel.TELEGRAM, Channel.WHATSAPP, Channel.WAZZUP, Channel.EMAIL}
# Fields with a default rather than a blank: on a lead no agent created they count as unsaid.
DEFAULTED = {"adults", "children", "budget_currency"}


def _escalates(extraction: Extraction) -> bool:
    return extraction.urgent or extraction.intent in Intent.NEVER_AUTO


def _agent_fields(lead: Lead) -> set[str]:
    """The travel fields a person has set on this lead (edits are on its timeline)."""
    owned: set[str] = set()
    for data in Activity.objects.filter(lead=lead, author__isnull=False, data__has_key="fields").values_list(
            "data", flat=True):
        owned.update(data.get("fields") or ())
    if lead.created_by_id:
        owned.update(name for name in LEAD_FIELDS.values()
                     if name not in DEFAULTED and getattr(lead, name) not in (None, "", []))
    return owned


def _said(extraction: Extraction) -> dict:
    said = {}
    for source, target in LEAD_FIELDS.items():
        value = getattr(extraction, source)
        if value in (None, []):
            continue
        if target == "budget_currency" and (value not in Currency.values or extraction.budget_amount is None):
            continue
        if target in PLACE_FIELDS:
            # The lead speaks the agency's language, as SAMO's catalogue and the bot do ("Нячанг").
            value = RUSSIAN_NAMES.get(value, str(value))[:100]
        said[target] = value
    return said


def _assistant_fields(lead: Lead) -> set[str]:
    """The travel fields the assistant itself has written on this lead."""
    mine: set[str] = set()
    for data in Activity.objects.filter(lead=lead, kind=ActivityKind.AI, data__has_key="filled").values_list(
            "data", flat=True):
        mine.update(data.get("filled") or ())
    return mine


def _place_key(name: str) -> str:
    return ENGLISH_NAMES.get(name.casefold(), name).casefold()


def _same(name: str, current, value) -> bool:
    """Equal, or the same place named in Russian and in English ("Нячанг", "Nha Trang")."""
    if current == value:
        return True
    if name in PLACE_FIELDS and isinstance(current, str) and isinstance(value, str):
        return _place_key(current) == _place_key(value)
    return False


def lead_fill(*, lead: Lead, extraction: Extraction) -> tuple[list[str], dict]:
    """Write what the message says into the lead's empty travel fields (and the
    ones the assistant wrote itself before); a field that holds someone else's
    value — an agent's, the booking form's — keeps it, and the message's differing
    value becomes a suggestion. Returns (fields written, suggestions)."""
    person, mine = _agent_fields(lead), _assistant_fields(lead)
    # A lead the system opened for a message holds defaults, not answers, in these.
    from_message = lead.created_by_id is None and lead.source in MESSAGE_SOURCES
    filled, suggestions = [], {}
    for name, value in _said(extraction).items():
        current = getattr(lead, name)
        if _same(name, current, value):
            continue
        empty = current in (None, "", []) or (name in DEFAULTED and from_message)
        if name not in person and (empty or name in mine):
            setattr(lead, name, value)
            filled.append(name)
        else:
            suggestions[name] = value.isoformat() if hasattr(value, "isoformat") else (
                str(value) if not isinstance(value, int | list) else value)
    if filled:
        lead.version += 1
        lead.save(update_fields=[*filled, "version", "updated_at"])
        with translation.override(settings.LANGUAGE_CODE):
            labels = ", ".join(str(Lead._meta.get_field(name).verbose_name) for name in filled)
            text = _("The assistant filled in from the client's message: %(fields)s") % {"fields": labels}
        Activity.objects.create(client_id=lead.client_id, lead=lead, kind=ActivityKind.AI, text=text,
                                data={"filled": filled})
    return filled, suggestions


def _escalate(*, conversation: Conversation, lead: Lead | None, message: Message, extraction: Extraction) -> None:
    """Tell the assignee and every manager at once."""
    recipients = {user.pk: user for user in get_user_model().objects.filter(
        is_active=True, groups__name=Role.MANAGER).distinct()}
    assignee = conversation.assignee or (lead.assignee if lead else None)
    if assignee is not None and assignee.is_active:
        recipients[assignee.pk] = assignee
    with translation.override(settings.LANGUAGE_CODE):
        why = {Intent.COMPLAINT: _("complaint"), Intent.PAYMENT: _("payment")}.get(extraction.intent, _("urgent"))
        text = _("Needs a person now (%(why)s): %(name)s — %(text)s") % {
            "why": why, "name": conversation.title or conversation.chat_id, "text": message.text[:300]}
    Notification.objects.bulk_create([Notification(user=user, kind=Notification.Kind.ESCALATION, text=text[:500],
                                                   lead=lead) for user in recipients.values()])


def _orders(client_id: int | None) -> list[dict]:
    if client_id is None:
        return []
    return [{"order": row["pk"], "status": row["status"], "resort": row["destination_resort"],
             "hotel": row["hotel"], "departure": str(row["date_from"] or "")}
            for row in Order.objects.filter(client_id=client_id).order_by("-created_at").values(
                "pk", "status", "destination_resort", "hotel", "date_from")[:5]]


def _understand(message: Message, extraction: Extraction, started: float) -> MessageInsight | None:
    """Step 3 (see the module): the insight, the lead filled and scored, escalation."""
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
        "lead__stage", "client", "assignee").get(pk=message.conversation_id)
    if MessageInsight.objects.filter(message=message).exists():
        return None
    lead = conversation.lead
    if lead is not None:
        lead = Lead.objects.select_for_update(of=("self",)).select_related("stage", "assignee").get(pk=lead.pk)
    filled, suggestions = lead_fill(lead=lead, extraction=extraction) if lead is not None else ([], {})
    escalated = _escalates(extraction)
    insight = MessageInsight(
        message=message, lead=lead, intent=extraction.intent, language=extraction.language, engine=extraction.engine,
        confidence=extraction.confidence, urgent=extraction.urgent, escalated=escalated,
        fields=extraction.as_dict(), filled=filled, suggestions=suggestions,
        fallback="; ".join(note for note in extraction.notes if note.startswith("fallback"))[:200],
    )
    try:
        with transaction.atomic():
            insight.save()
    except IntegrityError:
        return None  # another run got here first
    if escalated:
        _escalate(conversation=conversation, lead=lead, message=message, extraction=extraction)
    insight.duration_ms = round((time.monotonic() - started) * 1000)
    insight.save(update_fields=["duration_ms"])
    return insight


def _score(insight: MessageInsight, extraction: Extraction, pick: OfferPick | None) -> None:
    lead = insight.lead
    if lead is None or lead.stage.kind != StageKind.OPEN:
        return
    with translation.override(settings.LANGUAGE_CODE):
        score = lead_score(extraction=extraction, trip=TripRequest.from_lead(lead), pick=pick,
                           orders=Order.objects.filter(client_id=lead.client_id).count(), stage_code=lead.stage.code,
                           today=timezone.localdate())
    stage = lead.pipeline.stages.filter(code=score.next_stage).first() if score.next_stage else None
    Lead.objects.filter(pk=lead.pk).update(ai_score=score.value, ai_category=score.category, ai_reasons=score.reasons)
    insight.score, insight.category, insight.reasons, insight.next_stage = (
        score.value, score.category, score.reasons, stage)
    insight.save(update_fields=["score", "category", "reasons", "next_stage"])


def _latest_inbound(conversation_id: int) -> int | None:
    return (Message.objects.filter(conversation_id=conversation_id, direction=Message.Direction.IN)
            .order_by("-created_at", "-pk").values_list("pk", flat=True).first())


def _draft(insight: MessageInsight, extraction: Extraction, *, regenerate: bool = False,
           options: AssistantSettings | None = None) -> Draft | None:
    """Step 4 (see the module)."""
    from messaging.assistant.drafts import draft_write

    message = insight.message
    conversation = Conversation.objects.select_related("client", "lead", "assignee").get(pk=message.conversation_id)
    lead = Lead.objects.select_related("stage", "pipeline").filter(pk=insight.lead_id).first()
    trip = (TripRequest.from_lead(lead) if lead else TripRequest()).merged(TripRequest.from_extraction(extraction))
    pick = None
    if extraction.intent in (Intent.TOUR_REQUEST, Intent.BOOKING) and not trip.missing() and not insight.escalated:
        # Another draft of the same message shows the next hotels.
        shown = sum(len(offers) for offers in Draft.objects.filter(message=message).values_list(
            "offers", flat=True)) if regenerate else 0
        with translation.override("en" if extraction.language == "en" else "ru"):
            pick = offers_for(trip, skip=shown)
    if lead is not None:
        _score(insight, extraction, pick)
    written = draft_write(conversation=conversation, lead=lead, extraction=extraction, trip=trip, pick=pick,
                          orders=_orders(conversation.client_id), escalated=insight.escalated)
    options = options or AssistantSettings.current()
    auto = (not regenerate and not insight.escalated and extraction.intent in options.auto_send_intents
            and extraction.intent not in Intent.NEVER_AUTO and extraction.confidence >= options.auto_send_confidence
            and (written.kind != Draft.Kind.OFFERS or bool(written.offers)))
    with transaction.atomic():
        Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
        if not regenerate and _latest_inbound(conversation.pk) != message.pk:
            MessageInsight.objects.filter(pk=insight.pk).update(done=True)
            return None  # a newer message came in: its own run drafts
        Draft.objects.filter(conversation=conversation, status=Draft.Status.PENDING).update(
            status=Draft.Status.SUPERSEDED, decided_at=timezone.now())
        draft = Draft.objects.create(
            conversation=conversation, message=message, lead=lead, kind=written.kind, language=extraction.language,
            engine=written.engine, text=written.text, offers=written.offers, generation_ms=written.generation_ms,
            fallback=written.fallback,
        )
        if auto:
            sent = system_reply_create(conversation=conversation, text=draft.text, sender_name=ASSISTANT_NAME)
            draft.status, draft.sent_message, draft.decided_at, draft.similarity = (
                Draft.Status.AUTO_SENT, sent, timezone.now(), 1.0)
            draft.save(update_fields=["status", "sent_message", "decided_at", "similarity"])
        MessageInsight.objects.filter(pk=insight.pk).update(done=True)
    return draft


def _bot_answered(message: Message) -> None:
    """Record that the bot answered the message: no draft is owed, and the sweep
    leaves it alone."""
    try:
        with transaction.atomic():
            MessageInsight.objects.create(message=message, lead=message.conversation.lead, intent=Intent.OTHER,
                                          language="", engine=BOT_ENGINE, done=True)
    except IntegrityError:
        pass  # recorded by a run at the same moment


def message_assist(*, message_id: int) -> MessageInsight | None:
    """Everything the assistant does for one inbound message (see the module);
    None when there was nothing (more) to do."""
    from messaging.assistant.bot import bot_handle

    message = Message.objects.filter(pk=message_id, direction=Message.Direction.IN).select_related(
        "conversation").first()
    if message is None or not message.text.strip():
        return None
    insight = MessageInsight.objects.filter(message=message).first()
    if insight is not None and insight.done:
        return None
    if insight is None:
        if bot_handle(message):
            _bot_answered(message)
            return None
        started = time.monotonic()
        extraction = extract(message.text, today=timezone.localdate())
        with transaction.atomic():
            insight = _understand(message, extraction, started)
        if insight is None:
            return None
    else:
        extraction = Extraction.from_dict(insight.fields)
    options = AssistantSettings.current()
    if options.drafts_enabled:
        _draft(insight, extraction, options=options)
    else:
        MessageInsight.objects.filter(pk=insight.pk).update(done=True)
    return insight


def assist_attempt_count(*, message_id: int) -> int:
    """Count one more run of the assistant on the message, committed before the run
    does anything, so that a run killed at its time limit has counted too. Returns
    the run's number; 0 when no run is owed: the assistant finished the message, or
    ``ASSISTANT_MAX_ATTEMPTS`` runs were made already (it is then marked not understood)."""
    owed = Message.objects.filter(pk=message_id).exclude(insight__done=True)
    with transaction.atomic():
        counted = owed.filter(assist_attempts__lt=settings.ASSISTANT_MAX_ATTEMPTS).update(
            assist_attempts=F("assist_attempts") + 1)
        attempts = owed.values_list("assist_attempts", flat=True).first()
    if counted:
        return attempts
    if attempts is not None:
        assist_give_up(message_id=message_id)
    return 0


def assist_give_up(*, message_id: int) -> bool:
    """Mark an inbound message the assistant failed on as not understood: an agent
    sees it in the inbox and answers by hand; the sweep never queues it again. A
    message the assistant finished is left as it is. True when marked now."""
    message = Message.objects.filter(pk=message_id, direction=Message.Direction.IN).select_related(
        "conversation").first()
    if message is None:
        return False
    try:
        with transaction.atomic():
            MessageInsight.objects.create(message=message, intent=Intent.OTHER, language="", engine="", done=True,
                                          gave_up=True)
    except IntegrityError:
        # Understood before (the draft step failed), or recorded by a run at the same moment.
        if not MessageInsight.objects.filter(message=message, done=False).update(done=True, gave_up=True):
            return False
    logger.warning("The assistant gave up on message %s after %s attempts; it is marked not understood",
                   message_id, message.assist_attempts)
    return True


def assist_waiting(*, older_than_seconds: int = 120, within_hours: int = 24, limit: int = 200) -> list[int]:
    """Inbound messages processed a while ago that the assistant has not finished."""
    now = timezone.now()
    return list(
        Message.objects.filter(direction=Message.Direction.IN, needs_processing=False,
                               created_at__range=(now - dt.timedelta(hours=within_hours),
                                                  now - dt.timedelta(seconds=older_than_seconds)))
        .exclude(text="").exclude(insight__done=True)
        .filter(Q(insight__isnull=False) | ~Q(conversation__bot_session__step__in=BotSession.ACTIVE_STEPS))
        .order_by("pk").values_list("pk", flat=True)[:limit]
    )


# --- The agent's decisions ---------------------------------------------------


def _check(draft: Draft, user) -> None:
    if not may_reply(user, draft.conversation):
        raise PermissionDenied(_("You may not reply in this conversation."))
    if draft.status != Draft.Status.PENDING:
        raise ValidationError(_("This draft was already sent, replaced or discarded."), code="decided")


def similarity(draft_text: str, sent_text: str) -> float:
    return round(difflib.SequenceMatcher(None, draft_text.strip(), sent_text.strip()).ratio(), 3)


@transaction.atomic
def draft_send(*, draft: Draft, user, text: str) -> Message:
    """Send the draft as the agent approved it (edited or not). A double click
    sends once: the reply's id comes from the draft."""
    draft = Draft.objects.select_for_update(of=("self",)).select_related(
        "conversation__client", "conversation__lead", "sent_message").get(pk=draft.pk)
    if draft.sent_message_id and draft.decided_by_id == user.pk:
        return draft.sent_message
    _check(draft, user)
    message, _created = reply_create(conversation=draft.conversation, user=user, text=text,
                                     crm_id=uuid.uuid5(uuid.NAMESPACE_URL, f"crystalbay-draft-{draft.pk}"))
    draft.similarity = similarity(draft.text, message.text)
    draft.status = Draft.Status.SENT if draft.text.strip() == message.text.strip() else Draft.Status.EDITED
    draft.sent_message, draft.decided_by, draft.decided_at = message, user, timezone.now()
    draft.save(update_fields=["status", "similarity", "sent_message", "decided_by", "decided_at"])
    return message


@transaction.atomic
def draft_discard(*, draft: Draft, user) -> Draft:
    draft = Draft.objects.select_for_update(of=("self",)).select_related("conversation").get(pk=draft.pk)
    _check(draft, user)
    draft.status, draft.decided_by, draft.decided_at = Draft.Status.DISCARDED, user, timezone.now()
    draft.save(update_fields=["status", "decided_by", "decided_at"])
    return draft


@transaction.atomic
def draft_regenerate(*, draft: Draft, user) -> None:
    """Ask for another draft of the same message: the pending one is replaced, and
    the worker writes the new one (a model may take seconds)."""
    from messaging.tasks import draft_regenerate_task

    draft = Draft.objects.select_for_update(of=("self",)).select_related("conversation").get(pk=draft.pk)
    _check(draft, user)
    if not MessageInsight.objects.filter(message_id=draft.message_id).exists():
        raise ValidationError(_("This draft cannot be written again."), code="no_insight")
    draft.status, draft.decided_by, draft.decided_at = Draft.Status.SUPERSEDED, user, timezone.now()
    draft.save(update_fields=["status", "decided_by", "decided_at"])
    message_id = draft.message_id
    transaction.on_commit(lambda: draft_regenerate_task.delay(message_id))


def draft_rewrite(*, message_id: int) -> Draft | None:
    """Write another draft of the message (the task behind "Another draft")."""
    insight = MessageInsight.objects.select_related("message").filter(message_id=message_id).first()
    if insight is None:
        return None
    return _draft(insight, Extraction.from_dict(insight.fields), regenerate=True)


def draft_visible(user, pk: int) -> Draft:
    return access.get_visible_or_404(user, Draft.objects.select_related("conversation"), pk=pk)
