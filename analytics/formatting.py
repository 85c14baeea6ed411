"""How a figure is written, on the page, in CSV and in the summaries: one
place, so the model is given the very strings the reader sees."""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from analytics.selectors.formulas import Unit

NBSP = "\u00a0"


def _number(value, places: int) -> str:
    return number_format(Decimal(value), decimal_pos=places, use_l10n=True, force_grouping=True)


def figure_display(value, unit: str) -> str:
    """``value`` as the page writes it; "—" when there is nothing to show."""
    if value is None:
        return "—"
    if unit == Unit.KZT:
        return f"{_number(value, 0)}{NBSP}₸"
    if unit == Unit.PERCENT:
        return f"{_number(value, 1)}{NBSP}%"
    if unit == Unit.MINUTES:
        if value >= 120:
            return _("%(hours)s h") % {"hours": _number(Decimal(value) / 60, 1)}
        return _("%(minutes)s min") % {"minutes": _number(value, 0 if value == int(value) else 1)}
    if unit == Unit.SCORE:
        return f"{'+' if value > 0 else ''}{_number(value, 0)}"
    return _number(value, 0)


def change_display(change, unit: str) -> str:
    """A change beside the previous period: points for rates and scores, percent otherwise."""
    if change is None:
        return ""
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    magnitude = _number(abs(change), 0 if unit == Unit.SCORE else 1)
    if unit in (Unit.PERCENT, Unit.SCORE):
        return _("%(sign)s%(value)s pts") % {"sign": sign, "value": magnitude}
    return f"{sign}{magnitude}{NBSP}%"
