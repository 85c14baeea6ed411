import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crystalbay.settings")

app = Celery("crystalbay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
REDBEAT_SETTINGS = ("redbeat_redis_url", "redbeat_redis_options", "redbeat_key_prefix", "redbeat_lock_key",
                    "redbeat_lock_timeout")


@app.on_after_configure.connect
def _redbeat_settings(sender, source, **kwargs):
    """celery-redbeat (beat's lock, see settings) asks whether its settings are there
    by their bare names, which Django's CELERY_ prefix hides: name them so as well."""
    source.update({name: source.get(name) for name in REDBEAT_SETTINGS if source.get(name) is not None})


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

app.conf.beat_schedule = beat_schedule
