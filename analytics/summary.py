"""The written summary of a period: the figures it may speak of, the plain
rule-based text, and what the model is asked and held to.

The model is given only figures the database computed, already written the
way the page writes them, and is told to copy them; its answer is refused
(and the plain summary shown instead) if it holds a number that is not among
them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from analytics.formatting import change_display, figure_display
from analytics.selectors.kpis import KpiReport
from analytics.selectors.scope import Period
from analytics.selectors.tables import Table

SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string", "description": "Three to five sentences of plain text."}},
    "required": ["summary"],
    "additionalProperties": False,
}
TOP = 3


def period_display(period: Period | None) -> str:
    if period is None:
        return ""
    if period.is_all_time:
        return _("all time")
    start = date_format(period.date_from, "DATE_FORMAT") if period.date_from else "…"
    end = date_format(period.date_to, "DATE_FORMAT") if period.date_to else "…"
    return f"{start} – {end}"


def summary_figures(report: KpiReport, tables: dict[str, Table], *, filters: list[str]) -> dict[str, Any]:
    """All the summary may say: the KPIs (as displayed, beside the previous
    period), the leading destinations, channels and agents, the filters."""

    def top(slug: str, keys: tuple[str, ...]) -> list[dict[str, str]]:
        table = tables[slug]
        units = {column.key: column.unit for column in table.columns}
        return [
            {"name": row.label, **{key: figure_display(row.values.get(key), units[key]) for key in keys}}
            for row in table.rows[:TOP] if row.key is not None
        ]

    return {
        "period": period_display(report.period),
        "compared_with": period_display(report.previous_period),
        "filters": filters,
        "figures": [
            {
                "key": value.kpi.key,
                "name": str(value.kpi.label),
                "value": figure_display(value.value, value.kpi.unit),
                "previous": figure_display(value.previous, value.kpi.unit) if value.compared else "",
                "change": change_display(value.change, value.kpi.unit),
            }
            for value in report.values
        ],
        "top_destinations": top("destinations", ("revenue_kzt", "orders")),
        "top_channels": top("channels", ("leads", "conversion_rate")),
        "top_agents": top("agents", ("revenue_kzt", "conversion_rate")),
    }


def summary_key(figures: dict[str, Any], *, language: str, model: str) -> str:
    payload = json.dumps({"figures": figures, "language": language, "model": model}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def rule_summary(figures: dict[str, Any]) -> str:
    """A plain summary from the same figures, for when no model is configured (or it failed)."""
    by_key = {figure["key"]: figure for figure in figures["figures"]}

    def value(key: str) -> str:
        figure = by_key.get(key)
        return figure["value"] if figure else "—"

    def compared(key: str) -> str:
        figure = by_key.get(key)
        if not figure or not figure["change"]:
            return ""
        return " " + _("(%(change)s against %(previous)s before)") % {
            "change": figure["change"], "previous": figure["previous"],
        }

    sentences = [
        _("%(period)s: revenue %(revenue)s%(compared)s from %(orders)s orders, average booking %(abv)s.") % {
            "period": figures["period"].capitalize(), "revenue": value("revenue_kzt"),
            "compared": compared("revenue_kzt"), "orders": value("orders"),
            "abv": value("average_booking_value_kzt"),
        },
        _("Conversion %(conversion)s%(compared)s of %(leads)s leads; margin %(margin)s (%(margin_percent)s).") % {
            "conversion": value("conversion_rate"), "compared": compared("conversion_rate"),
            "leads": value("leads"), "margin": value("margin_kzt"), "margin_percent": value("margin_percent"),
        },
        _("Cancellations %(cancellations)s, first reply in %(reply)s (median), SLA breaches: %(breaches)s.") % {
            "cancellations": value("cancellation_rate"), "reply": value("median_first_reply_minutes"),
            "breaches": value("sla_breaches"),
        },
    ]
    if figures["top_destinations"]:
        best = figures["top_destinations"][0]
        sentences.append(_("The best-selling destination is %(name)s (%(revenue)s).") % {
            "name": best["name"], "revenue": best["revenue_kzt"]})
    if figures["top_agents"] and len(figures["top_agents"]) > 1:
        best = figures["top_agents"][0]
        sentences.append(_("%(name)s leads the agents with %(revenue)s.") % {
            "name": best["name"], "revenue": best["revenue_kzt"]})
    if value("nps") != "—":
        sentences.append(_("NPS from post-trip surveys: %(nps)s.") % {"nps": value("nps")})
    return " ".join(sentences)


def model_messages(figures: dict[str, Any], *, language: str) -> list[dict[str, str]]:
    system = (
        "You write a short summary of a travel agency's results for its managers. "
        f"Write in the language whose code is '{language}', three to five sentences, plain text. "
        "Use only the figures in the JSON you are given, copied exactly as they are written there "
        "(value, previous, change). Do not compute, round, add or estimate any other number, and do not guess "
        "causes. Leave out a figure written as '—' (it is not known)."
    )
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": json.dumps(figures, ensure_ascii=False)},
    ]


