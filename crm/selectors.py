"""Reads of the CRM for its pages: the board, the lead card and its timeline, My day.

Every queryset starts from ``crm.access.visible_to``, the rule the admin uses, so
a page never shows a row its reader could not open in the admin. Query counts
do not grow with the data: the board is a fixed handful of queries whatever the
number of leads or stages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet, Sum, prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from crm import access
from crm.admin_mixins import staff_users
from crm.models import Activity, Channel, Currency, Lead, Notification, Order, Pipeline, Stage, Tag, Task
from crm.services.clients import phone_normalize

BOARD_PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 20
UPCOMING_TASKS_LIMIT = 50
NOTIFICATIONS_LIMIT = 30
# Unread notifications are counted up to this many (a badge says "99+" beyond).
UNREAD_COUNT_LIMIT = 100

# What a card shows, read as plain values: a board holds hundreds of cards, and
# building model instances for them (lead, client, agent) cost more than the SQL.
CARD_VALUES = (
    "pk", "stage_id", "position", "version", "source", "destination_country", "destination_resort", "date_from",
    "date_to", "nights_from", "nights_to", "adults", "children", "budget", "budget_currency", "sla_due_at",
    "ai_score", "assignee_id", "client__full_name", "assignee__first_name", "assignee__last_name",
    "assignee__username",
)


@dataclass(slots=True)
class Card:
    """One lead as its board card shows it."""

    pk: int
    stage_id: int
    position: float
    version: int
    source: str
    destination_country: str
    destination_resort: str
    date_from: dt.date | None
    date_to: dt.date | None
    nights_from: int | None
    nights_to: int | None
    adults: int
    children: int
    budget: Decimal | None
    budget_currency: str
    sla_due_at: dt.datetime | None
    ai_score: int | None
    assignee_id: int | None
    client_name: str
    assignee_first_name: str | None
    assignee_last_name: str | None
    assignee_username: str | None
    tags: list[Tag] = field(default_factory=list)

    @property
    def assignee_name(self) -> str:
        full = f"{self.assignee_first_name or ''} {self.assignee_last_name or ''}".strip()
        return full or self.assignee_username or ""

    @property
    def assignee_initials(self) -> str:
        return f"{(self.assignee_first_name or self.assignee_username or '')[:1]}{(self.assignee_last_name or '')[:1]}".upper()


@dataclass(frozen=True)
class BoardFilters:
    """The board's filters, as they stand in its URL (so they survive a reload)."""

    assignee: str = ""  # "" anyone, "me", "none" (unassigned), or a user's id
    channel: str = ""
    tag: int | None = None
    q: str = ""

    @classmethod
    def from_query(cls, params) -> BoardFilters:
        assignee = (params.get("assignee") or "").strip()
        if assignee not in ("me", "none") and not assignee.isdecimal():
            assignee = ""
        channel = (params.get("channel") or "").strip()
        tag = (params.get("tag") or "").strip()
        return cls(
            assignee=assignee,
            channel=channel if channel in Channel.values else "",
            tag=int(tag) if tag.isdecimal() else None,
            q=" ".join((params.get("q") or "").split())[:100],
        )

    @property
    def active(self) -> bool:
        return bool(self.assignee or self.channel or self.tag or self.q)

    def as_query(self) -> str:
        """The filters as a query string (without "?"), for links that keep them."""
        pairs = [("assignee", self.assignee), ("channel", self.channel), ("tag", self.tag or ""), ("q", self.q)]
        return urlencode([(name, value) for name, value in pairs if value])

    def apply(self, leads: QuerySet, *, user) -> QuerySet:
        if self.assignee == "me":
            leads = leads.filter(assignee=user)
        elif self.assignee == "none":
            leads = leads.filter(assignee__isnull=True)
        elif self.assignee:
            leads = leads.filter(assignee_id=int(self.assignee))
        if self.channel:
            leads = leads.filter(source=self.channel)
        if self.tag:
            leads = leads.filter(tags=self.tag)
        if self.q:
            leads = leads.filter(_text_match(self.q))
        return leads


def _text_match(text: str) -> Q:
    """Free text over the client's name and phone and the destination. A phone is
    found however it is typed: whole (any usual form) or by a run of its digits."""
    match = (
        Q(client__full_name__icontains=text)
        | Q(destination_country__icontains=text)
        | Q(destination_resort__icontains=text)
    )
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4 and len(digits) >= len(text.replace(" ", "")) - 4:
        match |= Q(client__phone__contains=digits)
        with contextlib.suppress(ValidationError):  # not a whole number: the run of digits covers it
            if phone := phone_normalize(text):
                match |= Q(client__phone=phone)
    return match


@dataclass
class Column:
    stage: Stage
    count: int = 0
    budget_kzt: Decimal = Decimal("0")
    cards: list[Card] = field(default_factory=list)
    has_more: bool = False

    @property
    def cursor(self) -> str:
        """Where the next page of this column starts (after the last card shown)."""
        last = self.cards[-1] if self.cards else None
        return f"{last.position!r}:{last.pk}" if last else ""


def board_pipelines() -> list[Pipeline]:
    return list(Pipeline.objects.order_by("-is_default", "position", "pk"))


def board_pipeline(pipelines: list[Pipeline], slug: str | None) -> Pipeline:
    """The pipeline asked for by its slug, else the default one (first)."""
    if not pipelines:
        raise Http404("No pipeline")
    return next((pipeline for pipeline in pipelines if pipeline.slug == slug), pipelines[0])


def board_leads(*, user, pipeline: Pipeline, filters: BoardFilters) -> QuerySet:
    leads = access.visible_to(user, Lead.objects.filter(pipeline=pipeline))
    return filters.apply(leads, user=user)


def _cards(leads: QuerySet) -> QuerySet:
    return leads.order_by("position", "pk").values_list(*CARD_VALUES)


def _as_cards(rows) -> list[Card]:
    """Cards from value rows, with their tags (one query for all of them)."""
    cards = [Card(*row) for row in rows]
    by_pk = {card.pk: card for card in cards}
    if by_pk:
        links = Lead.tags.through.objects.filter(lead_id__in=by_pk).select_related("tag").order_by("tag__name")
        for link in links:
            by_pk[link.lead_id].tags.append(link.tag)
    return cards


def prefetch_tags(leads: list[Lead]) -> list[Lead]:
    prefetch_related_objects(leads, Prefetch("tags", queryset=Tag.objects.order_by("name")))
    return leads


def board_card(*, user, pk: int) -> Card:
    """One card as the board shows it (after a move), or 404."""
    rows = list(_cards(access.visible_to(user, Lead.objects.filter(pk=pk))))
    if not rows:
        raise Http404("No lead")
    return _as_cards(rows)[0]


def board_columns(*, user, pipeline: Pipeline, filters: BoardFilters, stages: list[Stage] | None = None,
                  cards: bool = True) -> list[Column]:
    """Every stage of the pipeline (or the ones given) with its count and KZT budget
    total under the filters, and its first cards: four queries in all — the
    stages, the totals, one UNION ALL of a LIMIT per column, and the cards' tags
    (only the totals with ``cards=False``, for redrawing column heads)."""
    leads = board_leads(user=user, pipeline=pipeline, filters=filters)
    if stages is None:
        stages = list(pipeline.stages.order_by("position", "pk"))
        in_columns = leads  # every lead of the pipeline is in one of its stages
    else:
        in_columns = leads.filter(stage__in=stages)
    if not stages:
        return []
    columns = {stage.pk: Column(stage=stage) for stage in stages}
    # COUNT(*), not of a column: with the budget in the board index, PostgreSQL can
    # answer from the index alone (see README, "Benchmarks").
    totals = in_columns.order_by().values("stage").annotate(
        count=Count("*"), budget=Sum("budget", filter=Q(budget_currency=Currency.KZT))
    )
    for row in totals:
        column = columns[row["stage"]]
        column.count, column.budget_kzt = row["count"], row["budget"] or Decimal("0")
    if not cards:
        return list(columns.values())
    heads = [_cards(leads.filter(stage=stage))[:BOARD_PAGE_SIZE] for stage in stages if columns[stage.pk].count]
    if heads:
        if len(heads) > 1 and connection.features.supports_slicing_ordering_in_compound:
            rows = list(heads[0].union(*heads[1:], all=True))
        else:
            # SQLite (the laptop default) cannot LIMIT inside a UNION: a query per column.
            rows = [row for head in heads for row in head]
        for card in _as_cards(rows):
            columns[card.stage_id].cards.append(card)
        for column in columns.values():
            column.cards.sort(key=lambda card: (card.position, card.pk))
            column.has_more = column.count > len(column.cards)
    return list(columns.values())


def column_page(*, user, stage: Stage, filters: BoardFilters, after: str = "") -> Column:
    """The next cards of one column after the cursor ``"<position>:<id>"``."""
    leads = board_leads(user=user, pipeline=stage.pipeline, filters=filters).filter(stage=stage)
    column = Column(stage=stage, count=leads.count())
    position, _sep, pk = after.partition(":")
    with contextlib.suppress(ValueError):
        leads = leads.filter(Q(position__gt=float(position)) | Q(position=float(position), pk__gt=int(pk)))
    rows = list(_cards(leads)[: BOARD_PAGE_SIZE + 1])
    column.cards, column.has_more = _as_cards(rows[:BOARD_PAGE_SIZE]), len(rows) > BOARD_PAGE_SIZE
    return column


def board_assignee_choices():
    """The people a board can be filtered by (those who work leads)."""
    return list(staff_users())


def lead_for_user(*, user, pk: int) -> Lead:
    """The lead the user may see, with what its card page shows, or 404."""
    return access.get_visible_or_404(
        user, Lead.objects.select_related("client", "stage", "pipeline", "assignee", "created_by"), pk=pk
    )


def pipeline_stages(pipeline: Pipeline) -> list[Stage]:
    return list(Stage.objects.filter(pipeline=pipeline).order_by("position", "pk"))


def lead_stages(lead: Lead) -> list[Stage]:
    return pipeline_stages(lead.pipeline)


def lead_tasks(*, user, lead: Lead) -> list[Task]:
    tasks = access.visible_to(user, Task.objects.filter(Q(lead=lead) | Q(lead__isnull=True, client=lead.client_id)))
    return list(tasks.select_related("assignee", "lead").order_by("done_at", "due_at", "pk")[:50])


def lead_orders(*, user, lead: Lead) -> list[Order]:
    return list(access.visible_to(user, Order.objects.filter(lead=lead)).order_by("-created_at", "-pk"))


@dataclass
class AssistantView:
    """What the assistant made of the lead's latest message: its suggestions for
    fields a person has filled, the stage it would move to, its reasons."""

    insight: object
    suggestions: list[tuple[str, object]]
    next_stage: Stage | None


def lead_assistant(*, lead: Lead) -> AssistantView | None:
    """The latest insight on the lead (the assistant lives in ``messaging``; its
    rows reach the lead through the reverse relation ``insights``)."""
    insight = lead.insights.select_related("next_stage").order_by("-created_at", "-pk").first()
    if insight is None:
        return None
    labels = {field.name: field.verbose_name for field in Lead._meta.get_fields() if hasattr(field, "verbose_name")}
    suggestions = [(labels.get(name, name), value) for name, value in (insight.suggestions or {}).items()]
    stage = insight.next_stage
    ahead = stage is not None and stage.pipeline_id == lead.pipeline_id and stage.position > lead.stage.position
    return AssistantView(insight=insight, suggestions=suggestions, next_stage=stage if ahead else None)


def _timeline_cursor(before: str) -> tuple[dt.datetime, int] | None:
    """The timeline cursor as (a UTC time, an id); None for one that cannot be
    read — the first page then. The time is taken to UTC here: PostgreSQL refuses
    an offset beyond ±15:59, and a time near year 1 or 9999 may not convert."""
    moment, _sep, pk = before.partition("|")
    try:
        at = dt.datetime.fromisoformat(moment)
        return (at if at.tzinfo else timezone.make_aware(at)).astimezone(dt.UTC), int(pk)
    except (ValueError, OverflowError):
        return None


@dataclass
class TimelinePage:
    entries: list[Activity]
    next_cursor: str


def timeline_page(*, user, lead: Lead, before: str = "") -> TimelinePage:
    """The client's journey, newest first, a page at a time: every timeline entry of
    the client (all their leads) that the user may see, after the cursor
    ``"<iso time>|<id>"`` of the last entry shown."""
    entries = access.visible_to(user, Activity.objects.filter(client_id=lead.client_id))
    cursor = _timeline_cursor(before)
    if cursor is not None:
        at, pk = cursor
        entries = entries.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    page = list(entries.select_related("author", "lead").order_by("-created_at", "-pk")[: TIMELINE_PAGE_SIZE + 1])
    more = len(page) > TIMELINE_PAGE_SIZE
    page = page[:TIMELINE_PAGE_SIZE]
    cursor = f"{page[-1].created_at.isoformat()}|{page[-1].pk}" if more else ""
    return TimelinePage(entries=page, next_cursor=cursor)


@dataclass
class MyDay:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    notifications: list[Notification]
    unread: int


def notifications_unread_count(*, user) -> int:
    """How many of the user's notifications are unread, up to ``UNREAD_COUNT_LIMIT``:
    one count over the (user, read_at) index, bounded however many pile up."""
    return Notification.objects.filter(user=user, read_at__isnull=True).order_by()[:UNREAD_COUNT_LIMIT].count()


def my_day(*, user, now: dt.datetime | None = None) -> MyDay:
    """The user's open tasks — overdue, due today (Almaty time), upcoming — and
    their latest notifications."""
    now = now or timezone.now()
    end_of_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    tasks = Task.objects.filter(assignee=user, done_at__isnull=True).select_related("lead", "client").order_by(
        "due_at", "pk"
    )
    notifications = Notification.objects.filter(user=user).select_related("lead__client")
    return MyDay(
        overdue=list(tasks.filter(due_at__lt=now)),
        today=list(tasks.filter(due_at__gte=now, due_at__lt=end_of_today)),
        upcoming=list(tasks.filter(due_at__gte=end_of_today)[:UPCOMING_TASKS_LIMIT]),
        notifications=list(notifications.order_by("-created_at", "-pk")[:NOTIFICATIONS_LIMIT]),
        unread=notifications_unread_count(user=user),
    )
