import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Client, Lead


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
        ]

    def __str__(self):
        return f"{self.get_direction_display()}: {self.text[:60]}"


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
