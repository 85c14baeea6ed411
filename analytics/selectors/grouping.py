"""Several GROUP BYs of the same rows in one pass: PostgreSQL's GROUPING SETS.

The dashboard groups the leads of a period by channel, by resort, by agent and
by where they stand, and wants their totals too: five GROUP BYs of the same
rows. ``grouping_sets`` reads the rows once. Django has no GROUPING SETS, so
the query is built with the ORM — ``rows.values(*keys).annotate(**aggregates)``,
grouped by every key at once, each aggregate still the expression
``formulas`` writes — and PostgreSQL is handed, around it or in place of its
GROUP BY clause, ``GROUP BY GROUPING SETS ((), (key1), (key2), …)``.
``GROUPING(key1, key2, …)`` says which set a result row belongs to (a key a
set leaves out reads NULL, and so may a key's own value).

- When every aggregate is a plain count or sum, the fine groups (one per
  combination of keys: a few thousand rows, however many rows are grouped)
  are summed up into each set — partial aggregation, as PostgreSQL's own
  parallel plans do it: a count of counts is their sum.
- Otherwise (a distinct count, a median) the query's GROUP BY clause itself
  becomes the grouping sets, every row feeding every set.
- Elsewhere (SQLite), or when the compiled query is not the plain shape
  expected, each set is its own GROUP BY query: the same figures in more passes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Aggregate, Count, Expression, IntegerField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

Set = tuple[str, ...]
GROUPING_ALIAS = "grouping_set_bits"
POSITIONS = re.compile(r"\d+(?:, \d+)*")


class Grouping(Aggregate):
    """``GROUPING(a, b, …)``: one bit per argument, the first the highest, set
    when the row's grouping set leaves that argument out. Computed per group
    like an aggregate (and, like one, never grouped on)."""

    function = "GROUPING"
    name = "Grouping"
    output_field = IntegerField()


def grouping_sets(
    rows: QuerySet,
    sets: Sequence[Set],
    aggregates: Mapping[str, Aggregate],
    annotations: Mapping[str, Expression] | None = None,
) -> dict[Set, list[dict[str, Any]]]:
    """``aggregates`` over ``rows`` grouped by each of ``sets``: tuples of
    field names, or of names in ``annotations`` (expressions grouped on);
    ``()`` gives one row over all the rows, even none. Each result row holds
    its set's keys and the aggregates."""
    annotations = dict(annotations or {})
    keys = list(dict.fromkeys(key for grouping in sets for key in grouping))
    connection = connections[rows.db]
    if connection.vendor == "postgresql" and keys:
        partial = {name: _partial(expression) for name, expression in aggregates.items()}
        found = _summed_up(rows, sets, keys, aggregates, annotations, partial) if all(partial.values()) else None
        if found is not None:
            return found
        if not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"):
            found = _in_one_pass(rows, sets, keys, aggregates, annotations)
            if found is not None:
                return found
    return {grouping: _one_set(rows, grouping, aggregates, annotations) for grouping in sets}


def _partial(expression) -> tuple[str, list] | None:
    """How the partial results of ``expression`` (over fine groups) add up: SQL
    over the column (``%(column)s``) and its parameters; None if they do not."""
    if isinstance(expression, Count) and not expression.distinct:
        return "CAST(COALESCE(SUM(%(column)s), 0) AS bigint)", []
    if isinstance(expression, Sum) and not expression.distinct:
        return "SUM(%(column)s)", []
    if isinstance(expression, Coalesce):
        summed, *fallbacks = expression.get_source_expressions()
        if (isinstance(summed, Sum) and not summed.distinct and len(fallbacks) == 1
                and isinstance(fallbacks[0], Value)):
            return "COALESCE(SUM(%(column)s), %%s)", [fallbacks[0].value]
    return None


def _summed_up(rows: QuerySet, sets: Sequence[Set], keys: list[str], aggregates, annotations, partial):
    """Fine groups (one per combination of keys), summed up into each set by an outer query."""
    fine = rows.annotate(**annotations).values(*keys).annotate(**aggregates).order_by()
    compiler = fine.query.get_compiler(using=fine.db)
    try:
        inner_sql, inner_params = compiler.as_sql()
    except EmptyResultSet:
        return None
    quote = connections[fine.db].ops.quote_name
    aliases = [alias for _expression, _sql, alias in compiler.select]
    columns, params = [f"GROUPING({', '.join(quote(key) for key in keys)})"], []
    for alias in aliases:
        if alias in aggregates:
            template, template_params = partial[alias]
            columns.append(template % {"column": quote(alias)})
            params += template_params
        else:
            columns.append(quote(alias))
    grouping_sets_sql = ", ".join("(" + ", ".join(quote(key) for key in grouping) + ")" for grouping in sets)
    # Identifiers are quoted aliases of our own query; every value is a parameter.
    sql = (f"SELECT {', '.join(columns)} FROM ({inner_sql}) {quote('fine_groups')} "  # noqa: S608
           f"GROUP BY GROUPING SETS ({grouping_sets_sql})")
    return _read(fine.db, sql, [*params, *inner_params], compiler, aliases, keys, sets, aggregates, first=True)


def _one_set(rows: QuerySet, grouping: Set, aggregates, annotations) -> list[dict[str, Any]]:
    if not grouping:
        return [rows.aggregate(**aggregates)]
    rows = rows.annotate(**{key: annotations[key] for key in grouping if key in annotations})
    return list(rows.values(*grouping).annotate(**aggregates).order_by())


def _in_one_pass(rows: QuerySet, sets: Sequence[Set], keys: list[str], aggregates, annotations):
    grouped = (
        rows.annotate(**annotations).values(*keys)
        .annotate(**aggregates, **{GROUPING_ALIAS: Grouping(*keys)}).order_by()
    )
    compiler = grouped.query.get_compiler(using=grouped.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    aliases = [alias for _expression, _sql, alias in compiler.select]
    position = {alias: index for index, alias in enumerate(aliases, start=1)}
    head, group_by, tail = sql.rpartition(" GROUP BY ")
    # The outer query's GROUP BY comes last and names the selected keys by position.
    if not group_by or not POSITIONS.fullmatch(tail) or {int(p) for p in tail.split(", ")} != {
        position[key] for key in keys
    }:
        return None
    grouping_sets_sql = ", ".join("(" + ", ".join(str(position[key]) for key in grouping) + ")" for grouping in sets)
    sql = f"{head} GROUP BY GROUPING SETS ({grouping_sets_sql})"
    return _read(grouped.db, sql, params, compiler, aliases, keys, sets, aggregates, first=False)


def _read(using: str, sql: str, params, compiler, aliases: list[str], keys: list[str], sets: Sequence[Set],
          aggregates, *, first: bool) -> dict[Set, list[dict[str, Any]]]:
    """Run ``sql``, whose columns are ``compiler``'s (the grouping bits first
    when ``first``, else among them), and sort its rows out by grouping set."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        found_rows = [list(found) for found in cursor.fetchall()]
    bits_column = [found.pop(0) for found in found_rows] if first else None
    converters = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
    if converters:
        found_rows = list(compiler.apply_converters(found_rows, converters))
    bits = {
        sum(1 << (len(keys) - 1 - index) for index, key in enumerate(keys) if key not in grouping): grouping
        for grouping in sets
    }
    result: dict[Set, list[dict[str, Any]]] = {grouping: [] for grouping in sets}
    for index, found in enumerate(found_rows):
        record = dict(zip(aliases, found, strict=True))
        grouping = bits[bits_column[index] if first else record[GROUPING_ALIAS]]
        result[grouping].append({**{key: record[key] for key in grouping},
                                 **{name: record[name] for name in aggregates}})
    return result
