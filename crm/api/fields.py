"""Small pieces the CRM's serializers share: a person, a client in brief, and the
choices of a request narrowed to what the requesting person may see."""

import datetime as dt
import uuid
from collections.abc import Callable

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from crm import access
from crm.api.common import Conflict
from crm.services import phone_normalize, submission_once

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.UUID, OpenApiParameter.HEADER, required=False,
    description="A UUID: sending the same create again with it returns the first result (200) instead of a second row.",
)


class RowSerializer(serializers.ModelSerializer):
    """A model serializer for reading rows whose schema says what the rows hold:
    a choice that may be blank stays allowed to be (DRF drops ``allow_blank``
    from read-only fields, and the schema would then promise a value)."""

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        blank_choice = bool(kwargs.get("allow_blank")) and "choices" in kwargs
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank_choice:
            kwargs["allow_blank"] = True
        return kwargs


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class ClientBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True, allow_null=True)
    email = serializers.EmailField(read_only=True, allow_null=True)


class VisiblePrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A row chosen by id among those the requesting person may see; a hidden row
    reads as one that does not exist."""

    def get_queryset(self):
        return access.visible_to(self.context["request"].user, super().get_queryset())


def created_once(request, *, kind: str, create: Callable[[], int]) -> tuple[int, bool]:
    """Run ``create`` (it returns the new row's id) once per ``Idempotency-Key``
    (a UUID) of this person, as the pages do with their form tokens; without the
    header, every request creates."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return create(), True
    try:
        token = uuid.UUID(key)
    except ValueError:
        raise serializers.ValidationError({"Idempotency-Key": [_("Must be a UUID.")]}) from None
    try:
        row_id, created = submission_once(token=token, user=request.user, kind=f"api-{kind}", create=create)
    except IntegrityError:
        raise Conflict(_("This Idempotency-Key was already used for another request.")) from None
    if row_id is None:
        raise DjangoValidationError(_("The first request with this Idempotency-Key did not finish; send it again."))
    return row_id, created


def phone_field(value: str) -> str:
    """A phone written any usual way, in E.164; the service's own message under the field."""
    try:
        return phone_normalize(value) or ""
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        try:
            # PostgreSQL refuses UTC offsets beyond ±16 hours, which ISO 8601 allows.
            return moment.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError(_("This moment is out of range.")) from None


class MomentFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 moment (``2026-03-01T09:00:00+05:00``), compared in UTC."""

    field_class = UtcDateTimeField
