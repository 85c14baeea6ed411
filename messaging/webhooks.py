"""Provider webhooks. Each one checks the provider's secret in constant time
(403 and nothing stored when it is wrong or missing), reads the payload with the
provider's parser (400, logged, nothing stored when it cannot), stores each
message with ``message_receive`` and applies each receipt — then answers 200.
Everything slower happens in the worker. What a delivery holds is cleaned once,
as it is read (``integrations.text``): a NUL or a lone surrogate in a name or a
text is dropped or replaced, and the message is kept."""

import hmac
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from integrations.email.inbound import parse_inbound
from integrations.messages import PayloadError
from integrations.telegram.inbound import parse_update
from integrations.text import data_clean, json_clean
from integrations.wazzup.inbound import is_probe, parse_webhook
from integrations.whatsapp.client import signature_valid
from integrations.whatsapp.inbound import parse_event
from messaging.services.inbound import message_receive, status_update

logger = logging.getLogger(__name__)
OK = {"ok": True}


def _secret_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an unset secret matches nothing."""
    return bool(expected) and hmac.compare_digest((given or "").encode(), expected.encode())


def _refuse(provider: str, request) -> HttpResponse:
    logger.warning("%s webhook: refused a delivery with a wrong or missing secret from %s", provider,
                   request.META.get("REMOTE_ADDR", "?"))
    return HttpResponseForbidden("forbidden")


def _malformed(provider: str, exc: Exception) -> HttpResponse:
    logger.warning("%s webhook: malformed delivery refused: %s", provider, exc)
    return HttpResponseBadRequest(f"malformed: {exc}"[:300])


def _json_body(request) -> tuple:
    """(the delivery's data, its JSON text to store), both cleaned."""
    try:
        return json_clean(request.body)
    except ValueError as exc:
        raise PayloadError(f"not JSON ({exc.__class__.__name__})") from exc


@csrf_exempt
@require_POST
def telegram(request):
    if not _secret_matches(request.headers.get("X-Telegram-Bot-Api-Secret-Token"), settings.TELEGRAM_WEBHOOK_SECRET):
        return _refuse("telegram", request)
    try:
        payload, raw_json = _json_body(request)
        messages = parse_update(payload)
    except PayloadError as exc:
        return _malformed("telegram", exc)
    if len(messages) == 1:
        message_receive(inbound=messages[0], raw_json=raw_json)
    return JsonResponse(OK)


def _receive_json(provider: str, request, parse) -> HttpResponse:
    """Parse a JSON delivery into messages and receipts and store them all, or none."""
    try:
        payload, raw_json = _json_body(request)
        if provider == "wazzup" and is_probe(payload):
            return JsonResponse(OK)
        messages, statuses = parse(payload)
    except PayloadError as exc:
        return _malformed(provider, exc)
    with transaction.atomic():
        for inbound in messages:
            message_receive(inbound=inbound, raw_json=raw_json)
        for update in statuses:
            status_update(update=update)
    return JsonResponse(OK)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp(request):
    if request.method == "GET":
        if request.GET.get("hub.mode") == "subscribe" and _secret_matches(request.GET.get("hub.verify_token"),
                                                                          settings.WHATSAPP_VERIFY_TOKEN):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return _refuse("whatsapp", request)
    if not signature_valid(request.body, request.headers.get("X-Hub-Signature-256", "")):
        return _refuse("whatsapp", request)
    return _receive_json("whatsapp", request, parse_event)


@csrf_exempt
@require_POST
def wazzup(request):
    if not _secret_matches(request.GET.get("token"), settings.WAZZUP_WEBHOOK_TOKEN):
        return _refuse("wazzup", request)
    return _receive_json("wazzup", request, parse_webhook)


def _too_large(provider: str, size: str) -> HttpResponse:
    logger.warning("%s webhook: refused a delivery of %s bytes of text (more than the limit)", provider, size)
    return HttpResponse("too large", status=413, content_type="text/plain")


@csrf_exempt
@require_POST
def email(request):
    """SendGrid's Inbound Parse. The mail's text fields (text, HTML, headers; in raw
    mode the whole MIME message) may take at most ``INBOUND_EMAIL_MAX_BYTES``: a
    larger delivery is refused with 413 and nothing is stored. Attached files do not
    count: they are dropped (only their names and types are kept)."""
    if not _secret_matches(request.GET.get("token"), settings.INBOUND_EMAIL_SECRET):
        return _refuse("email", request)
    try:
        form = data_clean({key: request.POST.get(key, "") for key in request.POST})
    except RequestDataTooBig:  # over Django's DATA_UPLOAD_MAX_MEMORY_SIZE, before ours
        return _too_large("email", request.headers.get("Content-Length", "?"))
    size = sum(len(key.encode()) + len(value.encode()) for key, value in form.items())
    if size > settings.INBOUND_EMAIL_MAX_BYTES:
        return _too_large("email", str(size))
    try:
        inbound = parse_inbound(form)
    except PayloadError as exc:
        return _malformed("email", exc)
    message_receive(inbound=inbound)
    return JsonResponse(OK)
