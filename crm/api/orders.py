"""``/api/v1/orders/``: bookings, created on a lead through ``order_create`` and
moved along new → confirmed → paid → completed (or cancelled) through
``order_set_status`` — accountants only from confirmed to paid."""

from decimal import Decimal

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm import access, services
from crm.api.common import WorksWithCrm
from crm.api.fields import (
    IDEMPOTENCY_KEY,
    ClientBriefSerializer,
    MomentFilter,
    PersonSerializer,
    RowSerializer,
    VisiblePrimaryKeyField,
    created_once,
)
from crm.models import Currency, Lead, MealPlan, Order, OrderStatus


class OrderSerializer(RowSerializer):
    client = ClientBriefSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    margin_kzt = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = Order
        fields = [
            "id", "client", "lead", "assignee", "status", "operator", "departure_city", "destination_country",
            "destination_resort", "hotel", "hotel_stars", "room", "meal_plan", "date_from", "date_to", "nights",
            "adults", "children", "tourists", "price", "currency", "exchange_rate", "price_kzt", "cost_kzt",
            "margin_kzt", "operator_booking_number", "created_at", "updated_at",
        ]
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    allowed_statuses = serializers.SerializerMethodField(
        help_text="The statuses the requesting person may move this order to now.")

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "allowed_statuses", "offer_snapshot"]
        read_only_fields = fields

    def get_allowed_statuses(self, order) -> list[str]:
        return services.order_status_transitions_for(order=order, user=self.context["request"].user)


class OrderCreateSerializer(serializers.ModelSerializer):
    """An order on a lead the person may change (its client is the lead's)."""

    lead = VisiblePrimaryKeyField(queryset=Lead.objects.all())
    meal_plan = serializers.ChoiceField(choices=MealPlan.choices, required=False, allow_blank=True)
    price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"))
    exchange_rate = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=Decimal("0.0001"),
                                             required=False, allow_null=True)
    cost_kzt = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False,
                                        allow_null=True)

    class Meta:
        model = Order
        fields = ["lead", "operator", "hotel", "hotel_stars", "room", "meal_plan", "date_from", "date_to", "nights",
                  "adults", "children", "tourists", "price", "currency", "exchange_rate", "cost_kzt",
                  "operator_booking_number"]
        extra_kwargs = {
            "hotel_stars": {"min_value": 1, "max_value": 5},
            "nights": {"min_value": 1, "max_value": 90},
            "adults": {"min_value": 1, "max_value": 20},
            "children": {"min_value": 0, "max_value": 10},
        }

    def validate(self, attrs):
        errors = {}
        if attrs["date_to"] < attrs["date_from"]:
            errors["date_to"] = [_("Check-out is before check-in.")]
        if attrs.get("currency", Currency.KZT) != Currency.KZT and not attrs.get("exchange_rate"):
            errors["exchange_rate"] = [_("Give the rate to tenge for a price in another currency.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def order(self) -> Order:
        fields = dict(self.validated_data)
        lead = fields["lead"]
        fields["exchange_rate"] = fields.get("exchange_rate") or Decimal("1")
        return Order(client_id=lead.client_id, departure_city=lead.departure_city,
                     destination_country=lead.destination_country, destination_resort=lead.destination_resort,
                     price_kzt=None, **fields)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class OrderFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices)
    client = django_filters.NumberFilter(field_name="client_id")
    lead = django_filters.NumberFilter(field_name="lead_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    currency = django_filters.ChoiceFilter(choices=Currency.choices)
    date_from_after = django_filters.DateFilter(field_name="date_from", lookup_expr="gte")
    date_from_before = django_filters.DateFilter(field_name="date_from", lookup_expr="lte")
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ["status", "client", "lead", "assignee", "currency"]


class OrderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Agents see orders of their own and unassigned work; managers, admins and
    accountants all of them."""

    permission_classes = [WorksWithCrm]
    filterset_class = OrderFilter
    search_fields = ["client__full_name", "client__phone", "hotel", "destination_resort", "operator_booking_number"]
    ordering_fields = ["created_at", "date_from", "price_kzt", "status", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return access.visible_to(self.request.user, Order.objects.select_related("client", "assignee"))

    def get_serializer_class(self):
        return OrderDetailSerializer if self.action != "list" else OrderSerializer

    def _answer(self, order_id: int, *, code=status.HTTP_200_OK) -> Response:
        order = self.get_queryset().get(pk=order_id)
        return Response(OrderDetailSerializer(order, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderDetailSerializer, 200: OrderDetailSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    def create(self, request, *args, **kwargs):
        """A new order (status new) on a lead; the price in tenge from the rate."""
        data = OrderCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        order_id, created = created_once(
            request, kind="order", create=lambda: services.order_create(order=data.order(), user=request.user).pk,
        )
        return self._answer(order_id, code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=StatusSerializer, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Move the order to another status (see ``allowed_statuses``); logged."""
        order = self.get_object()
        data = StatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_set_status(order=order, status=data.validated_data["status"], user=request.user,
                                  note=data.validated_data.get("note", ""))
        return self._answer(order.pk)
