"""What every API view shares: who may use the API at all, pagination, throttles,
and one translation of the services' errors into DRF's JSON answers.

Services raise Django's ``ValidationError`` (a rule was broken: 400, or 409 when
someone changed the row meanwhile or the client named is a colleague's) and ``PermissionDenied`` (403); the views
only call them, so the mapping lives here, once.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination, parsers, permissions, status, throttling
from rest_framework.views import exception_handler as drf_exception_handler

from crm import access
from crm.services.clients import CLIENT_TAKEN
from integrations.text import data_clean


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Someone else has changed this meanwhile.")
    default_code = "conflict"


def service_error(exc: DjangoValidationError) -> exceptions.APIException:
    """A service's refusal as an API error: per field when the service named
    fields, else under ``non_field_errors``; a stale version, a client that is not
    the person's (``CLIENT_TAKEN``) and a key used for another request are a 409."""
    if getattr(exc, "code", None) in ("stale", "key_reused", CLIENT_TAKEN):
        return Conflict(" ".join(exc.messages))
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = service_error(exc)
    elif isinstance(exc, DjangoPermissionDenied) and not exc.args:
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, list):
        # A filter backend's refusal comes as a bare list: the API answers an object.
        exc = exceptions.ValidationError({"non_field_errors": exc.detail})
    return drf_exception_handler(exc, context)


class CleanJSONParser(parsers.JSONParser):
    """JSON bodies with every string storable (``integrations.text``): a NUL is
    dropped and a lone surrogate — a website's script cutting an emoji in half —
    becomes U+FFFD, so the request is taken instead of refused or failing."""

    def parse(self, stream, media_type=None, parser_context=None):
        return data_clean(super().parse(stream, media_type, parser_context))


class WorksWithCrm(permissions.BasePermission):
    """The API is for the people the pages are for: agents, managers, admins and
    accountants. Which rows each of them sees is ``crm.access``'s
    (``visible_to`` in every queryset); what they may change, the services'."""

    message = _("Your account has no role that works with the CRM.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (access.is_agent(user) or access.can_read_all(user)))


class Pagination(pagination.PageNumberPagination):
    """``page_size`` is a whole number from 1 (anything else is a 400, not quietly
    the default); above ``max_page_size`` it is that maximum."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        if not (asked.isascii() and asked.isdigit() and int(asked) > 0):
            raise exceptions.ValidationError({self.page_size_query_param: [
                _("Ask for a whole number of rows per page, from 1 to %(max)d.") % {"max": self.max_page_size}]})
        return min(int(asked), self.max_page_size)


class ConfiguredRateThrottle(throttling.SimpleRateThrottle):
    """A throttle whose rate is a Django setting read at request time (so an
    environment variable, or a test, sets it)."""

    rate_setting = ""

    def __init__(self):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self):
        return getattr(settings, self.rate_setting)


class UserThrottle(ConfiguredRateThrottle):
    """Requests per person (``API_USER_RATE_LIMIT``); anonymous requests are
    refused by authentication anyway, so they are counted per IP."""

    scope = "user"
    rate_setting = "API_USER_RATE_LIMIT"

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PublicIntakeThrottle(ConfiguredRateThrottle):
    """Requests per client IP to the public booking form (``PUBLIC_INTAKE_RATE_LIMIT``)."""

    scope = "public_intake"
    rate_setting = "PUBLIC_INTAKE_RATE_LIMIT"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
