"""The website's booking form (``POST /api/public/v1/leads``): one request of a
tourist becomes a lead in the first stage with the channel *web*.

Rules:

- the person is found among the clients by the same normalisation as every
  channel (``client_match``: phone in E.164, e-mail lower-cased; the phone is
  their WhatsApp number, so a later WhatsApp message finds them too), or a new
  client is made;
- the lead enters the default pipeline's first stage (``lead_create``, with the
  system as its author) and is dealt round-robin when ``LEADS_ROUND_ROBIN`` is
  on; the request (UTM tags, page, the client's IP) goes on its timeline, and
  ``lead_received`` tells the inbox, in the same transaction;
- an ``Idempotency-Key`` makes retries safe: the first request with a key
  claims it in the cache (an atomic add, shared by every process through
  Redis), a retry gets the first answer — waiting for it while the first is
  still running — and the same key with another request is refused. The key's
  hash is also kept on the lead's timeline entry: should the cache lose it, the
  client's row lock and that entry still make one lead per key;
- with ``TURNSTILE_SECRET_KEY`` set, the form's Turnstile token must pass
  Cloudflare's check before anything is written (a retry that is answered from
  the first request is not checked again: tokens are good once).
"""

import calendar
import datetime as dt
import hashlib
import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import formats, translation
from django.utils.translation import gettext as _

from crm.models import Activity, ActivityKind, Channel, Client, Currency, Lead, Pipeline
from crm.services.leads import lead_assign_round_robin, lead_create
from crm.services.matching import Identifiers, client_match
from crm.services.timeline import activity_record
from integrations.turnstile import client as turnstile

STATUS_RECEIVED = "received"
# A retry waits this long for the first request with its key to finish.
IDEMPOTENCY_WAIT_SECONDS = 10.0
# A claim whose request died (a killed worker) frees its key after this long.
IDEMPOTENCY_CLAIM_SECONDS = 60
# Country names a form may send as its destination; anything else is a resort or city.
COUNTRY_NAMES = {"вьетнам", "vietnam", "viet nam", "việt nam", "вьетнам (vietnam)"}

# Sent inside the intake's transaction with ``lead``, ``client`` and ``submission``:
# the inbox shows the request as a conversation on the website channel.
lead_received = Signal()


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for a different request."""


class IdempotencyInProgress(Exception):
    """The first request with this Idempotency-Key is still running."""


class TurnstileUnavailable(Exception):
    """Cloudflare's check could not be made: the request is neither accepted nor refused."""


@dataclass(frozen=True)
class IntakeSubmission:
    """The booking form, validated and normalised (the API's serializer makes it)."""

    name: str
    email: str = ""
    phone: str = ""  # E.164
    destination: str = ""
    month: str = ""  # YYYY-MM
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    nights: int | None = None
    adults: int | None = None
    children: int | None = None
    budget: Decimal | None = None
    language: str = ""
    notes: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    page_url: str = ""
    ip: str = field(default="", compare=False)

    def fingerprint(self) -> str:
        """What makes two requests the same request (the client's IP does not)."""
        data = {key: value for key, value in asdict(self).items() if key != "ip"}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()

    def travel_window(self) -> tuple[dt.date | None, dt.date | None]:
        if self.month:
            year, month = (int(part) for part in self.month.split("-"))
            return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
        return self.date_from, self.date_to


@dataclass(frozen=True)
class IntakeAnswer:
    lead_id: int
    status: str
    next_step_message: str

    def as_dict(self) -> dict:
        return asdict(self)


def answer_language(language: str) -> str:
    """The language of our answer: the form's, when we speak it (Kazakh readers get Russian)."""
    supported = {code for code, _name in settings.LANGUAGES}
    return language if language in supported else settings.LANGUAGE_CODE


def next_step_message(*, lead_id: int, name: str, by_whatsapp: bool, language: str) -> str:
    with translation.override(answer_language(language)):
        if by_whatsapp:
            text = _("Thank you, %(name)s! Your request №%(id)s has reached our agents: "
                     "we will write to you on WhatsApp shortly.")
        else:
            text = _("Thank you, %(name)s! Your request №%(id)s has reached our agents: "
                     "we will answer you by e-mail shortly.")
        return text % {"name": name, "id": lead_id}


def intake_summary(submission: IntakeSubmission) -> str:
    """The request in one line or two, for the timeline and the inbox."""
    date_from, date_to = submission.travel_window()
    parts = [submission.destination]
    if submission.month:
        parts.append(formats.date_format(date_from, "YEAR_MONTH_FORMAT"))
    elif date_from or date_to:
        parts.append("–".join(formats.date_format(day, "SHORT_DATE_FORMAT") for day in (date_from, date_to) if day))
    if submission.nights:
        parts.append(_("%(count)s nights") % {"count": submission.nights})
    if submission.adults is not None:
        parts.append(_("adults: %(count)s") % {"count": submission.adults})
    if submission.children:
        parts.append(_("children: %(count)s") % {"count": submission.children})
    if submission.budget is not None:
        amount = formats.number_format(submission.budget, decimal_pos=0, use_l10n=True, force_grouping=True)
        parts.append(_("budget %(amount)s KZT") % {"amount": amount})
    summary = _("Website form: %(request)s") % {"request": " · ".join(part for part in parts if part) or "—"}
    return f"{summary}\n{submission.notes}" if submission.notes else summary


def _key_hash(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()


def _cache_key(key_hash: str) -> str:
    return f"intake:idempotency:{key_hash}"


def _claim_or_replay(key_hash: str, fingerprint: str) -> IntakeAnswer | None:
    """Claim the key for this request (None), or the first request's answer."""
    deadline = time.monotonic() + IDEMPOTENCY_WAIT_SECONDS
    pending = {"state": "pending", "fingerprint": fingerprint}
    while True:
        if cache.add(_cache_key(key_hash), pending, IDEMPOTENCY_CLAIM_SECONDS):
            return None
        entry = cache.get(_cache_key(key_hash))
        if entry is None:
            continue  # the first request failed and let the key go: claim it now
        if entry["fingerprint"] != fingerprint:
            raise IdempotencyConflict
        if entry["state"] == "done":
            return IntakeAnswer(**entry["answer"])
        if time.monotonic() > deadline:
            raise IdempotencyInProgress
        time.sleep(0.05)


def _remember(key_hash: str, fingerprint: str, answer: IntakeAnswer) -> None:
    cache.set(_cache_key(key_hash), {"state": "done", "fingerprint": fingerprint, "answer": answer.as_dict()},
              settings.PUBLIC_INTAKE_IDEMPOTENCY_TTL)


def _check_turnstile(token: str, *, ip: str, key_hash: str) -> None:
    if not turnstile.configured():
        return
    if not token:
        raise ValidationError({"turnstile_token": [_("Confirm that you are not a robot.")]}, code="turnstile")
    try:
        verdict = turnstile.turnstile_request(token=token, remote_ip=ip,
                                              idempotency_key=str(uuid.UUID(key_hash[:32])) if key_hash else "")
    except turnstile.TurnstileUnavailable as exc:
        raise TurnstileUnavailable from exc
    if not verdict.success:
        raise ValidationError(
            {"turnstile_token": [_("The anti-robot check did not pass: reload the page and send the form again.")]},
            code="turnstile",
        )


def _earlier_answer(client: Client, key_hash: str, fingerprint: str, language: str) -> IntakeAnswer | None:
    """The lead this key already made for this client (the cache forgot it)."""
    entry = (Activity.objects.filter(client=client, kind=ActivityKind.SYSTEM, data__intake__key=key_hash)
             .select_related("lead__client").first())
    if entry is None or entry.lead is None:
        return None
    if entry.data["intake"].get("fingerprint") != fingerprint:
        raise IdempotencyConflict
    lead = entry.lead
    return IntakeAnswer(lead_id=lead.pk, status=STATUS_RECEIVED, next_step_message=next_step_message(
        lead_id=lead.pk, name=lead.client.full_name, by_whatsapp=bool(lead.client.phone), language=language))


@transaction.atomic
def _intake(submission: IntakeSubmission, *, key_hash: str, fingerprint: str) -> tuple[IntakeAnswer, bool]:
    match = client_match(
        identifiers=Identifiers(name=submission.name, phone=submission.phone, email=submission.email,
                                whatsapp_id=submission.phone),
        source=Channel.WEB,
    )
    client = Client.objects.select_for_update().get(pk=match.client.pk)
    if key_hash and (earlier := _earlier_answer(client, key_hash, fingerprint, submission.language)):
        return earlier, False
    if match.created and submission.language and client.language != submission.language:
        client.language = submission.language
        client.save(update_fields=["language", "updated_at"])
    date_from, date_to = submission.travel_window()
    destination = submission.destination
    is_country = destination.casefold() in COUNTRY_NAMES
    lead = Lead(
        client=client, pipeline=Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first(),
        source=Channel.WEB, destination_country=destination if is_country else "",
        destination_resort="" if is_country else destination, date_from=date_from, date_to=date_to,
        nights_from=submission.nights, nights_to=submission.nights, budget=submission.budget,
        budget_currency=Currency.KZT, notes=submission.notes,
        **{name: value for name in ("adults", "children") if (value := getattr(submission, name)) is not None},
    )
    lead = lead_create(lead=lead, user=None)
    if settings.LEADS_ROUND_ROBIN:
        lead = lead_assign_round_robin(lead=lead)
    activity_record(client=client, lead=lead, kind=ActivityKind.SYSTEM, text=intake_summary(submission), data={
        "intake": {
            "ip": submission.ip, "page_url": submission.page_url, "utm_source": submission.utm_source,
            "utm_medium": submission.utm_medium, "utm_campaign": submission.utm_campaign,
            "language": submission.language, "key": key_hash, "fingerprint": fingerprint,
        },
    })
    lead_received.send(sender=Lead, lead=lead, client=client, submission=submission)
    answer = IntakeAnswer(lead_id=lead.pk, status=STATUS_RECEIVED, next_step_message=next_step_message(
        lead_id=lead.pk, name=client.full_name, by_whatsapp=bool(submission.phone), language=submission.language))
    return answer, True


def lead_intake(*, submission: IntakeSubmission, idempotency_key: str = "",
                turnstile_token: str = "") -> tuple[IntakeAnswer, bool]:
    """Take one booking-form request (see the module's rules). Returns the answer
    and whether this request made the lead (False: a retry, answered as the first)."""
    fingerprint = submission.fingerprint()
    key_hash = _key_hash(idempotency_key) if idempotency_key else ""
    if key_hash and (earlier := _claim_or_replay(key_hash, fingerprint)):
        return earlier, False
    try:
        _check_turnstile(turnstile_token, ip=submission.ip, key_hash=key_hash)
        answer, created = _intake(submission, key_hash=key_hash, fingerprint=fingerprint)
    except BaseException:
        if key_hash:
            cache.delete(_cache_key(key_hash))
        raise
    if key_hash:
        transaction.on_commit(lambda: _remember(key_hash, fingerprint, answer))
    return answer, created
