"""The SAMO cache is written by the sync jobs and the search; here it is only read
(and an admin may delete a stale entry)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from crm.admin_mixins import ReadOnlyAdminMixin, pretty_json
from tours.models import SamoCache


@admin.register(SamoCache)
class SamoCacheAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["action", "short_hash", "fetched_at", "expires_at", "fresh"]
    list_filter = ["action", "fetched_at", "expires_at"]
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
