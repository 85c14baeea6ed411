import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def params_hash(params: dict) -> str:
    """Stable hash of request parameters: key order and value types do not matter."""
    canonical = json.dumps({str(k): str(v) for k, v in params.items()}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class SamoCache(models.Model):
    """The last good SAMO answer for one action and parameter set."""

    action = models.CharField(_("action"), max_length=100)
    params = models.JSONField(_("parameters"), default=dict)
    params_hash = models.CharField(_("parameters hash"), max_length=64)
    payload = models.JSONField(_("response"))
    fetched_at = models.DateTimeField(_("fetched at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    demo = models.BooleanField(_("demo data"), default=False, help_text=_("Answered by the local SAMO test server."))

    class Meta:
        ordering = ["-fetched_at"]
        verbose_name = _("SAMO cache entry")
        verbose_name_plural = _("SAMO cache")
        constraints = [models.UniqueConstraint(fields=["action", "params_hash"], name="samocache_action_params_unique")]
        indexes = [models.Index(fields=["expires_at"], name="samocache_expires_idx")]

    def __str__(self):
        return f"{self.action} {self.params_hash[:8]}"

    def save(self, *args, **kwargs):
        self.params_hash = params_hash(self.params)
        super().save(*args, **kwargs)

    @property
    def is_fresh(self):
        return self.expires_at > timezone.now()

    @property
    def age_seconds(self) -> int:
        return max(0, round((timezone.now() - self.fetched_at).total_seconds()))


class SyncTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    COMMAND = "command", _("Command")


class SamoSyncRun(models.Model):
    """One preload of SAMO reference data (and popular prices): what it fetched and
    what failed, for admins to see."""

    trigger = models.CharField(_("started by"), max_length=10, choices=SyncTrigger.choices)
    with_prices = models.BooleanField(_("prices too"), default=False)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    fetched = models.PositiveIntegerField(_("answers cached"), default=0)
    failures = models.JSONField(
        _("failures"), default=list, blank=True, help_text=_("Each failed call: action, parameters and the error.")
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("SAMO preload run")
        verbose_name_plural = _("SAMO preload runs")

    def __str__(self):
        return f"{self.get_trigger_display()} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def ok(self) -> bool:
        return self.finished_at is not None and not self.failures


class KztRate(models.Model):
    """A tenge rate an admin sets, used when SAMO gives none for the currency."""

    currency = models.CharField(_("currency"), max_length=3, unique=True, help_text=_("ISO code, e.g. USD."))
    rate = models.DecimalField(_("tenge for one unit"), max_digits=12, decimal_places=4)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["currency"]
        verbose_name = _("tenge rate")
        verbose_name_plural = _("tenge rates (fallback)")
        constraints = [models.CheckConstraint(condition=models.Q(rate__gt=0), name="kztrate_positive")]

    def __str__(self):
        return f"1 {self.currency} = {self.rate} KZT"

    def save(self, *args, **kwargs):
        self.currency = self.currency.strip().upper()
        super().save(*args, **kwargs)


class RateSource(models.TextChoices):
    SAMO = "samo", _("SAMO rate")
    ADMIN = "admin", _("rate set by an admin")
    NONE = "", _("no rate")


class OfferSnapshot(models.Model):
    """A SAMO offer as it was priced, attached to a lead; an order is booked from it."""

    access_owner_field = "lead__assignee"

    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="tour_offers", verbose_name=_("lead"))
    client = models.ForeignKey("crm.Client", on_delete=models.CASCADE, related_name="tour_offers",
                               verbose_name=_("client"))
    order = models.OneToOneField("crm.Order", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="tour_offer", verbose_name=_("order"))
    # The attach form's one-time token: a second submission of the same form finds this row.
    request_token = models.UUIDField(_("request token"), null=True, blank=True, unique=True, editable=False)
    offer_key = models.CharField(_("SAMO offer id"), max_length=100)
    operator = models.CharField(_("tour operator"), max_length=100, blank=True)
    departure_city = models.CharField(_("departure city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    resort = models.CharField(_("resort"), max_length=100, blank=True)
    hotel = models.CharField(_("hotel"), max_length=200)
    hotel_key = models.PositiveIntegerField(_("SAMO hotel id"), null=True, blank=True)
    stars = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True)
    room = models.CharField(_("room"), max_length=200, blank=True)
    placement = models.CharField(_("placement"), max_length=100, blank=True)
    meal = models.CharField(_("meal"), max_length=50, blank=True)
    tour = models.CharField(_("tour programme"), max_length=200, blank=True)
    check_in = models.DateField(_("check-in"))
    check_out = models.DateField(_("check-out"))
    nights = models.PositiveSmallIntegerField(_("nights"))
    adults = models.PositiveSmallIntegerField(_("adults"))
    children = models.PositiveSmallIntegerField(_("children"), default=0)
    children_ages = models.JSONField(_("children's ages"), default=list, blank=True)
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    price_kzt = models.DecimalField(_("price, KZT"), max_digits=14, decimal_places=2, null=True, blank=True)
    rate_kzt = models.DecimalField(_("rate to KZT"), max_digits=12, decimal_places=4, null=True, blank=True)
    rate_source = models.CharField(_("rate source"), max_length=5, choices=RateSource.choices, blank=True)
    rooms_available = models.CharField(_("rooms"), max_length=1, blank=True, help_text=_("Y free, R on request, N none"))
    flight_out = models.CharField(_("seats there"), max_length=1, blank=True)
    flight_back = models.CharField(_("seats back"), max_length=1, blank=True)
    bookable = models.BooleanField(_("bookable"), default=True)
    demo = models.BooleanField(_("demo data"), default=False,
                               help_text=_("Priced by the local SAMO test server, not the operator."))
    priced_at = models.DateTimeField(_("priced at"))
    search = models.JSONField(_("search parameters"), default=dict, blank=True)
    raw = models.JSONField(_("SAMO row"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("attached by"))
    created_at = models.DateTimeField(_("attached at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tour offer")
        verbose_name_plural = _("tour offers")
        constraints = [
            models.UniqueConstraint(fields=["lead", "offer_key"], name="offersnapshot_once_per_lead"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="offersnapshot_price_not_negative"),
            models.CheckConstraint(condition=models.Q(check_out__gte=models.F("check_in")),
                                   name="offersnapshot_dates_ordered"),
        ]
        indexes = [models.Index(fields=["lead", "-created_at"], name="offersnapshot_lead_idx")]

    def __str__(self):
        return f"{self.hotel} {self.check_in:%d.%m.%Y} · {self.price} {self.currency}"
