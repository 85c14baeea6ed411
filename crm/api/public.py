"""``POST /api/public/v1/leads``: the website's booking form. No login; limited
per client IP (``PUBLIC_INTAKE_RATE_LIMIT``), answered from the agency's sites
only (CORS, ``ALLOWED_ORIGINS``), in the language the form asks for. The rules
are ``crm.services.intake``'s; this view parses, calls it and answers."""

import re

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.common import Conflict, PublicIntakeThrottle
from crm.api.fields import phone_field
from crm.models import Language
from crm.network import client_ip
from crm.services import intake
from crm.services.intake import IntakeSubmission, answer_language

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy("The anti-robot check is unavailable at the moment: send the form again in a minute.")
    default_code = "turnstile_unavailable"


class IntakeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                  help_text="WhatsApp number, any usual form (+7 701 123 45 67, 87011234567).")
    destination = serializers.CharField(max_length=100, required=False, allow_blank=True)
    month = serializers.CharField(max_length=7, required=False, allow_blank=True, help_text="YYYY-MM")
    date_from = serializers.DateField(required=False, allow_null=True)
    date_to = serializers.DateField(required=False, allow_null=True)
    nights = serializers.IntegerField(min_value=1, max_value=60, required=False, allow_null=True)
    adults = serializers.IntegerField(min_value=1, max_value=20, required=False, allow_null=True)
    children = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True,
                                      help_text="KZT")
    language = serializers.ChoiceField(choices=Language.choices, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    utm_source = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_medium = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_campaign = serializers.CharField(max_length=200, required=False, allow_blank=True)
    page_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    turnstile_token = serializers.CharField(max_length=2048, required=False, allow_blank=True, write_only=True,
                                            help_text="The Cloudflare Turnstile widget's token, when the site uses it.")

    def validate_name(self, value):
        value = " ".join(value.split())
        if not value:
            raise serializers.ValidationError(_("Write your name."))
        return value

    def validate_phone(self, value):
        return phone_field(value)

    def validate_month(self, value):
        if not value:
            return value
        found = MONTH.match(value)
        if not found:
            raise serializers.ValidationError(_("Give the month as YYYY-MM, e.g. 2026-03."))
        today = timezone.localdate()
        if (int(found[1]), int(found[2])) < (today.year, today.month):
            raise serializers.ValidationError(_("This month has passed."))
        return value

    def validate_date_from(self, value):
        if value and value < timezone.localdate():
            raise serializers.ValidationError(_("The trip cannot start in the past."))
        return value

    def validate(self, attrs):
        errors = {}
        if not attrs.get("email") and not attrs.get("phone"):
            message = _("Give your phone (WhatsApp) or your e-mail, so that we can answer.")
            errors["phone"] = errors["email"] = [message]
        if attrs.get("month") and (attrs.get("date_from") or attrs.get("date_to")):
            errors["month"] = [_("Give either a month or dates, not both.")]
        date_from, date_to = attrs.get("date_from"), attrs.get("date_to")
        if date_from and date_to and date_to < date_from:
            errors["date_to"] = [_("The end of the trip is before its start.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def submission(self, *, ip: str) -> IntakeSubmission:
        data = {key: value for key, value in self.validated_data.items() if key != "turnstile_token"}
        return IntakeSubmission(**data, ip=ip)


class IntakeAnswerSerializer(serializers.Serializer):
    lead_id = serializers.IntegerField()
    status = serializers.CharField(help_text="“received”")
    next_step_message = serializers.CharField(help_text="What happens next, in the request's language.")


def request_language(request) -> str:
    """The form's ``language`` when it is one we speak, else the browser's (Accept-Language)."""
    data = request.data if isinstance(request.data, dict) else {}
    asked = data.get("language")
    if isinstance(asked, str) and asked in Language.values:
        return answer_language(asked)
    return getattr(request, "LANGUAGE_CODE", "") or translation.get_language()


class PublicLeadIntakeView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [PublicIntakeThrottle]

    @extend_schema(
        operation_id="public_leads_create",
        request=IntakeSerializer,
        auth=[],
        parameters=[OpenApiParameter(
            "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
            description="Any string up to 255 printable characters (a UUID is best): a retry with the same key "
                        "answers as the first request did; the same key with another request is refused (409).",
        )],
        responses={
            201: IntakeAnswerSerializer,
            503: OpenApiResponse(description="The Turnstile check could not be made; try again shortly."),
        },
    )
    def post(self, request):
        """Take a booking request from the website: validate it (errors in the
        request's ``language``), find or create the client, create the lead in the
        first stage with the channel *web*, and answer what happens next."""
        key = request.headers.get("Idempotency-Key", "")
        with translation.override(request_language(request)):
            if key and not IDEMPOTENCY_KEY.match(key):
                raise exceptions.ValidationError(
                    {"Idempotency-Key": [_("Up to 255 printable characters without spaces.")]})
            data = IntakeSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            try:
                answer, created = intake.lead_intake(
                    submission=data.submission(ip=client_ip(request)), idempotency_key=key,
                    turnstile_token=data.validated_data.get("turnstile_token", ""),
                )
            except intake.IdempotencyConflict:
                raise Conflict(_("This Idempotency-Key was already used for a different request.")) from None
            except intake.IdempotencyInProgress:
                raise Conflict(_("The first request with this Idempotency-Key is still being processed: "
                                 "try again in a moment.")) from None
            except intake.TurnstileUnavailable:
                raise ServiceUnavailable from None
        response = Response(answer.as_dict(), status=status.HTTP_201_CREATED)
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response
