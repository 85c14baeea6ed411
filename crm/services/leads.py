"""Leads: creation, moves through the pipeline, order within a column, edits,
assignment (by hand and round-robin).

Rules decided here, for every surface (board, lead card, admin, API):

- a lead enters a stage at the end of its column, restarts the SLA clock (open
  stages only) and leaves a stage-history row and a timeline entry;
- a move to the lost stage needs a reason;
- a move to a won stage needs a live order (one that is not cancelled) on the
  lead: "won" is what conversion is counted from, and a won lead without a
  booking would count a sale that has no revenue behind it;
- order within a column is a float ``position``: a card dropped between two
  neighbours takes the midpoint of theirs, so one row changes, not the column;
  only when repeated drops into one gap exhaust a float's precision are the
  few cards right after the gap spread out again;
- every change raises ``version``; a caller that read an older version is
  refused instead of overwriting someone else's change.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import access
from crm.models import (
    Activity,
    ActivityKind,
    AssignmentTurn,
    Client,
    Lead,
    LeadStageChange,
    OrderStatus,
    Stage,
    StageKind,
)
from crm.roles import Role
from crm.services.clients import client_check_open, client_get_or_create

COLUMN_STEP = 1024.0
# Spread out this many cards at most in one go when a gap is used up.
RESPACE_BATCH = 200
ROUND_ROBIN_KEY = "new-leads"


def stage_sla_due(stage: Stage, *, entered_at) -> datetime | None:
    """A lead entering a stage is due when the stage's SLA hours have passed."""
    return entered_at + timedelta(hours=stage.sla_hours) if stage.sla_hours else None


def _column(stage: Stage, *, without: Lead | None = None):
    # The pipeline too, so that the board's (pipeline, stage, position) index answers.
    column = Lead.objects.filter(pipeline_id=stage.pipeline_id, stage=stage)
    return column.exclude(pk=without.pk) if without is not None and without.pk else column


def _column_held(stage: Stage) -> None:
    """Hold a column while a place in it is chosen: two cards dropped into one
    column at the same moment (two people, two web servers) would otherwise take
    the same free place. Taken before the lead's own lock, always in that order;
    NO KEY, so new leads can still be created in the column meanwhile."""
    list(Stage.objects.select_for_update(no_key=True).filter(pk=stage.pk).values_list("pk", flat=True))


def _column_end_position(stage: Stage, *, without: Lead | None = None) -> float:
    last = _column(stage, without=without).aggregate(last=Max("position"))["last"]
    return (last or 0) + COLUMN_STEP


def _column_top_position(stage: Stage, *, without: Lead | None = None) -> float:
    first = _column(stage, without=without).aggregate(first=Min("position"))["first"]
    return COLUMN_STEP if first is None else first - COLUMN_STEP


def _respace_after(stage: Stage, *, low: float, without: Lead) -> float:
    """Make room right after ``low``: the cards from there on move up one step
    each, only as far as they crowd each other. Returns the freed position."""
    free = low + COLUMN_STEP
    following = list(
        _column(stage, without=without).filter(position__gt=low).order_by("position", "pk")[:RESPACE_BATCH]
    )
    moved = []
    next_free = free + COLUMN_STEP
    for card in following:
        if card.position >= next_free:
            break
        card.position = next_free
        moved.append(card)
        next_free += COLUMN_STEP
    Lead.objects.bulk_update(moved, ["position"])
    return free


def _position_between(stage: Stage, *, lead: Lead, before_id: int | None, after_id: int | None) -> float:
    """A position in ``stage`` right below the card ``before_id`` and above the card
    ``after_id`` (the neighbours where the card was dropped). A neighbour that is no
    longer in the column is ignored; the other bound is then the real next card."""
    wanted = {pk for pk in (before_id, after_id) if pk}
    known = dict(_column(stage, without=lead).filter(pk__in=wanted).values_list("pk", "position"))
    low, high = known.get(before_id), known.get(after_id)
    if low is not None and high is not None and high < low:
        high = None
    if low is None and high is None:
        return _column_end_position(stage, without=lead) if before_id else _column_top_position(stage, without=lead)
    if high is None:
        high = _column(stage, without=lead).filter(position__gt=low).aggregate(next=Min("position"))["next"]
        if high is None:
            return low + COLUMN_STEP
    if low is None:
        low = _column(stage, without=lead).filter(position__lt=high).aggregate(prev=Max("position"))["prev"]
        if low is None:
            return high - COLUMN_STEP
    middle = (low + high) / 2
    if low < middle < high:
        return middle
    return _respace_after(stage, low=low, without=lead)


def stage_entry_fields(stage: Stage, *, at) -> dict:
    """What entering a stage sets on a lead: the end of its column, the time, and
    the SLA clock (open stages only; won and lost stages have no deadline)."""
    return {
        "position": _column_end_position(stage),
        "stage_changed_at": at,
        "sla_due_at": stage_sla_due(stage, entered_at=at) if stage.kind == StageKind.OPEN else None,
    }


def _check_won_entry(lead: Lead, stage: Stage) -> None:
    if stage.kind != StageKind.WON:
        return
    if lead.pk is None or not lead.orders.exclude(status=OrderStatus.CANCELLED).exists():
        raise ValidationError(
            _("“%(stage)s” is a won stage: add an order to this lead first."),
            params={"stage": stage.label}, code="order_required",
        )


@transaction.atomic
def lead_create(*, lead: Lead, user) -> Lead:
    """Save a new lead (built but not saved by a form or an intake): it enters its
    stage — the pipeline's first one when none is given — like a moved lead does,
    and the entry is recorded in the stage history and on the client's timeline.
    A new lead cannot start in a won stage (it has no order yet), nor be made by a
    person for a client they may not see (``client_check_open``: a lead would open
    the client to them). Assignment is a separate step (``lead_assign``), with its
    own rights. ``user`` None is the system itself (the website's booking form):
    no one to check."""
    if user is not None and not (access.is_supervisor(user) or access.is_agent(user)):
        raise PermissionDenied(_("You may not create leads."))
    client_check_open(user=user, client=lead.client)
    if lead.stage_id is None:
        lead.stage = lead.pipeline.stages.order_by("position", "id").first()
    if lead.stage.pipeline_id != lead.pipeline_id:
        raise ValidationError(_("The stage belongs to another pipeline."), code="other_pipeline")
    _check_won_entry(lead, lead.stage)
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


def _locked_for_change(lead: Lead, *, user, expected_version: int | None) -> Lead:
    # Lock the lead row alone: joined into the locking query, its stage would make
    # a waiting mover miss the row once the first mover has changed the stage.
    read = lead
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if Lead.stage.is_cached(read) and read.stage_id == lead.stage_id:
        lead.stage = read.stage  # the caller's copy of the same stage row: no need to read it again
    if user is not None and not access.can_change(user, lead):
        raise PermissionDenied(_("You may not change this lead."))
    if expected_version is not None and lead.version != expected_version:
        raise ValidationError(
            _("Someone else has changed this lead meanwhile: you see it as it is now. Try again if you still want to."),
            code="stale",
        )
    return lead


@transaction.atomic
def lead_move(*, lead: Lead, stage: Stage, user, note: str = "", lost_reason: str = "",
              expected_version: int | None = None, before_id: int | None = None, after_id: int | None = None,
              place: str = "end") -> Lead:
    """Move a lead to a stage of its pipeline, or to another place in its column.

    Where it lands: between the cards ``before_id`` and ``after_id`` when given
    (a drop), else at the top of the column for ``place="top"`` (the card's stage
    menu) or at its end. The user must
    be allowed to change the lead; ``expected_version`` refuses the move when
    someone changed the lead since the caller read it; the lost stage needs a
    reason and a won stage a live order (see the module's rules). A change of
    stage is recorded in the stage history and on the timeline and restarts the
    SLA clock; a move within the column only changes the order."""
    _column_held(stage)
    lead = _locked_for_change(lead, user=user, expected_version=expected_version)
    if stage.pipeline_id != lead.pipeline_id:
        raise ValidationError(_("The stage belongs to another pipeline."), code="other_pipeline")
    changes_stage = stage.pk != lead.stage_id
    if changes_stage and stage.kind == StageKind.LOST and not (lost_reason or lead.lost_reason).strip():
        raise ValidationError(_("Say why the lead was lost."), code="lost_reason_required")
    if changes_stage:
        _check_won_entry(lead, stage)
    if before_id or after_id:
        position = _position_between(stage, lead=lead, before_id=before_id, after_id=after_id)
    elif place == "top":
        position = _column_top_position(stage, without=lead)
    elif changes_stage:
        position = _column_end_position(stage, without=lead)
    else:
        return lead
    lead.position = position
    lead.version += 1
    if not changes_stage:
        lead.save(update_fields=["position", "version", "updated_at"])
        return lead
    now = timezone.now()
    from_stage = lead.stage
    lead.stage = stage
    lead.stage_changed_at = now
    lead.sla_due_at = stage_sla_due(stage, entered_at=now) if stage.kind == StageKind.OPEN else None
    reason = lost_reason.strip()
    if stage.kind == StageKind.LOST and reason:
        lead.lost_reason = reason
    lead.save(update_fields=["stage", "position", "stage_changed_at", "sla_due_at", "lost_reason", "version", "updated_at"])
    LeadStageChange.objects.create(
        lead=lead, from_stage=from_stage, to_stage=stage, changed_by=user, changed_at=now, note=note or reason,
    )
    Activity.objects.create(
        client_id=lead.client_id, lead=lead, kind=ActivityKind.STAGE_CHANGE, author=user, created_at=now,
        text=f"{from_stage.label} → {stage.label}" + (f": {lead.lost_reason}" if stage.kind == StageKind.LOST else ""),
        data={"from_stage": from_stage.pk, "to_stage": stage.pk},
    )
    return lead


# The travel request as an agent edits it on the lead card.
TRAVEL_FIELDS = (
    "source", "departure_city", "destination_country", "destination_resort", "date_from", "date_to",
    "nights_from", "nights_to", "adults", "children", "children_ages", "budget", "budget_currency",
    "hotel_stars", "meal_plan", "notes",
)


@transaction.atomic
def lead_update(*, lead: Lead, user, changes: dict, expected_version: int | None = None) -> Lead:
    """Change the travel request of a lead (``TRAVEL_FIELDS`` only). Refused when
    someone changed the lead since ``expected_version``; what changed goes to the
    client's timeline. ``user`` None: the system itself (the Telegram bot booking
    for a tourist), with no person's rights to check."""
    unknown = set(changes) - set(TRAVEL_FIELDS)
    if unknown:
        raise ValueError(f"Not travel fields: {sorted(unknown)}")
    lead = _locked_for_change(lead, user=user, expected_version=expected_version)
    changed = [name for name, value in changes.items() if getattr(lead, name) != value]
    if not changed:
        return lead
    for name in changed:
        setattr(lead, name, changes[name])
    lead.full_clean(exclude=["client", "pipeline", "stage", "assignee", "created_by"])
    lead.version += 1
    lead.save(update_fields=[*changed, "version", "updated_at"])
    labels = ", ".join(str(Lead._meta.get_field(name).verbose_name) for name in changed)
    Activity.objects.create(
        client_id=lead.client_id, lead=lead, kind=ActivityKind.SYSTEM, author=user,
        text=_("Travel request changed: %(fields)s") % {"fields": labels}, data={"fields": changed},
    )
    return lead


@transaction.atomic
def lead_set_tags(*, lead: Lead, user, tags) -> Lead:
    """Replace the lead's tags (a change of the lead, so the same rights)."""
    lead = _locked_for_change(lead, user=user, expected_version=None)
    lead.tags.set(tags)
    lead.version += 1
    lead.save(update_fields=["version", "updated_at"])
    return lead


def _give(lead: Lead, *, assignee, author, text: str) -> Lead:
    lead.assignee = assignee
    lead.version += 1
    lead.save(update_fields=["assignee", "version", "updated_at"])
    Activity.objects.create(
        client_id=lead.client_id, lead=lead, kind=ActivityKind.ASSIGNMENT, author=author, text=text,
        data={"assignee": assignee.pk if assignee else None},
    )
    return lead


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def lead_assign(*, lead: Lead, assignee, user) -> Lead:
    """Give a lead to an agent. Managers and admins assign anyone who works leads;
    an agent may only take an unassigned lead for themselves."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not access.is_supervisor(user):
        taking_free_lead = access.is_agent(user) and lead.assignee_id is None and assignee == user
        if not taking_free_lead:
            raise PermissionDenied(_("Only a manager can assign this lead."))
    if assignee is not None and not (assignee.is_active and (access.is_agent(assignee) or access.is_supervisor(assignee))):
        raise ValidationError(_("%(name)s does not work leads."), params={"name": _name(assignee)})
    if lead.assignee_id == (assignee.pk if assignee else None):
        return lead
    text = _("Assigned to %(name)s") % {"name": _name(assignee)} if assignee else _("Unassigned")
    return _give(lead, assignee=assignee, author=user, text=text)


def round_robin_agents():
    """The people the rotation deals new leads to: active agents, in a fixed order."""
    return get_user_model().objects.filter(is_active=True, groups__name=Role.AGENT).order_by("pk")


@transaction.atomic
def lead_assign_round_robin(*, lead: Lead) -> Lead:
    """Give an unassigned new lead to the next active agent in turn.

    The turn is a database row locked for the update, so concurrent intakes and
    restarts of any process never skip or repeat an agent: each one gets the
    next agent after the one who got the previous lead (by id, wrapping round),
    and an agent who joins or leaves simply enters or leaves the circle."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.assignee_id is not None:
        return lead
    agents = list(round_robin_agents().values_list("pk", flat=True))
    if not agents:
        return lead
    try:
        with transaction.atomic():
            AssignmentTurn.objects.get_or_create(key=ROUND_ROBIN_KEY)
    except IntegrityError:
        pass  # created by a concurrent intake a moment ago
    turn = AssignmentTurn.objects.select_for_update().get(key=ROUND_ROBIN_KEY)
    last = turn.last_user_id or 0
    next_pk = next((pk for pk in agents if pk > last), agents[0])
    turn.last_user_id = next_pk
    turn.save(update_fields=["last_user", "updated_at"])
    assignee = get_user_model().objects.get(pk=next_pk)
    return _give(lead, assignee=assignee, author=None,
                 text=_("Assigned to %(name)s (round robin)") % {"name": _name(assignee)})


@transaction.atomic
def lead_quick_create(*, lead: Lead, user, client: Client | None = None, full_name: str = "", phone: str = "",
                      email: str = "") -> Lead:
    """A lead from the board's quick-create form: for ``client`` when chosen, else
    for the client with this phone or e-mail (the same normalisation as
    everywhere), else for a new client. It enters the pipeline's first stage.
    An agent who creates a lead takes it; a lead created by a manager goes to the
    next agent when ``LEADS_ROUND_ROBIN`` is on, and stays unassigned otherwise."""
    if client is None:
        client, _created = client_get_or_create(full_name=full_name, phone=phone, email=email, user=user,
                                                source=lead.source)
    lead.client = client
    lead.stage = None
    lead = lead_create(lead=lead, user=user)
    if access.is_agent(user) and not access.is_supervisor(user):
        lead = lead_assign(lead=lead, assignee=user, user=user)
    elif settings.LEADS_ROUND_ROBIN:
        lead = lead_assign_round_robin(lead=lead)
    return lead
