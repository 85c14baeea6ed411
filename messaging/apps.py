from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self):
        from crm.services.intake import lead_received
        from messaging.receivers import show_in_inbox

        lead_received.connect(show_in_inbox, dispatch_uid="inbox-web-form")
