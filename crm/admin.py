"""The Django admin of the CRM: managers, admins and accountants work here.

Thin, like every surface: stage moves, assignment and order status go through
``crm.services``; which rows a person sees and may change comes from
``crm.access`` through ``RowAccessAdminMixin``.
"""

import datetime as dt
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crm import access, services
from crm.admin_mixins import (
    InlineAccessMixin,
    KeepCurrentChoicesForm,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    RowAccessAdminMixin,
    ServiceFormMixin,
    StaffChoiceField,
    action_input,
    export_as_csv,
    person_column,
    person_name,
    report_service_call,
    staff_users,
)
from crm.models import (
    Activity,
    ActivityKind,
    Client,
    Lead,
    LeadStageChange,
    Notification,
    Order,
    OrderLog,
    OrderStatus,
    Pipeline,
    SlaBreach,
    Stage,
    Tag,
    Task,
)
from crm.resources import ClientResource, CrmImportExportMixin, LeadResource
from crm.roles import Role

admin.site.site_header = "Crystal Bay CRM"
admin.site.site_title = "Crystal Bay CRM"
admin.site.index_title = gettext_lazy("Administration")

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
ORDER_STATUS_COLOURS = {
    OrderStatus.NEW: "#0d6efd",
    OrderStatus.CONFIRMED: "#6f42c1",
    OrderStatus.PAID: "#20c997",
    OrderStatus.COMPLETED: "#495057",
    OrderStatus.CANCELLED: "#dc3545",
}


def badge(text, colour: str):
    colour = colour if _HEX_COLOUR.match(colour or "") else "#6c757d"
    return format_html(
        '<span style="background:{};color:#fff;padding:1px 8px;border-radius:8px;white-space:nowrap">{}</span>',
        colour, text,
    )


def deadline(value, *, overdue: bool):
    if value is None:
        return "—"
    shown = formats.localize(timezone.localtime(value))
    if overdue:
        return format_html('<strong style="color:#dc3545">⚠ {} ({})</strong>', shown, _("overdue"))
    return shown


def money(amount, currency: str):
    if amount is None:
        return "—"
    return f"{formats.number_format(amount, decimal_pos=0, use_l10n=True, force_grouping=True)} {currency}"


class PhoneSearchMixin:
    """A phone typed any usual way (``8 701 123 45 67``) finds the E.164 number stored."""

    phone_search_field = "phone"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = services.phone_normalize(search_term)
        except ValidationError:
            phone = None
        if phone:
            results |= queryset.filter(**{self.phone_search_field: phone})
        return results, may_have_duplicates


# --- Reference data ----------------------------------------------------------------


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "swatch"]
    search_fields = ["name"]

    @admin.display(description=gettext_lazy("colour"))
    def swatch(self, tag):
        return badge(tag.name, tag.color)


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["position", "code", "name", "name_en", "kind", "sla_hours", "color"]
    ordering = ["position", "id"]


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "slug", "is_default", "position", "stage_count"]
    list_editable = ["position"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [StageInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(stage_count=Count("stages"))

    @admin.display(description=gettext_lazy("stages"), ordering="stage_count")
    def stage_count(self, pipeline):
        return pipeline.stage_count


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["stage_badge", "pipeline", "position", "kind", "sla_hours", "code"]
    list_filter = ["pipeline", "kind"]
    list_select_related = ["pipeline"]
    search_fields = ["name", "name_en", "code"]
    ordering = ["pipeline", "position"]

    @admin.display(description=gettext_lazy("stage"), ordering="position")
    def stage_badge(self, stage):
        return badge(stage.label, stage.color)


# --- Clients -------------------------------------------------------------------------


class ClientLeadInline(ReadOnlyInline, admin.TabularInline):
    model = Lead
    fields = ["stage", "destination_country", "destination_resort", "date_from", "budget", "assignee", "created_at"]
    verbose_name_plural = gettext_lazy("leads")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("stage", "assignee")


@admin.register(Client)
class ClientAdmin(CrmImportExportMixin, PhoneSearchMixin, RowAccessAdminMixin, admin.ModelAdmin):
    resource_classes = [ClientResource]
    list_display = [
        "full_name", "phone", "email", "city", "source", person_column("owner", gettext_lazy("owner")), "tag_list",
        "created_at",
    ]
    list_filter = ["source", "language", "marketing_consent", "tags", ("owner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["owner"]
    search_fields = ["full_name", "phone", "email", "telegram_username", "whatsapp_id", "city"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["tags"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["full_name", "phone", "email", "city", "language", "source", "owner", "tags", "notes"]}),
        (gettext_lazy("Messengers"), {"fields": ["telegram_id", "telegram_username", "whatsapp_id"]}),
        (gettext_lazy("Consent"), {"fields": ["marketing_consent", "consent_at"]}),
        (gettext_lazy("Record"), {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [ClientLeadInline]
    actions = [export_as_csv]
    csv_fields = [
        "id", "full_name", "phone", "email", "telegram_username", "whatsapp_id", "city", "language", "source",
        "owner", "tags", "marketing_consent", "created_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description=gettext_lazy("tags"))
    def tag_list(self, client):
        return ", ".join(tag.name for tag in client.tags.all()) or "—"


# --- Leads -------------------------------------------------------------------------


class SlaFilter(admin.SimpleListFilter):
    title = gettext_lazy("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("day", _("Due within 24 hours")), ("none", _("No deadline"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(sla_due_at__lt=now)
        if self.value() == "day":
            return queryset.filter(sla_due_at__gte=now, sla_due_at__lt=now + dt.timedelta(hours=24))
        if self.value() == "none":
            return queryset.filter(sla_due_at__isnull=True)
        return queryset


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, stage):
        return f"{stage.pipeline.label} · {stage.label}"


class LeadActionForm(ActionForm):
    assignee = StaffChoiceField(staff_users(), required=False, label=gettext_lazy("Assign to"))
    stage = StageChoiceField(
        Stage.objects.select_related("pipeline").order_by("pipeline__position", "position"),
        required=False, label=gettext_lazy("Move to stage"),
    )
    lost_reason = forms.CharField(required=False, max_length=500, label=gettext_lazy("Lost reason"))


class LeadAdminForm(KeepCurrentChoicesForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "stage" in self.fields:
            self.fields["stage"].queryset = Stage.objects.filter(pipeline_id=self.instance.pipeline_id)

    def clean(self):
        cleaned = super().clean()
        pipeline_id = cleaned["pipeline"].pk if cleaned.get("pipeline") else self.instance.pipeline_id
        stage = cleaned.get("stage")
        if stage and pipeline_id and stage.pipeline_id != pipeline_id:
            self.add_error("stage", _("The stage belongs to another pipeline."))
        return cleaned


class StageHistoryInline(ReadOnlyInline, admin.TabularInline):
    model = LeadStageChange
    fields = ["changed_at", "from_stage", "to_stage", "changed_by", "note"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("from_stage", "to_stage", "changed_by")


class LeadTaskInline(InlineAccessMixin, admin.TabularInline):
    model = Task
    form = KeepCurrentChoicesForm
    fields = ["title", "due_at", "assignee", "done_at"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assignee")


@admin.register(Lead)
class LeadAdmin(CrmImportExportMixin, ServiceFormMixin, PhoneSearchMixin, RowAccessAdminMixin, admin.ModelAdmin):
    resource_classes = [LeadResource]
    form = LeadAdminForm
    action_form = LeadActionForm
    list_display = [
        "id", "client", "destination", "stage_badge", person_column("assignee", gettext_lazy("assignee")), "source",
        "budget_display", "sla_due", "created_at",
    ]
    list_display_links = ["id", "client"]
    list_filter = [
        "pipeline", "stage", SlaFilter, ("assignee", admin.RelatedOnlyFieldListFilter), "source", "tags", "created_at",
    ]
    list_select_related = ["client", "stage", "assignee"]
    search_fields = [
        "=id", "client__full_name", "client__phone", "client__email", "destination_country", "destination_resort",
        "departure_city", "notes",
    ]
    phone_search_field = "client__phone"
    date_hierarchy = "created_at"
    autocomplete_fields = ["client", "tags"]
    ordering = ["-created_at", "-id"]
    fieldsets = [
        (None, {"fields": ["client", "pipeline", "stage", "assignee", "source", "tags"]}),
        (gettext_lazy("Travel request"), {"fields": [
            "departure_city", "destination_country", "destination_resort", ("date_from", "date_to"),
            ("nights_from", "nights_to"), ("adults", "children"), "children_ages", ("budget", "budget_currency"),
            "hotel_stars", "meal_plan",
        ]}),
        (gettext_lazy("Notes"), {"fields": ["notes", "lost_reason"]}),
        (gettext_lazy("AI assessment"), {"fields": ["ai_score", "ai_category", "ai_reasons"]}),
        (gettext_lazy("Record"), {"fields": [
            "sla_due_at", "stage_changed_at", "version", "created_by", "created_at", "updated_at",
        ]}),
    ]
    readonly_fields = [
        "ai_score", "ai_category", "ai_reasons", "sla_due_at", "stage_changed_at", "version", "created_by",
        "created_at", "updated_at",
    ]
    inlines = [StageHistoryInline, LeadTaskInline]
    actions = ["assign_to", "move_to_stage", export_as_csv]
    csv_fields = [
        "id", "created_at", "client", "client__phone", "client__email", "pipeline", "stage", "assignee", "source",
        "departure_city", "destination_country", "destination_resort", "date_from", "date_to", "nights_from",
        "nights_to", "adults", "children", "budget", "budget_currency", "hotel_stars", "meal_plan", "tags",
        "sla_due_at", "lost_reason",
    ]

    def get_readonly_fields(self, request, obj=None):
        # The client and pipeline of an existing lead stay; stage and assignee change through services.
        return [*self.readonly_fields, "client", "pipeline"] if obj else self.readonly_fields

    @admin.display(description=gettext_lazy("destination"), ordering="destination_country")
    def destination(self, lead):
        return ", ".join(part for part in (lead.destination_resort, lead.destination_country) if part) or "—"

    @admin.display(description=gettext_lazy("stage"), ordering="stage__position")
    def stage_badge(self, lead):
        return badge(lead.stage.label, lead.stage.color)

    @admin.display(description=gettext_lazy("budget"), ordering="budget")
    def budget_display(self, lead):
        return money(lead.budget, lead.budget_currency)

    @admin.display(description=gettext_lazy("SLA due"), ordering="sla_due_at")
    def sla_due(self, lead):
        return deadline(lead.sla_due_at, overdue=bool(lead.sla_due_at and lead.sla_due_at < timezone.now()))

    def save_model(self, request, obj, form, change):
        stage, assignee = obj.stage, obj.assignee
        if change:
            obj.stage_id = form.initial.get("stage", obj.stage_id)
            obj.assignee_id = form.initial.get("assignee", obj.assignee_id)
            obj.version += 1
            obj.save()
        else:
            self._create(request, obj)
        if stage.pk != obj.stage_id:
            report_service_call(
                self, request, obj, services.lead_move, lead=obj, stage=stage, user=request.user,
                lost_reason=obj.lost_reason,
            )
        if (assignee.pk if assignee else None) != obj.assignee_id:
            report_service_call(self, request, obj, services.lead_assign, lead=obj, assignee=assignee, user=request.user)

    def _create(self, request, lead):
        """A new lead starts unassigned; the chosen assignee is given through
        ``lead_assign`` afterwards, with its own rights."""
        lead.assignee = None
        services.lead_create(lead=lead, user=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is Task:
            for task in formset.save(commit=False):
                task.client_id = task.client_id or form.instance.client_id
                task.created_by_id = task.created_by_id or request.user.pk
                task.save()
            for task in formset.deleted_objects:
                task.delete()
        else:
            super().save_formset(request, form, formset, change)

    @admin.action(description=gettext_lazy("Assign to…"), permissions=["change"])
    def assign_to(self, request, queryset):
        assignee = action_input(self, request).get("assignee")
        if assignee is None:
            self.message_user(request, _("Choose whom to assign the leads to."), messages.WARNING)
            return
        done = sum(
            report_service_call(self, request, lead, services.lead_assign, lead=lead, assignee=assignee, user=request.user)
            for lead in queryset.select_related("client")
        )
        if done:
            self.message_user(request, ngettext(
                "%(count)d lead assigned to %(name)s.", "%(count)d leads assigned to %(name)s.", done,
            ) % {"count": done, "name": person_name(assignee)}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Move to stage…"), permissions=["change"])
    def move_to_stage(self, request, queryset):
        data = action_input(self, request)
        stage = data.get("stage")
        if stage is None:
            self.message_user(request, _("Choose the stage to move the leads to."), messages.WARNING)
            return
        done = sum(
            report_service_call(
                self, request, lead, services.lead_move, lead=lead, stage=stage, user=request.user,
                lost_reason=data.get("lost_reason", ""),
            )
            for lead in queryset.select_related("client")
        )
        if done:
            self.message_user(request, ngettext(
                "%(count)d lead moved to “%(stage)s”.", "%(count)d leads moved to “%(stage)s”.", done,
            ) % {"count": done, "stage": stage.label}, messages.SUCCESS)


@admin.register(LeadStageChange)
class LeadStageChangeAdmin(ReadOnlyAdminMixin, RowAccessAdminMixin, admin.ModelAdmin):
    list_display = [
        "changed_at", "lead", "from_stage", "to_stage", person_column("changed_by", gettext_lazy("changed by")), "note",
    ]
    list_filter = ["to_stage", ("changed_by", admin.RelatedOnlyFieldListFilter), "changed_at"]
    list_select_related = ["lead__client", "from_stage", "to_stage", "changed_by"]
    search_fields = ["=lead__id", "lead__client__full_name", "note"]
    date_hierarchy = "changed_at"
    fields = ["lead", "from_stage", "to_stage", "changed_by", "changed_at", "note"]


@admin.register(SlaBreach)
class SlaBreachAdmin(ReadOnlyAdminMixin, RowAccessAdminMixin, admin.ModelAdmin):
    """Leads that stayed in a stage past its SLA, as the periodic check recorded
    them (one row per stay): read here and in analytics, never edited."""

    list_display = [
        "due_at", "lead", "stage_badge", person_column("assignee", gettext_lazy("assignee at the time")),
        "stage_entered_at", "detected_at",
    ]
    list_filter = ["stage__pipeline", "stage", ("assignee", admin.RelatedOnlyFieldListFilter), "due_at"]
    list_select_related = ["lead__client", "stage", "assignee"]
    search_fields = ["=lead__id", "lead__client__full_name"]
    date_hierarchy = "due_at"
    fields = ["lead", "stage", "assignee", "stage_entered_at", "due_at", "detected_at"]

    @admin.display(description=gettext_lazy("stage"), ordering="stage__position")
    def stage_badge(self, breach):
        return badge(breach.stage.label, breach.stage.color)


# --- Timeline and tasks ---------------------------------------------------------------


@admin.register(Activity)
class ActivityAdmin(RowAccessAdminMixin, admin.ModelAdmin):
    """The timeline: notes and calls can be written here; entries are never edited."""

    list_display = ["created_at", "kind", "client", "lead", person_column("author", gettext_lazy("author")), "excerpt"]
    list_filter = ["kind", ("author", admin.RelatedOnlyFieldListFilter), "created_at"]
    list_select_related = ["client", "lead__client", "author"]
    search_fields = ["text", "client__full_name", "=lead__id"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["client", "lead"]
    fields = ["client", "lead", "kind", "text", "data", "author", "created_at"]
    readonly_fields = ["data", "author", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind":
            kwargs["choices"] = [(kind.value, kind.label) for kind in (ActivityKind.NOTE, ActivityKind.CALL)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.author = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("text"))
    def excerpt(self, activity):
        return activity.text[:80]


class TaskStateFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("overdue", _("Overdue")), ("done", _("Done"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(done_at__isnull=True)
        if self.value() == "overdue":
            return queryset.filter(done_at__isnull=True, due_at__lt=timezone.now())
        if self.value() == "done":
            return queryset.filter(done_at__isnull=False)
        return queryset


@admin.register(Task)
class TaskAdmin(RowAccessAdminMixin, admin.ModelAdmin):
    list_display = [
        "title", "due", "is_done", person_column("assignee", gettext_lazy("assignee")), "lead", "client", "created_at",
    ]
    list_filter = [TaskStateFilter, ("assignee", admin.RelatedOnlyFieldListFilter), "due_at"]
    list_select_related = ["assignee", "lead__client", "client"]
    search_fields = ["title", "description", "client__full_name", "lead__client__full_name", "=lead__id"]
    date_hierarchy = "due_at"
    autocomplete_fields = ["lead", "client"]
    fields = ["title", "description", "due_at", "lead", "client", "assignee", "done_at", "reminded_at",
              "created_by", "created_at"]
    readonly_fields = ["reminded_at", "created_by", "created_at"]
    actions = [export_as_csv]
    csv_fields = ["id", "title", "description", "due_at", "done_at", "assignee", "lead", "client", "created_at"]

    @admin.display(description=gettext_lazy("due"), ordering="due_at")
    def due(self, task):
        return deadline(task.due_at, overdue=task.is_overdue)

    @admin.display(description=gettext_lazy("done"), boolean=True, ordering="done_at")
    def is_done(self, task):
        return task.done_at is not None

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if obj.lead_id and not obj.client_id:
            obj.client_id = obj.lead.client_id
        super().save_model(request, obj, form, change)


class NotificationReadFilter(admin.SimpleListFilter):
    title = gettext_lazy("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", _("Unread")), ("yes", _("Read"))]

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, RowAccessAdminMixin, admin.ModelAdmin):
    """What the system told whom (task reminders, SLA breaches), whether they read
    it, and whether the e-mail went out: a log, written by the jobs only."""

    list_display = [
        "created_at", person_column("user", gettext_lazy("user")), "kind", "excerpt", "lead", "is_read", "emailed",
    ]
    list_filter = ["kind", NotificationReadFilter, ("user", admin.RelatedOnlyFieldListFilter), "created_at"]
    list_select_related = ["user", "lead__client"]
    search_fields = ["text", "=lead__id", "user__username", "user__last_name"]
    date_hierarchy = "created_at"
    fields = ["user", "kind", "text", "lead", "task", "sla_breach", "created_at", "read_at", "email_sent_at",
              "email_attempts", "email_error"]

    @admin.display(description=gettext_lazy("text"))
    def excerpt(self, notification):
        return notification.text[:100]

    @admin.display(description=gettext_lazy("read"), boolean=True, ordering="read_at")
    def is_read(self, notification):
        return notification.read_at is not None

    @admin.display(description=gettext_lazy("e-mailed"), boolean=True, ordering="email_sent_at")
    def emailed(self, notification):
        """Sent, failed (tried and not sent) or never tried (no mail for it)."""
        if notification.email_sent_at is not None:
            return True
        return False if notification.email_attempts else None


# --- Orders --------------------------------------------------------------------------


class OrderAdminForm(KeepCurrentChoicesForm):
    """The order's fields plus the one way its status changes: ``order_set_status``."""

    new_status = forms.ChoiceField(label=gettext_lazy("Change status to"), required=False)
    status_note = forms.CharField(
        label=gettext_lazy("Note to the status change"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
    )
    allowed_statuses: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_status"].choices = [("", "—"), *((s, OrderStatus(s).label) for s in self.allowed_statuses)]


class OrderLogInline(ReadOnlyInline, admin.TabularInline):
    model = OrderLog
    fields = ["changed_at", "from_status", "to_status", "changed_by", "note"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


def order_status_action(status: str):
    """The bulk form of the status control: one action per target status."""

    @admin.action(description=format_lazy(gettext_lazy("Mark as “{}”"), OrderStatus(status).label),
                  permissions=["change"])
    def mark(modeladmin, request, queryset):
        done = sum(
            report_service_call(modeladmin, request, order, services.order_set_status, order=order, status=status,
                                user=request.user)
            for order in queryset.select_related("client")
        )
        if done:
            modeladmin.message_user(request, ngettext(
                "%(count)d order marked “%(status)s”.", "%(count)d orders marked “%(status)s”.", done,
            ) % {"count": done, "status": OrderStatus(status).label}, messages.SUCCESS)

    mark.__name__ = f"mark_{status}"
    return mark


@admin.register(Order)
class OrderAdmin(ServiceFormMixin, PhoneSearchMixin, RowAccessAdminMixin, admin.ModelAdmin):
    form = OrderAdminForm
    list_display = [
        "id", "client", "trip", "date_from", "nights", "status_badge", "price_display", "price_kzt", "margin",
        person_column("assignee", gettext_lazy("agent")), "created_at",
    ]
    list_display_links = ["id", "client"]
    list_filter = ["status", ("assignee", admin.RelatedOnlyFieldListFilter), "currency", "destination_country",
                   "date_from", "created_at"]
    list_select_related = ["client", "assignee"]
    search_fields = [
        "=id", "client__full_name", "client__phone", "client__email", "hotel", "destination_country",
        "destination_resort", "operator", "operator_booking_number",
    ]
    phone_search_field = "client__phone"
    date_hierarchy = "created_at"
    autocomplete_fields = ["client", "lead"]
    readonly_fields = ["status", "margin", "created_by", "created_at", "updated_at"]
    inlines = [OrderLogInline]
    actions = [export_as_csv, *(order_status_action(status) for status in OrderStatus.values if status != OrderStatus.NEW)]
    csv_fields = [
        "id", "created_at", "status", "client", "client__phone", "assignee", "operator", "departure_city",
        "destination_country", "destination_resort", "hotel", "hotel_stars", "room", "meal_plan", "date_from",
        "date_to", "nights", "adults", "children", "price", "currency", "exchange_rate", "price_kzt", "cost_kzt",
        "operator_booking_number",
    ]
    main_fieldsets = [
        (None, {"fields": ["client", "lead", "assignee"]}),
        (gettext_lazy("Tour"), {"fields": [
            "operator", "departure_city", "destination_country", "destination_resort", ("hotel", "hotel_stars"),
            "room", "meal_plan", ("date_from", "date_to", "nights"), ("adults", "children"), "tourists",
            "offer_snapshot", "operator_booking_number",
        ]}),
        (gettext_lazy("Money"), {"fields": [
            ("price", "currency"), "exchange_rate", "price_kzt", "cost_kzt", "margin",
        ]}),
        (gettext_lazy("Record"), {"fields": ["created_by", "created_at", "updated_at"]}),
    ]

    def row_change_allowed(self, user, obj) -> bool:
        # An accountant may record a payment on any order; the form then offers nothing else.
        return access.can_change(user, obj) or bool(services.order_status_transitions_for(order=obj, user=user))

    def _transitions(self, request, obj):
        return tuple(services.order_status_transitions_for(order=obj, user=request.user)) if obj else ()

    def get_fieldsets(self, request, obj=None):
        status_fields = ["status", "new_status", "status_note"] if self._transitions(request, obj) else ["status"]
        return [(gettext_lazy("Status"), {"fields": status_fields}), *self.main_fieldsets]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not access.can_change(request.user, obj):
            return [name for _title, options in self.main_fieldsets for line in options["fields"]
                    for name in ((line,) if isinstance(line, str) else line)] + ["status"]
        return self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.allowed_statuses = self._transitions(request, obj)
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            services.order_create(order=obj, user=request.user)
        elif access.can_change(request.user, obj):
            super().save_model(request, obj, form, change)
        if status := form.cleaned_data.get("new_status"):
            report_service_call(
                self, request, obj, services.order_set_status, order=obj, status=status, user=request.user,
                note=form.cleaned_data.get("status_note", ""),
            )

    @admin.display(description=gettext_lazy("tour"), ordering="hotel")
    def trip(self, order):
        return ", ".join(part for part in (order.hotel, order.destination_resort) if part) or "—"

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, order):
        return badge(order.get_status_display(), ORDER_STATUS_COLOURS.get(order.status, ""))

    @admin.display(description=gettext_lazy("price"), ordering="price")
    def price_display(self, order):
        return money(order.price, order.currency)

    @admin.display(description=gettext_lazy("margin, KZT"))
    def margin(self, order):
        return money(order.margin_kzt, "KZT")


@admin.register(OrderLog)
class OrderLogAdmin(ReadOnlyAdminMixin, RowAccessAdminMixin, admin.ModelAdmin):
    list_display = [
        "changed_at", "order", "from_status", "to_status", person_column("changed_by", gettext_lazy("changed by")), "note",
    ]
    list_filter = ["to_status", ("changed_by", admin.RelatedOnlyFieldListFilter), "changed_at"]
    list_select_related = ["order__client", "changed_by"]
    search_fields = ["=order__id", "order__client__full_name", "note"]
    date_hierarchy = "changed_at"
    fields = ["order", "from_status", "to_status", "changed_by", "changed_at", "note"]


# --- Users ---------------------------------------------------------------------------

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class CrmUserAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display, "roles", "is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=gettext_lazy("roles"))
    def roles(self, user):
        labels = dict(Role.choices)
        return ", ".join(str(labels.get(group.name, group.name)) for group in user.groups.all()) or "—"
