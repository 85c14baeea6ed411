"""Small pieces of the search results rendered in Python: they repeat for every
offer on the page, where an include per piece would cost more than the page itself."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()

ROOMS = {"Y": ("avail-yes", "bi-door-open"), "R": ("avail-request", "bi-door-open"), "N": ("avail-no", "bi-door-closed")}
SEAT_CLASSES = {"Y": "avail-yes", "N": "avail-no"}


def _room_text(letter: str) -> str:
    return {"Y": _("Rooms available"), "R": _("Rooms on request"), "N": _("No rooms")}[letter]


def _seats_text(letter: str) -> str:
    return {"Y": _("seats"), "F": _("few seats"), "R": _("on request")}.get(letter, _("no seats"))


@register.simple_tag
def availability(rooms: str, flight_out: str, flight_back: str):
    """Chips: rooms (Y free, R on request, N none) and seats there and back (Y, F few, R request, N none)."""
    chips = []
    if rooms in ROOMS:
        css, icon = ROOMS[rooms]
        chips.append((css, icon, _room_text(rooms)))
    for label, seats in ((_("there"), flight_out), (_("back"), flight_back)):
        if seats:
            chips.append((SEAT_CLASSES.get(seats, "avail-request"), "bi-airplane", f"{label}: {_seats_text(seats)}"))
    return format_html(
        '<span class="availability">{}</span>',
        format_html_join("", '<span class="avail {}"><i class="bi {}" aria-hidden="true"></i> {}</span>', chips),
    )


@register.simple_tag
def offer_price(price, currency: str, price_kzt):
    kzt = format_html('<div class="price-kzt">≈ {} ₸</div>', floatformat(price_kzt, "0g")) if price_kzt is not None else ""
    return format_html('<div class="offer-price"><div class="price-main">{} <span class="currency">{}</span></div>{}</div>',
                       floatformat(price, "0g"), currency, kzt)
