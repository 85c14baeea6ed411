"""CRM data: clients, pipelines and stages, leads, the timeline, tasks, orders.

Rules that change these rows live in ``crm/services.py``; who may see and touch
them lives in ``crm/access.py``. Models keep only what the database itself must
guarantee (uniqueness, checks, normalised identifiers).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

MONEY = {"max_digits": 14, "decimal_places": 2}


class Channel(models.TextChoices):
    """Where a client or a lead came from; the first five are messaging platforms too."""

    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    WAZZUP = "wazzup", "Wazzup24"
    EMAIL = "email", _("Email")
    WEB = "web", _("Website form")
    PHONE = "phone", _("Phone call")
    WALK_IN = "walk_in", _("Office visit")
    REFERRAL = "referral", _("Referral")
    IMPORT = "import", _("Import")


class Language(models.TextChoices):
    RU = "ru", _("Russian")
    KK = "kk", _("Kazakh")
    EN = "en", _("English")


class Currency(models.TextChoices):
    KZT = "KZT", _("Tenge (KZT)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")
    RUB = "RUB", _("Rouble (RUB)")


class MealPlan(models.TextChoices):
    RO = "RO", _("Room only")
    BB = "BB", _("Breakfast")
    HB = "HB", _("Half board")
    FB = "FB", _("Full board")
    AI = "AI", _("All inclusive")
    UAI = "UAI", _("Ultra all inclusive")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d", help_text="#rrggbb")

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class Client(models.Model):
    """One person. Phone, email and messenger ids are normalised and unique, so a
    second record of the same person cannot exist, whoever writes it."""

    access_owner_field = "owner"

    full_name = models.CharField(_("full name"), max_length=200)
    phone = PhoneNumberField(_("phone"), null=True, blank=True, unique=True)
    # Identifiers are NULL, not "", when unknown: unique constraints ignore NULLs.
    email = models.EmailField(_("email"), null=True, blank=True)  # noqa: DJ001
    telegram_id = models.BigIntegerField(_("Telegram user id"), null=True, blank=True, unique=True)
    telegram_username = models.CharField(_("Telegram username"), max_length=64, blank=True)
    whatsapp_id = models.CharField(_("WhatsApp id"), max_length=32, null=True, blank=True, unique=True)  # noqa: DJ001
    city = models.CharField(_("city"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.RU)
    source = models.CharField(_("source"), max_length=20, choices=Channel.choices, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="clients", verbose_name=_("tags"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="owned_clients", verbose_name=_("owner"),
    )
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="client_email_unique_ci"),
            models.CheckConstraint(condition=~Q(email=""), name="client_email_null_not_blank"),
            models.CheckConstraint(condition=~Q(whatsapp_id=""), name="client_whatsapp_null_not_blank"),
        ]
        indexes = [models.Index(fields=["owner", "full_name"]), models.Index(fields=["created_at"], include=["id"], name="client_analytics_idx")]  # analytics: clients of a period, index-only

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower() or None
        self.whatsapp_id = "".join(ch for ch in (self.whatsapp_id or "") if ch.isdigit()) or None
        if not self.phone:
            self.phone = None
        super().save(*args, **kwargs)


class PipelineManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Pipeline(models.Model):
    name = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    slug = models.SlugField(_("code"), unique=True)
    is_default = models.BooleanField(_("default"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = PipelineManager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="pipeline_single_default"),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return localized(self.name, self.name_en)

    def natural_key(self):
        return (self.slug,)


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class StageManager(models.Manager):
    def get_by_natural_key(self, pipeline_slug, code):
        return self.get(pipeline__slug=pipeline_slug, code=code)


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages", verbose_name=_("pipeline"))
    code = models.SlugField(_("code"))
    name = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=4, choices=StageKind.choices, default=StageKind.OPEN)
    sla_hours = models.PositiveIntegerField(
        _("SLA, hours"), null=True, blank=True, help_text=_("How long a lead may stay in this stage; empty for no limit.")
    )
    color = models.CharField(_("colour"), max_length=7, default="#0d6efd")

    objects = StageManager()

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [models.UniqueConstraint(fields=["pipeline", "code"], name="stage_code_unique_in_pipeline")]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return localized(self.name, self.name_en)

    def natural_key(self):
        return (self.pipeline.slug, self.code)

    natural_key.dependencies = ["crm.pipeline"]


def localized(ru: str, en: str) -> str:
    """Data-driven names are stored in Russian and English; show the active language."""
    return en if en and (translation.get_language() or "").startswith("en") else ru


# The assistant's lead categories (messaging/assistant/scoring.py).
AI_CATEGORIES = {
    "hot": _("hot"), "warm": _("warm"), "cold": _("cold"), "service": _("service"), "complaint": _("complaint"),
}


class Lead(models.Model):
    """One travel request of one client, moving through a pipeline."""

    access_owner_field = "assignee"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="leads", verbose_name=_("client"))
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="leads", verbose_name=_("pipeline"))
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="leads", verbose_name=_("stage"))
    position = models.FloatField(_("position in column"), default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assigned_leads", verbose_name=_("assignee"),
    )
    source = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    departure_city = models.CharField(_("departure city"), max_length=100, blank=True)
    destination_country = models.CharField(_("country"), max_length=100, blank=True)
    destination_resort = models.CharField(_("resort"), max_length=100, blank=True)
    date_from = models.DateField(_("departure from"), null=True, blank=True)
    date_to = models.DateField(_("departure to"), null=True, blank=True)
    nights_from = models.PositiveSmallIntegerField(_("nights from"), null=True, blank=True)
    nights_to = models.PositiveSmallIntegerField(_("nights to"), null=True, blank=True)
    adults = models.PositiveSmallIntegerField(_("adults"), default=2)
    children = models.PositiveSmallIntegerField(_("children"), default=0)
    children_ages = models.JSONField(_("children's ages"), default=list, blank=True)
    budget = models.DecimalField(_("budget"), **MONEY, null=True, blank=True)
    budget_currency = models.CharField(_("budget currency"), max_length=3, choices=Currency.choices, default=Currency.KZT)
    hotel_stars = models.PositiveSmallIntegerField(
        _("hotel stars"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    meal_plan = models.CharField(_("meal plan"), max_length=3, choices=MealPlan.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="leads", verbose_name=_("tags"))
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True)
    stage_changed_at = models.DateTimeField(_("stage changed"), default=timezone.now)
    ai_score = models.PositiveSmallIntegerField(
        _("AI score"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    ai_category = models.CharField(_("AI category"), max_length=30, blank=True)  # see AI_CATEGORIES
    ai_reasons = models.JSONField(_("AI reasons"), default=list, blank=True)
    lost_reason = models.TextField(_("lost reason"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, help_text=_("Raised on every change; guards concurrent edits."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="created_leads", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["pipeline", "stage__position", "position", "id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["pipeline", "stage", "position"], name="lead_board_idx"),
            models.Index(fields=["assignee", "stage"], name="lead_assignee_idx"),
            models.Index(fields=["sla_due_at"], name="lead_sla_due_idx"),
            models.Index(fields=["created_at"], name="lead_created_idx"),
            models.Index(fields=["source", "created_at"], name="lead_source_idx"),
            models.Index(fields=["created_at"], include=["id", "pipeline", "stage", "source", "assignee", "destination_resort"], name="lead_analytics_idx"),  # analytics: leads of a period, index-only
            models.Index(fields=["id"], include=["source"], name="lead_channel_idx"),  # analytics: an order's channel (its lead's source), index-only
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ai_score__lte=100), name="lead_ai_score_0_100"),
            models.CheckConstraint(
                condition=Q(date_from__isnull=True) | Q(date_to__isnull=True) | Q(date_to__gte=F("date_from")),
                name="lead_date_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(nights_from__isnull=True) | Q(nights_to__isnull=True) | Q(nights_to__gte=F("nights_from")),
                name="lead_nights_ordered",
            ),
            models.CheckConstraint(condition=Q(budget__isnull=True) | Q(budget__gte=0), name="lead_budget_not_negative"),
        ]

    def __str__(self):
        where = self.destination_resort or self.destination_country
        return f"#{self.pk} {self.client}" + (f" — {where}" if where else "")

    @property
    def ai_category_label(self) -> str:
        return str(AI_CATEGORIES.get(self.ai_category, self.ai_category))


class LeadStageChange(models.Model):
    access_owner_field = "lead__assignee"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("lead"))
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("from stage")
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+", verbose_name=_("to stage"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage history")
        indexes = [
            models.Index(fields=["lead", "changed_at"], name="stagechange_lead_idx"),
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_to_idx"),
        ]

    def __str__(self):
        return f"{self.from_stage or '—'} → {self.to_stage}"


class ActivityKind(models.TextChoices):
    NOTE = "note", _("Note")
    CALL = "call", _("Call")
    STAGE_CHANGE = "stage_change", _("Stage change")
    ASSIGNMENT = "assignment", _("Assignment")
    MESSAGE = "message", _("Message")
    TASK = "task", _("Task")
    OFFER = "offer", _("Offer")
    ORDER = "order", _("Order")
    AI = "ai", _("AI note")
    SYSTEM = "system", _("System")


class Activity(models.Model):
    """One entry of a client's journey; every surface writes here through services."""

    access_owner_field = "lead__assignee"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="activities", verbose_name=_("client"))
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="activities", verbose_name=_("lead")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["client", "-created_at"], name="activity_client_idx"),
            models.Index(fields=["lead", "-created_at"], name="activity_lead_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:60]}"


class Task(models.Model):
    access_owner_field = "assignee"

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    due_at = models.DateTimeField(_("due"))
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks", verbose_name=_("lead")
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks", verbose_name=_("client")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks",
        verbose_name=_("assignee"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["done_at", "due_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["assignee", "done_at", "due_at"], name="task_my_day_idx"),
            models.Index(fields=["due_at"], condition=Q(done_at__isnull=True, reminded_at__isnull=True),
                         name="task_reminder_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(lead__isnull=False) | Q(client__isnull=False), name="task_has_subject"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_overdue(self):
        return self.done_at is None and self.due_at < timezone.now()


class OrderStatus(models.TextChoices):
    NEW = "new", _("New")
    CONFIRMED = "confirmed", _("Confirmed by operator")
    PAID = "paid", _("Paid")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Order(models.Model):
    """A booking: a snapshot of the tour as sold, its price, cost and status."""

    access_owner_field = "assignee"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="orders", verbose_name=_("client"))
    lead = models.ForeignKey(
        Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders", verbose_name=_("lead")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders",
        verbose_name=_("agent"),
    )
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.NEW)
    # The tour as it was sold (a snapshot, independent of later SAMO changes).
    operator = models.CharField(_("tour operator"), max_length=100, blank=True)
    departure_city = models.CharField(_("departure city"), max_length=100, blank=True)
    destination_country = models.CharField(_("country"), max_length=100, blank=True)
    destination_resort = models.CharField(_("resort"), max_length=100, blank=True)
    hotel = models.CharField(_("hotel"), max_length=200, blank=True)
    hotel_stars = models.PositiveSmallIntegerField(_("hotel stars"), null=True, blank=True)
    room = models.CharField(_("room"), max_length=200, blank=True)
    meal_plan = models.CharField(_("meal plan"), max_length=3, choices=MealPlan.choices, blank=True)
    date_from = models.DateField(_("check-in"))
    date_to = models.DateField(_("check-out"))
    nights = models.PositiveSmallIntegerField(_("nights"))
    adults = models.PositiveSmallIntegerField(_("adults"), default=2)
    children = models.PositiveSmallIntegerField(_("children"), default=0)
    tourists = models.JSONField(_("tourists"), default=list, blank=True, help_text=_("Names and birth dates as booked."))
    offer_snapshot = models.JSONField(_("offer snapshot"), default=dict, blank=True)
    price = models.DecimalField(_("price"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.KZT)
    exchange_rate = models.DecimalField(
        _("rate to KZT"), max_digits=12, decimal_places=4, default=Decimal("1"),
        help_text=_("Tenge for one unit of the order currency, as used for the price in KZT."),
    )
    price_kzt = models.DecimalField(_("price, KZT"), **MONEY)
    cost_kzt = models.DecimalField(_("cost (net), KZT"), **MONEY, null=True, blank=True)
    operator_booking_number = models.CharField(_("operator booking number"), max_length=50, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["status", "created_at"], name="order_status_idx"),
            models.Index(fields=["created_at"], name="order_created_idx"),
            models.Index(fields=["assignee", "created_at"], name="order_assignee_idx"),
            models.Index(fields=["created_at"], include=["id", "status", "price_kzt", "cost_kzt", "client", "assignee", "lead", "destination_resort"], name="order_analytics_idx"),  # analytics: orders of a period, index-only
            models.Index(fields=["client", "created_at"], include=["id", "status", "price_kzt"], name="order_client_history_idx"),  # analytics: a client's orders (first order, repeat clients)
            models.Index(fields=["lead", "created_at"], include=["id", "status", "price_kzt", "cost_kzt", "client", "assignee", "destination_resort"], name="order_lead_analytics_idx"),  # analytics: orders in lead order, merged with their leads' channel
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0) & Q(price_kzt__gte=0), name="order_price_not_negative"),
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="order_rate_positive"),
            models.CheckConstraint(condition=Q(date_to__gte=F("date_from")), name="order_dates_ordered"),
        ]

    def __str__(self):
        return f"№{self.pk} {self.client} — {self.hotel or self.destination_resort}"

    @property
    def margin_kzt(self):
        return None if self.cost_kzt is None else self.price_kzt - self.cost_kzt


class OrderLog(models.Model):
    access_owner_field = "order__assignee"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="log", verbose_name=_("order"))
    from_status = models.CharField(_("from"), max_length=10, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=OrderStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("order status change")
        verbose_name_plural = _("order log")
        indexes = [models.Index(fields=["order", "changed_at"], name="orderlog_order_idx")]

    def __str__(self):
        return f"{self.from_status or '—'} → {self.to_status}"


class SlaBreach(models.Model):
    """A lead that stayed in a stage past its SLA: one row per stay (lead, stage,
    time of entry), so the periodic check can run any number of times and each
    breach is recorded and announced once. Kept for analytics after the lead moves on."""

    access_owner_field = "lead__assignee"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="sla_breaches", verbose_name=_("lead"))
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+", verbose_name=_("stage"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("assignee at the time"),
    )
    stage_entered_at = models.DateTimeField(_("entered the stage"))
    due_at = models.DateTimeField(_("SLA due"))
    detected_at = models.DateTimeField(_("detected"), default=timezone.now)

    class Meta:
        ordering = ["-due_at", "-id"]
        verbose_name = _("SLA breach")
        verbose_name_plural = _("SLA breaches")
        constraints = [
            models.UniqueConstraint(fields=["lead", "stage", "stage_entered_at"], name="sla_breach_once_per_stay"),
        ]
        indexes = [models.Index(fields=["due_at"], name="sla_breach_due_idx")]

    def __str__(self):
        return f"{self.lead} · {self.stage}"


class Notification(models.Model):
    """An in-app message to one person (a task reminder, an SLA breach); e-mailed
    too when a mail backend is configured, with the attempt recorded here."""

    access_owner_field = "user"

    class Kind(models.TextChoices):
        TASK_REMINDER = "task_reminder", _("Task reminder")
        SLA_BREACH = "sla_breach", _("SLA breach")
        NEW_MESSAGE = "new_message", _("New message")
        ESCALATION = "escalation", _("Needs a person now")
        BOT_BOOKING = "bot_booking", _("Booked through the bot")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=500)
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("lead"),
    )
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications", verbose_name=_("task"),
    )
    sla_breach = models.ForeignKey(
        SlaBreach, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications",
        verbose_name=_("SLA breach"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_error = models.TextField(_("last e-mail error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox_idx")]
        constraints = [
            # A reminder or a breach reaches each person once, however often the job runs.
            models.UniqueConstraint(fields=["user", "task"], condition=Q(task__isnull=False),
                                    name="notification_once_per_task"),
            models.UniqueConstraint(fields=["user", "sla_breach"], condition=Q(sla_breach__isnull=False),
                                    name="notification_once_per_breach"),
        ]

    def __str__(self):
        return self.text


class AssignmentTurn(models.Model):
    """Whose turn it is in a round-robin rotation, kept in the database so the
    rotation survives restarts and is shared by every web and worker process."""

    key = models.CharField(_("rotation"), max_length=50, unique=True)
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("last given to"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("assignment rotation")
        verbose_name_plural = _("assignment rotations")

    def __str__(self):
        return self.key


class FormSubmission(models.Model):
    """One submitted create form, keyed by the token the form was rendered with:
    a second submit of the same form (a double click, a resend) finds the row it
    made instead of making another."""

    token = models.UUIDField(_("form token"), primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("what it created"), max_length=30)
    object_id = models.BigIntegerField(_("id of the row it created"), null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self):
        return str(self.token)


class MergeSuggestion(models.Model):
    """Two client records that turned out to be one person (a messenger id on one,
    the same phone or e-mail on the other), for a person to merge or dismiss.
    One row per pair, whichever way round it was found."""

    access_owner_field = "client__owner"

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Dismissed")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client"))
    other = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("the same person?"))
    reason = models.CharField(_("why"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("found"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("merge suggestion")
        verbose_name_plural = _("merge suggestions")
        constraints = [
            models.UniqueConstraint(fields=["client", "other"], name="merge_suggestion_pair_unique"),
            models.CheckConstraint(condition=Q(client__lt=F("other")), name="merge_suggestion_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="merge_suggestion_open_idx")]

    def __str__(self):
        return f"{self.client} ≟ {self.other}"
