"""A local OpenAI-compatible server speaking the chat completions wire format
(``POST /v1/chat/completions``, Bearer key), told by the test how to answer:

- ``ok``: a chat completion whose content is ``reply(request_json)`` (a string);
- ``timeout``: answers only after ``delay`` seconds;
- ``malformed``: a completion whose content is not the JSON asked for;
- ``garbage``: a 200 whose body is not JSON at all;
- ``429`` (with ``Retry-After``), ``500``, ``401``: the provider's error objects.

Every request is kept (headers and JSON body) for the test to read.
"""

import json
import time
from http.server import BaseHTTPRequestHandler

import pytest

from tests.localserver import LocalHTTPServer

KEY = "sk-test-analytics-0123456789abcdef"


def completion(content: str, model: str) -> dict:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140},
    }


def error(status: int, message: str, kind: str) -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        return

    def _send(self, status: int, body: bytes, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        server = self.server.fake
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        server.requests.append({"path": self.path, "json": body,
                                "headers": {name.lower(): value for name, value in self.headers.items()}})
        if self.path != "/v1/chat/completions":
            return self._send(404, json.dumps(error(404, "Not found", "invalid_request_error")).encode())
        if self.headers.get("Authorization") != f"Bearer {KEY}" or server.mode == "401":
            return self._send(401, json.dumps(error(401, "Incorrect API key provided", "invalid_request_error"))
                              .encode())
        mode = server.mode
        if mode == "timeout":
            time.sleep(server.delay)
            mode = "ok"
        if mode == "429":
            return self._send(429, json.dumps(error(429, "Rate limit reached", "requests")).encode(),
                              {"Retry-After": "1"})
        if mode == "500":
            return self._send(500, json.dumps(error(500, "The server had an error", "server_error")).encode())
        if mode == "garbage":
            return self._send(200, b"<html>not json</html>")
        content = "Here is your summary!" if mode == "malformed" else server.reply(body)
        return self._send(200, json.dumps(completion(content, body.get("model", ""))).encode())


class FakeOpenAI(LocalHTTPServer):
    handler = _Handler

    def __init__(self):
        self.mode = "ok"
        self.delay = 0.0
        self.requests: list[dict] = []
        self.reply = lambda request: json.dumps({"summary": "Всё хорошо."})
        super().__init__()
        self.httpd.fake = self

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"


@pytest.fixture
def fake_openai(settings):
    """The local server, with the project's settings pointing at it."""
    with FakeOpenAI() as server:
        settings.OPENAI_API_KEY = KEY
        settings.OPENAI_BASE_URL = server.base_url
        settings.OPENAI_MODEL = "gpt-4o-mini"
        settings.OPENAI_TIMEOUT = 2.0
        yield server
