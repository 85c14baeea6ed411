"""Who may see and change which rows — the one place every surface asks.

- managers and admins (and superusers) see and change everything;
- accountants see everything and change only an order's payment status;
- agents see and change rows assigned to them or to nobody;
- anyone else sees nothing.

Each model names the field that says whom a row belongs to
(``access_owner_field``); a client also counts as an agent's when one of the
client's leads is assigned to that agent. That is why a person may not create a
lead for a client they do not already see (``crm.services.clients.client_check_open``,
asked by ``lead_create`` and ``client_get_or_create`` for every surface).
"""

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404

from crm.roles import Role


def user_roles(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_crm_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._crm_roles = cached
    return cached


def is_supervisor(user) -> bool:
    """Managers, admins and superusers: see and change every row."""
    return bool(getattr(user, "is_superuser", False) and user.is_active) or bool(
        user_roles(user) & {Role.MANAGER, Role.ADMIN}
    )


def is_accountant(user) -> bool:
    return Role.ACCOUNTANT in user_roles(user)


def is_agent(user) -> bool:
    return Role.AGENT in user_roles(user)


def can_read_all(user) -> bool:
    return is_supervisor(user) or is_accountant(user)


def _agent_q(model: type[Model], user) -> Q:
    field = model.access_owner_field
    q = Q(**{field: user}) | Q(**{f"{field}__isnull": True})
    if model._meta.label == "crm.Client":
        from crm.models import Lead

        q |= Q(Exists(Lead.objects.filter(client=OuterRef("pk"), assignee=user)))
    return q


def visible_to(user, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` that ``user`` may see."""
    if can_read_all(user):
        return queryset
    if is_agent(user):
        return queryset.filter(_agent_q(queryset.model, user))
    return queryset.none()


def can_view(user, obj: Model) -> bool:
    return visible_to(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def can_change(user, obj: Model) -> bool:
    """Change rights on a whole row. Accountants' order-status right is separate:
    see ``crm.services.order_status_transitions_for``."""
    if is_supervisor(user):
        return True
    return is_agent(user) and can_view(user, obj)


def get_visible_or_404(user, queryset: QuerySet, **lookup) -> Model:
    """The row the user may see, or 404 — the same answer whether it is missing or hidden."""
    try:
        return visible_to(user, queryset).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc
