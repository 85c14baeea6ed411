"""Analytics in the admin: to read. Survey answers and spend are entered on
their pages (/analytics/surveys/, /analytics/spend/), through the services
that hold their rules."""

from django.contrib import admin

from analytics.models import MarketingSpend, PeriodSummary, SurveyResponse
from crm.admin_mixins import ReadOnlyAdminMixin, RowAccessAdminMixin


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdminMixin, RowAccessAdminMixin, admin.ModelAdmin):
    list_display = ("order", "score", "responded_at", "recorded_by")
    list_filter = ("score",)
    date_hierarchy = "responded_at"
    list_select_related = ("order__client", "recorded_by")
    search_fields = ("order__client__full_name", "comment")


@admin.register(MarketingSpend)
class MarketingSpendAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("month", "channel", "amount_kzt", "note", "entered_by")
    list_filter = ("channel",)
    list_select_related = ("entered_by",)


@admin.register(PeriodSummary)
class PeriodSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("key", "language", "status", "model", "attempts", "created_at")
    list_filter = ("status", "language")
    readonly_fields = ("key", "language", "figures", "status", "text", "model", "attempts", "error", "created_at",
                       "updated_at")
