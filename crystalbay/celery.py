import contextvars
import os

from celery import Celery, Task
from celery.schedules import crontab
from celery.signals import task_failure, task_prerun, task_retry, task_success
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crystalbay.settings")

# The message header that carries the request id into a task (settings.REQUEST_ID_HEADER;
# this module is imported while the settings are still being read).
REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdTask(Task):
    """django-guid hands the request id to a queued task in its message headers and
    clears it when the task ends. A task run in-process (eagerly: no broker, or in
    tests) gets the id in the same header, and runs in a copy of the caller's
    context, so the caller's own log lines keep their id afterwards."""

    def apply(self, args=None, kwargs=None, **options):
        from django_guid import get_guid

        request_id = get_guid()
        if request_id:
            options["headers"] = {**(options.get("headers") or {}), REQUEST_ID_HEADER: request_id}
        return contextvars.copy_context().run(super().apply, args, kwargs, **options)


app = Celery("crystalbay", task_cls=RequestIdTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
REDBEAT_SETTINGS = ("redbeat_redis_url", "redbeat_redis_options", "redbeat_key_prefix", "redbeat_lock_key",
                    "redbeat_lock_timeout")


@app.on_after_configure.connect
def _settings_configured(sender, source, **kwargs):
    """celery-redbeat (beat's lock, see settings) asks whether its settings are there
    by their bare names, which Django's CELERY_ prefix hides: name them so as well.
    The replies sweep takes its interval from the settings, readable only now."""
    source.update({name: source.get(name) for name in REDBEAT_SETTINGS if source.get(name) is not None})
    beat_schedule["messaging-replies-sweep"]["schedule"] = float(settings.MESSAGING_SEND_SWEEP_SECONDS)


# Every periodic schedule lives here, in one place; apps add theirs as they grow. Built
# apart and handed over at the end: reading app.conf here would load the settings while
# a settings module that imports crystalbay.settings is still being imported.
beat_schedule = {
    # crm: reminders of tasks falling due, and SLA breaches (both idempotent).
    "crm-task-reminders": {"task": "crm.tasks.send_task_reminders", "schedule": 60.0},
    "crm-sla-breaches": {"task": "crm.tasks.record_sla_breaches", "schedule": 300.0},
}

# tours: SAMO reference data every three hours (fresh for six), the default price searches hourly.
beat_schedule.update({
    "tours-samo-preload": {"task": "tours.samo_preload", "schedule": crontab(minute=7, hour="*/3")},
    "tours-samo-preload-prices": {"task": "tours.samo_preload", "schedule": crontab(minute=37),
                                  "kwargs": {"prices": True}},
})

# messaging: process inbound messages whose hand-over to the worker was lost (idempotent).
beat_schedule["messaging-inbound-drain"] = {"task": "messaging.inbound_drain", "schedule": 300.0}
beat_schedule["messaging-assist-sweep"] = {"task": "messaging.assist_sweep", "schedule": 300.0}

# integrations: the nightly backup of the database and the uploaded files, keeping the newest BACKUP_KEEP.
beat_schedule["integrations-backup-nightly"] = {
    "task": "integrations.backup_nightly", "schedule": crontab(minute=30, hour=2),
}


@task_prerun.connect
def _eager_task_takes_its_request_id(task=None, **kwargs):
    """A worker reads a message's headers into the task's request; an in-process
    run keeps them apart, where django-guid would not look. Whichever of the two
    handlers runs first, the task logs under the id it was given."""
    request = task.request
    request_id = request.is_eager and (request.headers or {}).get(REQUEST_ID_HEADER)
    if request_id:
        from django_guid import set_guid

        request.update({REQUEST_ID_HEADER: request_id})
        set_guid(request_id)


# Outcomes of tasks by name, counted in Redis for /metrics (every worker process adds to one figure).
def _count_outcome(outcome: str):
    def receiver(sender=None, **kwargs):
        from integrations.monitoring import task_outcome_record

        task_outcome_record(task_name=getattr(sender, "name", str(sender)), outcome=outcome)

    return receiver


for _signal, _outcome in ((task_success, "success"), (task_failure, "failure"), (task_retry, "retry")):
    _signal.connect(_count_outcome(_outcome), weak=False)


@app.task(name="crystalbay.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    """Queued by beat every minute: /health says when it last ran."""
    from integrations.monitoring import beat_heartbeat_record

    beat_heartbeat_record()


beat_schedule["crystalbay-beat-heartbeat"] = {"task": "crystalbay.beat_heartbeat", "schedule": 60.0}
# Retention: API log rows and raw provider payloads older than their settings' days, nightly, in batches.
beat_schedule.update({
    "integrations-api-log-prune": {"task": "integrations.api_log_prune", "schedule": crontab(minute=23, hour=3)},
    "messaging-raw-payloads-clear": {"task": "messaging.raw_payloads_clear", "schedule": crontab(minute=43, hour=3)},
})
# messaging: send the replies whose hand-over to the worker failed (Redis was down) or was lost.
# (every MESSAGING_SEND_SWEEP_SECONDS: set once the settings are read, in _settings_configured).
beat_schedule["messaging-replies-sweep"] = {"task": "messaging.replies_sweep", "schedule": 60.0}

app.conf.beat_schedule = beat_schedule
