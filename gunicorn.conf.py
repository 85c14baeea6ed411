"""Production web server settings; every value can be overridden from the environment
(GUNICORN_CMD_ARGS or the variables below)."""

import datetime as dt
import json
import multiprocessing
import os
import shutil
import tempfile

from gunicorn.glogging import Logger

from integrations.masking import redact_query_secrets

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The access log as the app's own log (README "Observability"): JSON lines unless
# DEBUG or LOG_FORMAT=plain, and never a secret of the query string.
DEBUG = os.environ.get("DEBUG", "0").strip().lower() in ("1", "true", "yes", "y", "on")
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("plain" if DEBUG else "json")


class AccessLogger(Logger):
    """The webhooks are called with their secret in the query (``?token=``,
    ``hub.verify_token``): every value the access log can write — the request
    line, the query, the referrer, headers, environ — loses it first."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact_query_secrets(value) if isinstance(value, str) else value for key, value in atoms.items()}

    def access(self, resp, req, environ, request_time):
        if LOG_FORMAT != "json":
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return None
        atoms = self.atoms(resp, req, environ, request_time)
        line = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "logger": "gunicorn.access",
            "remote_addr": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": round(atoms["D"] / 1000, 1),
            "referer": atoms["f"],
            "user_agent": atoms["a"],
            "request_id": atoms.get("{x-request-id}o"),
        }
        self.access_log.info(json.dumps(line, ensure_ascii=False))
        return None


logger_class = AccessLogger

# Request metrics (django-prometheus) of every worker in one place, so /metrics from
# any worker reports them all (prometheus_client's multiprocess mode). Set
# PROMETHEUS_MULTIPROC_DIR to choose the directory; otherwise one is made per start.
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="crystalbay-metrics-")


def on_starting(server):
    # Figures of an earlier run would be counted again.
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
