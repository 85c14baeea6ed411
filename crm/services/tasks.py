"""Tasks, their reminders, and the in-app notifications (mailed when mail is set up)."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from crm import access
from crm.models import Activity, ActivityKind, Client, Lead, Notification, Task

# Backends that only print or drop mail: with them, mail is "not configured".
NON_DELIVERING_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
REMINDER_BATCH = 500


def mail_configured() -> bool:
    return settings.EMAIL_BACKEND not in NON_DELIVERING_BACKENDS


def _when(moment: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _may_work(user) -> bool:
    return access.is_supervisor(user) or access.is_agent(user)


@transaction.atomic
def task_create(*, user, title: str, due_at: dt.datetime, lead: Lead | None = None, client: Client | None = None,
                assignee=None, description: str = "") -> Task:
    """A due-dated follow-up on a lead (and so its client) or on a client alone.

    The author must be allowed to change the lead or client. It goes to
    ``assignee`` — by default the lead's agent, else the author; an agent may
    only give tasks to themselves or to the lead's own agent, a manager to anyone
    who works leads."""
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError(_("Give the task a title."), code="title_required")
    if lead is None and client is None:
        raise ValueError("A task needs a lead or a client.")
    subject = lead if lead is not None else client
    if not _may_work(user) or not access.can_change(user, subject):
        raise PermissionDenied(_("You may not add tasks here."))
    if assignee is None:
        assignee = (lead.assignee if lead is not None else None) or user
    lead_agent_id = lead.assignee_id if lead is not None else None
    if not access.is_supervisor(user) and assignee.pk not in (user.pk, lead_agent_id):
        raise PermissionDenied(_("Only a manager can give a task to someone else."))
    task = Task.objects.create(
        title=title, description=description.strip(), due_at=due_at, lead=lead,
        client=lead.client if lead is not None else client, assignee=assignee, created_by=user,
    )
    Activity.objects.create(
        client=task.client, lead=lead, kind=ActivityKind.TASK, author=user,
        text=_("Task: %(title)s — due %(due)s") % {"title": title, "due": _when(due_at)},
        data={"task": task.pk},
    )
    return task


@transaction.atomic
def task_complete(*, task: Task, user) -> Task:
    """Mark a task done (its assignee, or a manager); done once, whatever repeats."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if not _may_work(user) or not access.can_change(user, task):
        raise PermissionDenied(_("You may not change this task."))
    if task.done_at is not None:
        return task
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    Activity.objects.create(
        client=task.client, lead_id=task.lead_id, kind=ActivityKind.TASK, author=user,
        text=_("Task done: %(title)s") % {"title": task.title}, data={"task": task.pk, "done": True},
    )
    return task


def task_reminders_send(*, now: dt.datetime | None = None) -> list[int]:
    """Remind each assignee of their open tasks that fall due within
    ``TASK_REMINDER_MINUTES`` (or are already overdue and were never reminded).

    Each task is claimed by a conditional update of ``reminded_at``, so two runs
    at once remind once. Returns the ids of the notifications to e-mail (none
    when mail is not configured)."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(minutes=settings.TASK_REMINDER_MINUTES)
    due = (
        Task.objects.filter(done_at__isnull=True, reminded_at__isnull=True, due_at__lte=horizon, assignee__isnull=False)
        .order_by("due_at")
        .values_list("pk", flat=True)[:REMINDER_BATCH]
    )
    to_mail = []
    for task_pk in list(due):
        with transaction.atomic():
            claimed = Task.objects.filter(pk=task_pk, reminded_at__isnull=True, done_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            task = Task.objects.select_related("assignee", "client", "lead").get(pk=task_pk)
            with translation.override(settings.LANGUAGE_CODE):
                if task.due_at < now:
                    text = _("Overdue task: %(title)s (%(client)s), was due %(due)s")
                else:
                    text = _("Task due %(due)s: %(title)s (%(client)s)")
                text = text % {"title": task.title, "client": task.client, "due": _when(task.due_at)}
            notification = Notification.objects.create(
                user=task.assignee, kind=Notification.Kind.TASK_REMINDER, text=text[:500], task=task,
                lead=task.lead,
            )
            if mail_configured() and task.assignee.email:
                to_mail.append(notification.pk)
    return to_mail


def notification_link(notification: Notification) -> str:
    """The page a notification is about, as an absolute URL when ``SITE_URL`` is set (for e-mail)."""
    path = reverse("leads:detail", args=[notification.lead_id]) if notification.lead_id else reverse("my_day:page")
    return settings.SITE_URL.rstrip("/") + path


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one notification to its person, once. Each attempt is counted and
    its error kept on the row; a failure is raised for the caller to retry."""
    claimed = Notification.objects.filter(pk=notification_id, email_sent_at__isnull=True).update(
        email_attempts=F("email_attempts") + 1
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    if not notification.user.email:
        return False
    try:
        send_mail(
            subject=f"Crystal Bay CRM: {notification.text[:120]}",
            message=f"{notification.text}\n\n{notification_link(notification)}",
            from_email=None, recipient_list=[notification.user.email],
        )
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(email_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    Notification.objects.filter(pk=notification_id).update(email_sent_at=timezone.now(), email_error="")
    return True


def notifications_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark the user's own notifications read (all unread ones when no ids are given)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
