"""A local Cloudflare Turnstile siteverify: ``POST /turnstile/v0/siteverify`` with
``secret``, ``response``, ``remoteip``, ``idempotency_key`` (form-encoded or
JSON), answering as Cloudflare does. Known tokens pass once; a token checked
again answers ``timeout-or-duplicate`` unless the check carries the same
idempotency key; a wrong secret answers ``invalid-input-secret``."""

import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import pytest

from tests.localserver import LocalHTTPServer

SECRET = "0x4AAAAAAAlocal-test-secret-000000000000"
PASSING_TOKEN_PREFIX = "XXXX.DUMMY.TOKEN.PASS"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        return

    def _answer(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        state = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            fields = json.loads(raw or "{}")
        else:
            fields = {key: values[0] for key, values in parse_qs(raw).items()}
        state["requests"].append(fields)
        if self.path != "/turnstile/v0/siteverify":
            return self._answer(404, {"success": False, "error-codes": ["bad-request"]})
        if state["mode"] == "500":
            return self._answer(500, {"success": False, "error-codes": ["internal-error"]})
        if not fields.get("secret"):
            return self._answer(200, {"success": False, "error-codes": ["missing-input-secret"]})
        if fields["secret"] != SECRET:
            return self._answer(200, {"success": False, "error-codes": ["invalid-input-secret"]})
        token = fields.get("response") or ""
        if not token:
            return self._answer(200, {"success": False, "error-codes": ["missing-input-response"]})
        if not token.startswith(PASSING_TOKEN_PREFIX):
            return self._answer(200, {"success": False, "error-codes": ["invalid-input-response"]})
        earlier = state["spent"].get(token)
        if earlier is not None and (not earlier or earlier != fields.get("idempotency_key")):
            return self._answer(200, {"success": False, "error-codes": ["timeout-or-duplicate"]})
        state["spent"][token] = fields.get("idempotency_key") or ""
        return self._answer(200, {"success": True, "challenge_ts": "2026-11-21T06:00:00.000Z",
                                  "hostname": "crystalbay.kz", "error-codes": [], "action": "booking", "cdata": ""})


class FakeTurnstile(LocalHTTPServer):
    handler = _Handler

    def __init__(self):
        super().__init__()
        self.httpd.state = {"requests": [], "spent": {}, "mode": "ok"}

    @property
    def state(self) -> dict:
        return self.httpd.state


@pytest.fixture
def fake_turnstile(settings):
    """Turnstile switched on and pointed at the local siteverify."""
    with FakeTurnstile() as server:
        settings.TURNSTILE_SECRET_KEY = SECRET
        settings.TURNSTILE_API_URL = server.url
        yield server
