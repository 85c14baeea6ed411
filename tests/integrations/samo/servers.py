"""Local servers for SAMO tests: the fake SAMO (``integrations.samo.fake``) and a
small HTTP forward proxy that records what passes through it."""

from http.server import BaseHTTPRequestHandler

import pytest
import requests

from integrations.samo.fake import DEFAULT_TOKEN, FakeSamoServer
from tests.localserver import LocalHTTPServer

RELAYED_HEADERS = ("Content-Type", "WWW-Authenticate", "X-Samo-Demo")


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        return

    def do_GET(self):
        # A forward proxy receives the absolute URL in the request line.
        self.server.seen.append(self.path)
        upstream = requests.get(self.path, timeout=10)
        body = upstream.content
        self.send_response(upstream.status_code)
        for name in RELAYED_HEADERS:
            if name in upstream.headers:
                self.send_header(name, upstream.headers[name])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class RecordingProxy(LocalHTTPServer):
    handler = _ProxyHandler

    def __init__(self):
        super().__init__()
        self.httpd.seen = []

    @property
    def seen(self) -> list[str]:
        return self.httpd.seen


@pytest.fixture
def fake_samo(settings):
    """The local SAMO server, with the project configured to use it (no proxy, quick retries)."""
    with FakeSamoServer() as server:
        settings.SAMO_API_URL = server.url
        settings.SAMO_OAUTH_TOKEN = DEFAULT_TOKEN
        settings.SAMO_PROXY_URL = ""
        settings.SAMO_RETRY_BACKOFF = 0.01
        settings.SAMO_READ_TIMEOUT = 5
        yield server


@pytest.fixture
def samo_proxy():
    with RecordingProxy() as proxy:
        yield proxy
