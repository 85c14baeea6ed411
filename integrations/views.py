from django.contrib.auth.decorators import login_required, permission_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from integrations.health import check_database, details_allowed, health_report
from integrations.registry import integration_status_list


@never_cache
@require_GET
def health(request):
    """For load balancers and monitoring: no login, 200 while the database answers,
    503 otherwise. Anonymous callers learn that alone (and cost one query); the
    checks are for staff and for monitoring with METRICS_TOKEN."""
    if details_allowed(request):
        report = health_report()
        return JsonResponse(report.as_dict(), status=200 if report.database_ok else 503)
    database_ok = bool(check_database().ok)
    return JsonResponse({"status": "ok" if database_ok else "error"}, status=200 if database_ok else 503)


@login_required
@permission_required("integrations.view_apilog", raise_exception=True)
@require_GET
def settings_page(request):
    report = health_report()
    if request.htmx:
        return render(request, "integrations/settings.html#health", {"health": report})
    return render(
        request,
        "integrations/settings.html",
        {"health": report, "integrations": integration_status_list()},
    )
