"""SLA breaches: a lead left in an open stage past the stage's SLA hours."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.models import Activity, ActivityKind, Lead, Notification, SlaBreach, StageKind
from crm.roles import Role
from crm.services.tasks import mail_configured

BREACH_BATCH = 1000


def sla_breaches_record(*, now: dt.datetime | None = None) -> list[int]:
    """Record every lead whose SLA due time has passed in an open stage, once per
    stay in the stage, and tell its agent and every manager (in-app, and by mail
    when it is configured).

    A breach is one row per (lead, stage, time of entry): the database's unique
    constraint makes a second run, or two runs at once, record and announce it
    once. Returns the ids of the notifications to e-mail."""
    now = now or timezone.now()
    recorded = SlaBreach.objects.filter(
        lead=OuterRef("pk"), stage=OuterRef("stage"), stage_entered_at=OuterRef("stage_changed_at")
    )
    overdue = (
        Lead.objects.filter(sla_due_at__lt=now, stage__kind=StageKind.OPEN)
        .exclude(Exists(recorded))
        .select_related("stage", "client", "assignee")
        .order_by("sla_due_at")[:BREACH_BATCH]
    )
    managers = list(get_user_model().objects.filter(is_active=True, groups__name=Role.MANAGER).distinct())
    to_mail = []
    for lead in overdue:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    breach = SlaBreach.objects.create(
                        lead=lead, stage=lead.stage, assignee=lead.assignee, stage_entered_at=lead.stage_changed_at,
                        due_at=lead.sla_due_at, detected_at=now,
                    )
            except IntegrityError:
                continue  # recorded by a run at the same moment
            with translation.override(settings.LANGUAGE_CODE):
                text = _("SLA breached: %(client)s has been in “%(stage)s” past its %(hours)s h") % {
                    "client": lead.client, "stage": lead.stage.label, "hours": lead.stage.sla_hours,
                }
            Activity.objects.create(
                client_id=lead.client_id, lead=lead, kind=ActivityKind.SYSTEM, text=text, created_at=now,
                data={"sla_breach": breach.pk},
            )
            recipients = {user.pk: user for user in managers}
            if lead.assignee is not None and lead.assignee.is_active:
                recipients[lead.assignee.pk] = lead.assignee
            notifications = Notification.objects.bulk_create([
                Notification(user=user, kind=Notification.Kind.SLA_BREACH, text=text[:500], lead=lead,
                             sla_breach=breach, created_at=now)
                for user in recipients.values()
            ])
            if mail_configured():
                to_mail += [n.pk for n, user in zip(notifications, recipients.values(), strict=True) if user.email]
    return to_mail
