"""Errors go to Sentry when SENTRY_DSN is set, without the secrets of the request:
a local server stands in for Sentry and records what the SDK sends."""

import gzip
import json
from http.server import BaseHTTPRequestHandler

import pytest
import requests
import sentry_sdk
from django.urls import path

from crystalbay.sentry import sentry_init
from tests.localserver import LocalHTTPServer

COOKIE_SECRET = "session-cookie-value-7f3a9c"  # noqa: S105
AUTHORIZATION_SECRET = "bearer-value-2b8e41d0"  # noqa: S105
URL_SECRET = "url-token-value-c4d5e6f7"  # noqa: S105


class Boom(RuntimeError):
    pass


def failing_view(request):
    raise Boom(f"the view failed on {request.get_full_path()}")


urlpatterns = [path("boom/", failing_view)]


class FakeSentry(LocalHTTPServer):
    """Takes envelopes (POST /api/<project>/envelope/) and keeps their decoded bodies."""

    class handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "br":
                import brotli

                body = brotli.decompress(body)
            self.server.envelopes.append((self.path, body.decode()))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    def __init__(self):
        super().__init__()
        self.httpd.envelopes = []

    @property
    def envelopes(self) -> list[tuple[str, str]]:
        return self.httpd.envelopes


@pytest.fixture
def fake_sentry():
    with FakeSentry() as server:
        host = server.url.removeprefix("http://")
        sentry_init(dsn=f"http://public-key@{host}/42", environment="staging", release="crm@1.2.3",
                    traces_sample_rate=0.0)
        try:
            yield server
        finally:
            sentry_sdk.get_client().close()
            sentry_sdk.init()


# Served by a real WSGI server (Django's live server thread), as gunicorn serves it:
# the SDK reads the request from the WSGI environ there.
@pytest.mark.urls(__name__)
def test_an_unhandled_error_in_a_view_reaches_sentry_without_the_requests_secrets(live_server, fake_sentry):
    response = requests.get(f"{live_server.url}/boom/?token={URL_SECRET}&page=2", timeout=10,
                            cookies={"sessionid": COOKIE_SECRET},
                            headers={"Authorization": f"Bearer {AUTHORIZATION_SECRET}"})
    sentry_sdk.flush(timeout=5)

    assert response.status_code == 500
    assert {path for path, _body in fake_sentry.envelopes} == {"/api/42/envelope/"}
    sent = "\n".join(body for _path, body in fake_sentry.envelopes)
    for secret in (COOKIE_SECRET, AUTHORIZATION_SECRET, URL_SECRET):
        assert secret not in sent
    event = next(json.loads(line) for line in sent.splitlines() if '"exception"' in line)
    assert event["exception"]["values"][-1]["type"] == "Boom"
    assert event["exception"]["values"][-1]["value"] == "the view failed on /boom/?token=***&page=2"
    assert (event["environment"], event["release"]) == ("staging", "crm@1.2.3")
    assert event["request"]["query_string"] == "token=***&page=2"
    assert event["tags"]["request_id"] == response.headers["X-Request-ID"]
    assert event["request"]["headers"]["Authorization"] == "[Filtered]"
    assert "user" not in event or "ip_address" not in event["user"]
