"""Small, fast formatters for the board and the lead card (hundreds of cards render
per board, so these avoid the heavier localisation filters)."""

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Channel

register = template.Library()

CURRENCY_SIGNS = {"KZT": "₸", "USD": "$", "EUR": "€", "RUB": "₽"}
CHANNEL_ICONS = {
    Channel.TELEGRAM: "bi-telegram", Channel.WHATSAPP: "bi-whatsapp", Channel.WAZZUP: "bi-chat-dots",
    Channel.EMAIL: "bi-envelope", Channel.WEB: "bi-globe2", Channel.PHONE: "bi-telephone",
    Channel.WALK_IN: "bi-shop", Channel.REFERRAL: "bi-people", Channel.IMPORT: "bi-box-arrow-in-down",
}
CHANNEL_LABELS = dict(Channel.choices)


@register.filter
def money(amount, currency="KZT"):
    """1500000 → "1 500 000 ₸" (thin spaces between thousands)."""
    if amount is None or amount == "":
        return ""
    whole = int(Decimal(amount).quantize(Decimal("1")))
    return f"{whole:,}".replace(",", "\u202f") + "\u00a0" + CURRENCY_SIGNS.get(currency, currency)


@register.filter
def channel_icon(channel):
    return CHANNEL_ICONS.get(channel, "bi-question-circle")


@register.filter
def channel_label(channel):
    return CHANNEL_LABELS.get(channel, channel or "—")


@register.filter
def initials(user):
    if user is None:
        return ""
    name = f"{(user.first_name or user.username)[:1]}{user.last_name[:1]}"
    return name.upper()


@register.filter
def person(user):
    return (user.get_full_name() or user.get_username()) if user else ""


def _span(delta: dt.timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)sd %(hours)sh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)sh %(minutes)sm") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)sm") % {"minutes": minutes}


@register.simple_tag(takes_context=True)
def sla_state(context, due_at):
    """("overdue" | "soon" | "ok" | "", text) for a lead's SLA due time; "soon" is the last two hours."""
    if due_at is None:
        return ("", "")
    now = context.get("now")
    if now is None:
        now = context["now"] = timezone.now()
    left = due_at - now
    if left.total_seconds() < 0:
        return ("overdue", _("overdue %(span)s") % {"span": _span(left)})
    state = "soon" if left < dt.timedelta(hours=2) else "ok"
    return (state, _("%(span)s left") % {"span": _span(left)})


@register.filter
def travellers(lead):
    """"2 + 1" adults and children."""
    return f"{lead.adults} + {lead.children}" if lead.children else str(lead.adults)


@register.filter
def nights(lead):
    if lead.nights_from and lead.nights_to and lead.nights_to != lead.nights_from:
        return f"{lead.nights_from}–{lead.nights_to}"
    return str(lead.nights_from or lead.nights_to or "")


@register.filter
def day_span(lead):
    """"12.01–20.01" (the year only when not this year)."""
    start, end = lead.date_from, lead.date_to
    if not start:
        return ""
    this_year = timezone.localdate().year
    fmt = "%d.%m" if start.year == this_year and (not end or end.year == this_year) else "%d.%m.%y"
    return start.strftime(fmt) + (f"–{end.strftime(fmt)}" if end and end != start else "")
