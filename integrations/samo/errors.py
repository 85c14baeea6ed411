"""What can go wrong talking to SAMO, one exception each, with a message a person
can act on. Messages are gettext strings (English source, Russian by translation)
and never carry the token."""

from django.utils.translation import gettext_lazy as _


class SamoError(Exception):
    """Base of every SAMO failure. ``transient`` failures may pass if tried again."""

    transient = False
    code = "error"

    def __init__(self, message, *, action: str = "", status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.action = action
        self.status_code = status_code
        # Set by the client once the request was sent: the URL with the token masked, and the time taken.
        self.request_url = ""
        self.duration_ms: int | None = None

    def __str__(self):
        return str(self.message)


class SamoNotConfigured(SamoError):
    code = "not_configured"

    def __init__(self, *, action: str = ""):
        super().__init__(_("SAMO is not configured: set SAMO_API_URL and SAMO_OAUTH_TOKEN."), action=action)


class SamoIPNotAllowed(SamoError):
    """HTTP 403 "blacklisted address …": the operator has not allow-listed our IP."""

    code = "ip_not_allowed"

    def __init__(self, address: str, *, action: str = ""):
        self.address = address
        super().__init__(
            _(
                "SAMO refused the request from IP address %(address)s: the operator has not allow-listed it. "
                "Ask the operator to allow this address, or send SAMO traffic through the agency's allow-listed "
                "proxy (SAMO_PROXY_URL)."
            ) % {"address": address or _("unknown")},
            action=action, status_code=403,
        )


class SamoAccessDenied(SamoError):
    """HTTP 403 without an address: the action needs an agent login, not only a token."""

    code = "access_denied"

    def __init__(self, text: str, *, action: str = ""):
        self.text = text
        super().__init__(
            _("SAMO denied access to %(action)s (HTTP 403): %(text)s") % {"action": action, "text": text or "—"},
            action=action, status_code=403,
        )


class SamoInvalidToken(SamoError):
    code = "invalid_token"

    def __init__(self, *, action: str = ""):
        super().__init__(
            _("SAMO rejected the API token (HTTP 401, invalid_token). Check SAMO_OAUTH_TOKEN."),
            action=action, status_code=401,
        )


class SamoMethodError(SamoError):
    """HTTP 200 carrying ``{"error": …}``: the action refused its parameters."""

    code = "method_error"

    def __init__(self, error, *, action: str = ""):
        self.error = error
        super().__init__(
            _("SAMO answered %(action)s with an error: %(error)s") % {"action": action, "error": error},
            action=action, status_code=200,
        )


class SamoServerError(SamoError):
    """HTTP 5xx (or another unexpected status): a fault on the operator's side."""

    code = "server_error"
    transient = True

    def __init__(self, status_code: int, *, action: str = ""):
        super().__init__(
            _("SAMO server fault (HTTP %(status)s) on %(action)s. Try again later.")
            % {"status": status_code, "action": action},
            action=action, status_code=status_code,
        )


class SamoBadResponse(SamoError):
    """HTTP 200 whose body is not the JSON the protocol promises."""

    code = "bad_response"

    def __init__(self, detail: str, *, action: str = "", status_code: int | None = None):
        super().__init__(
            _("SAMO sent an unreadable answer to %(action)s: %(detail)s") % {"action": action, "detail": detail},
            action=action, status_code=status_code,
        )


class SamoTimeout(SamoError):
    code = "timeout"
    transient = True

    def __init__(self, seconds: float, *, action: str = ""):
        super().__init__(
            _("SAMO did not answer %(action)s within %(seconds)s s.") % {"action": action, "seconds": seconds},
            action=action,
        )


class SamoUnavailable(SamoError):
    """No connection at all (refused, reset, DNS, proxy down)."""

    code = "unavailable"
    transient = True

    def __init__(self, reason: str, *, action: str = ""):
        super().__init__(
            _("SAMO could not be reached (%(reason)s).") % {"reason": reason}, action=action
        )
