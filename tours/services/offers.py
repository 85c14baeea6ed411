"""Offers: a SAMO offer attached to a lead as an ``OfferSnapshot`` (with the time it
was priced), and an order booked from a snapshot. Both are idempotent: a second
click finds what the first one made."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from crm import access
from crm.models import ActivityKind, Client, Currency, Lead, MealPlan, Order, Pipeline
from crm.services import activity_record, lead_assign, lead_create, order_create
from tours.models import OfferSnapshot
from tours.services.search import Offer, SearchResult

CENTS = Decimal("0.01")


def can_attach(user) -> bool:
    return access.is_supervisor(user) or access.is_agent(user)


def _money(value: Decimal | None) -> str:
    return "" if value is None else formats.number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def offer_summary(snapshot: OfferSnapshot) -> str:
    """One line for the timeline: hotel, dates, nights, room and meal, price."""
    stars = f" {snapshot.stars}*" if snapshot.stars else ""
    price = f"{_money(snapshot.price)} {snapshot.currency}"
    if snapshot.price_kzt is not None and snapshot.currency != "KZT":
        price += f" ≈ {_money(snapshot.price_kzt)} KZT"
    return _("Offer: %(hotel)s%(stars)s, %(resort)s, %(check_in)s–%(check_out)s (%(nights)s nights), %(room)s, "
             "%(meal)s — %(price)s") % {
        "hotel": snapshot.hotel, "stars": stars, "resort": snapshot.resort,
        "check_in": snapshot.check_in.strftime("%d.%m"), "check_out": snapshot.check_out.strftime("%d.%m.%Y"),
        "nights": snapshot.nights, "room": snapshot.room, "meal": snapshot.meal, "price": price,
    }


def _timeline_data(snapshot: OfferSnapshot) -> dict:
    return {
        "offer_snapshot": snapshot.pk,
        "url": reverse("tours:offer", args=[snapshot.pk]),
        "hotel": snapshot.hotel, "stars": snapshot.stars, "resort": snapshot.resort, "room": snapshot.room,
        "meal": snapshot.meal, "check_in": snapshot.check_in.isoformat(), "check_out": snapshot.check_out.isoformat(),
        "nights": snapshot.nights, "adults": snapshot.adults, "children": snapshot.children,
        "price": str(snapshot.price), "currency": snapshot.currency,
        "price_kzt": None if snapshot.price_kzt is None else str(snapshot.price_kzt),
        "rate_source": snapshot.rate_source, "priced_at": snapshot.priced_at.isoformat(), "demo": snapshot.demo,
    }


def _new_lead(*, client: Client, user, offer: Offer, result: SearchResult, trip: dict) -> Lead:
    query = result.query
    meal = offer.row.meal.upper()
    lead = lead_create(lead=Lead(
        client=client, pipeline=Pipeline.objects.get(is_default=True),
        departure_city=trip.get("departure_city", ""), destination_country=trip.get("country", ""),
        destination_resort=offer.row.town, date_from=query.checkin_beg, date_to=query.checkin_end,
        nights_from=query.nights_from, nights_to=query.nights_till, adults=query.adults, children=query.children,
        children_ages=list(query.ages), hotel_stars=offer.row.stars,
        meal_plan=meal if meal in MealPlan.values else "",
    ), user=user)
    return lead_assign(lead=lead, assignee=user, user=user)


def _attach(*, user, offer: Offer, result: SearchResult, lead: Lead | None, client: Client | None,
            request_token: uuid.UUID | None, trip: dict) -> tuple[OfferSnapshot, bool]:
    with transaction.atomic():
        if lead is None:
            if client is None:
                raise ValidationError(_("Choose a lead, or a client to open a new lead for."))
            lead = _new_lead(client=client, user=user, offer=offer, result=result, trip=trip)
        else:
            lead = Lead.objects.select_for_update().select_related("client").get(pk=lead.pk)
            if user is not None and not access.can_change(user, lead):
                raise PermissionDenied(_("You may not change this lead."))
            if existing := OfferSnapshot.objects.filter(lead=lead, offer_key=offer.key).first():
                return existing, False
        row, rate = offer.row, result.rate
        snapshot = OfferSnapshot.objects.create(
            lead=lead, client_id=lead.client_id, request_token=request_token, offer_key=row.id,
            operator=settings.SAMO_OPERATOR_NAME, departure_city=trip.get("departure_city", ""),
            country=trip.get("country", ""), resort=row.town, hotel=row.hotel, hotel_key=row.hotel_id,
            stars=row.stars, room=row.room, placement=row.placement, meal=row.meal, tour=row.tour,
            check_in=row.check_in, check_out=row.check_out, nights=row.nights, adults=row.adults or result.query.adults,
            children=row.children or 0, children_ages=list(result.query.ages), price=row.price.quantize(CENTS),
            currency=row.currency or result.currency,
            price_kzt=None if offer.price_kzt is None else offer.price_kzt.quantize(CENTS),
            rate_kzt=rate.value if rate and offer.price_kzt is not None else None,
            rate_source=rate.source if rate and offer.price_kzt is not None else "",
            rooms_available=row.rooms, flight_out=row.flight_out, flight_back=row.flight_back, bookable=row.bookable,
            demo=result.demo, priced_at=result.fetched_at, search=result.query.params(), raw=row.raw, created_by=user,
        )
        activity_record(client=lead.client, lead=lead, kind=ActivityKind.OFFER, author=user,
                        text=offer_summary(snapshot), data=_timeline_data(snapshot))
        return snapshot, True


def offer_attach(*, user, offer: Offer, result: SearchResult, lead: Lead | None = None, client: Client | None = None,
                 request_token: uuid.UUID | None = None, trip: dict | None = None) -> tuple[OfferSnapshot, bool]:
    """Attach a SAMO offer to a lead the user may change, or to a new lead of a
    client the user sees (the new lead is theirs; ``lead_create`` refuses a client
    the user may not see); ``user`` None: the system (the
    Telegram bot) attaching to an existing lead. The snapshot keeps every field of
    the offer and when SAMO priced it; the lead's timeline gets an "offer" entry.

    Idempotent: the same form submitted twice (``request_token``), or the same
    offer attached to the same lead again, returns the first snapshot
    (``created`` False)."""
    if user is None and lead is None:
        raise ValueError("The system attaches offers to an existing lead only.")
    if user is not None and not can_attach(user):
        raise PermissionDenied(_("You may not attach offers to leads."))
    if offer.row.price is None or offer.row.check_in is None or offer.row.nights is None:
        raise ValidationError(_("SAMO gave this offer without a price or dates; it cannot be attached."))
    if request_token and (existing := OfferSnapshot.objects.filter(request_token=request_token).first()):
        return existing, False
    try:
        return _attach(user=user, offer=offer, result=result, lead=lead, client=client, request_token=request_token,
                       trip=trip or {})
    except IntegrityError:
        # A concurrent twin won the race: return what it made.
        existing = OfferSnapshot.objects.filter(request_token=request_token).first() if request_token else None
        if existing is None and lead is not None:
            existing = OfferSnapshot.objects.filter(lead=lead, offer_key=offer.key).first()
        if existing is None:
            raise
        return existing, False


def offer_snapshot_dict(snapshot: OfferSnapshot) -> dict:
    """The snapshot as stored on the order (the tour as sold)."""
    return {**_timeline_data(snapshot), "offer_key": snapshot.offer_key, "operator": snapshot.operator,
            "tour": snapshot.tour, "placement": snapshot.placement, "departure_city": snapshot.departure_city,
            "country": snapshot.country, "rate_kzt": None if snapshot.rate_kzt is None else str(snapshot.rate_kzt),
            "flight_out": snapshot.flight_out, "flight_back": snapshot.flight_back, "rooms": snapshot.rooms_available}


@transaction.atomic
def offer_book(*, snapshot: OfferSnapshot, user, operator_booking_number: str = "") -> tuple[Order, bool]:
    """Book a snapshot into an order (status new) for the lead's client, at the
    snapshot's price and tenge rate. A snapshot is booked once: booking it again
    returns its order (``created`` False)."""
    snapshot = OfferSnapshot.objects.select_for_update(of=("self",)).select_related("lead", "order").get(
        pk=snapshot.pk
    )
    if snapshot.order_id:
        return snapshot.order, False
    if not (can_attach(user) and access.can_change(user, snapshot.lead)):
        raise PermissionDenied(_("You may not book offers of this lead."))
    if snapshot.currency != "KZT" and snapshot.price_kzt is None:
        raise ValidationError(
            _("There is no tenge rate for %(currency)s: SAMO gave none and no admin has set one. "
              "Ask an admin to set it under Tours → Tenge rates.") % {"currency": snapshot.currency}
        )
    in_own_currency = snapshot.currency in Currency.values
    meal = snapshot.meal.upper()
    order = order_create(order=Order(
        client_id=snapshot.client_id, lead=snapshot.lead, operator=snapshot.operator,
        departure_city=snapshot.departure_city, destination_country=snapshot.country,
        destination_resort=snapshot.resort, hotel=snapshot.hotel, hotel_stars=snapshot.stars, room=snapshot.room,
        meal_plan=meal if meal in MealPlan.values else "", date_from=snapshot.check_in, date_to=snapshot.check_out,
        nights=snapshot.nights, adults=snapshot.adults, children=snapshot.children,
        offer_snapshot=offer_snapshot_dict(snapshot),
        price=snapshot.price if in_own_currency else snapshot.price_kzt,
        currency=snapshot.currency if in_own_currency else "KZT",
        exchange_rate=(snapshot.rate_kzt or Decimal(1)) if in_own_currency else Decimal(1),
        price_kzt=snapshot.price_kzt if snapshot.price_kzt is not None else snapshot.price,
        operator_booking_number=operator_booking_number.strip(),
    ), user=user)
    snapshot.order = order
    snapshot.save(update_fields=["order"])
    return order, True
