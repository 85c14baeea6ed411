"""Conversations and messages in the admin: narrowed by role like the inbox;
messages are records of what was said, so they are only ever viewed here."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy

from crm.admin_mixins import (
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    RowAccessAdminMixin,
    export_as_csv,
    person_column,
    pretty_json,
)
from messaging.assistant.extraction import Intent
from messaging.models import AssistantSettings, BotSession, Conversation, Draft, Message, MessageInsight
from messaging.selectors import draft_stats


class MessageInline(ReadOnlyInline, admin.TabularInline):
    model = Message
    fields = ["created_at", "direction", "sender_name", "author", "text", "status"]
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


@admin.register(Conversation)
class ConversationAdmin(RowAccessAdminMixin, admin.ModelAdmin):
    """Conversations arrive from the platforms; here they are assigned, linked and closed."""

    list_display = [
        "__str__", "platform", "client", "lead", person_column("assignee", gettext_lazy("assignee")), "status",
        "unread_count", "last_message_at",
    ]
    list_filter = ["platform", "status", ("assignee", admin.RelatedOnlyFieldListFilter), "last_message_at"]
    list_select_related = ["client", "lead__client", "assignee"]
    search_fields = ["title", "chat_id", "client__full_name", "client__phone", "client__email"]
    date_hierarchy = "last_message_at"
    autocomplete_fields = ["client", "lead"]
    fields = ["platform", "chat_id", "title", "client", "lead", "assignee", "status", "unread_count",
              "last_message_at", "preview", "wazzup_channel_id", "created_at"]
    readonly_fields = ["platform", "chat_id", "unread_count", "last_message_at", "preview", "wazzup_channel_id",
                       "created_at"]
    inlines = [MessageInline]
    actions = [export_as_csv]
    csv_fields = ["id", "platform", "chat_id", "title", "client", "client__phone", "lead", "assignee", "status",
                  "unread_count", "last_message_at", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, RowAccessAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "conversation", "direction", "sender_name", "excerpt", "status"]
    list_filter = ["platform", "direction", "status", "needs_processing", "created_at"]
    list_select_related = ["conversation"]
    search_fields = ["text", "sender_name", "chat_id", "message_id", "conversation__client__full_name"]
    date_hierarchy = "created_at"
    fields = ["conversation", "platform", "chat_id", "message_id", "crm_id", "direction", "sender_name",
              "sender_ids_pretty", "author", "text", "attachments_pretty", "status", "error", "created_at", "sent_at",
              "send_attempts", "send_started_at", "needs_processing", "raw_pretty"]
    readonly_fields = ["attachments_pretty", "raw_pretty", "sender_ids_pretty"]

    @admin.display(description=gettext_lazy("text"))
    def excerpt(self, message):
        return message.text[:80]

    @admin.display(description=gettext_lazy("raw payload"))
    def raw_pretty(self, message):
        return pretty_json(message.raw)

    @admin.display(description=gettext_lazy("sender's identifiers"))
    def sender_ids_pretty(self, message):
        return pretty_json(message.sender_ids) if message.sender_ids else "—"

    @admin.display(description=gettext_lazy("attachments"))
    def attachments_pretty(self, message):
        return pretty_json(message.attachments) if message.attachments else "—"


class AssistantSettingsForm(forms.ModelForm):
    auto_send_intents = forms.MultipleChoiceField(
        label=gettext_lazy("auto-send for intents"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(intent, Intent.label(intent)) for intent in Intent.ALL if intent not in Intent.NEVER_AUTO],
        help_text=AssistantSettings._meta.get_field("auto_send_intents").help_text,
    )

    class Meta:
        model = AssistantSettings
        fields = ["drafts_enabled", "auto_send_intents", "auto_send_confidence", "bot_enabled"]


@admin.register(AssistantSettings)
class AssistantSettingsAdmin(admin.ModelAdmin):
    """One row: the admin's switches for what the assistant may do on its own."""

    form = AssistantSettingsForm
    list_display = ["__str__", "drafts_enabled", "auto_send_intents", "auto_send_confidence", "bot_enabled",
                    "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not AssistantSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MessageInsight)
class MessageInsightAdmin(ReadOnlyAdminMixin, RowAccessAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "message", "intent", "language", "engine", "confidence", "score", "category",
                    "urgent", "escalated", "duration_ms"]
    list_filter = ["intent", "engine", "language", "urgent", "escalated", "created_at"]
    list_select_related = ["message"]
    search_fields = ["message__text"]
    date_hierarchy = "created_at"
    fields = ["message", "lead", "intent", "language", "engine", "confidence", "urgent", "escalated",
              "fields_pretty", "filled", "suggestions_pretty", "score", "category", "reasons", "next_stage",
              "fallback", "duration_ms", "created_at"]
    readonly_fields = ["fields_pretty", "suggestions_pretty"]

    @admin.display(description=gettext_lazy("understood"))
    def fields_pretty(self, insight):
        return pretty_json(insight.fields)

    @admin.display(description=gettext_lazy("suggestions"))
    def suggestions_pretty(self, insight):
        return pretty_json(insight.suggestions) if insight.suggestions else "—"


@admin.register(Draft)
class DraftAdmin(ReadOnlyAdminMixin, RowAccessAdminMixin, admin.ModelAdmin):
    """Drafts are approved in the inbox; here they are reviewed: what was sent as
    written, what was edited, how long writing took."""

    list_display = ["created_at", "conversation", "kind", "language", "engine", "status", "similarity",
                    "generation_ms", person_column("decided_by", gettext_lazy("decided by"))]
    list_filter = ["status", "kind", "engine", "language", "created_at"]
    list_select_related = ["conversation", "decided_by"]
    search_fields = ["text"]
    date_hierarchy = "created_at"
    actions = [export_as_csv]
    csv_fields = ["id", "conversation", "kind", "language", "engine", "status", "similarity", "generation_ms",
                  "created_at", "decided_at", "decided_by"]
    change_list_template = "admin/messaging/draft/change_list.html"

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        if hasattr(response, "context_data") and "cl" in response.context_data:
            # The figures follow the list's filters (dates, kind, engine…).
            response.context_data["draft_stats"] = draft_stats(response.context_data["cl"].queryset)
        return response


@admin.register(BotSession)
class BotSessionAdmin(ReadOnlyAdminMixin, RowAccessAdminMixin, admin.ModelAdmin):
    list_display = ["conversation", "step", "language", "lead", "started_at", "updated_at"]
    list_filter = ["step", "language"]
    list_select_related = ["conversation", "lead__client"]
    fields = ["conversation", "step", "language", "lead", "data_pretty", "started_at", "updated_at"]
    readonly_fields = ["data_pretty"]

    @admin.display(description=gettext_lazy("answers"))
    def data_pretty(self, session):
        return pretty_json(session.data)
