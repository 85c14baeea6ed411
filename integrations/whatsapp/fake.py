"""A local Meta Graph server for WhatsApp Cloud API tests and demos (see
``integrations.fakes``): ``POST /<version>/<phone-number-id>/messages`` with the
bearer token; users "write" with ``user_writes``, and the event is delivered
signed (``X-Hub-Signature-256``) to the webhook until it is accepted. Sent
messages can be followed by delivery receipts (``receipts=True``)."""

import hashlib
import hmac
import itertools
import time
import uuid

import requests

from integrations.fakes import Answer, Call, FakeProvider, json_body

DEFAULT_TOKEN = "EAAG-local-demo-access-token"  # noqa: S105 (the local server's own, public values)
DEFAULT_APP_SECRET = "local-demo-app-secret"  # noqa: S105
DEFAULT_PHONE_NUMBER_ID = "106540352242922"


class FakeWhatsApp(FakeProvider):
    name = "whatsapp"

    def __init__(self, *, token: str = DEFAULT_TOKEN, app_secret: str = DEFAULT_APP_SECRET,
                 phone_number_id: str = DEFAULT_PHONE_NUMBER_ID, webhook_url: str = "", receipts: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        self.token, self.app_secret, self.phone_number_id = token, app_secret, phone_number_id
        self.webhook_url = webhook_url
        self.receipts = receipts
        self._ids = itertools.count(1)

    def error_body(self, status: int):
        code, message = {400: (100, "(#100) Invalid parameter"), 401: (190, "Invalid OAuth access token."),
                         429: (130429, "(#130429) Rate limit hit")}.get(status, (1, "An unknown error occurred"))
        return {"error": {"message": message, "type": "OAuthException", "code": code,
                          "fbtrace_id": uuid.uuid4().hex[:20]}}

    def api(self, call: Call) -> Answer:
        if call.headers.get("Authorization") != f"Bearer {self.token}":
            return Answer(401, self.error_body(401))
        if call.method != "POST" or not call.path.endswith(f"/{self.phone_number_id}/messages"):
            return Answer(400, {"error": {"message": "Unsupported post request", "type": "GraphMethodException",
                                          "code": 100}})
        body = call.json if isinstance(call.json, dict) else {}
        text = ((body.get("text") or {}).get("body") or "") if body.get("type") == "text" else ""
        if body.get("messaging_product") != "whatsapp" or not body.get("to") or not text or len(text) > 4096:
            return Answer(400, self.error_body(400))
        wa_id = str(body["to"]).lstrip("+")
        wamid = f"wamid.LOCAL{next(self._ids):08d}"
        if self.receipts and self.webhook_url:
            for number, status in enumerate(("sent", "delivered"), start=1):
                self._deliver_event({"statuses": [{"id": wamid, "status": status, "timestamp": str(int(time.time())),
                                                   "recipient_id": wa_id}]}, delay=0.2 * number)
        return Answer(200, {"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": wa_id}],
                            "messages": [{"id": wamid}]})

    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    def _deliver_event(self, value: dict, *, copies: int = 1, delay: float = 0.0) -> dict:
        event = {"object": "whatsapp_business_account", "entry": [{"id": "WABA-LOCAL", "changes": [{
            "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "77010000000", "phone_number_id": self.phone_number_id},
                **value}}]}]}
        body = json_body(event, ascii_only=True)  # Meta escapes non-ASCII as \uXXXX
        self.deliver(self.webhook_url, body, {"Content-Type": "application/json", "X-Hub-Signature-256": self.sign(body)},
                     copies=copies, delay=delay)
        return event

    def user_writes(self, *, wa_id: str, text: str, name: str = "Данияр", copies: int = 1) -> dict:
        return self._deliver_event({
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": f"wamid.IN{uuid.uuid4().hex[:24]}", "timestamp": str(int(time.time())),
                          "type": "text", "text": {"body": text}}],
        }, copies=copies)

    def verify(self, verify_token: str, challenge: str = "1158201444") -> requests.Response:
        """Meta's subscription check: GET with hub.mode, hub.challenge and hub.verify_token."""
        return requests.get(self.webhook_url, timeout=10, params={
            "hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token})

    def control(self, call: Call) -> Answer | None:
        if call.path == "/__fake__/inbound" and call.method == "POST":
            body = call.json or {}
            return Answer(200, self.user_writes(wa_id=str(body.get("wa_id", "77011234567")),
                                                text=str(body.get("text", "")), name=str(body.get("name", "Данияр"))))
        return None
