import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crystalbay.settings")

app = Celery("crystalbay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic schedule lives here, in one place; apps add theirs as they grow.
app.conf.beat_schedule = {}
