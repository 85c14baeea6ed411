"""``GET /api/v1/analytics/summary``: the KPIs of a period as JSON, with the
same rights as the dashboard (agents get their own figures). Without dates
it covers all time; ``date_from``/``date_to`` (YYYY-MM-DD, Almaty dates, both
included), ``preset``, ``agent``, ``channel`` and ``destination`` narrow it."""

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.forms import PeriodForm
from analytics.selectors import KPIS, Preset, Scope
from analytics.selectors.dashboard import dashboard_figures
from analytics.selectors.kpis import KpiReport
from analytics.selectors.scope import Period
from crm import access


class ReadsAnalytics(permissions.BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (access.can_read_all(user) or access.is_agent(user)))


def _dates(period: Period | None) -> dict:
    return {
        "date_from": period.date_from.isoformat() if period and period.date_from else None,
        "date_to": period.date_to.isoformat() if period and period.date_to else None,
    }


def report_json(report: KpiReport) -> dict:
    current = report.as_dict()
    previous = None
    if report.previous_period is not None:
        previous = {**_dates(report.previous_period), **{v.kpi.key: v.previous for v in report.values}}
    return {
        **_dates(report.period),
        "currency": "KZT",
        **current,
        "previous": previous,
        "formulas": {kpi.key: str(kpi.formula) for kpi in KPIS if kpi.key in current},
    }


class AnalyticsSummaryAPIView(APIView):
    permission_classes = [ReadsAnalytics]

    @extend_schema(
        parameters=[
            OpenApiParameter("preset", OpenApiTypes.STR, enum=Preset.values),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("agent", OpenApiTypes.INT),
            OpenApiParameter("channel", OpenApiTypes.STR),
            OpenApiParameter("destination", OpenApiTypes.STR),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        form = PeriodForm.for_user(request.user, request.query_params, default_preset=Preset.ALL_TIME)
        if "preset" in request.query_params and request.query_params["preset"] not in Preset.values:
            # The page's form reads an empty preset as "none chosen"; the API names one or leaves it out.
            form.is_valid()
            form.add_error("preset", ValidationError(form.fields["preset"].error_messages["invalid_choice"],
                                                     code="invalid_choice", params={"value": request.query_params["preset"]}))
        if form.is_bound and not form.is_valid():
            return Response({"errors": form.errors.get_json_data()}, status=400)
        scope = Scope.for_user(request.user, form.filters)
        return Response(report_json(dashboard_figures(scope=scope, period=form.period, with_tables=False).report))
