"""One exchange with a JSON API of a messaging provider (Telegram, WhatsApp Cloud,
Wazzup24): the function each of their clients sends every call through.

It keeps one keep-alive session per thread (never reading proxies from the
environment), applies the timeouts, writes one ``ApiLog`` row per call with the
provider's secrets masked, and turns every failure into a ``ProviderError`` that
says whether trying again can help (no connection, 429, 5xx) and whether the
provider may have acted already (no answer in time). Sends are retried by the
Celery task that makes them, with backoff, not by sleeping here.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from integrations.masking import mask_url
from integrations.models import ApiLog
from integrations.registry import redact

logger = logging.getLogger(__name__)
_local = threading.local()


@dataclass(frozen=True)
class ProviderResponse:
    status_code: int
    data: Any
    duration_ms: int


class ProviderError(Exception):
    """A call that did not succeed. ``transient``: the same call may succeed later;
    ``maybe_done``: no answer came, so the provider may have acted anyway;
    ``retry_after``: seconds the provider asked us to wait."""

    def __init__(self, message: str, *, service: str, status_code: int | None = None, transient: bool = False,
                 maybe_done: bool = False, retry_after: float | None = None, code: str = ""):
        super().__init__(message)
        self.service = service
        self.status_code = status_code
        self.transient = transient
        self.maybe_done = maybe_done
        self.retry_after = retry_after
        self.code = code


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        _local.session = session
    return session


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def http_error(service: str, response: requests.Response, data: Any, message: str, code: str = "") -> ProviderError:
    """The error for a non-2xx answer: 429 and 5xx are worth trying again, other 4xx are not."""
    status = response.status_code
    retry_after = None
    header = response.headers.get("Retry-After", "")
    if header.isdecimal():
        retry_after = float(header)
    return ProviderError(message or response.reason or f"HTTP {status}", service=service, status_code=status,
                         transient=status == 429 or status >= 500, retry_after=retry_after, code=code)


def provider_call(*, service: str, action: str, method: str, url: str, secrets: tuple[str, ...],
                  check: Callable[[requests.Response, Any], None], json: Any = None, params: dict | None = None,
                  headers: dict | None = None, timeout: float | None = None) -> ProviderResponse:
    """Make one HTTP call and return its status and parsed JSON body.

    ``check(response, data)`` raises the provider's own ``ProviderError`` for an
    answer that is a failure (by status or by body). Every outcome is logged, with
    ``secrets`` masked in the URL and the error text."""
    masked = f"{method} {redact(mask_url(url, secrets), secrets)}"
    timeouts = (settings.MESSAGING_CONNECT_TIMEOUT, timeout or settings.MESSAGING_READ_TIMEOUT)
    started = time.monotonic()
    status_code = None
    try:
        try:
            response = _session().request(method, url, json=json, params=params, headers=headers, timeout=timeouts)
        except requests.ConnectTimeout as exc:
            raise ProviderError("connect timeout", service=service, transient=True) from exc
        except requests.Timeout as exc:
            raise ProviderError(f"no answer in {timeouts[1]:g} s", service=service, transient=True,
                                maybe_done=True) from exc
        except requests.ConnectionError as exc:
            raise ProviderError("connection failed", service=service, transient=True) from exc
        status_code = response.status_code
        data = _json(response)
        check(response, data)
    except ProviderError as exc:
        duration_ms = round((time.monotonic() - started) * 1000)
        error = redact(f"{exc.code or type(exc).__name__}: {exc}", secrets)
        ApiLog.objects.create(service=service, action=action, method=method, request=masked, status_code=status_code,
                              duration_ms=duration_ms, ok=False, error=error[:2000])
        logger.warning("%s %s failed after %s ms: %s (%s)", service, action, duration_ms, error, masked)
        raise
    duration_ms = round((time.monotonic() - started) * 1000)
    ApiLog.objects.create(service=service, action=action, method=method, request=masked, status_code=status_code,
                          duration_ms=duration_ms, ok=True)
    logger.info("%s %s answered %s in %s ms", service, action, status_code, duration_ms)
    return ProviderResponse(status_code=status_code, data=data, duration_ms=duration_ms)
