"""How log records are written: one JSON object a line in production (or plain
text), each with the request id of the request or task it belongs to, and never
a secret of a URL's query string (README "Observability")."""

import logging

from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from integrations.masking import redact_query_secrets


class RedactSecrets(logging.Filter):
    """Django logs the path with its query (a 403 of a webhook called with a wrong
    ``?token=``), libraries log request lines: the record's message loses the secret
    values before any handler, Sentry's breadcrumbs included, sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_query_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class _RedactedOutput:
    """Also what the filter cannot reach: a traceback's text and the extra fields
    (django.request adds the request object, whose repr holds the full path)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_query_secrets(super().format(record))


class PlainFormatter(_RedactedOutput, logging.Formatter):
    pass


class JsonFormatter(_RedactedOutput, BaseJsonFormatter):
    pass
