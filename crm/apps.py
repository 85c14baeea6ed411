from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")

    def ready(self):
        from crm.roles import role_permissions_sync

        # Sent once per app after each migrate; idempotent, and by the last app every
        # model's permissions exist.
        post_migrate.connect(role_permissions_sync, dispatch_uid="crm.role_permissions_sync")
