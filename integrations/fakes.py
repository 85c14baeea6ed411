"""The common part of the local provider servers (Telegram, Meta's WhatsApp Cloud
API, Wazzup24, SendGrid) used by the tests and for local demos: an HTTP server in
a thread that records every API call it receives, answers with failures on
demand, and delivers webhooks like the real providers do — again and again
until our server answers 2xx.

Each provider's ``fake.py`` adds its API routes and how its webhooks are made.
Control over HTTP (for a server run by ``manage.py messaging_fake_server``):
``GET /__fake__/calls``, ``GET /__fake__/deliveries``, ``POST /__fake__/fail``
``{"status": 500, "times": 2}``, ``POST /__fake__/reset``, and each provider's
own ``POST /__fake__/inbound`` to make a user write.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any


@dataclass
class Delivery:
    """One webhook the provider sends until it is accepted."""

    body: bytes
    headers: dict[str, str]
    url: str
    attempts: list[int | str] = field(default_factory=list)
    accepted: bool = False
    not_before: float = 0.0


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeProvider:
    """Subclasses implement ``api(call) -> Answer`` and use ``deliver`` for webhooks."""

    name = "provider"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, retry_interval: float = 0.5,
                 max_attempts: int = 50):
        self.retry_interval = retry_interval
        self.max_attempts = max_attempts
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.deliveries: list[Delivery] = []
        self.failures: list[Answer] = []
        self.delay = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.httpd = ThreadingHTTPServer((host, port), _handler(self))
        self.httpd.daemon_threads = True

    # --- serving -------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self) -> None:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        threading.Thread(target=self._deliver_loop, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def api(self, call: Call) -> Answer:
        raise NotImplementedError

    def control(self, call: Call) -> Answer | None:
        """Provider-specific control routes under /__fake__/ (None: not one of them)."""
        return None

    def handle(self, call: Call) -> Answer:
        if call.path.startswith("/__fake__/"):
            return self._control(call)
        with self.lock:
            self.calls.append(call)
            failure = self.failures.pop(0) if self.failures else None
        if self.delay:
            time.sleep(self.delay)
        return failure or self.api(call)

    def _control(self, call: Call) -> Answer:
        action = call.path.removeprefix("/__fake__/")
        if action == "calls":
            return Answer(200, [vars(c) for c in self.api_calls()])
        if action == "deliveries":
            return Answer(200, [{"url": d.url, "attempts": d.attempts, "accepted": d.accepted,
                                 "body": d.body.decode(errors="replace")} for d in self.deliveries])
        if action == "fail" and call.method == "POST":
            body = call.json or {}
            self.fail(int(body.get("status", 500)), times=int(body.get("times", 1)), body=body.get("body"))
            return Answer(200, {"ok": True})
        if action == "delay" and call.method == "POST":
            self.delay = float((call.json or {}).get("seconds", 0))
            return Answer(200, {"ok": True})
        if action == "reset" and call.method == "POST":
            self.reset()
            return Answer(200, {"ok": True})
        return self.control(call) or Answer(404, {"error": "unknown control route"})

    # --- what tests use ----------------------------------------------------------------

    def api_calls(self, suffix: str = "") -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.path.endswith(suffix)]

    def fail(self, status: int, *, times: int = 1, body: Any = None) -> None:
        """Answer the next ``times`` API calls with ``status`` (and this body, or the provider's usual error)."""
        with self.lock:
            self.failures.extend(Answer(status, body if body is not None else self.error_body(status))
                                 for _ in range(times))

    def error_body(self, status: int) -> Any:
        return {"error": f"HTTP {status}"}

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.failures.clear()
            self.deliveries.clear()
            self.delay = 0.0

    # --- webhooks ------------------------------------------------------------------

    def deliver(self, url: str, body: bytes, headers: dict[str, str], *, copies: int = 1,
                delay: float = 0.0) -> Delivery:
        """Queue a webhook (sent after ``delay`` seconds); ``copies`` > 1 sends the
        very same delivery again, as providers do when an answer is slow or lost."""
        not_before = time.monotonic() + delay
        delivery = Delivery(body=body, headers=headers, url=url, not_before=not_before)
        with self.lock:
            self.deliveries.append(delivery)
            for _ in range(copies - 1):
                self.deliveries.append(Delivery(body=body, headers=headers, url=url, not_before=not_before))
        self._wake.set()
        return delivery

    def wait_delivered(self, timeout: float = 10) -> None:
        """Wait until every queued webhook was accepted (or given up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(d.accepted or len(d.attempts) >= self.max_attempts for d in self.deliveries):
                    return
            time.sleep(0.05)
        raise TimeoutError("webhooks not accepted in time: " + repr([d.attempts for d in self.deliveries]))

    def post_now(self, url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
        return requests.post(url, data=body, headers=headers, timeout=30)

    def _deliver_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(min(self.retry_interval, 0.2))
            self._wake.clear()
            with self.lock:
                now = time.monotonic()
                due = [d for d in self.deliveries
                       if not d.accepted and len(d.attempts) < self.max_attempts and d.not_before <= now]
            for delivery in due:
                try:
                    status = self.post_now(delivery.url, delivery.body, delivery.headers).status_code
                except requests.RequestException as exc:
                    status = type(exc).__name__
                with self.lock:
                    delivery.attempts.append(status)
                    delivery.accepted = isinstance(status, int) and 200 <= status < 300


def json_body(payload: Any, *, ascii_only: bool = False) -> bytes:
    return json.dumps(payload, ensure_ascii=ascii_only).encode()


def _handler(provider: FakeProvider):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format, *args):
            return

        def _serve(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = raw.decode(errors="replace")
            call = Call(method=self.command, path=parts.path, query=dict(parse_qsl(parts.query)),
                        headers=dict(self.headers.items()), json=data)
            answer = provider.handle(call)
            body = b"" if answer.body is None else (
                answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode())
            self.send_response(answer.status)
            headers = {"Content-Type": "application/json", **answer.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler
