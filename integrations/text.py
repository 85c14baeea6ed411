"""Text from outside made storable: PostgreSQL's text and jsonb cannot hold NUL,
and a lone UTF-16 surrogate (which JSON's ``\\ud800`` escapes can deliver) cannot
be written as UTF-8 at all. Each entry point passes what it received through
``data_clean`` once, so a message is kept — without the NULs, with U+FFFD where a
lone surrogate stood — instead of failing on every delivery."""

import json
import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# The JSON escapes that can decode to NUL or a surrogate; raw bytes cannot carry
# either (JSON refuses raw control characters; UTF-8 cannot encode a surrogate).
_RISKY_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def text_clean(value: str) -> str:
    """``value`` without NUL characters and with each lone surrogate replaced by U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    return _LONE_SURROGATE.sub("\ufffd", value)


def data_clean(value: Any) -> Any:
    """``text_clean`` on every string inside ``value`` (keys too), through dicts and lists."""
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, dict):
        return {data_clean(key): data_clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [data_clean(item) for item in value]
    return value


def json_clean(body: bytes) -> tuple[Any, str]:
    """A JSON body read and cleaned: (the data, the JSON text to store). The body
    is decoded as it came unless it holds an escape that could need cleaning (a
    fast check, so the usual delivery costs no second pass); ValueError when it
    is not JSON."""
    data = json.loads(body)
    if not _RISKY_ESCAPE.search(body):
        return data, body.decode()
    data = data_clean(data)
    return data, json.dumps(data, ensure_ascii=False)
