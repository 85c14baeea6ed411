"""Checking that a model's text says only what it was given: every number it
writes must appear in the facts it was handed (an invented price or figure
refuses the answer; the caller then uses its rule-based text)."""

import json
import re
from typing import Any

# A number as written on a page: digit groups joined by (no-break) spaces or commas, decimals after "," or ".".
NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?")
SPACES = str.maketrans("", "", " \u00a0\u202f")


def numbers_in(text: str) -> set[str]:
    return {match.translate(SPACES) for match in NUMBER.findall(text)}


def invented_numbers(text: str, facts: Any, *, allowed: set[str] = frozenset()) -> set[str]:
    """The numbers in ``text`` written nowhere in ``facts`` (anything JSON can
    hold; strings are searched as written) nor in ``allowed``."""
    given = facts if isinstance(facts, str) else json.dumps(facts, ensure_ascii=False, default=str)
    return numbers_in(text) - numbers_in(given) - set(allowed)
