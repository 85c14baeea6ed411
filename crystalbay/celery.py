import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crystalbay.settings")

app = Celery("crystalbay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# celery-redbeat (beat's lock, see settings) asks for its settings by their bare names,
# which Django's CELERY_ prefix hides from it: give it them under those names as well.
app.conf.update({name.removeprefix("CELERY_").lower(): value for name, value in app.conf.items()
                 if name.startswith("CELERY_REDBEAT_")})

# Every periodic schedule lives here, in one place; apps add theirs as they grow.
app.conf.beat_schedule = {
    # crm: reminders of tasks falling due, and SLA breaches (both idempotent).
    "crm-task-reminders": {"task": "crm.tasks.send_task_reminders", "schedule": 60.0},
    "crm-sla-breaches": {"task": "crm.tasks.record_sla_breaches", "schedule": 300.0},
}

# tours: SAMO reference data every three hours (fresh for six), the default price searches hourly.
app.conf.beat_schedule.update({
    "tours-samo-preload": {"task": "tours.samo_preload", "schedule": crontab(minute=7, hour="*/3")},
    "tours-samo-preload-prices": {"task": "tours.samo_preload", "schedule": crontab(minute=37),
                                  "kwargs": {"prices": True}},
})

# messaging: process inbound messages whose hand-over to the worker was lost (idempotent).
app.conf.beat_schedule["messaging-inbound-drain"] = {"task": "messaging.inbound_drain", "schedule": 300.0}
app.conf.beat_schedule["messaging-assist-sweep"] = {"task": "messaging.assist_sweep", "schedule": 300.0}
