import signal

from django.core.management.base import BaseCommand

from integrations.samo.fake import DEFAULT_TOKEN, FakeSamoServer


def _interrupt(*_):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = ("Run the local SAMO-Tour server (demo and test data, Kazakhstan → Vietnam). Point SAMO_API_URL at it; "
            "it is never used otherwise, and its offers are labelled as demo data.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--token", default=DEFAULT_TOKEN, help="the token it accepts (SAMO_OAUTH_TOKEN)")
        parser.add_argument("--mode", default="ok", help="ok, 401, 403, 500, method_error or empty")
        parser.add_argument("--delay-ms", type=int, default=0, help="answer every call this much later")

    def handle(self, *args, host, port, token, mode, delay_ms, **options):
        server = FakeSamoServer(host=host, port=port, token=token)
        server.state.mode, server.state.delay_ms = mode, delay_ms
        signal.signal(signal.SIGTERM, _interrupt)
        self.stdout.write(f"Local SAMO server at {server.url} (mode {mode}, delay {delay_ms} ms)\n"
                          f"  SAMO_API_URL={server.url} SAMO_OAUTH_TOKEN={token}\n"
                          f"  control: GET {server.base_url}/__fake__/stats, POST {server.base_url}/__fake__/mode")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()
