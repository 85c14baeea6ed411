"""What can go wrong asking an OpenAI-compatible model, one exception each.
``transient`` failures may pass if tried again later (the caller decides when);
messages never carry the API key."""

from django.utils.translation import gettext_lazy as _


class OpenAIError(Exception):
    transient = False
    code = "error"

    def __init__(self, message, *, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code

    def __str__(self):
        return str(self.message)


class OpenAINotConfigured(OpenAIError):
    code = "not_configured"

    def __init__(self):
        super().__init__(_("No model is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL, OPENAI_MODEL)."))


class OpenAIUnavailable(OpenAIError):
    """No connection at all (refused, reset, DNS)."""

    code = "unavailable"
    transient = True

    def __init__(self, reason: str):
        super().__init__(_("The model's server could not be reached (%(reason)s).") % {"reason": reason})


class OpenAITimeout(OpenAIError):
    code = "timeout"
    transient = True

    def __init__(self, seconds: float):
        super().__init__(_("The model did not answer within %(seconds)s s.") % {"seconds": seconds})


class OpenAIRateLimited(OpenAIError):
    """HTTP 429: too many requests (or tokens) for now; ``retry_after`` in seconds when the server said."""

    code = "rate_limited"
    transient = True

    def __init__(self, retry_after: float | None):
        self.retry_after = retry_after
        super().__init__(_("The model's server is rate limiting us (HTTP 429)."), status_code=429)


class OpenAIServerError(OpenAIError):
    code = "server_error"
    transient = True

    def __init__(self, status_code: int):
        super().__init__(_("The model's server failed (HTTP %(status)s).") % {"status": status_code},
                         status_code=status_code)


class OpenAIRejected(OpenAIError):
    """A 4xx that will not change by asking again: a wrong key, model or request."""

    code = "rejected"

    def __init__(self, status_code: int, detail: str):
        super().__init__(_("The model's server refused the request (HTTP %(status)s): %(detail)s")
                         % {"status": status_code, "detail": detail}, status_code=status_code)


class OpenAIBadResponse(OpenAIError):
    """An answer that is not what was asked for (not JSON, not the schema, empty, refused)."""

    code = "bad_response"

    def __init__(self, detail: str, *, status_code: int | None = 200):
        super().__init__(_("The model sent an unusable answer: %(detail)s") % {"detail": detail},
                         status_code=status_code)
