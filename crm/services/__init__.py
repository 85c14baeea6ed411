"""Writes to the CRM. Every page, API view, admin action, task and command that
changes a client, lead or order calls one of these, so the rules hold everywhere."""

from crm.services.clients import client_find, phone_normalize
from crm.services.leads import lead_assign, lead_create, lead_move, stage_entry_fields, stage_sla_due
from crm.services.orders import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    order_create,
    order_set_status,
    order_status_transitions_for,
)
from crm.services.timeline import activity_record

__all__ = [
    "activity_record",
    "ORDER_TRANSITIONS",
    "PAYMENT_TRANSITIONS",
    "client_find",
    "lead_assign",
    "lead_create",
    "lead_move",
    "order_create",
    "order_set_status",
    "order_status_transitions_for",
    "phone_normalize",
    "stage_entry_fields",
    "stage_sla_due",
]
