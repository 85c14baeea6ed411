"""What analytics keeps of its own: post-trip survey scores (for NPS), the
marketing spend a manager enters per month and channel (for acquisition cost),
and the written summaries of a period (cached, written by the model in the
background). Everything else analytics shows is read from the other apps."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import MONEY, Channel, Order


class SurveyResponse(models.Model):
    """One client's answer to the post-trip question "How likely are you to
    recommend us to a friend?", 0–10, for one order (at most one per order)."""

    access_owner_field = "order__assignee"

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, related_name="survey_response", verbose_name=_("order"),
    )
    score = models.PositiveSmallIntegerField(_("score, 0–10"), validators=[MaxValueValidator(10)])
    comment = models.TextField(_("comment"), blank=True)
    responded_at = models.DateTimeField(_("answered at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-responded_at", "-id"]
        verbose_name = _("post-trip survey answer")
        verbose_name_plural = _("post-trip survey answers")
        constraints = [models.CheckConstraint(condition=Q(score__lte=10), name="survey_score_0_10")]
        indexes = [models.Index(fields=["responded_at"], name="survey_responded_idx")]

    def __str__(self):
        return f"{self.order} · {self.score}"


class MarketingSpend(models.Model):
    """What the agency spent on one channel in one calendar month, in tenge."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    amount_kzt = models.DecimalField(_("spend, KZT"), **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("entered by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-month", "channel"]
        verbose_name = _("marketing spend")
        verbose_name_plural = _("marketing spend")
        constraints = [
            models.UniqueConstraint(fields=["month", "channel"], name="marketing_spend_month_channel_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="marketing_spend_first_of_month"),
            models.CheckConstraint(condition=Q(amount_kzt__gte=0), name="marketing_spend_not_negative"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.get_channel_display()}: {self.amount_kzt}"


class PeriodSummary(models.Model):
    """The model's written summary of one period, for one set of filters and
    one reader's scope, over one state of the figures (``key`` covers all of
    them, so a summary is never shown beside figures it was not written from).
    The figures it was given are kept beside the text."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Being written")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    key = models.CharField(_("key"), max_length=64, unique=True)
    language = models.CharField(_("language"), max_length=8)
    figures = models.JSONField(_("figures given to the model"), default=dict)
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.PENDING)
    text = models.TextField(_("summary"), blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("period summary")
        verbose_name_plural = _("period summaries")

    def __str__(self):
        return f"{self.key[:12]} · {self.get_status_display()}"
