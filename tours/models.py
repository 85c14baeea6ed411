import hashlib
import json

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
