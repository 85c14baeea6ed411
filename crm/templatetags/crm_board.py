"""Small, fast formatters for the board and the lead card (hundreds of cards render
per board, so these avoid the heavier localisation filters)."""

import datetime as dt
from decimal import Decimal
from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
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


def _sla_texts() -> dict:
    return {
        "days": _("%(days)sd %(hours)sh"), "hours": _("%(hours)sh %(minutes)sm"), "minutes": _("%(minutes)sm"),
        "overdue": _("overdue %(span)s"), "left": _("%(span)s left"),
    }


def _span(delta: dt.timedelta, texts: dict) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return texts["days"] % {"days": days, "hours": hours}
    if hours:
        return texts["hours"] % {"hours": hours, "minutes": minutes}
    return texts["minutes"] % {"minutes": minutes}


def _sla(due_at, *, now: dt.datetime, texts: dict) -> tuple[str, str]:
    if due_at is None:
        return ("", "")
    left = due_at - now
    if left.total_seconds() < 0:
        return ("overdue", texts["overdue"] % {"span": _span(left, texts)})
    state = "soon" if left < dt.timedelta(hours=2) else "ok"
    return (state, texts["left"] % {"span": _span(left, texts)})


@register.simple_tag(takes_context=True)
def sla_state(context, due_at):
    """("overdue" | "soon" | "ok" | "", text) for a lead's SLA due time; "soon" is the last two hours."""
    return _sla(due_at, now=timezone.now(), texts=_texts_for_language()["sla"])


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
def day_span(lead, this_year: int | None = None):
    """"12.01–20.01" (the year only when not this year)."""
    start, end = lead.date_from, lead.date_to
    if not start:
        return ""
    this_year = this_year or timezone.localdate().year
    fmt = "%d.%m" if start.year == this_year and (not end or end.year == this_year) else "%d.%m.%y"
    return start.strftime(fmt) + (f"–{end.strftime(fmt)}" if end and end != start else "")


# The words a card uses, translated once per language (gettext per card adds up).
_TEXTS: dict[str, dict] = {}


def _texts_for_language() -> dict:
    language = get_language() or ""
    if language not in _TEXTS:
        _TEXTS[language] = {"card": _card_labels(), "sla": _sla_texts()}
    return _TEXTS[language]


def _card_labels() -> dict:
    return {
        "nights": escape(_("nights")),
        "travellers": escape(_("adults + children")),
        "sla": escape(_("SLA")),
        "ai": escape(_("AI score")),
        "free": escape(_("Unassigned")),
        "move": escape(_("Move to stage")),
        "leads": reverse("leads:board"),
        "channels": {value: escape(str(label)) for value, label in CHANNEL_LABELS.items()},
    }


def _card_html(lead, *, labels: dict, sla_texts: dict, now: dt.datetime, this_year: int, may_change: bool,
               oob: bool = False) -> str:
    client_name = escape(lead.client_name)
    place = lead.destination_resort or lead.destination_country
    parts = [
        f'<article class="lead-card" id="lead-{lead.pk}" data-lead-id="{lead.pk}" data-version="{lead.version}"',
        ' hx-swap-oob="true">' if oob else ">",
        f'<a class="lead-card-client" href="{labels["leads"]}{lead.pk}/">{client_name}</a>',
        '<div class="lead-card-trip">',
        f'<i class="bi bi-geo-alt" aria-hidden="true"></i> {escape(place)}' if place else "",
        '</div><div class="lead-card-facts">',
    ]
    if lead.date_from:
        parts.append(f'<span><i class="bi bi-calendar3" aria-hidden="true"></i> {day_span(lead, this_year)}</span>')
    if lead.nights_from:
        parts.append(f'<span>{nights(lead)} {labels["nights"]}</span>')
    parts.append(f'<span title="{labels["travellers"]}"><i class="bi bi-people" aria-hidden="true"></i> '
                 f'{travellers(lead)}</span>')
    if lead.budget is not None:
        parts.append(f'<span class="lead-card-budget">{money(lead.budget, lead.budget_currency)}</span>')
    parts.append("</div>")
    tags = lead.tags
    if tags:
        parts.append('<div class="lead-card-tags">')
        parts += [f'<span class="tag" style="--tag-color: {escape(tag.color)}">{escape(tag.name)}</span>' for tag in tags]
        parts.append("</div>")
    channel = labels["channels"].get(lead.source, "—")
    parts.append(f'<div class="lead-card-foot"><i class="bi {channel_icon(lead.source)} lead-card-channel" '
                 f'title="{channel}" aria-label="{channel}"></i>')
    state, text = _sla(lead.sla_due_at, now=now, texts=sla_texts)
    if state:
        parts.append(f'<span class="sla sla-{state}" title="{labels["sla"]}"><i class="bi bi-stopwatch" '
                     f'aria-hidden="true"></i> {escape(text)}</span>')
    if lead.ai_score is not None:
        parts.append(f'<span class="ai-score" title="{labels["ai"]}">AI {lead.ai_score}</span>')
    parts.append('<span class="lead-card-spacer"></span>')
    if lead.assignee_id:
        parts.append(f'<span class="avatar avatar-sm" title="{escape(lead.assignee_name)}">'
                     f"{escape(lead.assignee_initials)}</span>")
    else:
        parts.append(f'<span class="avatar avatar-sm avatar-free" title="{labels["free"]}">'
                     '<i class="bi bi-person-dash" aria-hidden="true"></i></span>')
    if may_change:
        parts.append(f'<button type="button" class="btn btn-icon lead-card-move" data-bs-toggle="modal" '
                     f'data-bs-target="#move-modal" aria-label="{labels["move"]}: {client_name}" '
                     f'title="{labels["move"]}"><i class="bi bi-arrow-left-right" aria-hidden="true"></i></button>')
    parts.append("</div></article>")
    return "".join(parts)


def _cards_html(context, cards, *, oob: bool = False) -> str:
    """Cards for ``selectors.Card`` rows. Written in Python rather than as a template
    partial: a board shows up to fifty cards in each of its columns, and the
    template engine took most of the board's time drawing them. What every card
    shares (the words, the time, the year) is looked up once per call."""
    texts = _texts_for_language()
    now = timezone.now()
    shared = {"labels": texts["card"], "sla_texts": texts["sla"], "now": now,
              "this_year": timezone.localtime(now).year, "may_change": bool(context.get("may_change"))}
    return "".join(_card_html(card, oob=oob, **shared) for card in cards)


@register.simple_tag(takes_context=True)
def lead_card(context, lead, oob=False):
    """One card of the board (``<article data-lead-id>``) for a ``selectors.Card``."""
    return mark_safe(_cards_html(context, [lead], oob=oob))  # noqa: S308 — every value is escaped in _card_html


@register.simple_tag(takes_context=True)
def lead_cards(context, cards):
    """All the cards of a column in one call."""
    return mark_safe(_cards_html(context, cards))  # noqa: S308 — every value is escaped in _card_html
