"""``GET /api/v1/tours/search/``: the tour search as JSON, with whether the
results are cached or stale and their age."""

from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.samo import errors
from tours.forms import TourSearchForm
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
