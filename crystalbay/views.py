from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from crystalbay.context_processors import navigation_items


@login_required
def home(request):
    """The first page of the navigation the user may open; the admin for staff
    without one; "no access" for an account with no role yet."""
    if items := navigation_items(request.user):
        return redirect(items[0]["url"])
    if request.user.is_staff:
        return redirect("admin:index")
    raise PermissionDenied
