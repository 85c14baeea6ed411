from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# The top navigation, in order: key, label, URL name, the permission that opens the
# page. A page appears once its URL exists (each app plugs into the layout by
# adding its urls) and only to those who may open it: nothing links to a 404 or 403.
NAVIGATION = [
    ("leads", _("Leads"), "leads:board", "crm.view_lead"),
    ("my_day", _("My day"), "my_day:page", "crm.view_task"),
    ("inbox", _("Inbox"), "messaging:inbox", "messaging.view_conversation"),
    ("tours", _("Tours"), "tours:search", "tours.view_samocache"),
    ("analytics", _("Analytics"), "analytics:dashboard", "crm.view_order"),
    ("settings", _("Settings"), "settings", "integrations.view_apilog"),
]


def navigation_items(user):
    items = []
    for key, label, url_name, permission in NAVIGATION:
        if not user.has_perm(permission):
            continue
        try:
            items.append({"key": key, "label": label, "url": reverse(url_name), "url_name": url_name})
        except NoReverseMatch:
            continue
    return items


def _is_current(url_name: str, match) -> bool:
    namespace, _sep, name = url_name.rpartition(":")
    return match.namespace == namespace if namespace else match.view_name == name


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    items = navigation_items(user)
    match = request.resolver_match
    current = next((item["key"] for item in items if match and _is_current(item["url_name"], match)), "")
    context = {"nav_items": items, "nav_current": current}
    if any(item["key"] == "inbox" for item in items):
        from messaging.selectors import unread_total

        # A callable: the template asks for the count only where it draws the badge.
        context["inbox_unread"] = lambda: unread_total(user)
    if any(item["key"] == "my_day" for item in items):
        from crm.selectors import notifications_unread_count

        context["notifications_unread"] = lambda: notifications_unread_count(user=user)
    return context
