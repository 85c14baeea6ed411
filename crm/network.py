"""The client's address behind our proxies: one rule for the API's throttles,
the booking form and the login protection."""

from rest_framework.throttling import BaseThrottle


def client_ip(request) -> str:
    """The client's IP as DRF's throttles see it: ``NUM_PROXIES`` trusted
    ``X-Forwarded-For`` hops, else the connection's address. Importing only DRF's
    throttling keeps this usable from settings-time callers (django-axes)."""
    return BaseThrottle().get_ident(request) or ""
