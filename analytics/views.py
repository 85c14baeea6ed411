"""The analytics pages: the dashboard (its summary part polled by htmx), CSV
exports of its tables, post-trip survey answers and marketing spend.

Thin: each view parses the query or form, asks a selector or a service, and
renders. Who sees what is ``Scope``'s rule: managers, admins and accountants
every row, agents their own; anyone else is refused.
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from analytics import services
from analytics.forms import MarketingSpendForm, PeriodForm, SurveyResponseForm
from analytics.models import MarketingSpend, SurveyResponse
from analytics.selectors import KPIS, Scope
from analytics.selectors.dashboard import dashboard_figures
from analytics.selectors.tables import FUNNEL_FORMULA
from analytics.summary import period_display, summary_figures
from crm import access

DASHBOARD = "analytics/dashboard.html"
SUMMARY_POLLS = 40


def _require_reader(user) -> None:
    if not (access.can_read_all(user) or access.is_agent(user)):
        raise PermissionDenied(_("Your account has no role that reads analytics."))


def _filters_described(form: PeriodForm, scope: Scope) -> list[str]:
    """The filters in words, for the summary and the page."""
    if not form.is_valid():
        return []
    described = []
    for name in ("agent", "channel", "destination"):
        value = form.cleaned_data.get(name)
        if value and (name != "agent" or scope.reads_all):
            described.append(f"{form.fields[name].label}: {dict(form.fields[name].choices).get(value, value)}")
    return described


def _read(request):
    _require_reader(request.user)
    form = PeriodForm.for_user(request.user, request.GET)
    scope = Scope.for_user(request.user, form.filters)
    return form, scope, form.period


def _dashboard_context(request) -> dict:
    form, scope, period = _read(request)
    computed = dashboard_figures(scope=scope, period=period)
    report, tables = computed.report, computed.tables
    figures = summary_figures(report, tables, filters=_filters_described(form, scope))
    return {
        "computed_at": computed.computed_at,
        "form": form,
        "scope": scope,
        "report": report,
        "tables": tables,
        "summary": services.summary_for(figures=figures, language=get_language() or "ru"),
        "poll": 1,
        "polls_left": True,
        "period_text": period_display(report.period),
        "previous_text": period_display(report.previous_period),
        "query": request.GET.urlencode(),
        "kpis": [kpi for kpi in KPIS if scope.reads_all or not kpi.agency_only],
        "funnel_formula": FUNNEL_FORMULA,
        "may_enter_spend": services.can_enter_spend(request.user),
        "may_record_surveys": services.can_record_surveys(request.user),
        "charts": _charts(tables),
    }


def _charts(tables) -> dict:
    """What Chart.js draws, as plain numbers and labels (the tables below are the same data)."""

    def series(slug: str, key: str, limit: int | None = None) -> dict:
        rows = tables[slug].rows[:limit]
        return {"labels": [row.label for row in rows],
                "values": [float(row.values.get(key) or 0) for row in rows]}

    return {
        "revenue": {**series("months", "revenue_kzt"), "orders": series("months", "orders")["values"]},
        "funnel": series("funnel", "reached"),
        "channels": series("channels", "leads"),
        "destinations": series("destinations", "revenue_kzt", 8),
        "agents": series("agents", "revenue_kzt", 10),
    }


@login_required
@require_GET
def dashboard(request):
    context = _dashboard_context(request)
    template = f"{DASHBOARD}#body" if request.htmx and request.htmx.target == "dashboard-body" else DASHBOARD
    return render(request, template, context)


@login_required
@require_GET
def summary_part(request, key: str):
    """The summary card alone, polled while the model's text is on its way (at most ``SUMMARY_POLLS`` times)."""
    _require_reader(request.user)
    summary = services.summary_by_key(key=key)
    if summary is None:
        raise Http404
    try:
        polls = min(int(request.GET.get("poll", "0")), SUMMARY_POLLS)
    except ValueError:
        polls = 0
    return render(request, f"{DASHBOARD}#summary", {"summary": summary, "poll": polls + 1,
                                                   "polls_left": polls < SUMMARY_POLLS})


@login_required
@require_GET
def export(request, table: str):
    form, scope, period = _read(request)
    tables = dashboard_figures(scope=scope, period=period).tables
    if table not in tables:
        raise Http404
    chosen = tables[table]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    start = period.date_from.isoformat() if period.date_from else "start"
    end = period.date_to.isoformat() if period.date_to else "now"
    response["Content-Disposition"] = f'attachment; filename="analytics-{table}-{start}-{end}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read the Cyrillic as UTF-8
    writer = csv.writer(response)
    writer.writerow([chosen.key_label, *(column.label for column in chosen.columns)])
    for row in chosen.rows:
        writer.writerow([row.label, *("" if row.values.get(c.key) is None else row.values.get(c.key)
                                      for c in chosen.columns)])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def surveys(request):
    """Post-trip survey answers: the recent ones the person may see, and a form to record one."""
    _require_reader(request.user)
    may_record = services.can_record_surveys(request.user)
    orders = services.survey_orders_for(request.user)
    form = SurveyResponseForm(request.POST or None, orders=orders)
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied(_("You may not record survey answers."))
        if form.is_valid():
            try:
                services.survey_response_record(user=request.user, **form.cleaned_data)
            except (PermissionDenied, ValidationError) as exc:
                form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
            else:
                messages.success(request, _("The answer is recorded."))
                return redirect("analytics:surveys")
    answers = (
        access.visible_to(request.user, SurveyResponse.objects.all())
        .select_related("order__client", "order__assignee", "recorded_by")[:50]
    )
    return render(request, "analytics/surveys.html", {"form": form, "answers": answers, "may_write": may_record})


@login_required
@require_http_methods(["GET", "POST"])
def spend(request):
    """Marketing spend per month and channel: managers and admins enter it, accountants read it."""
    if not access.can_read_all(request.user):
        raise PermissionDenied(_("Marketing spend is for managers, admins and accountants."))
    may_enter = services.can_enter_spend(request.user)
    form = MarketingSpendForm(request.POST or None)
    if request.method == "POST":
        if not may_enter:
            raise PermissionDenied(_("Only managers and admins enter marketing spend."))
        if form.is_valid():
            services.marketing_spend_save(user=request.user, **form.cleaned_data)
            messages.success(request, _("The spend is saved."))
            return redirect("analytics:spend")
    rows = MarketingSpend.objects.select_related("entered_by")[:120]
    return render(request, "analytics/spend.html", {"form": form, "rows": rows, "may_write": may_enter})
