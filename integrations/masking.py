"""The one way a secret is shown: never whole."""

import re
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

SECRET_QUERY_KEYS = {"oauth_token", "token", "access_token", "api_key", "apikey", "key", "secret", "password"}


def mask_secret(value: str | None) -> str:
    """Keep at most the last four characters of a secret (none of a short one)."""
    if not value:
        return ""
    if len(value) < 12:
        return "•" * 6
    return "•" * 6 + value[-4:]


def mask_url(url: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask secret query parameters, credentials in the netloc, and any given secret
    wherever it appears (a bot token in the path, say)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "•••@" + netloc.rsplit("@", 1)[1]
    # Built by hand: urlencode would percent-encode the mask's bullets.
    query = "&".join(
        f"{quote_plus(key)}={mask_secret(value) if key.lower() in SECRET_QUERY_KEYS else quote_plus(value)}"
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    masked = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    for secret in secrets:
        if secret:
            masked = re.sub(re.escape(secret), mask_secret(secret), masked)
    return masked


# A query parameter whose name holds one of these words carries a secret: the
# webhooks' ?token=, hub.verify_token, an api_key, a signature. Matched wherever
# a URL or a bare query string is written out in text (a request line, a log
# message, a traceback).
_SECRET_QUERY_PARAMETER = re.compile(
    r"(?:^|(?<=[?&;]))(?P<name>[^=&;?#\s\"'\\]*(?:token|secret|key|signature|password)[^=&;?#\s\"'\\]*)"
    r"=(?P<value>[^&;#\s\"'\\]+)",
    re.IGNORECASE,
)


def redact_query_secrets(text: str) -> str:
    """Replace the value of every secret query parameter in ``text`` with ``***``."""
    if "=" not in text:
        return text
    return _SECRET_QUERY_PARAMETER.sub(r"\g<name>=***", text)
