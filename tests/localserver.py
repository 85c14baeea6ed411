"""The part every small local stand-in of a provider shares: a threaded HTTP
server on a free localhost port, run in a thread while the ``with`` block lasts."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalHTTPServer:
    """Subclasses name their request ``handler``; the handler reaches the
    subclass's state through ``self.server`` (the ``httpd`` below)."""

    handler: type[BaseHTTPRequestHandler]

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
