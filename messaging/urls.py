"""The inbox (``messaging:``), the provider webhooks (``webhooks:``) and the
conversation API, each plugged in by ``crystalbay/urls.py``."""

from django.urls import path

from messaging import api, views, webhooks

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("list/", views.conversation_list, name="list"),
    path("unread/", views.unread_badge, name="unread"),
    path("<int:pk>/", views.conversation_detail, name="conversation"),
    path("<int:pk>/messages/", views.thread_poll, name="poll"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/reply-box/", views.reply_box, name="reply_box"),
    path("drafts/<int:pk>/discard/", views.draft_discard_view, name="draft_discard"),
    path("drafts/<int:pk>/regenerate/", views.draft_regenerate_view, name="draft_regenerate"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/status/", views.set_status, name="status"),
    path("<int:pk>/suggestions/<int:suggestion_id>/dismiss/", views.dismiss_suggestion, name="dismiss_suggestion"),
    path("messages/<int:pk>/retry/", views.retry, name="retry"),
    path("messages/<int:pk>/text/", views.message_text, name="message_text"),
]

webhook_urlpatterns = (
    [
        path("telegram/", webhooks.telegram, name="telegram"),
        path("whatsapp/", webhooks.whatsapp, name="whatsapp"),
        path("wazzup/", webhooks.wazzup, name="wazzup"),
        path("email/", webhooks.email, name="email"),
    ],
    "webhooks",
)

api_urlpatterns = [
    path("conversations/<int:pk>/messages", api.ConversationMessagesAPIView.as_view(), name="api-conversation-messages"),
]
