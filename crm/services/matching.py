"""Who wrote: a client found by the identifiers a messenger or a mail gives
(Telegram id, WhatsApp id, phone, e-mail) through the same normalisation as the
admin, or a new client; and the lead a conversation belongs to.

Rules:

- a messenger id decides first (it cannot be typed wrong), then the phone, then
  the e-mail; an identifier the found client lacks is added to it when no other
  client has it;
- when the identifiers point at two different clients, they are one person
  recorded twice: a ``MergeSuggestion`` is left for a person to decide (once
  per pair), and nothing is merged automatically;
- an address a mail claims without SPF/DKIM confirming it (``unverified_email``)
  matches nobody: the writer is a new client without it, and when a client has
  that address a suggestion names them ("maybe this is X — check and merge");
- a conversation belongs to the client's open lead (the latest one in a stage of
  kind *open*), else to a new lead in the default pipeline's first stage with
  the channel as its source, dealt round-robin when ``LEADS_ROUND_ROBIN`` is on.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import access
from crm.models import ActivityKind, Client, Lead, LeadStageChange, MergeSuggestion, Pipeline, StageKind
from crm.services.clients import phone_normalize
from crm.services.leads import lead_assign_round_robin, stage_entry_fields
from crm.services.timeline import activity_record
from integrations.messages import Contact


@dataclass(frozen=True)
class Identifiers(Contact):
    """A person's identifiers as a provider gave them (see ``integrations.messages.Contact``)."""

    def normalised(self) -> "Identifiers":
        try:
            phone = phone_normalize(self.phone) or ""
        except ValidationError:
            phone = ""
        return Identifiers(
            name=" ".join(self.name.split())[:200], telegram_id=self.telegram_id or None,
            telegram_username=self.telegram_username.lstrip("@")[:64],
            whatsapp_id="".join(ch for ch in self.whatsapp_id if ch.isdigit()), phone=phone,
            email=self.email.strip().lower(), unverified_email=self.unverified_email.strip().lower(),
        )

    def lookups(self) -> list[tuple[str, dict, str]]:
        """(field, lookup, how it reads to a person), strongest first."""
        found = []
        if self.telegram_id:
            found.append(("telegram_id", {"telegram_id": self.telegram_id}, f"Telegram {self.telegram_id}"))
        if self.whatsapp_id:
            found.append(("whatsapp_id", {"whatsapp_id": self.whatsapp_id}, f"WhatsApp {self.whatsapp_id}"))
        if self.phone:
            found.append(("phone", {"phone": self.phone}, self.phone))
        if self.email:
            found.append(("email", {"email__iexact": self.email}, self.email))
        return found

    @property
    def identifies(self) -> bool:
        """Whether a client can be matched or made from these (normalised) identifiers."""
        return bool(self.lookups() or self.unverified_email)


@dataclass(frozen=True)
class Match:
    client: Client
    created: bool
    suggestions: list[MergeSuggestion]


def _display_name(ids: Identifiers) -> str:
    if ids.name:
        return ids.name
    if ids.telegram_username:
        return f"@{ids.telegram_username}"
    return ids.phone or ids.email or ids.unverified_email or (
        f"Telegram {ids.telegram_id}" if ids.telegram_id else _("Unknown"))


def merge_suggest(*, client: Client, other: Client, reason: str) -> MergeSuggestion:
    """Record that two clients look like one person (once per pair, either way round)."""
    first, second = sorted((client, other), key=lambda c: c.pk)
    try:
        with transaction.atomic():
            suggestion, _created = MergeSuggestion.objects.get_or_create(
                client=first, other=second, defaults={"reason": reason[:300]}
            )
    except IntegrityError:
        suggestion = MergeSuggestion.objects.get(client=first, other=second)
    return suggestion


def _complete(client: Client, ids: Identifiers, taken: set[str]) -> None:
    """Add to ``client`` the identifiers it lacks and nobody else has."""
    changed = []
    for field in ("telegram_id", "whatsapp_id", "phone", "email"):
        value = getattr(ids, field)
        if value and not getattr(client, field) and field not in taken:
            setattr(client, field, value)
            changed.append(field)
    if ids.telegram_username and ids.telegram_id and client.telegram_id == ids.telegram_id \
            and client.telegram_username != ids.telegram_username:
        client.telegram_username = ids.telegram_username
        changed.append("telegram_username")
    if not changed:
        return
    try:
        with transaction.atomic():
            client.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        # Someone gave the identifier to another client meanwhile; the next message suggests the merge.
        client.refresh_from_db()


def _unverified_writer(ids: Identifiers, *, source: str) -> Match:
    """A new client for a mail whose sender SPF/DKIM did not confirm, and a
    suggestion naming the client who has that address, if anyone does."""
    client = Client.objects.create(full_name=_display_name(ids), source=source)
    suggestions = []
    if owner := Client.objects.filter(email__iexact=ids.unverified_email).first():
        reason = _("The mail from %(address)s did not pass the sender checks (SPF, DKIM). Maybe this is the "
                   "client %(other)s — check and merge.") % {"address": ids.unverified_email, "other": owner.full_name}
        suggestions.append(merge_suggest(client=client, other=owner, reason=reason))
    return Match(client=client, created=True, suggestions=suggestions)


def client_match(*, identifiers: Identifiers, source: str) -> Match:
    """The client these identifiers belong to, or a new one (see the module's rules)."""
    ids = identifiers.normalised()
    lookups = ids.lookups()
    if not lookups and ids.unverified_email:
        return _unverified_writer(ids, source=source)
    if not lookups:
        raise ValueError("No identifier to match a client by.")
    found: dict[str, Client] = {}
    for field, lookup, _label in lookups:
        if client := Client.objects.filter(**lookup).first():
            found[field] = client
    if not found:
        client = Client(full_name=_display_name(ids), telegram_id=ids.telegram_id,
                        telegram_username=ids.telegram_username, whatsapp_id=ids.whatsapp_id or None,
                        phone=ids.phone or None, email=ids.email or None, source=source)
        try:
            with transaction.atomic():
                client.save()
        except IntegrityError:
            # The same person's first two messages, processed at once: the other one made the client.
            return client_match(identifiers=identifiers, source=source)
        return Match(client=client, created=True, suggestions=[])
    primary = next(found[field] for field, _lookup, _label in lookups if field in found)
    labels = {field: label for field, _lookup, label in lookups}
    suggestions = []
    for field, other in found.items():
        if other.pk != primary.pk:
            reason = _("%(other)s has %(identifier)s, which this person wrote from") % {
                "other": other.full_name, "identifier": labels[field]}
            suggestions.append(merge_suggest(client=primary, other=other, reason=reason))
    _complete(primary, ids, taken=set(found))
    return Match(client=primary, created=False, suggestions=suggestions)


def open_lead_for(*, client: Client, source: str) -> tuple[Lead, bool]:
    """The client's latest lead in an open stage, else a new one in the default
    pipeline's first stage (see the module's rules). The client's row is locked,
    so two channels of one person processed at once make one lead."""
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        lead = (Lead.objects.filter(client=client, stage__kind=StageKind.OPEN)
                .select_related("stage", "assignee").order_by("-created_at", "-pk").first())
        if lead is not None:
            return lead, False
        pipeline = Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first()
        stage = pipeline.stages.order_by("position", "id").first()
        now = timezone.now()
        lead = Lead(client=client, pipeline=pipeline, stage=stage, source=source, **stage_entry_fields(stage, at=now))
        lead.save()
        LeadStageChange.objects.create(lead=lead, from_stage=None, to_stage=stage, changed_at=now)
        activity_record(client=client, lead=lead, kind=ActivityKind.SYSTEM, data={"to_stage": stage.pk},
                        text=_("Lead created in “%(stage)s” from a message") % {"stage": stage.label})
    if settings.LEADS_ROUND_ROBIN:
        lead = lead_assign_round_robin(lead=lead)
    return lead, True


@transaction.atomic
def merge_suggestion_dismiss(*, suggestion: MergeSuggestion, user) -> MergeSuggestion:
    """"Not the same person": a manager, or an agent who may change both clients,
    closes the suggestion (once; it is not suggested again for the pair)."""
    suggestion = MergeSuggestion.objects.select_for_update().select_related("client", "other").get(pk=suggestion.pk)
    allowed = access.is_supervisor(user) or (
        access.is_agent(user) and access.can_change(user, suggestion.client) and access.can_change(user, suggestion.other)
    )
    if not allowed:
        raise PermissionDenied(_("You may not change these clients."))
    if suggestion.status == MergeSuggestion.Status.OPEN:
        suggestion.status = MergeSuggestion.Status.DISMISSED
        suggestion.resolved_by, suggestion.resolved_at = user, timezone.now()
        suggestion.save(update_fields=["status", "resolved_by", "resolved_at"])
    return suggestion
