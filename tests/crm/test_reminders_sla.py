"""Task reminders and SLA breaches: once each however often the jobs run, in-app
and by mail; the lead services' position rules."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm import services
from crm.models import Activity, Lead, Notification, SlaBreach
from crm.services.leads import COLUMN_STEP
from crm.tasks import record_sla_breaches, send_task_reminders
from tests.crm.factories import LeadFactory, NotificationFactory, TaskFactory, default_stage

pytestmark = pytest.mark.django_db


def test_a_task_falling_due_is_reminded_once_in_app_and_by_mail(agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    soon = TaskFactory(lead=LeadFactory(assignee=agent), assignee=agent, title="Позвонить",
                       due_at=now + dt.timedelta(minutes=5))
    TaskFactory(lead=LeadFactory(assignee=agent), assignee=agent, due_at=now + dt.timedelta(days=2))
    TaskFactory(lead=LeadFactory(assignee=agent), assignee=agent, due_at=now, done_at=now)

    assert send_task_reminders() == 1
    assert send_task_reminders() == 0
    note = Notification.objects.get()
    assert (note.user, note.task, note.kind) == (agent, soon, "task_reminder")
    assert "Позвонить" in note.text
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [agent.email]
    note.refresh_from_db()
    assert note.email_sent_at is not None and note.email_attempts == 1


def test_no_mail_when_the_backend_only_prints(agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    TaskFactory(lead=LeadFactory(assignee=agent), assignee=agent, due_at=timezone.now())
    assert services.task_reminders_send() == []
    assert Notification.objects.count() == 1


def test_an_sla_breach_is_recorded_and_announced_once(agent, manager, colleague):
    lead = LeadFactory(assignee=agent)
    lead.stage_changed_at = timezone.now() - dt.timedelta(hours=3)
    lead.sla_due_at = lead.stage_changed_at + dt.timedelta(hours=2)
    lead.save()
    LeadFactory(assignee=colleague)  # within its SLA

    record_sla_breaches()
    record_sla_breaches()

    breach = SlaBreach.objects.get()
    assert (breach.lead, breach.stage, breach.assignee) == (lead, lead.stage, agent)
    assert set(Notification.objects.values_list("user", flat=True)) == {agent.pk, manager.pk}
    assert Notification.objects.count() == 2
    assert Activity.objects.filter(lead=lead, kind="system", data__sla_breach=breach.pk).count() == 1

    services.lead_move(lead=lead, stage=default_stage("consultation"), user=agent)
    Lead.objects.filter(pk=lead.pk).update(sla_due_at=timezone.now() - dt.timedelta(minutes=1))
    record_sla_breaches()
    assert SlaBreach.objects.count() == 2  # a new stay in a new stage is a new breach


def test_my_day_lists_notifications_and_marks_them_read(client, agent):
    Notification.objects.create(user=agent, kind="task_reminder", text="Напоминание")
    client.force_login(agent)
    assert "Напоминание" in client.get("/my-day/").content.decode()
    client.post("/my-day/notifications/read/")
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def nav_badge(response) -> str | None:
    """The unread count beside "My day" in the navigation, or None when there is no badge."""
    found = re.search(r'<span class="badge[^"]*" id="my-day-unread"[^>]*>([^<]+)<', response.content.decode())
    return found.group(1) if found else None


def notification_queries(client, path, *, status=200) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == status
    return sum('FROM "crm_notification"' in query["sql"] for query in queries.captured_queries)


def test_the_navigation_shows_unread_notifications_until_they_are_read(client, agent, colleague):
    NotificationFactory.create_batch(3, user=agent)
    NotificationFactory(user=agent, read_at=timezone.now())
    NotificationFactory(user=colleague)
    client.force_login(agent)

    assert nav_badge(client.get("/leads/")) == "3"
    assert nav_badge(client.get("/my-day/")) == "3"
    answer = client.post("/my-day/notifications/read/", HTTP_HX_REQUEST="true")
    assert '<span id="my-day-unread" hx-swap-oob="delete"></span>' in answer.content.decode()

    assert nav_badge(client.get("/leads/")) is None
    assert nav_badge(client.get("/my-day/")) is None
    client.force_login(colleague)
    assert nav_badge(client.get("/leads/")) == "1"


def test_the_badge_costs_one_bounded_query_per_page(client, agent):
    Notification.objects.bulk_create(Notification(user=agent, kind="task_reminder", text=f"№{n}") for n in range(120))
    client.force_login(agent)
    assert nav_badge(client.get("/leads/")) == "99+"
    assert notification_queries(client, "/leads/") == 1
    assert notification_queries(client, f"/leads/{LeadFactory(assignee=agent).pk}/") == 1
    # My day counts the unread once, for its list and the navigation alike (the other query is the list).
    assert notification_queries(client, "/my-day/") == 2
    assert nav_badge(client.get("/my-day/")) == "99+"


def test_an_account_without_my_day_makes_no_count(client, outsider):
    NotificationFactory(user=outsider)
    client.force_login(outsider)
    assert notification_queries(client, "/", status=403) == 0


def test_positions_between_neighbours_and_respacing_a_used_up_gap(agent):
    stage = default_stage("consultation")
    low = LeadFactory(stage=stage, position=1000.0, assignee=agent)
    high = LeadFactory(stage=stage, position=1000.0 + 1e-10, assignee=agent)
    after_high = LeadFactory(stage=stage, position=1000.0 + 2e-10, assignee=agent)
    far = LeadFactory(stage=stage, position=50_000.0, assignee=agent)
    lead = LeadFactory(assignee=agent)
    services.lead_move(lead=lead, stage=stage, user=agent, before_id=low.pk, after_id=high.pk)
    order = list(Lead.objects.filter(stage=stage).order_by("position", "pk").values_list("pk", flat=True))
    assert order == [low.pk, lead.pk, high.pk, after_high.pk, far.pk]
    far.refresh_from_db()
    assert far.position == 50_000.0  # only the crowded cards moved

    top = LeadFactory(assignee=agent)
    services.lead_move(lead=top, stage=stage, user=agent, place="top")
    top.refresh_from_db()
    assert top.position == 1000.0 - COLUMN_STEP
