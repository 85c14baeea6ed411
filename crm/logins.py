"""Protection of the login against password guessing (django-axes; settings in
the "Login protection" section).

Two limits, both counted in the database over the cool-off window: failures of
one user from one address (``AXES_FAILURE_LIMIT``), and failures of one user
from any addresses (``LOGIN_FAILURE_LIMIT_PER_USER``, higher, so that a stranger
cannot lock a colleague out with a few tries, while a guess spread over many
addresses still stops). A locked-out login gets our login page with the reason.
"""

import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import ngettext


class LoginAttemptBackend(AxesStandaloneBackend):
    """Refuses a locked-out login before the password is checked. A call of
    ``authenticate()`` without a request (the shell, the test client's
    ``login()``) is no attempt over the network, so there is nothing to count;
    every login form (ours, the admin's) passes its request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes compares one count with one limit (``AXES_FAILURE_LIMIT``); the
    per-user count is scaled to that limit, so it locks at its own limit."""

    def get_failures(self, request, credentials=None) -> int:
        per_pair, per_user = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        pair_limit = settings.AXES_FAILURE_LIMIT
        return max(per_pair, per_user * pair_limit // settings.LOGIN_FAILURE_LIMIT_PER_USER)


def lockout_response(request, original_response, credentials):
    """The login page (the pages' or the admin's) refused, with why and for how long."""
    minutes = math.ceil(get_cool_off(request).total_seconds() / 60)
    message = ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute or ask an administrator.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes or ask an administrator.",
        minutes,
    ) % {"minutes": minutes}
    if request.path == reverse("admin:login"):
        next_url = request.GET.get("next") or reverse("admin:index")
    else:
        next_url = request.POST.get("next", "")
    form = AuthenticationForm(request, initial={"username": get_client_username(request, credentials) or ""})
    context = {"form": form, "next": next_url, "lockout_message": message}
    return render(request, "registration/login.html", context, status=429)
