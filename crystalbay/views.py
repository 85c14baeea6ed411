from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from crystalbay.context_processors import navigation_items


@login_required
def home(request):
    """The first page of the navigation the user has; the admin until the pages exist."""
    items = navigation_items()
    return redirect(items[0]["url"] if items else "admin:index")
