"""A local Wazzup24 v3 server for tests and demos (see ``integrations.fakes``):
``PATCH/GET /v3/webhooks`` (registering probes the URL with ``{"test": true}``
and needs a 200), ``POST /v3/message`` (a repeated ``crmMessageId`` is refused
with ``repeatedCrmMessageId``, as Wazzup does); users write with
``user_writes``, the phone's own messages come as echoes (``phone_sends``), and
statuses of sent messages follow when ``statuses=True``."""

import datetime as dt
import uuid

import requests

from integrations.fakes import Answer, Call, FakeProvider, json_body

DEFAULT_API_KEY = "local-demo-wazzup-api-key"  # noqa: S105 (the local server's own, public values)
DEFAULT_CHANNEL_ID = "b96a353b-0000-4000-8000-000000000001"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeWazzup(FakeProvider):
    name = "wazzup"

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, channel_id: str = DEFAULT_CHANNEL_ID,
                 statuses: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.api_key, self.channel_id = api_key, channel_id
        self.webhook_url = ""
        self.statuses = statuses
        self.crm_message_ids: dict[str, str] = {}

    def error_body(self, status: int):
        return {"error": {429: "tooManyRequests", 400: "validationError"}.get(status, "internalError"),
                "description": f"HTTP {status}", "data": {}}

    def api(self, call: Call) -> Answer:
        if call.headers.get("Authorization") != f"Bearer {self.api_key}":
            return Answer(401, {"error": "unauthorized", "description": "Invalid API key", "data": {}})
        body = call.json if isinstance(call.json, dict) else {}
        if call.path == "/v3/webhooks" and call.method == "GET":
            return Answer(200, {"webhooksUri": self.webhook_url,
                                "subscriptions": {"messagesAndStatuses": bool(self.webhook_url)}})
        if call.path == "/v3/webhooks" and call.method == "PATCH":
            uri = str(body.get("webhooksUri") or "")
            if len(uri) > 200:
                return Answer(400, {"error": "invalidWebhooksUri", "description": "URI longer than 200", "data": {}})
            try:
                probe = requests.post(uri, json={"test": True}, timeout=30)
            except requests.RequestException:
                probe = None
            if probe is None or probe.status_code != 200:
                return Answer(400, {"error": "webhooksUriNotAvailable",
                                    "description": "The test request did not answer 200", "data": {}})
            self.webhook_url = uri
            return Answer(200, {"ok": True})
        if call.path == "/v3/message" and call.method == "POST":
            missing = [k for k in ("channelId", "chatType", "chatId") if not body.get(k)]
            if missing or not body.get("text"):
                return Answer(400, {"error": "validationError", "description": f"missing {missing or ['text']}",
                                    "data": {}})
            crm_id = str(body.get("crmMessageId") or "")
            if crm_id and crm_id in self.crm_message_ids:
                return Answer(400, {"error": "repeatedCrmMessageId", "description": "crmMessageId was used before",
                                    "data": {"messageId": self.crm_message_ids[crm_id]}})
            message_id = str(uuid.uuid4())
            if crm_id:
                self.crm_message_ids[crm_id] = message_id
            if self.statuses and self.webhook_url:
                self._send({"statuses": [{"messageId": message_id, "timestamp": _now(), "status": "delivered"}]},
                           delay=0.2)
            return Answer(201, {"messageId": message_id, "chatId": body["chatId"]})
        return Answer(404, {"error": "notFound", "description": call.path, "data": {}})

    def _send(self, payload: dict, *, copies: int = 1, delay: float = 0.0) -> dict:
        if not self.webhook_url:
            raise RuntimeError("No webhook is set (PATCH /v3/webhooks first).")
        self.deliver(self.webhook_url, json_body(payload), {"Content-Type": "application/json"}, copies=copies,
                     delay=delay)
        return payload

    def _message(self, *, chat_id: str, text: str, name: str, chat_type: str, echo: bool) -> dict:
        return {"messageId": str(uuid.uuid4()), "dateTime": _now(), "channelId": self.channel_id,
                "chatType": chat_type, "chatId": chat_id, "type": "text", "isEcho": echo, "text": text,
                "status": "sent" if echo else "inbound", "contact": {"name": name}}

    def user_writes(self, *, chat_id: str, text: str, name: str = "Айгуль", chat_type: str = "whatsapp",
                    copies: int = 1) -> dict:
        return self._send({"messages": [self._message(chat_id=chat_id, text=text, name=name, chat_type=chat_type,
                                                      echo=False)]}, copies=copies)

    def phone_sends(self, *, chat_id: str, text: str, name: str = "Айгуль", chat_type: str = "whatsapp") -> dict:
        """A message the agency wrote on its phone: Wazzup reports it as an echo."""
        return self._send({"messages": [self._message(chat_id=chat_id, text=text, name=name, chat_type=chat_type,
                                                      echo=True)]})

    def control(self, call: Call) -> Answer | None:
        if call.path == "/__fake__/inbound" and call.method == "POST":
            body = call.json or {}
            return Answer(200, self.user_writes(chat_id=str(body.get("chat_id", "77011234567")),
                                                text=str(body.get("text", "")), name=str(body.get("name", "Айгуль"))))
        return None
