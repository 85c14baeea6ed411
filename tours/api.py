"""``GET /api/v1/tours/search/``: the tour search as JSON, with whether the
results are cached or stale and their age; ``/api/v1/offers/``: offers attached
to leads, and booking one into an order."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import access
from crm.api.common import WorksWithCrm
from crm.api.fields import RowSerializer
from crm.api.orders import OrderDetailSerializer
from crm.models import Order
from integrations.samo import errors
from tours.forms import TourSearchForm
from tours.models import OfferSnapshot
from tours.services.offers import offer_book
from tours.services.search import SearchResult, tour_search
from tours.views import can_search


class CanSearchTours(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and can_search(request.user))


def _decimal(value):
    return None if value is None else str(value)


def _date(value):
    return None if value is None else value.isoformat()


def result_json(result: SearchResult) -> dict:
    return {
        "page": result.page,
        "pages": result.pages,
        "currency": result.currency,
        "rate_kzt": None if result.rate is None else {
            "value": str(result.rate.value), "source": result.rate.source,
            "as_of": result.rate.as_of.isoformat() if result.rate.as_of else None,
        },
        "cached": result.fetched.cached,
        "stale": result.stale,
        "age_seconds": result.age_seconds,
        "fetched_at": result.fetched_at.isoformat(),
        "error": None if result.error is None else {"code": result.error.code, "message": str(result.error)},
        "demo": result.demo,
        "results": [
            {
                "id": offer.row.id, "hotel": offer.row.hotel, "hotel_id": offer.row.hotel_id, "stars": offer.row.stars,
                "resort": offer.row.town, "resort_id": offer.row.town_id, "tour": offer.row.tour,
                "check_in": _date(offer.row.check_in), "check_out": _date(offer.row.check_out),
                "nights": offer.row.nights, "adults": offer.row.adults, "children": offer.row.children,
                "room": offer.row.room, "placement": offer.row.placement, "meal": offer.row.meal,
                "price": _decimal(offer.row.price), "currency": offer.row.currency or result.currency,
                "price_kzt": _decimal(offer.price_kzt), "bookable": offer.row.bookable, "grouped": offer.row.grouped,
                "rooms": offer.row.rooms, "flight_out": offer.row.flight_out, "flight_back": offer.row.flight_back,
            }
            for offer in result.offers
        ],
    }


class TourSearchAPIView(APIView):
    """Query: ``town_from``, ``state`` (SAMO ids), ``checkin_beg``, ``checkin_end``
    (YYYY-MM-DD), ``nights_from``, ``nights_till``, ``adults``, ``children``,
    ``ages`` (comma-separated, one per child); optional ``currency``, ``towns``,
    ``hotels``, ``stars``, ``meals`` (ids, repeated), ``price_min``,
    ``price_max``, ``with_flights``, ``page``. 400 with field errors; 503 when SAMO
    fails and nothing is cached for the search."""

    permission_classes = [CanSearchTours]

    @extend_schema(
        parameters=[
            *(OpenApiParameter(name, OpenApiTypes.INT, required=True) for name in (
                "town_from", "state", "nights_from", "nights_till", "adults")),
            OpenApiParameter("checkin_beg", OpenApiTypes.DATE, required=True),
            OpenApiParameter("checkin_end", OpenApiTypes.DATE, required=True),
            OpenApiParameter("children", OpenApiTypes.INT),
            OpenApiParameter("ages", OpenApiTypes.STR, description="Comma-separated, one per child."),
            *(OpenApiParameter(name, OpenApiTypes.INT, many=True) for name in ("towns", "hotels", "stars", "meals")),
            OpenApiParameter("price_min", OpenApiTypes.DECIMAL),
            OpenApiParameter("price_max", OpenApiTypes.DECIMAL),
            OpenApiParameter("currency", OpenApiTypes.INT),
            OpenApiParameter("with_flights", OpenApiTypes.BOOL),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        form = TourSearchForm(request.query_params)
        if form.samo_error is not None:
            return Response({"error": {"code": form.samo_error.code, "message": str(form.samo_error)}}, status=503)
        if not form.is_valid():
            return Response({"errors": form.errors.get_json_data()}, status=400)
        try:
            result = tour_search(form.to_query(), page=form.cleaned_data.get("page") or 1, options=form.options)
        except errors.SamoError as exc:
            return Response({"error": {"code": exc.code, "message": str(exc)}}, status=503)
        return Response(result_json(result))


class OfferSerializer(RowSerializer):
    class Meta:
        model = OfferSnapshot
        fields = [
            "id", "lead", "client", "order", "offer_key", "operator", "departure_city", "country", "resort", "hotel",
            "hotel_key", "stars", "room", "placement", "meal", "tour", "check_in", "check_out", "nights", "adults",
            "children", "children_ages", "price", "currency", "price_kzt", "rate_kzt", "rate_source",
            "rooms_available", "flight_out", "flight_back", "bookable", "demo", "priced_at", "created_at",
        ]
        read_only_fields = fields


class BookSerializer(serializers.Serializer):
    operator_booking_number = serializers.CharField(max_length=50, required=False, allow_blank=True)


class OfferFilter(django_filters.FilterSet):
    lead = django_filters.NumberFilter(field_name="lead_id")
    client = django_filters.NumberFilter(field_name="client_id")
    booked = django_filters.BooleanFilter(field_name="order", lookup_expr="isnull", exclude=True)

    class Meta:
        model = OfferSnapshot
        fields = ["lead", "client", "booked"]


class OfferViewSet(viewsets.ReadOnlyModelViewSet):
    """``/api/v1/offers/``: SAMO offers attached to the leads a person may see, as
    they were priced; ``book`` makes the order (once per offer)."""

    permission_classes = [WorksWithCrm]
    serializer_class = OfferSerializer
    filterset_class = OfferFilter
    search_fields = ["hotel", "resort", "country", "offer_key"]
    ordering_fields = ["created_at", "priced_at", "check_in", "price_kzt", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return access.visible_to(self.request.user, OfferSnapshot.objects.all())

    @extend_schema(request=BookSerializer, responses={201: OrderDetailSerializer, 200: OrderDetailSerializer})
    @action(detail=True, methods=["post"])
    def book(self, request, pk=None):
        """Book the offer into an order (status new) at its price and rate; booking
        it again answers with the same order (200)."""
        snapshot = self.get_object()
        data = BookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order, created = offer_book(snapshot=snapshot, user=request.user,
                                    operator_booking_number=data.validated_data.get("operator_booking_number", ""))
        order = access.visible_to(request.user, Order.objects.select_related("client", "assignee")).get(pk=order.pk)
        return Response(OrderDetailSerializer(order, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
