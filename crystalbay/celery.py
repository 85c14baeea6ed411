import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crystalbay.settings")

app = Celery("crystalbay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic schedule lives here, in one place; apps add theirs as they grow.
app.conf.beat_schedule = {
    # crm: reminders of tasks falling due, and SLA breaches (both idempotent).
    "crm-task-reminders": {"task": "crm.tasks.send_task_reminders", "schedule": 60.0},
    "crm-sla-breaches": {"task": "crm.tasks.record_sla_breaches", "schedule": 300.0},
}
