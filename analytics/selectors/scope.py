"""What a figure covers: a period (dates in Almaty time, both ends included),
the filters (agent, channel, destination) and the reader (agents see only the
rows assigned to them).

Each model is narrowed through the fields named in ``PATHS``: the channel of
every row is the source of its lead, its destination the resort.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Model, OuterRef, Q, QuerySet, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.models import MarketingSpend, SurveyResponse
from crm import access
from crm.models import Client, Lead, Order, SlaBreach
from messaging.models import Conversation


class Preset(TextChoices):
    LAST_7_DAYS = "7d", _("Last 7 days")
    LAST_30_DAYS = "30d", _("Last 30 days")
    THIS_MONTH = "month", _("This month")
    LAST_MONTH = "last_month", _("Last month")
    THIS_QUARTER = "quarter", _("This quarter")
    THIS_YEAR = "year", _("This year")
    LAST_12_MONTHS = "12m", _("Last 12 months")
    ALL_TIME = "all", _("All time")
    CUSTOM = "custom", _("Custom range")


DEFAULT_PRESET = Preset.LAST_30_DAYS


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """``date_from``..``date_to`` inclusive, in local dates; an open end (None) reaches as far as the data."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def start(self) -> dt.datetime | None:
        return None if self.date_from is None else dt.datetime.combine(self.date_from, dt.time(), local_zone())

    @property
    def end(self) -> dt.datetime | None:
        """Exclusive: midnight after ``date_to``."""
        if self.date_to is None:
            return None
        return dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time(), local_zone())

    @property
    def is_all_time(self) -> bool:
        return self.date_from is None and self.date_to is None

    @property
    def days(self) -> int | None:
        if self.date_from is None or self.date_to is None:
            return None
        return (self.date_to - self.date_from).days + 1

    def q(self, field: str) -> Q:
        """Rows whose ``field`` (a date-time) falls in the period."""
        condition = Q()
        if self.start is not None:
            condition &= Q(**{f"{field}__gte": self.start})
        if self.end is not None:
            condition &= Q(**{f"{field}__lt": self.end})
        return condition

    def previous(self) -> Period | None:
        """The as-long period just before this one (None for an open one)."""
        if self.days is None:
            return None
        return Period(self.date_from - dt.timedelta(days=self.days), self.date_from - dt.timedelta(days=1))

    def until_end(self) -> Period:
        """Everything up to this period's end."""
        return Period(None, self.date_to)

    def whole_months(self) -> Period:
        """The calendar months this period touches (spend is entered per month)."""
        return Period(
            None if self.date_from is None else month_start(self.date_from),
            None if self.date_to is None else month_end(self.date_to),
        )

    def span(self, other: Period | None) -> Period:
        """The smallest period covering this one and ``other``."""
        if other is None:
            return self
        starts, ends = (self.date_from, other.date_from), (self.date_to, other.date_to)
        return Period(None if None in starts else min(starts), None if None in ends else max(ends))


def preset_period(preset: str, *, today: dt.date) -> Period:
    """The dates of a preset, ending today (a calendar month, quarter or year so far)."""
    if preset == Preset.LAST_7_DAYS:
        return Period(today - dt.timedelta(days=6), today)
    if preset == Preset.THIS_MONTH:
        return Period(month_start(today), today)
    if preset == Preset.LAST_MONTH:
        last = month_start(today) - dt.timedelta(days=1)
        return Period(month_start(last), last)
    if preset == Preset.THIS_QUARTER:
        return Period(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today)
    if preset == Preset.THIS_YEAR:
        return Period(today.replace(month=1, day=1), today)
    if preset == Preset.LAST_12_MONTHS:
        months_back = today.year * 12 + today.month - 1 - 11
        return Period(dt.date(months_back // 12, months_back % 12 + 1, 1), today)
    if preset == Preset.ALL_TIME:
        return Period()
    return Period(today - dt.timedelta(days=29), today)


def today_local() -> dt.date:
    return timezone.localdate(timezone=local_zone())


@dataclass(frozen=True)
class Filters:
    agent_id: int | None = None
    channel: str = ""
    destination: str = ""

    @property
    def active(self) -> bool:
        return bool(self.agent_id or self.channel or self.destination)


@dataclass(frozen=True)
class Paths:
    agent: str
    channel: str
    destination: str


PATHS: dict[type[Model], Paths] = {
    Order: Paths("assignee", "lead__source", "destination_resort"),
    Lead: Paths("assignee", "source", "destination_resort"),
    SlaBreach: Paths("assignee", "lead__source", "lead__destination_resort"),
    SurveyResponse: Paths("order__assignee", "order__lead__source", "order__destination_resort"),
    Conversation: Paths("assignee", "lead__source", "lead__destination_resort"),
}
# The moment that puts a row in a period. A conversation's is its first incoming
# message (an annotation: see ``formulas.first_reply_annotations``).
DATE_FIELDS: dict[type[Model], str] = {
    Order: "created_at",
    Lead: "created_at",
    Client: "created_at",
    SlaBreach: "due_at",
    SurveyResponse: "responded_at",
    Conversation: "first_in",
}


@dataclass(frozen=True)
class Scope:
    """Whose figures and which: an agent's scope is always their own rows,
    whatever agent they ask for; managers, admins and accountants see every row."""

    filters: Filters
    reads_all: bool

    @classmethod
    def for_user(cls, user, filters: Filters) -> Scope:
        if access.can_read_all(user):
            return cls(filters=filters, reads_all=True)
        if access.is_agent(user):
            return cls(filters=replace(filters, agent_id=user.pk), reads_all=False)
        raise PermissionDenied(_("Your account has no role that reads analytics."))

    @property
    def spend_applies(self) -> bool:
        """Spend is entered per month and channel: acquisition cost has no meaning for one agent or resort."""
        return self.reads_all and not self.filters.agent_id and not self.filters.destination

    def date_q(self, model: type[Model], period: Period) -> Q:
        """Rows of ``model`` dated in ``period``; spend by the calendar months the period touches."""
        if model is MarketingSpend:
            months = period.whole_months()
            condition = Q()
            if months.date_from is not None:
                condition &= Q(month__gte=months.date_from)
            if months.date_to is not None:
                condition &= Q(month__lte=months.date_to)
            return condition
        return period.q(DATE_FIELDS[model])

    def rows(self, queryset: QuerySet, period: Period | None = None) -> QuerySet:
        """``queryset`` narrowed by the filters (and to ``period``)."""
        model = queryset.model
        if model is Client:
            queryset = self._clients(queryset)
        elif model is MarketingSpend:
            queryset = queryset.filter(channel=self.filters.channel) if self.filters.channel else queryset
        else:
            paths, filters = PATHS[model], self.filters
            if filters.agent_id:
                queryset = queryset.filter(**{f"{paths.agent}_id": filters.agent_id})
            if filters.channel:
                queryset = queryset.filter(**{paths.channel: filters.channel})
            if filters.destination:
                queryset = queryset.filter(**{paths.destination: filters.destination})
        return queryset if period is None else queryset.filter(self.date_q(model, period))

    def _clients(self, clients: QuerySet) -> QuerySet:
        """A client counts for an agent who owns them or works one of their leads, for a resort they asked about."""
        filters = self.filters
        if filters.agent_id:
            theirs = Lead.objects.filter(client=OuterRef("pk"), assignee_id=filters.agent_id)
            clients = clients.filter(Q(owner_id=filters.agent_id) | Exists(theirs))
        if filters.channel:
            clients = clients.filter(source=filters.channel)
        if filters.destination:
            clients = clients.filter(
                Exists(Lead.objects.filter(client=OuterRef("pk"), destination_resort=filters.destination))
            )
        return clients
