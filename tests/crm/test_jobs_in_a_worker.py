"""The CRM's periodic jobs in real Celery workers behind Redis, enqueued by name
as beat enqueues them: each task reminder and each SLA breach is recorded,
announced and mailed once — also when two runs of a job overlap in two workers.

To make the overlap certain rather than likely, the test holds the first row
both runs must claim (in a transaction of its own) until both workers are
waiting on it, then lets go."""

import datetime as dt
import time
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import redis
from django.db import connection
from django.utils import timezone

from crm.models import Activity, Lead, Notification, Pipeline, SlaBreach, Task
from crystalbay.celery import app
from tests.crm.factories import ClientFactory, LeadFactory, TaskFactory, default_stage
from tests.liveserver import celery_worker, task_sender

pytestmark = [pytest.mark.worker, pytest.mark.slow]

WORKER_REDIS_URL = "redis://127.0.0.1:6379/12"
JOB_TIMEOUT = 90


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def workers(subprocess_database_url, mail_dir):
    """Two workers on an empty Redis database, delivering mail into files; the
    sender enqueues what beat would."""
    redis.Redis.from_url(WORKER_REDIS_URL).flushdb()
    env = {
        "DATABASE_URL": subprocess_database_url, "REDIS_URL": WORKER_REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_URL": f"filemail:///{mail_dir}", "SENDGRID_API_KEY": "",
    }
    sender = task_sender(WORKER_REDIS_URL)
    with ExitStack() as stack:
        for name in ("crm-jobs-a@%h", "crm-jobs-b@%h"):
            stack.enter_context(celery_worker(env, name=name))
        yield sender
    sender.close()


def enqueue_as_beat(sender, entry: str, times: int):
    job = app.conf.beat_schedule[entry]
    return [sender.send_task(job["task"], args=job.get("args", ()), kwargs=job.get("kwargs", {}))
            for _ in range(times)]


@contextmanager
def held(database_url: str, statement: str, params: tuple):
    """Run ``statement`` in a transaction left open (its locks held) while the block runs, then roll it back."""
    with psycopg.connect(database_url) as holder:
        holder.execute(statement, params)
        yield
        holder.rollback()


def wait_for(condition, *, what: str, timeout: float = JOB_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.2)
    return result


def sessions_waiting_on_a_lock() -> int:
    # Asked outside the holding transaction: inside one, PostgreSQL keeps showing the first snapshot.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def mailed(mail_dir: Path) -> list[str]:
    """The recipients of every message the workers' file mail backend wrote."""
    if not mail_dir.exists():
        return []
    return [line.removeprefix("To: ") for path in sorted(mail_dir.iterdir())
            for line in path.read_text().splitlines() if line.startswith("To: ")]


def all_mailed(expected: int):
    def check():
        return Notification.objects.filter(email_sent_at__isnull=False).count() >= expected
    return check


def test_two_overlapping_reminder_runs_remind_and_mail_each_task_once(workers, subprocess_database_url, mail_dir,
                                                                      agent, colleague):
    now = timezone.now()
    due_soon = TaskFactory(lead=LeadFactory(assignee=agent), assignee=agent, title="Позвонить Ахметовой",
                           due_at=now + dt.timedelta(minutes=5))
    overdue = TaskFactory(lead=LeadFactory(assignee=colleague), assignee=colleague, title="Выслать ваучер",
                          due_at=now - dt.timedelta(hours=2))
    later = TaskFactory(lead=LeadFactory(assignee=agent), assignee=agent, due_at=now + dt.timedelta(days=2))
    TaskFactory(lead=LeadFactory(assignee=agent), assignee=agent, due_at=now, done_at=now)

    # Both runs claim the overdue task first: hold its row until both wait for it.
    with held(subprocess_database_url, "SELECT id FROM crm_task WHERE id = %s FOR UPDATE", (overdue.pk,)):
        runs = enqueue_as_beat(workers, "crm-task-reminders", times=2)
        wait_for(lambda: sessions_waiting_on_a_lock() >= 2, what="both runs to wait for the held task")
    queued_for_mail = [run.get(timeout=JOB_TIMEOUT) for run in runs]
    wait_for(all_mailed(2), what="the reminders to be mailed")

    assert sum(queued_for_mail) == 2  # each reminder queued for mail by the one run that claimed its task
    notes = list(Notification.objects.order_by("task__due_at"))
    assert [(note.task_id, note.user_id, note.kind) for note in notes] == [
        (overdue.pk, colleague.pk, "task_reminder"), (due_soon.pk, agent.pk, "task_reminder"),
    ]
    assert all(note.email_attempts == 1 and note.email_sent_at for note in notes)
    assert sorted(mailed(mail_dir)) == sorted([agent.email, colleague.email])
    assert set(Task.objects.filter(reminded_at__isnull=False).values_list("pk", flat=True)) == {due_soon.pk, overdue.pk}
    assert Task.objects.get(pk=later.pk).reminded_at is None


def overdue_leads(count: int, *, assignee) -> list[Lead]:
    """Leads that entered the first stage a day ago and more (a minute apart), far past its SLA."""
    stage = default_stage("new")
    entered = timezone.now() - dt.timedelta(days=1)
    clients = ClientFactory._meta.model.objects.bulk_create([
        ClientFactory.build(phone=f"+7705{n:07d}", email=f"sla{n}@example.kz") for n in range(count)
    ])
    return Lead.objects.bulk_create([
        Lead(client=client, pipeline=Pipeline.objects.get(slug="default"), stage=stage, position=float(n),
             assignee=assignee, budget=Decimal("900000"), stage_changed_at=entered - dt.timedelta(minutes=n),
             sla_due_at=entered - dt.timedelta(minutes=n) + dt.timedelta(hours=stage.sla_hours))
        for n, client in enumerate(clients)
    ])


def test_two_overlapping_sla_runs_record_and_announce_each_breach_once(workers, subprocess_database_url, mail_dir,
                                                                       agent, manager):
    leads = overdue_leads(30, assignee=agent)
    within_sla = LeadFactory(assignee=agent)
    within_sla.stage_changed_at = timezone.now()
    within_sla.sla_due_at = within_sla.stage_changed_at + dt.timedelta(hours=2)
    within_sla.save()
    first = min(leads, key=lambda lead: lead.sla_due_at)

    # Both runs record the most overdue lead first: hold its breach row (not yet
    # committed) until both wait to insert the same one.
    with held(subprocess_database_url,
              "INSERT INTO crm_slabreach (lead_id, stage_id, assignee_id, stage_entered_at, due_at, detected_at)"
              " VALUES (%s, %s, %s, %s, %s, now())",
              (first.pk, first.stage_id, agent.pk, first.stage_changed_at, first.sla_due_at)):
        runs = enqueue_as_beat(workers, "crm-sla-breaches", times=2)
        wait_for(lambda: sessions_waiting_on_a_lock() >= 2, what="both runs to wait for the held breach")
    queued_for_mail = [run.get(timeout=JOB_TIMEOUT) for run in runs]
    wait_for(all_mailed(60), what="the breaches to be mailed")

    assert sum(queued_for_mail) == 60  # 30 breaches × (the agent, the manager), each queued by one run only
    breaches = SlaBreach.objects.all()
    assert sorted(breach.lead_id for breach in breaches) == sorted(lead.pk for lead in leads)
    entered = {lead.pk: lead.stage_changed_at for lead in leads}
    assert all(breach.stage_entered_at == entered[breach.lead_id] and breach.assignee_id == agent.pk
               for breach in breaches)
    assert Notification.objects.filter(kind="sla_breach").count() == 60
    assert set(Notification.objects.values_list("user", flat=True)) == {agent.pk, manager.pk}
    assert not Notification.objects.exclude(email_attempts=1).exists()
    assert sorted(mailed(mail_dir)) == sorted([agent.email, manager.email] * 30)
    assert Activity.objects.filter(data__has_key="sla_breach").count() == 30
    assert not SlaBreach.objects.filter(lead=within_sla).exists()
