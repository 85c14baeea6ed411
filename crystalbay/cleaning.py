"""``QueryCleanMiddleware``: a NUL in a query string (``?q=%00``) is dropped before
any view reads it. PostgreSQL cannot compare text with NUL, so a search or filter
carrying one failed with a server error on every page and API list that reads
the query; no search or filter means anything with a NUL, so it is removed in
one place instead of refused by each view."""

from urllib.parse import urlencode

from django.http import QueryDict

from integrations.text import text_clean


class QueryCleanMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            pairs = [(text_clean(key), text_clean(value)) for key, values in request.GET.lists() for value in values]
            request.GET = QueryDict(urlencode(pairs))
        return self.get_response(request)
