from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiLog(models.Model):
    """One outbound call to a provider, written by the provider client's single
    request function. The request is stored with every secret masked."""

    service = models.CharField(_("service"), max_length=30)
    action = models.CharField(_("action"), max_length=100, blank=True)
    method = models.CharField(_("method"), max_length=10, default="GET")
    request = models.TextField(_("request (masked)"), blank=True)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration, ms"), default=0)
    ok = models.BooleanField(_("succeeded"), default=False)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API call")
        verbose_name_plural = _("API log")
        indexes = [
            models.Index(fields=["service", "-created_at"], name="apilog_service_idx"),
            models.Index(fields=["ok", "-created_at"], name="apilog_ok_idx"),
        ]

    def __str__(self):
        return f"{self.service} {self.action} {self.status_code or '—'}"


class BackupRun(models.Model):
    """One run of the nightly backup (``integrations/backups.py``): the files it
    wrote, or why it failed. The newest successful run is the last backup."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    ok = models.BooleanField(_("succeeded"), default=False)
    files = models.JSONField(_("files"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        indexes = [models.Index(fields=["ok", "-started_at"], name="backuprun_ok_idx")]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"
