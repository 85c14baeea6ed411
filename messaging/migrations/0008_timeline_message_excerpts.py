"""The timeline kept a whole copy of every message's text (a 1 MB mail twice over,
and a lead card that carried it). Its entries now keep an excerpt and refer to
the message for the rest: shorten the entries written before."""

from django.db import migrations
from django.db.models.functions import Left, Length
from django.urls import reverse

# messaging.models.SHOWN_CHARS when this was written; a migration keeps its own copy.
SHOWN_CHARS = 2000


def shorten(apps, schema_editor):
    Activity = apps.get_model("crm", "Activity")
    long_entries = (Activity.objects.filter(kind="message").annotate(length=Length("text"))
                    .filter(length__gt=SHOWN_CHARS).annotate(head=Left("text", SHOWN_CHARS))
                    .defer("text").only("pk", "data"))
    for entry in long_entries.iterator(chunk_size=200):
        data = dict(entry.data or {})
        if isinstance(data.get("message"), int):
            data["full_text_url"] = reverse("messaging:message_text", args=[data["message"]])
        Activity.objects.filter(pk=entry.pk).update(text=entry.head + "…", data=data)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0006_notification_escalation"),
        ("messaging", "0007_assistant_attempts"),
    ]

    operations = [
        migrations.RunPython(shorten, migrations.RunPython.noop, elidable=True),
    ]
