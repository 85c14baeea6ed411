"""The OpenAPI schema as the API really answers: besides each operation's
success, the errors every view can give (DRF's JSON), so that clients and the
schema tests know them.

- every operation: 429 (throttled, with ``Retry-After``); 403 unless it is public (not
  logged in — no session, no valid token — or not allowed);
- a list (filters, ``page``): 400 for a bad filter value, 404 for a page past the end;
- an object (``{id}`` in the path): 404 when it is missing or hidden from the user;
- a write: 400 (field errors, or a broken rule), 409 (changed meanwhile).
"""

from drf_spectacular import openapi
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import permissions

DETAIL_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# {"field": ["message", …], "non_field_errors": [...]}, nested for nested fields.
FIELD_ERRORS = {"type": "object", "additionalProperties": {}}

ERRORS = {
    "400": ("The input breaks a rule: messages per field, or under non_field_errors", FIELD_ERRORS),
    "403": ("Not logged in (no session, no valid token), or not allowed for this person", DETAIL_ERROR),
    "404": ("Not found, or not visible to this person", DETAIL_ERROR),
    "409": ("Changed meanwhile, or an Idempotency-Key reused for another request", DETAIL_ERROR),
    "429": ("Too many requests: try again after Retry-After seconds", DETAIL_ERROR),
}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[str]:
        public = any(isinstance(permission, permissions.AllowAny) for permission in self.view.get_permissions())
        codes = {"429"} if public else {"403", "429"}
        if self.method == "GET" and self._is_list_view():
            codes |= {"400", "404"}
        if "{" in self.path:
            codes.add("404")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes |= {"400", "409"}
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code in responses:
                continue
            description, schema = ERRORS[code]
            response = {"description": description, "content": {"application/json": {"schema": schema}}}
            if code == "429":
                response["headers"] = {"Retry-After": {
                    "schema": build_basic_type(OpenApiTypes.INT), "description": "Seconds to wait",
                }}
            responses[code] = response
        return responses
