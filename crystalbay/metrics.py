"""``/metrics`` for Prometheus, behind METRICS_TOKEN.

Two kinds of figures: the web process's own (requests by view, method and
status, their latency: django-prometheus's middleware; several gunicorn workers
write them to PROMETHEUS_MULTIPROC_DIR, which gunicorn.conf.py sets, and any
worker reports all of them), and the system's, read at scrape time from where
every process and machine keeps them: the Celery queues and task outcomes (the
broker's Redis), the beat heartbeat (the cache), the inbox's backlog (the
database). A source that does not answer leaves its figures out and says so in
``crystalbay_source_up``."""

import logging
import os

from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from integrations.monitoring import beat_state, metrics_token_matches, queue_lengths, task_outcomes
from messaging.selectors import message_backlog

logger = logging.getLogger(__name__)


class SystemCollector:
    def collect(self):
        up = GaugeMetricFamily("crystalbay_source_up", "Whether a source of these figures answered.",
                               labels=["source"])
        sources = (("broker", self._broker), ("cache", self._beat), ("database", self._database))
        for source, read in sources:
            try:
                families = list(read())
            except Exception as exc:
                logger.warning("metrics: %s unavailable: %s: %s", source, type(exc).__name__, exc)
                up.add_metric([source], 0)
                continue
            up.add_metric([source], 1)
            yield from families
        yield up

    def _broker(self):
        queues = GaugeMetricFamily("crystalbay_celery_queue_length", "Tasks waiting in a Celery queue.",
                                   labels=["queue"])
        for queue, length in queue_lengths().items():
            queues.add_metric([queue], length)
        outcomes = CounterMetricFamily("crystalbay_celery_tasks", "Finished Celery tasks by name and outcome.",
                                       labels=["task", "outcome"])
        for (task_name, outcome), count in sorted(task_outcomes().items()):
            outcomes.add_metric([task_name, outcome], count)
        return [queues, outcomes]

    def _beat(self):
        beat = beat_state()
        if beat.last_ran_at is None:
            return []
        return [GaugeMetricFamily("crystalbay_beat_last_run_timestamp_seconds",
                                  "When the beat heartbeat last ran (Unix time).", value=beat.last_ran_at)]

    def _database(self):
        backlog = message_backlog()
        waiting = GaugeMetricFamily("crystalbay_inbound_messages_awaiting_processing",
                                    "Incoming messages stored but not processed by a worker yet.",
                                    value=backlog.awaiting_processing)
        replies = GaugeMetricFamily("crystalbay_replies", "Replies not (yet) sent, by state.", labels=["status"])
        for status, count in backlog.replies.items():
            replies.add_metric([status], count)
        return [waiting, replies]


@never_cache
@require_GET
def metrics(request):
    """Prometheus text format for ``Authorization: Bearer <METRICS_TOKEN>``; 403 otherwise."""
    if not metrics_token_matches(request):
        return HttpResponseForbidden()
    system = CollectorRegistry(auto_describe=False)
    system.register(SystemCollector())
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    return HttpResponse(generate_latest(processes) + generate_latest(system), content_type=CONTENT_TYPE_LATEST)
