"""Leads: creation, moves through the pipeline, assignment."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import access
from crm.models import Activity, ActivityKind, Lead, LeadStageChange, Stage, StageKind


def stage_sla_due(stage: Stage, *, entered_at) -> datetime | None:
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
