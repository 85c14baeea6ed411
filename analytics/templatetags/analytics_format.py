from django import template

from analytics.formatting import change_display, figure_display

register = template.Library()


@register.filter
def figure(value, unit):
    return figure_display(value, unit)


@register.filter
def figure_change(value, unit):
    return change_display(value, unit)


@register.filter
def cell(row, key):
    """A table row's value for a column key."""
    return row.values.get(key)
