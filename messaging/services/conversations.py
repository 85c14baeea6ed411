"""What agents do to a conversation: assign it, close or reopen it, read it."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm import access
from crm.services.leads import round_robin_agents
from messaging.models import Conversation
from messaging.services.outbound import may_reply


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def conversation_assign(*, conversation: Conversation, assignee, user) -> Conversation:
    """Give a conversation to someone who works leads. Managers and admins assign
    anyone; an agent may only take an unassigned conversation for themselves
    (the rule of leads)."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not access.is_supervisor(user):
        taking_free = access.is_agent(user) and conversation.assignee_id in (None, user.pk) and assignee == user
        if not taking_free:
            raise PermissionDenied(_("Only a manager can assign this conversation."))
    if assignee is not None and not (assignee.is_active and (access.is_agent(assignee) or access.is_supervisor(assignee))):
        raise ValidationError(_("%(name)s does not work leads."), params={"name": _name(assignee)})
    conversation.assignee = assignee
    conversation.save(update_fields=["assignee"])
    return conversation


def assignee_choices():
    """Who a manager can give a conversation to: the people who work leads."""
    return round_robin_agents()


@transaction.atomic
def conversation_set_status(*, conversation: Conversation, user, status: str) -> Conversation:
    """Close or reopen (whoever may reply may do it); a new message reopens it too."""
    if status not in Conversation.Status.values:
        raise ValidationError(_("Unknown status."), code="status")
    if not may_reply(user, conversation):
        raise PermissionDenied(_("You may not change this conversation."))
    Conversation.objects.filter(pk=conversation.pk).update(status=status)
    conversation.status = status
    return conversation


def conversation_mark_read(*, conversation: Conversation, user) -> None:
    """Opening a thread reads it — for the people who work it, not for readers
    (an accountant looking does not clear the agent's unread count)."""
    if conversation.unread_count and may_reply(user, conversation):
        Conversation.objects.filter(pk=conversation.pk).update(unread_count=0)
        conversation.unread_count = 0
