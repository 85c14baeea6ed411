from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ToursConfig(AppConfig):
    verbose_name = _("Tours")
    name = "tours"
