from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# The top navigation, in order. A page appears once its URL exists, so each app
# plugs into the layout by adding its urls; nothing links to a missing page.
NAVIGATION = [
    ("leads", _("Leads"), "leads:board"),
    ("my_day", _("My day"), "my_day:page"),
    ("inbox", _("Inbox"), "messaging:inbox"),
    ("tours", _("Tours"), "tours:search"),
    ("analytics", _("Analytics"), "analytics:dashboard"),
    ("settings", _("Settings"), "settings"),
]


def navigation_items():
    items = []
    for key, label, url_name in NAVIGATION:
        try:
            items.append({"key": key, "label": label, "url": reverse(url_name)})
        except NoReverseMatch:
            continue
    return items


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    current = request.resolver_match.namespace or request.resolver_match.url_name if request.resolver_match else ""
    return {"nav_items": navigation_items(), "nav_current": current}
