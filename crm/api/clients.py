"""``/api/v1/clients/``: the clients a person may see; a new one through
``client_get_or_create`` (the same de-duplication as everywhere)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from crm import access, services
from crm.api.common import WorksWithCrm
from crm.api.fields import MomentFilter, PersonSerializer, RowSerializer, phone_field
from crm.models import Channel, Client, Language


class ClientSerializer(RowSerializer):
    phone = serializers.CharField(read_only=True, allow_null=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Client
        fields = [
            "id", "full_name", "phone", "email", "telegram_id", "telegram_username", "whatsapp_id", "city",
            "language", "source", "owner", "tags", "marketing_consent", "consent_at", "notes", "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ClientCreateSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    source = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)

    def validate_phone(self, value):
        return phone_field(value)


class ClientFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(choices=Channel.choices)
    language = django_filters.ChoiceFilter(choices=Language.choices)
    owner = django_filters.NumberFilter(field_name="owner_id")
    tag = django_filters.CharFilter(field_name="tags__name", distinct=True)
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Client
        fields = ["source", "language", "owner", "tag", "created_after", "created_before"]


class ClientViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Agents see their own clients, clients of their leads and clients nobody
    owns; managers, admins and accountants see all."""

    permission_classes = [WorksWithCrm]
    serializer_class = ClientSerializer
    filterset_class = ClientFilter
    search_fields = ["full_name", "phone", "email", "city", "telegram_username"]
    ordering_fields = ["full_name", "created_at", "updated_at", "id"]
    ordering = ["full_name", "id"]

    def get_queryset(self):
        return access.visible_to(self.request.user, Client.objects.select_related("owner").prefetch_related("tags"))

    @extend_schema(request=ClientCreateSerializer, responses={201: ClientSerializer, 200: ClientSerializer})
    def create(self, request, *args, **kwargs):
        """The client with this phone or e-mail (normalised) when there is one the
        person may see (200), else a new client (201); a colleague's client is a
        409 that says nothing about it."""
        data = ClientCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client, created = services.client_get_or_create(
            full_name=data.validated_data["full_name"], phone=data.validated_data.get("phone"),
            email=data.validated_data.get("email"), source=data.validated_data.get("source", ""), user=request.user,
        )
        client = self.get_queryset().get(pk=client.pk)
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
