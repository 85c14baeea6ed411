"""The one function every call to an OpenAI-compatible model passes through:
``openai_request``.

It uses the official ``openai`` client with ``OPENAI_BASE_URL`` (any
compatible server), applies the timeout, turns every failure into its own
``OpenAIError`` (transient ones say so; when to try again is the caller's
choice, so the client's own retries are off), checks that a JSON answer is
JSON, and writes one ``ApiLog`` row per call with the key masked and the
duration.
"""

import functools
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import openai
from django.conf import settings

from integrations.masking import mask_secret
from integrations.models import ApiLog
from integrations.openai import errors
from integrations.registry import redact

logger = logging.getLogger(__name__)

SERVICE = "openai"


@dataclass(frozen=True)
class OpenAIResponse:
    content: str
    model: str
    duration_ms: int
    data: dict[str, Any] | None = None  # the parsed answer, when a JSON schema was asked for
    usage: dict[str, Any] = field(default_factory=dict)


def configured() -> bool:
    return bool(settings.OPENAI_API_KEY and settings.OPENAI_MODEL)


@functools.lru_cache(maxsize=4)
def _client(api_key: str, base_url: str) -> openai.OpenAI:
    # One client (one connection pool) per key and server, shared by threads.
    return openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0)


def _retry_after(response) -> float | None:
    try:
        return float(response.headers.get("retry-after"))
    except (TypeError, ValueError):
        return None


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        body = body.get("error", body)
        if isinstance(body, dict):
            body = body.get("message") or body.get("code") or json.dumps(body)[:300]
    return str(body or exc.message)[:300]


def _send(client: openai.OpenAI, request: dict, timeout: float):
    try:
        return client.chat.completions.create(**request, timeout=timeout)
    except openai.APITimeoutError as exc:
        raise errors.OpenAITimeout(timeout) from exc
    except openai.APIConnectionError as exc:
        raise errors.OpenAIUnavailable(type(exc.__cause__).__name__ if exc.__cause__ else "connection failed") from exc
    except openai.RateLimitError as exc:
        raise errors.OpenAIRateLimited(_retry_after(exc.response)) from exc
    except openai.APIStatusError as exc:
        if exc.status_code >= 500 or exc.status_code in (408, 409):
            raise errors.OpenAIServerError(exc.status_code) from exc
        raise errors.OpenAIRejected(exc.status_code, _detail(exc)) from exc
    except (openai.APIResponseValidationError, ValueError) as exc:
        # A 200 whose body is not a chat completion (or not JSON at all).
        raise errors.OpenAIBadResponse("not a chat completion") from exc


def _answer(completion, json_schema: dict | None) -> tuple[str, dict | None]:
    """The text of the first choice, and its JSON when a schema was asked for."""
    choices = getattr(completion, "choices", None)
    if not choices:
        raise errors.OpenAIBadResponse("no choices")
    message = choices[0].message
    if getattr(message, "refusal", None):
        raise errors.OpenAIBadResponse(f"refused: {message.refusal}"[:300])
    content = (message.content or "").strip()
    if not content:
        raise errors.OpenAIBadResponse("empty answer")
    if json_schema is None:
        return content, None
    try:
        data = json.loads(content)
    except ValueError:
        raise errors.OpenAIBadResponse("the answer is not JSON") from None
    missing = [name for name in json_schema.get("required", ()) if not isinstance(data, dict) or name not in data]
    if missing:
        raise errors.OpenAIBadResponse(f"the answer lacks {', '.join(missing)}")
    return content, data


def openai_request(*, action: str, messages: list[dict[str, str]], json_schema: dict | None = None,
                   schema_name: str = "answer", model: str | None = None, timeout: float | None = None,
                   temperature: float | None = None) -> OpenAIResponse:
    """Ask the configured model one chat completion; with ``json_schema``, a
    strict structured answer, parsed. Raises an ``OpenAIError``; logs every call."""
    if not configured():
        raise errors.OpenAINotConfigured()
    api_key, base_url = settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL.rstrip("/")
    model = model or settings.OPENAI_MODEL
    timeout = timeout or settings.OPENAI_TIMEOUT
    request: dict[str, Any] = {"model": model, "messages": messages}
    if json_schema is not None:
        request["response_format"] = {
            "type": "json_schema", "json_schema": {"name": schema_name, "strict": True, "schema": json_schema},
        }
    if temperature is not None:
        request["temperature"] = temperature
    described = f"{base_url}/chat/completions model={model} key={mask_secret(api_key)}"
    started = time.monotonic()
    try:
        completion = _send(_client(api_key, base_url), request, timeout)
        content, data = _answer(completion, json_schema)
    except errors.OpenAIError as exc:
        duration_ms = round((time.monotonic() - started) * 1000)
        ApiLog.objects.create(
            service=SERVICE, action=action, method="POST", request=described, status_code=exc.status_code,
            duration_ms=duration_ms, ok=False, error=redact(f"{type(exc).__name__}: {exc}", (api_key,)),
        )
        logger.warning("OpenAI %s failed after %s ms: %s", action, duration_ms, type(exc).__name__)
        raise
    duration_ms = round((time.monotonic() - started) * 1000)
    ApiLog.objects.create(service=SERVICE, action=action, method="POST", request=described, status_code=200,
                          duration_ms=duration_ms, ok=True)
    logger.info("OpenAI %s answered in %s ms", action, duration_ms)
    usage = completion.usage.model_dump() if getattr(completion, "usage", None) else {}
    return OpenAIResponse(content=content, model=completion.model or model, duration_ms=duration_ms, data=data,
                          usage=usage)
