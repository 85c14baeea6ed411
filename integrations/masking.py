"""The one way a secret is shown: never whole."""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
    query = urlencode(
        [(k, mask_secret(v) if k.lower() in SECRET_QUERY_KEYS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)],
        safe="•",
    )
    masked = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    for secret in secrets:
        if secret:
            masked = re.sub(re.escape(secret), mask_secret(secret), masked)
    return masked
