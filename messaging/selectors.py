"""Reads of the inbox. Every queryset starts from ``crm.access.visible_to`` (the
rule of leads: agents see their own and unassigned conversations, managers,
admins and accountants all), and each page is a fixed number of queries."""

import statistics
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Q, QuerySet, Sum

from crm import access
from crm.models import Client, MergeSuggestion
from messaging.models import Conversation, Draft, Message, Platform

LIST_PAGE_SIZE = 50
THREAD_PAGE_SIZE = 100
SCOPES = ("mine", "unassigned", "all")


@dataclass(frozen=True)
class InboxFilters:
    scope: str = "all"
    platform: str = ""
    unread: bool = False
    status: str = "open"
    q: str = ""

    @classmethod
    def from_query(cls, query, *, user) -> "InboxFilters":
        scope = query.get("scope", "")
        if scope not in SCOPES:
            scope = "mine" if access.is_agent(user) and not access.can_read_all(user) else "all"
        platform = query.get("platform", "")
        status = query.get("status", "open")
        return cls(
            scope=scope, platform=platform if platform in Platform.values else "",
            unread=query.get("unread") in ("1", "on", "true"),
            status=status if status in (*Conversation.Status.values, "any") else "open",
            q=" ".join(query.get("q", "").split())[:100],
        )

    def as_query(self) -> dict:
        return {key: value for key, value in (("scope", self.scope), ("platform", self.platform),
                                              ("unread", "1" if self.unread else ""), ("status", self.status),
                                              ("q", self.q)) if value}


def conversations_visible(user) -> QuerySet:
    return access.visible_to(user, Conversation.objects.all())


def conversation_list(*, user, filters: InboxFilters, limit: int = LIST_PAGE_SIZE) -> list[Conversation]:
    rows = conversations_visible(user)
    if filters.scope == "mine":
        rows = rows.filter(assignee=user)
    elif filters.scope == "unassigned":
        rows = rows.filter(assignee__isnull=True)
    if filters.platform:
        rows = rows.filter(platform=filters.platform)
    if filters.unread:
        rows = rows.filter(unread_count__gt=0)
    if filters.status != "any":
        rows = rows.filter(status=filters.status)
    if filters.q:
        rows = rows.filter(
            Q(title__icontains=filters.q) | Q(chat_id__icontains=filters.q) | Q(client__full_name__icontains=filters.q)
            | Q(client__phone__icontains=filters.q) | Q(client__email__icontains=filters.q)
            | Q(preview__icontains=filters.q)
        )
    return list(rows.select_related("client", "assignee").order_by("-last_message_at", "-pk")[:limit])


def conversation_for_user(*, user, pk: int) -> Conversation:
    """The conversation the user may see, or 404."""
    return access.get_visible_or_404(
        user, Conversation.objects.select_related("client", "lead__stage", "assignee"), pk=pk)


def thread_messages(*, conversation: Conversation, after: int | None = None) -> list[Message]:
    """The latest messages of a thread, oldest first (or only those after the id ``after``)."""
    messages = conversation.messages.select_related("author", "insight")
    if after is not None:
        return list(messages.filter(pk__gt=after).order_by("pk")[:THREAD_PAGE_SIZE])
    latest = list(messages.order_by("-created_at", "-pk")[:THREAD_PAGE_SIZE])
    latest.reverse()
    return latest


def unread_total(user) -> int:
    """Unread messages in the conversations the user works (their own and
    unassigned ones), for the navigation badge; one indexed query."""
    rows = conversations_visible(user).filter(unread_count__gt=0)
    if access.can_read_all(user) and not access.is_supervisor(user):
        return 0
    if access.is_agent(user) and not access.is_supervisor(user):
        rows = rows.filter(Q(assignee=user) | Q(assignee__isnull=True))
    return rows.aggregate(total=Sum("unread_count"))["total"] or 0


def merge_suggestions_for(conversation: Conversation, *, user) -> list[MergeSuggestion]:
    """The open suggestions about the conversation's client that name only
    clients the user may see (a suggestion must not show another agent's client)."""
    if conversation.client_id is None:
        return []
    visible = access.visible_to(user, Client.objects.all())
    return list(MergeSuggestion.objects.filter(
        Q(client_id=conversation.client_id) | Q(other_id=conversation.client_id), status=MergeSuggestion.Status.OPEN,
        client__in=visible, other__in=visible,
    ).select_related("client", "other")[:5])


def pending_draft(conversation: Conversation):
    """The assistant's draft waiting in the conversation's reply box, if any."""
    return Draft.objects.filter(conversation=conversation, status=Draft.Status.PENDING).first()


def draft_stats(drafts) -> dict:
    """How the assistant's drafts fare, over a queryset of drafts: the share of the
    decided ones sent as written, edited, discarded and sent automatically, how
    similar edited texts stayed, and the medians of writing and deciding time."""
    decided = drafts.exclude(status__in=(Draft.Status.PENDING, Draft.Status.SUPERSEDED))
    counts = decided.aggregate(
        total=Count("pk"), sent=Count("pk", filter=Q(status=Draft.Status.SENT)),
        edited=Count("pk", filter=Q(status=Draft.Status.EDITED)),
        discarded=Count("pk", filter=Q(status=Draft.Status.DISCARDED)),
        auto=Count("pk", filter=Q(status=Draft.Status.AUTO_SENT)),
        edited_similarity=Avg("similarity", filter=Q(status=Draft.Status.EDITED)),
    )
    total = counts["total"]

    def share(n: int) -> float | None:
        return round(100 * n / total, 1) if total else None

    writing = list(drafts.values_list("generation_ms", flat=True)[:5000])
    deciding = [d.total_seconds() for d in decided.filter(decided_by__isnull=False).annotate(
        took=F("decided_at") - F("created_at")).values_list("took", flat=True)[:5000] if d is not None]
    return {
        "pending": drafts.filter(status=Draft.Status.PENDING).count(), "decided": total,
        "sent_pct": share(counts["sent"]), "edited_pct": share(counts["edited"]),
        "discarded_pct": share(counts["discarded"]), "auto_pct": share(counts["auto"]),
        "accepted_pct": share(counts["sent"] + counts["edited"] + counts["auto"]),
        "edited_similarity": round(counts["edited_similarity"], 2) if counts["edited_similarity"] is not None
        else None,
        "median_writing_ms": round(statistics.median(writing)) if writing else None,
        "median_decision_seconds": round(statistics.median(deciding)) if deciding else None,
    }


BACKLOG_REPLY_STATUSES = (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.FAILED)


@dataclass(frozen=True)
class MessageBacklog:
    awaiting_processing: int
    replies: dict[str, int]  # by status: queued, sending, failed


def message_backlog() -> MessageBacklog:
    """For monitoring: incoming messages a worker has not processed yet, and replies
    not (yet) out by state. Both are read through partial indexes, so the count
    costs the same however long the history grows."""
    counts = dict(
        Message.objects.filter(direction=Message.Direction.OUT, status__in=BACKLOG_REPLY_STATUSES)
        .values_list("status").annotate(count=Count("pk")).order_by()
    )
    return MessageBacklog(
        awaiting_processing=Message.objects.filter(needs_processing=True).count(),
        replies={str(status): counts.get(status, 0) for status in BACKLOG_REPLY_STATUSES},
    )
