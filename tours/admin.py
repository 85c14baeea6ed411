"""SAMO data in the admin: the cache and the preload runs are read-only (an admin
may delete a stale cache entry); tenge fallback rates are set here; offer
snapshots are read, narrowed like the leads they belong to."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from crm.admin_mixins import ReadOnlyAdminMixin, RowAccessAdminMixin, pretty_json
from tours.models import KztRate, OfferSnapshot, SamoCache, SamoSyncRun


@admin.register(SamoCache)
class SamoCacheAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["action", "short_hash", "fetched_at", "expires_at", "fresh", "demo"]
    list_filter = ["action", "demo", "fetched_at", "expires_at"]
    search_fields = ["action", "params_hash"]
    date_hierarchy = "fetched_at"
    fields = ["action", "params_pretty", "params_hash", "fetched_at", "expires_at", "fresh", "payload_pretty"]
    readonly_fields = ["params_pretty", "fresh", "payload_pretty"]

    @admin.display(description=gettext_lazy("parameters hash"), ordering="params_hash")
    def short_hash(self, entry):
        return entry.params_hash[:12]

    @admin.display(description=gettext_lazy("fresh"), boolean=True, ordering="expires_at")
    def fresh(self, entry):
        return entry.is_fresh

    @admin.display(description=gettext_lazy("parameters"))
    def params_pretty(self, entry):
        return pretty_json(entry.params)

    @admin.display(description=gettext_lazy("response"))
    def payload_pretty(self, entry):
        return pretty_json(entry.payload)


@admin.register(SamoSyncRun)
class SamoSyncRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Preload runs and what failed in them: where an admin sees SAMO trouble first."""

    list_display = ["started_at", "trigger", "with_prices", "fetched", "failure_count", "succeeded"]
    list_filter = ["trigger", "with_prices", "started_at"]
    date_hierarchy = "started_at"
    fields = ["started_at", "finished_at", "trigger", "with_prices", "fetched", "failures_pretty"]
    readonly_fields = ["failures_pretty"]

    @admin.display(description=gettext_lazy("failures"))
    def failure_count(self, run):
        return len(run.failures)

    @admin.display(description=gettext_lazy("succeeded"), boolean=True)
    def succeeded(self, run):
        return run.ok

    @admin.display(description=gettext_lazy("failures"))
    def failures_pretty(self, run):
        return pretty_json(run.failures)


@admin.register(KztRate)
class KztRateAdmin(admin.ModelAdmin):
    """Tenge rates used when SAMO gives none; the search page says which was used."""

    list_display = ["currency", "rate", "updated_at", "updated_by"]
    fields = ["currency", "rate"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(OfferSnapshot)
class OfferSnapshotAdmin(RowAccessAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["hotel", "check_in", "nights", "price", "currency", "price_kzt", "lead", "order", "priced_at", "demo"]
    list_filter = ["demo", "currency", "priced_at"]
    search_fields = ["hotel", "offer_key", "lead__client__full_name"]
    list_select_related = ["lead__client", "order"]
    date_hierarchy = "priced_at"
    readonly_fields = ["raw_pretty"]
    exclude = ["raw"]

    @admin.display(description=gettext_lazy("SAMO row"))
    def raw_pretty(self, snapshot):
        return pretty_json(snapshot.raw)
