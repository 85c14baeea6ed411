"""How promising a lead is, 0–100, with its reasons, a category and the next
stage the assistant would suggest. Rules, not a model: every point has a
reason the agent can read on the lead card, and the same message always gives
the same score.

Categories: ``hot`` (≥ 70), ``warm`` (≥ 40) and ``cold`` for people asking
about a trip; ``service`` for payment, documents and questions of existing
clients; ``complaint``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from messaging.assistant.extraction import Extraction, Intent
from messaging.assistant.offers import OfferPick, TripRequest

HOT, WARM = 70, 40
SOON_DAYS = 60
INTENT_POINTS = {
    Intent.BOOKING: 35, Intent.TOUR_REQUEST: 25, Intent.QUESTION: 10, Intent.PAYMENT: 10, Intent.DOCUMENTS: 10,
    Intent.COMPLAINT: 0, Intent.OTHER: 0,
}
SERVICE_INTENTS = (Intent.PAYMENT, Intent.DOCUMENTS)
# Stage codes of the default pipeline, in order; a suggestion only ever moves a lead forward.
STAGE_ORDER = ("new", "consultation", "selection", "offer", "extras")


@dataclass
class Score:
    value: int
    category: str
    confidence: float
    reasons: list[str] = field(default_factory=list)
    next_stage: str | None = None  # a stage code of the lead's pipeline


def _intent_reason(intent: str) -> str:
    return {
        Intent.BOOKING: _("wants to book"), Intent.TOUR_REQUEST: _("asks for a tour"),
        Intent.QUESTION: _("asks a question"), Intent.PAYMENT: _("about a payment"),
        Intent.DOCUMENTS: _("about documents or a visa"), Intent.COMPLAINT: _("complains"),
    }.get(intent, _("no clear request"))


def category_of(value: int, intent: str, *, returning: bool) -> str:
    if intent == Intent.COMPLAINT:
        return "complaint"
    if intent in SERVICE_INTENTS or (intent in (Intent.QUESTION, Intent.OTHER) and returning and value < WARM):
        return "service"
    return "hot" if value >= HOT else "warm" if value >= WARM else "cold"


def next_stage(*, stage_code: str | None, intent: str, trip: TripRequest, pick: OfferPick | None) -> str | None:
    """The stage the lead is ready for, when it is ahead of where it stands."""
    if stage_code not in STAGE_ORDER or intent not in (Intent.TOUR_REQUEST, Intent.BOOKING):
        return None
    if intent == Intent.BOOKING and stage_code in ("new", "consultation", "selection"):
        wanted = "offer"
    elif trip.missing():
        wanted = "consultation"
    elif pick is not None and pick.found:
        wanted = "selection"
    else:
        wanted = "consultation"
    return wanted if STAGE_ORDER.index(wanted) > STAGE_ORDER.index(stage_code) else None


def lead_score(*, extraction: Extraction, trip: TripRequest, pick: OfferPick | None, orders: int,
               stage_code: str | None, today: dt.date) -> Score:
    """Score the lead from what it now holds (``trip``: the lead's fields with the
    message's on top) and what the message says."""
    points: list[tuple[int, str]] = [(INTENT_POINTS.get(extraction.intent, 0), _intent_reason(extraction.intent))]
    if trip.destination_resort or trip.destination_country:
        points.append((10, _("destination named")))
    if trip.date_from:
        points.append((10, _("dates named")))
        days = (trip.date_from - today).days
        if 0 <= days <= SOON_DAYS:
            points.append((10, _("travels within %(days)s days") % {"days": SOON_DAYS}))
    if trip.nights_from or trip.nights_to:
        points.append((5, _("nights named")))
    if trip.adults or trip.children:
        points.append((5, _("travellers named")))
    if trip.budget_amount is not None:
        points.append((10, _("budget named")))
        if pick is not None and pick.found:
            points.append((-10, _("budget below the cheapest offer")) if pick.over_budget
                          else (5, _("offers fit the budget")))
    if extraction.phone or extraction.email:
        points.append((5, _("left a phone or e-mail")))
    if orders:
        points.append((10, _("has travelled with us (%(count)s orders)") % {"count": orders}))
    if extraction.urgent:
        points.append((5, _("urgent")))
    value = max(0, min(100, sum(p for p, _reason in points)))
    reasons = [f"{'+' if p >= 0 else '−'}{abs(p)} {reason}" for p, reason in points if p]
    return Score(
        value=value, category=category_of(value, extraction.intent, returning=bool(orders)),
        confidence=round(extraction.confidence, 2), reasons=reasons,
        next_stage=next_stage(stage_code=stage_code, intent=extraction.intent, trip=trip, pick=pick),
    )
