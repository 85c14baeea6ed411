"""Writes to the CRM. Every page, API view, admin action, task and command that
changes a client, lead or order calls one of these, so the rules hold everywhere."""

from crm.services.clients import (
    CLIENT_TAKEN,
    client_check_open,
    client_find,
    client_find_for,
    client_get_or_create,
    phone_normalize,
)
from crm.services.leads import (
    TRAVEL_FIELDS,
    lead_assign,
    lead_assign_round_robin,
    lead_create,
    lead_move,
    lead_quick_create,
    lead_set_tags,
    lead_update,
    stage_entry_fields,
    stage_sla_due,
)
from crm.services.orders import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    order_create,
    order_set_status,
    order_status_transitions_for,
)
from crm.services.sla import sla_breaches_record
from crm.services.submissions import submission_once
from crm.services.tasks import (
    notification_email_send,
    notifications_mark_read,
    task_complete,
    task_create,
    task_reminders_send,
)
from crm.services.timeline import activity_record, note_add

__all__ = [
    "activity_record",
    "ORDER_TRANSITIONS",
    "PAYMENT_TRANSITIONS",
    "TRAVEL_FIELDS",
    "CLIENT_TAKEN",
    "client_check_open",
    "client_find",
    "client_find_for",
    "client_get_or_create",
    "lead_assign",
    "lead_assign_round_robin",
    "lead_create",
    "lead_move",
    "lead_quick_create",
    "lead_set_tags",
    "lead_update",
    "note_add",
    "notification_email_send",
    "notifications_mark_read",
    "order_create",
    "order_set_status",
    "order_status_transitions_for",
    "phone_normalize",
    "sla_breaches_record",
    "stage_entry_fields",
    "stage_sla_due",
    "submission_once",
    "task_complete",
    "task_create",
    "task_reminders_send",
]
