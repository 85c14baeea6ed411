"""Covering indexes for analytics (``analytics/selectors``): the leads, orders
and clients of a period read from the index alone, without table pages; a
client's orders in date order (their first order not cancelled, repeat
clients); and orders in lead order beside the leads' channel, so that an
order's channel (its lead's source) is a merge of two indexes."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0004_merge_suggestions"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["created_at"], include=["id"], name="client_analytics_idx"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                fields=["created_at"],
                include=["id", "pipeline", "stage", "source", "assignee", "destination_resort"],
                name="lead_analytics_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["id"], include=["source"], name="lead_channel_idx"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["created_at"],
                include=["id", "status", "price_kzt", "cost_kzt", "client", "assignee", "lead", "destination_resort"],
                name="order_analytics_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["client", "created_at"], include=["id", "status", "price_kzt"], name="order_client_history_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["lead", "created_at"],
                include=["id", "status", "price_kzt", "cost_kzt", "client", "assignee", "destination_resort"],
                name="order_lead_analytics_idx",
            ),
        ),
    ]
