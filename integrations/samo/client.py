"""The one function every SAMO call passes through: ``samo_request``.

It builds the GET (``samo_action=api``, ``type=json``, ``action``,
``oauth_token``), sends it through ``SAMO_PROXY_URL`` when one is set (SAMO
traffic only: the environment's proxies are ignored), applies the timeouts,
retries transient failures with exponential backoff and jitter, turns every
failure into its own ``SamoError``, and writes one ``ApiLog`` row per attempt
with the token masked and the duration.
"""

import json
import logging
import random
import re
import threading
import time
import xml.etree.ElementTree as ET  # noqa: S405 (parses SAMO's own error envelope, no entities resolved)
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from integrations.masking import mask_secret, mask_url
from integrations.models import ApiLog
from integrations.samo import errors

logger = logging.getLogger(__name__)

SERVICE = "samo"
# The local test server marks its answers, so that demo data is always labelled as such.
DEMO_HEADER = "X-Samo-Demo"
RETRIED_STATUSES = {500, 502, 503, 504}
_BLACKLISTED = re.compile(r"blacklisted address\s+([0-9a-fA-F.:]+)")
_local = threading.local()


@dataclass(frozen=True)
class SamoResponse:
    action: str
    payload: Any
    status_code: int
    duration_ms: int
    request_url: str  # masked
    demo: bool


def configured() -> bool:
    return bool(settings.SAMO_API_URL and settings.SAMO_OAUTH_TOKEN)


def redact_token(text: str) -> str:
    token = settings.SAMO_OAUTH_TOKEN
    return text.replace(token, mask_secret(token)) if token and text else text


class _TokenFilter(logging.Filter):
    """urllib3 logs request lines (with the query string) at DEBUG: mask the token there."""

    def filter(self, record):
        if settings.configured and settings.SAMO_OAUTH_TOKEN:
            message = record.getMessage()
            redacted = redact_token(message)
            if redacted != message:
                record.msg, record.args = redacted, ()
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_TokenFilter())


def _session() -> requests.Session:
    """One keep-alive session per thread; it never reads proxies from the environment."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        _local.session = session
    return session


def _proxies() -> dict[str, str]:
    proxy = settings.SAMO_PROXY_URL
    return {"http": proxy, "https": proxy} if proxy else {}


def _error_text(response: requests.Response) -> str:
    """The message of an error body: JSON ``{"error": …}``, SAMO's XML envelope, or plain text."""
    body = response.text.strip()
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("error") not in (None, ""):
        return str(data["error"])
    if body.startswith("<"):
        try:
            node = ET.fromstring(body)  # noqa: S314
        except ET.ParseError:
            node = None
        if node is not None:
            found = node.find(".//Error")
            if found is not None and found.text:
                return found.text.strip()
            return " ".join(node.itertext()).strip()[:300]
    return body[:300]


def _method_error(data: Any) -> Any:
    if isinstance(data, dict) and data.get("error") not in (None, "", False, 0):
        return data["error"]
    return None


def _unwrap(action: str, response: requests.Response) -> Any:
    """The action's payload from a 200 answer, or the error it carries."""
    body = response.text.strip()
    if not body:
        return None
    try:
        data = response.json()
    except ValueError:
        if body.startswith("<"):
            raise errors.SamoMethodError(_error_text(response), action=action) from None
        raise errors.SamoBadResponse("not JSON", action=action, status_code=response.status_code) from None
    if (error := _method_error(data)) is not None:
        raise errors.SamoMethodError(error, action=action)
    if isinstance(data, dict) and action in data:
        payload = data[action]
        if (error := _method_error(payload)) is not None:
            raise errors.SamoMethodError(error, action=action)
        return payload
    return data


def _raise_for_status(action: str, response: requests.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    if status == 401:
        raise errors.SamoInvalidToken(action=action)
    if status == 403:
        text = _error_text(response)
        if match := _BLACKLISTED.search(text):
            raise errors.SamoIPNotAllowed(match.group(1).rstrip("."), action=action)
        raise errors.SamoAccessDenied(text, action=action)
    raise errors.SamoServerError(status, action=action)


def _attempt(action: str, url: str, query: dict[str, str], timeout: tuple[float, float]) -> SamoResponse:
    """One HTTP exchange, logged whatever its outcome."""
    masked = mask_url(url, (settings.SAMO_OAUTH_TOKEN,))
    started = time.monotonic()
    status_code = None
    try:
        try:
            response = _session().get(url, params=query, timeout=timeout, proxies=_proxies())
        except requests.ConnectTimeout as exc:
            raise errors.SamoUnavailable("connect timeout", action=action) from exc
        except requests.Timeout as exc:
            raise errors.SamoTimeout(timeout[1], action=action) from exc
        except requests.ConnectionError as exc:
            reason = "proxy unavailable" if isinstance(exc, requests.exceptions.ProxyError) else "connection failed"
            raise errors.SamoUnavailable(reason, action=action) from exc
        status_code = response.status_code
        masked = mask_url(response.url, (settings.SAMO_OAUTH_TOKEN,))
        _raise_for_status(action, response)
        payload = _unwrap(action, response)
    except errors.SamoError as exc:
        duration_ms = round((time.monotonic() - started) * 1000)
        exc.request_url, exc.duration_ms = masked, duration_ms
        ApiLog.objects.create(
            service=SERVICE, action=action, request=masked, status_code=status_code, duration_ms=duration_ms,
            ok=False, error=redact_token(f"{type(exc).__name__}: {exc}"),
        )
        logger.warning("SAMO %s failed after %s ms: %s (%s)", action, duration_ms, type(exc).__name__, masked)
        raise
    duration_ms = round((time.monotonic() - started) * 1000)
    ApiLog.objects.create(
        service=SERVICE, action=action, request=masked, status_code=status_code, duration_ms=duration_ms, ok=True,
    )
    logger.info("SAMO %s answered %s in %s ms", action, status_code, duration_ms)
    return SamoResponse(
        action=action, payload=payload, status_code=status_code, duration_ms=duration_ms, request_url=masked,
        demo=response.headers.get(DEMO_HEADER) == "1",
    )


def samo_request(action: str, params: dict[str, Any] | None = None, *, retries: int | None = None,
                 timeout: float | None = None) -> SamoResponse:
    """Call one SAMO action with its parameters and return its unwrapped payload.

    Transient failures (no connection, HTTP 5xx) are tried again up to ``retries``
    times with exponential backoff and jitter; a timeout is not (the search may
    still be running there, and asking again would double its load), nor is
    anything SAMO will answer the same way again (401, 403, a method error)."""
    action = action.strip()
    if not configured():
        raise errors.SamoNotConfigured(action=action)
    query = {"samo_action": "api", "type": "json", "action": action, "oauth_token": settings.SAMO_OAUTH_TOKEN}
    query.update({key: str(value) for key, value in (params or {}).items() if value not in (None, "")})
    retries = settings.SAMO_RETRIES if retries is None else retries
    read_timeout = timeout or settings.SAMO_READ_TIMEOUT
    attempt = 0
    while True:
        try:
            return _attempt(action, settings.SAMO_API_URL, query, (settings.SAMO_CONNECT_TIMEOUT, read_timeout))
        except errors.SamoError as exc:
            retryable = isinstance(exc, errors.SamoUnavailable | errors.SamoServerError) and (
                exc.status_code is None or exc.status_code in RETRIED_STATUSES
            )
            if not retryable or attempt >= retries:
                raise
            attempt += 1
            time.sleep(settings.SAMO_RETRY_BACKOFF * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
