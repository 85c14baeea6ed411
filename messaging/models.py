import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Client, Lead

# A message is shown up to this many characters, the rest behind "Show all": a
# mail can be megabytes long, and a page (or the lead's timeline) that carries it
# whole is slow to send and slower for the browser to lay out.
SHOWN_CHARS = 2000


def excerpt(text: str) -> str:
    """The first ``SHOWN_CHARS`` characters of ``text``, with "…" when there is more."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


class Platform(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    WAZZUP = "wazzup", "Wazzup24"
    EMAIL = "email", _("Email")
    WEB = "web", _("Website form")


class Conversation(models.Model):
    """One chat with one person on one platform."""

    access_owner_field = "assignee"

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    platform = models.CharField(_("channel"), max_length=10, choices=Platform.choices)
    chat_id = models.CharField(_("external chat id"), max_length=255)
    title = models.CharField(_("name"), max_length=200, blank=True)
    client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations", verbose_name=_("client")
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations", verbose_name=_("lead")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations",
        verbose_name=_("assignee"),
    )
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.OPEN)
    unread_count = models.PositiveIntegerField(_("unread"), default=0)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    preview = models.CharField(_("last message"), max_length=200, blank=True)
    # Wazzup24 answers through the channel (a connected phone or bot) the chat came in on.
    wazzup_channel_id = models.CharField(_("Wazzup24 channel"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [models.UniqueConstraint(fields=["platform", "chat_id"], name="conversation_platform_chat_unique")]
        indexes = [
            models.Index(fields=["assignee", "status", "-last_message_at"], name="conversation_inbox_idx"),
            models.Index(fields=["-last_message_at"], name="conversation_recent_idx"),
            models.Index(fields=["unread_count"], condition=Q(unread_count__gt=0), name="conversation_unread_idx"),
        ]

    def __str__(self):
        return f"{self.get_platform_display()}: {self.title or self.chat_id}"


class Message(models.Model):
    """One message in or out. Stored once per provider message id, whatever the
    provider re-sends: (platform, chat_id, message_id) is unique."""

    access_owner_field = "conversation__assignee"

    class Direction(models.TextChoices):
        IN = "in", _("Incoming")
        OUT = "out", _("Outgoing")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", verbose_name=_("conversation")
    )
    # Looked up through the unique (platform, chat_id, message_id) index: no index of their own to keep up.
    platform = models.CharField(_("channel"), max_length=10, choices=Platform.choices)
    chat_id = models.CharField(_("external chat id"), max_length=255)
    # NULL, not "", so outgoing messages awaiting an id do not collide in the unique constraint.
    message_id = models.CharField(  # noqa: DJ001
        _("provider message id"), max_length=255, null=True, blank=True,
        help_text=_("Empty for an outgoing message until the provider accepts it."),
    )
    crm_id = models.UUIDField(_("our message id"), default=uuid.uuid4, unique=True, editable=False)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    sender_name = models.CharField(_("sender"), max_length=200, blank=True)
    # Who wrote, by the identifiers the provider gave (Telegram id, WhatsApp id, phone, e-mail): for matching.
    sender_ids = models.JSONField(_("sender's identifiers"), default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("sent by"),
    )
    text = models.TextField(_("text"), blank=True)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    error = models.TextField(_("error"), blank=True)
    raw = models.JSONField(_("raw payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # An inbound message waits for matching (client, lead, timeline) until a worker has
    # done it; the flag lets a periodic sweep find what a lost task left behind.
    needs_processing = models.BooleanField(_("awaiting processing"), default=False)
    send_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    send_started_at = models.DateTimeField(_("last send attempt"), null=True, blank=True)
    # When the next try of a queued reply is due; a periodic sweep sends those long overdue.
    send_due_at = models.DateTimeField(_("next send attempt due"), null=True, blank=True)
    # Counted before each run of the assistant starts, so a run killed midway counts too.
    assist_attempts = models.PositiveSmallIntegerField(_("assistant attempts"), default=0, db_default=0)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["platform", "chat_id", "message_id"], name="message_provider_id_unique"),
            models.CheckConstraint(
                condition=Q(direction="out") | Q(message_id__isnull=False), name="message_incoming_has_provider_id"
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="message_thread_idx"),
            models.Index(fields=["created_at"], condition=Q(needs_processing=True), name="message_pending_idx"),
            # Replies not (yet) out, counted for /metrics.
            models.Index(fields=["status"], condition=Q(direction="out", status__in=["queued", "sending", "failed"]),
                         name="message_outbox_idx"),
            models.Index(fields=["send_due_at"], condition=Q(status="queued"), name="message_queued_due_idx"),
        ]

    def __str__(self):
        return f"{self.get_direction_display()}: {self.text[:60]}"

    @property
    def is_long(self) -> bool:
        """Longer than the thread shows: the rest is behind "Show all"."""
        return len(self.text) > SHOWN_CHARS

    @property
    def text_shown(self) -> str:
        return self.text[:SHOWN_CHARS]


class InboundDrain(models.Model):
    """One row: whether a drain of the stored inbound messages is queued for the
    worker. The webhook's own statement raises the flag (so a delivery costs one
    round trip); the drain lowers it when nothing is left."""

    queued = models.BooleanField(_("drain queued"), default=False)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound drain")
        verbose_name_plural = _("inbound drain")

    def __str__(self):
        return f"queued since {self.queued_at}" if self.queued else "idle"


# --- The AI assistant (messaging/assistant/) -------------------------------


class AssistantSettings(models.Model):
    """One row, edited by admins: what the assistant may do on its own."""

    drafts_enabled = models.BooleanField(_("draft replies"), default=True)
    auto_send_intents = models.JSONField(
        _("auto-send for intents"), default=list, blank=True,
        help_text=_("Drafts for these intents are sent without an agent when the assistant is sure enough. "
                    "Complaints, urgent requests and payment trouble are never sent on their own."),
    )
    auto_send_confidence = models.FloatField(
        _("auto-send confidence"), default=0.85,
        help_text=_("From 0 to 1: how sure the assistant must be of a message before its draft goes out alone."),
    )
    bot_enabled = models.BooleanField(
        _("Telegram bot for tourists"), default=True,
        help_text=_("Answers /start in Telegram and helps the tourist find a tour until an agent takes over."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("assistant settings")
        verbose_name_plural = _("assistant settings")
        constraints = [
            models.CheckConstraint(condition=Q(auto_send_confidence__gte=0) & Q(auto_send_confidence__lte=1),
                                   name="assistant_confidence_0_1"),
        ]

    def __str__(self):
        return str(_("assistant settings"))

    @classmethod
    def current(cls) -> "AssistantSettings":
        return cls.objects.get_or_create(pk=1)[0]


class MessageInsight(models.Model):
    """What the assistant understood of one inbound message, and what it did
    with it; one per message, which is what makes re-runs harmless."""

    access_owner_field = "message__conversation__assignee"

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="insight",
                                   verbose_name=_("message"))
    lead = models.ForeignKey(Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="insights",
                             verbose_name=_("lead"))
    intent = models.CharField(_("intent"), max_length=20)
    language = models.CharField(_("language"), max_length=2)
    engine = models.CharField(_("engine"), max_length=10)
    confidence = models.FloatField(_("confidence"), default=0)
    urgent = models.BooleanField(_("urgent"), default=False)
    escalated = models.BooleanField(_("escalated"), default=False)
    fields = models.JSONField(_("understood"), default=dict, blank=True)
    filled = models.JSONField(_("filled on the lead"), default=list, blank=True)
    suggestions = models.JSONField(
        _("suggestions"), default=dict, blank=True,
        help_text=_("Values the message gives for fields an agent has already filled: shown, never written."),
    )
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    category = models.CharField(_("category"), max_length=30, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    next_stage = models.ForeignKey("crm.Stage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("suggested stage"))
    fallback = models.CharField(_("fallback reason"), max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(_("took, ms"), default=0)
    done = models.BooleanField(_("all steps done"), default=False, help_text=_("The draft step has run too."))
    gave_up = models.BooleanField(
        _("not understood"), default=False,
        help_text=_("The assistant failed on this message as many times as it may try; an agent answers by hand."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("message insight")
        verbose_name_plural = _("message insights")
        indexes = [models.Index(fields=["lead", "-created_at"], name="insight_lead_idx")]

    def __str__(self):
        return f"{self.intent} ({self.engine}, {self.confidence:.2f})"

    @property
    def intent_label(self) -> str:
        from messaging.assistant.extraction import Intent

        return Intent.label(self.intent)


class Draft(models.Model):
    """A reply the assistant wrote, waiting in the inbox reply box until an agent
    sends it (as is or edited), asks for another, or discards it."""

    access_owner_field = "conversation__assignee"

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        SENT = "sent", _("Sent as drafted")
        EDITED = "edited", _("Sent after editing")
        AUTO_SENT = "auto_sent", _("Sent automatically")
        DISCARDED = "discarded", _("Discarded")
        SUPERSEDED = "superseded", _("Replaced by a newer draft")

    class Kind(models.TextChoices):
        OFFERS = "offers", _("Offers")
        QUESTIONS = "questions", _("Questions")
        ANSWER = "answer", _("Answer")
        ESCALATION = "escalation", _("Escalation")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="drafts",
                                     verbose_name=_("conversation"))
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="drafts",
                                verbose_name=_("answers message"))
    lead = models.ForeignKey(Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="drafts",
                             verbose_name=_("lead"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=2)
    engine = models.CharField(_("engine"), max_length=10)
    text = models.TextField(_("text"))
    offers = models.JSONField(_("offers cited"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    sent_message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("sent as"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    similarity = models.FloatField(_("similarity of the sent text"), null=True, blank=True,
                                   help_text=_("1 when sent as drafted; lower the more the agent changed."))
    generation_ms = models.PositiveIntegerField(_("took to write, ms"), default=0)
    fallback = models.CharField(_("why the template"), max_length=200, blank=True,
                                help_text=_("Why the model's text was not used, when it was not."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("draft reply")
        verbose_name_plural = _("draft replies")
        constraints = [
            models.UniqueConstraint(fields=["conversation"], condition=Q(status="pending"),
                                    name="draft_one_pending_per_conversation"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="draft_status_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:60]}"


class BotSession(models.Model):
    """Where a tourist is in the Telegram bot's conversation; in the database so
    it survives restarts. ``data`` holds the answers so far and the offers shown."""

    access_owner_field = "conversation__assignee"

    class Step(models.TextChoices):
        LANGUAGE = "language", _("Language")
        DESTINATION = "destination", _("Destination")
        DATES = "dates", _("Dates")
        NIGHTS = "nights", _("Nights")
        TRAVELLERS = "travellers", _("Travellers")
        OFFERS = "offers", _("Offers shown")
        BOOKED = "booked", _("Booked")
        AGENT = "agent", _("Handed to an agent")

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="bot_session",
                                        verbose_name=_("conversation"))
    step = models.CharField(_("step"), max_length=12, choices=Step.choices, default=Step.LANGUAGE)
    language = models.CharField(_("language"), max_length=2, default="ru")
    data = models.JSONField(_("answers"), default=dict, blank=True)
    lead = models.ForeignKey(Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("lead"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("bot conversation")
        verbose_name_plural = _("bot conversations")

    def __str__(self):
        return f"{self.conversation_id}: {self.step}"

    # Steps in which the bot leads the conversation (after them a person does).
    ACTIVE_STEPS = tuple(sorted(set(Step.values) - {Step.AGENT, Step.BOOKED}))

    @property
    def active(self) -> bool:
        return self.step in self.ACTIVE_STEPS
