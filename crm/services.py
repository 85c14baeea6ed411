"""Writes to the CRM. Every page, API view, admin action, task and command that
changes a client, lead or order calls one of these, so the rules hold everywhere."""

from __future__ import annotations

from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import access
from crm.models import (
    Activity,
    ActivityKind,
    Client,
    Lead,
    LeadStageChange,
    Order,
    OrderLog,
    OrderStatus,
    Stage,
    StageKind,
)

# --- Clients -----------------------------------------------------------------


def phone_normalize(raw: str | None) -> str | None:
    """E.164 form of a phone number written any usual way (``8 701 …``, ``+7 (701) …``);
    None for empty input; ValidationError for something that is not a phone number."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("“%(value)s” is not a phone number."), params={"value": raw}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("“%(value)s” is not a valid phone number."), params={"value": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def client_find(*, phone: str | None = None, email: str | None = None, telegram_id: int | None = None,
                whatsapp_id: str | None = None) -> Client | None:
    """The existing client matching any of the identifiers, after normalisation."""
    lookups = []
    if phone_e164 := phone_normalize(phone):
        lookups.append({"phone": phone_e164})
    if email and email.strip():
        lookups.append({"email__iexact": email.strip()})
    if telegram_id:
        lookups.append({"telegram_id": telegram_id})
    if whatsapp_id and (digits := "".join(ch for ch in whatsapp_id if ch.isdigit())):
        lookups.append({"whatsapp_id": digits})
    for lookup in lookups:
        if client := Client.objects.filter(**lookup).first():
            return client
    return None


# --- Leads -------------------------------------------------------------------


def stage_sla_due(stage: Stage, *, entered_at) -> timezone.datetime | None:
    """A lead entering a stage is due when the stage's SLA hours have passed."""
    return entered_at + timedelta(hours=stage.sla_hours) if stage.sla_hours else None


def _column_end_position(stage: Stage) -> float:
    last = Lead.objects.filter(stage=stage).aggregate(last=Max("position"))["last"]
    return (last or 0) + 1024


def stage_entry_fields(stage: Stage, *, at) -> dict:
    """What entering a stage sets on a lead: the end of its column, the time, and
    the SLA clock (open stages only; won and lost stages have no deadline)."""
    return {
        "position": _column_end_position(stage),
        "stage_changed_at": at,
        "sla_due_at": stage_sla_due(stage, entered_at=at) if stage.kind == StageKind.OPEN else None,
    }


@transaction.atomic
def lead_create(*, lead: Lead, user) -> Lead:
    """Save a new lead (built but not saved by a form or an intake): it enters its
    stage — the pipeline's first one when none is given — like a moved lead does,
    and the entry is recorded in the stage history and on the client's timeline.
    Assignment is a separate step (``lead_assign``), with its own rights."""
    if not (access.is_supervisor(user) or access.is_agent(user)):
        raise PermissionDenied(_("You may not create leads."))
    if lead.stage_id is None:
        lead.stage = lead.pipeline.stages.order_by("position", "id").first()
    if lead.stage.pipeline_id != lead.pipeline_id:
        raise ValidationError(_("The stage belongs to another pipeline."))
    now = timezone.now()
    for field, value in stage_entry_fields(lead.stage, at=now).items():
        setattr(lead, field, value)
    lead.created_by = lead.created_by or user
    lead.save()
    LeadStageChange.objects.create(lead=lead, from_stage=None, to_stage=lead.stage, changed_by=user, changed_at=now)
    Activity.objects.create(
        client_id=lead.client_id, lead=lead, kind=ActivityKind.SYSTEM, author=user, created_at=now,
        text=_("Lead created in “%(stage)s”") % {"stage": lead.stage.label}, data={"to_stage": lead.stage_id},
    )
    return lead


@transaction.atomic
def lead_move(*, lead: Lead, stage: Stage, user, note: str = "", lost_reason: str = "",
              expected_version: int | None = None) -> Lead:
    """Move a lead to another stage of its pipeline (to the end of the column).

    The user must be allowed to change the lead; moving to a lost stage needs a
    reason; ``expected_version`` refuses the move when someone changed the lead
    since the caller read it. Records the stage history and the timeline entry and
    restarts the SLA clock from the new stage."""
    lead = Lead.objects.select_for_update().select_related("stage").get(pk=lead.pk)
    if not access.can_change(user, lead):
        raise PermissionDenied(_("You may not change this lead."))
    if expected_version is not None and lead.version != expected_version:
        raise ValidationError(_("Someone else has changed this lead meanwhile. Reload and try again."), code="stale")
    if stage.pipeline_id != lead.pipeline_id:
        raise ValidationError(_("The stage belongs to another pipeline."))
    if stage.kind == StageKind.LOST and not (lost_reason or lead.lost_reason).strip():
        raise ValidationError(_("Say why the lead was lost."), code="lost_reason_required")
    if stage.pk == lead.stage_id:
        return lead
    now = timezone.now()
    from_stage = lead.stage
    lead.stage = stage
    for field, value in stage_entry_fields(stage, at=now).items():
        setattr(lead, field, value)
    if stage.kind == StageKind.LOST:
        lead.lost_reason = lost_reason.strip() or lead.lost_reason
    lead.version += 1
    lead.save(update_fields=["stage", "position", "stage_changed_at", "sla_due_at", "lost_reason", "version", "updated_at"])
    LeadStageChange.objects.create(lead=lead, from_stage=from_stage, to_stage=stage, changed_by=user, changed_at=now, note=note)
    Activity.objects.create(
        client_id=lead.client_id, lead=lead, kind=ActivityKind.STAGE_CHANGE, author=user, created_at=now,
        text=f"{from_stage.label} → {stage.label}" + (f": {lost_reason.strip()}" if stage.kind == StageKind.LOST else ""),
        data={"from_stage": from_stage.pk, "to_stage": stage.pk},
    )
    return lead


@transaction.atomic
def lead_assign(*, lead: Lead, assignee, user) -> Lead:
    """Give a lead to an agent. Managers and admins assign anyone; an agent may only
    take an unassigned lead for themselves."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not access.is_supervisor(user):
        taking_free_lead = access.is_agent(user) and lead.assignee_id is None and assignee == user
        if not taking_free_lead:
            raise PermissionDenied(_("Only a manager can assign this lead."))
    if lead.assignee_id == (assignee.pk if assignee else None):
        return lead
    lead.assignee = assignee
    lead.version += 1
    lead.save(update_fields=["assignee", "version", "updated_at"])
    Activity.objects.create(
        client_id=lead.client_id, lead=lead, kind=ActivityKind.ASSIGNMENT, author=user,
        text=_("Assigned to %(name)s") % {"name": assignee.get_full_name() or assignee.get_username()}
        if assignee else _("Unassigned"),
        data={"assignee": assignee.pk if assignee else None},
    )
    return lead


# --- Orders ------------------------------------------------------------------

ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.NEW: (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
    OrderStatus.CONFIRMED: (OrderStatus.PAID, OrderStatus.CANCELLED),
    OrderStatus.PAID: (OrderStatus.COMPLETED, OrderStatus.CANCELLED),
    OrderStatus.COMPLETED: (),
    OrderStatus.CANCELLED: (),
}
# The accountant's part of the flow: recording that the client has paid.
PAYMENT_TRANSITIONS = {(OrderStatus.CONFIRMED, OrderStatus.PAID)}


def order_status_transitions_for(*, order: Order, user) -> list[str]:
    """The statuses ``user`` may move ``order`` to from where it stands."""
    allowed = ORDER_TRANSITIONS[order.status]
    if access.can_change(user, order):
        return list(allowed)
    if access.is_accountant(user):
        return [to for to in allowed if (order.status, to) in PAYMENT_TRANSITIONS]
    return []


@transaction.atomic
def order_set_status(*, order: Order, status: str, user, note: str = "") -> Order:
    """Move an order along new → confirmed → paid → completed, or cancel it before
    completion; every change goes to the order log and the client's timeline."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if status == order.status:
        return order
    if status not in order_status_transitions_for(order=order, user=user):
        if status in ORDER_TRANSITIONS[order.status]:
            raise PermissionDenied(_("You may not change this order's status."))
        raise ValidationError(
            _("An order cannot go from “%(from)s” to “%(to)s”."),
            params={"from": OrderStatus(order.status).label, "to": OrderStatus(status).label},
        )
    from_status = order.status
    order.status = status
    order.save(update_fields=["status", "updated_at"])
    OrderLog.objects.create(order=order, from_status=from_status, to_status=status, changed_by=user, note=note)
    Activity.objects.create(
        client_id=order.client_id, lead_id=order.lead_id, kind=ActivityKind.ORDER, author=user,
        text=_("Order №%(id)s: %(from)s → %(to)s") % {
            "id": order.pk, "from": OrderStatus(from_status).label, "to": OrderStatus(status).label,
        },
        data={"order": order.pk, "from": from_status, "to": status},
    )
    return order
